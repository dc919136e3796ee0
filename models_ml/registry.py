"""Model registry on disk: ``<root>/<model>/<version>/`` holds ``model.joblib``,
``metadata.json`` (metrics, features, training window, data fingerprint, code version, gate)
and ``model_card.md``; ``<root>/<model>/promoted`` names the version scoring uses. The root is
``$CDP_HOME/models``, outside git. Promotion is explicit — never "the newest file"."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

import joblib

PROMOTED = "promoted"


def code_version(repo: Path | None = None) -> str | None:
    """The git commit of the code, with ``+dirty`` when the worktree has changes; None outside
    git."""
    cwd = repo or Path(__file__).resolve().parents[1]
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain"], cwd=cwd, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return sha + ("+dirty" if dirty else "")


def new_version(fingerprint: str, now: dt.datetime | None = None) -> str:
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{fingerprint[:8]}"


def save(root: Path, name: str, version: str, model, metadata: dict, card: str) -> Path:
    folder = root / name / version
    folder.mkdir(parents=True, exist_ok=False)
    joblib.dump(model, folder / "model.joblib")
    (folder / "metadata.json").write_text(
        json.dumps(metadata, indent=2, ensure_ascii=False, default=str), encoding="utf-8"
    )
    (folder / "model_card.md").write_text(card, encoding="utf-8")
    return folder


def metadata(root: Path, name: str, version: str) -> dict:
    return json.loads((root / name / version / "metadata.json").read_text(encoding="utf-8"))


def promote(root: Path, name: str, version: str) -> None:
    """Point scoring at ``version``; only a model that passed its gate may be promoted."""
    if not metadata(root, name, version).get("is_promotable"):
        raise ValueError(f"{name} {version} did not pass its gate or its baseline")
    pointer = root / name / PROMOTED
    tmp = pointer.with_suffix(".tmp")
    tmp.write_text(version + "\n", encoding="utf-8")
    tmp.replace(pointer)


def promoted_version(root: Path, name: str) -> str | None:
    pointer = root / name / PROMOTED
    return pointer.read_text(encoding="utf-8").strip() if pointer.exists() else None


def load(root: Path, name: str, version: str):
    return joblib.load(root / name / version / "model.joblib")


def versions(root: Path, name: str) -> list[str]:
    folder = root / name
    return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.exists() else []
