"""The dbt docs beside the serving copy, regenerated only when what they describe changed.

``dbt docs generate`` costs 17–21 s on this machine whatever the bank's size (dbt's start-up,
the compilation of every model, the catalog queries) — at bank-100k half the daily
publication. What the docs show depends on the dbt project (models, YAML, tests) and on the
warehouse's tables and column types, never on the rows (DuckDB's catalog has no statistics).
So the docs carry a fingerprint of both, and a publication whose fingerprint is the published
docs' keeps them. (The compiled SQL of an incremental model names the loads of the day it was
compiled on; kept docs show an earlier day's — the same model.)
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import duckdb

from serving.masking import relations_of

DOCS_FILES = ("index.html", "static_index.html", "manifest.json", "catalog.json")
"""What ``dbt docs generate --static`` leaves that a reader needs: ``static_index.html`` opens
from disk with everything inside; ``index.html`` needs the two JSON files beside it and a web
server (``dbt docs serve`` or any static server)."""

FINGERPRINT_FILE = ".fingerprint"


def docs_fingerprint(manifest_path: Path, con: duckdb.DuckDBPyConnection) -> str:
    """Digest of the parsed dbt project (its manifest without the run's metadata and the parse
    times of its nodes) and of the columns, with their types, of the relations it documents in
    the warehouse ``con`` (the catalog's content; other tables, such as the publications' audit,
    do not count)."""
    manifest = json.loads(Path(manifest_path).read_text(encoding="utf-8"))
    manifest.pop("metadata", None)
    for resources in manifest.values():
        # the time each node was parsed: a parse from scratch of the same project changes
        # only these (1,230 of them), and regenerated the docs for nothing
        for resource in resources.values() if isinstance(resources, dict) else ():
            if isinstance(resource, dict):
                resource.pop("created_at", None)
    documented = relations_of(manifest)
    columns = [
        row
        for row in con.execute(
            "select table_schema, table_name, column_name, data_type "
            "from information_schema.columns where table_catalog = current_database() "
            "order by 1, 2, ordinal_position"
        ).fetchall()
        if (row[0].lower(), row[1].lower()) in documented
    ]
    text = json.dumps([manifest, columns], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def published_fingerprint(docs_dir: Path) -> str | None:
    """The fingerprint of the docs in ``docs_dir``; None when any of their files is missing."""
    marker = docs_dir / FINGERPRINT_FILE
    if not marker.exists() or not all((docs_dir / name).exists() for name in DOCS_FILES):
        return None
    return marker.read_text(encoding="utf-8").strip()


def publish_docs(artifacts_dir: Path, docs_dir: Path, fingerprint: str) -> list[Path]:
    """Copy the dbt docs from a ``dbt docs generate`` target folder into ``docs_dir``, each file
    written under a temporary name and renamed into place, the fingerprint last."""
    docs_dir.mkdir(parents=True, exist_ok=True)
    (docs_dir / FINGERPRINT_FILE).unlink(missing_ok=True)
    written = []
    for name in DOCS_FILES:
        staged = docs_dir / f".{name}.tmp"
        shutil.copyfile(artifacts_dir / name, staged)
        os.replace(staged, docs_dir / name)
        written.append(docs_dir / name)
    (docs_dir / FINGERPRINT_FILE).write_text(fingerprint, encoding="utf-8")
    return written
