"""Find landing files: ``<landing>/<system>/<delivery date>/<name with business date>``.

The business date comes from the file name, not the folder, so a late file (delivered on a
later day) and a skipped day's files (delivered with the next day) land in their own date.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

from ingestion.contracts.model import FileContract

HASH_BLOCK = 8 * 2**20


@dataclass(frozen=True)
class LandingFile:
    path: Path
    business_date: dt.date
    delivery_date: dt.date | None
    size: int

    @property
    def name(self) -> str:
        return self.path.name


def _folder_date(folder: Path) -> dt.date | None:
    try:
        return dt.date.fromisoformat(folder.name)
    except ValueError:
        return None


def find_files(landing_dir: Path, contract: FileContract) -> list[LandingFile]:
    """Every file of this type, ordered by business date, then delivery date, then path."""
    pattern = contract.file_regex()
    root = Path(landing_dir) / contract.system
    found = []
    if not root.is_dir():
        return found
    for folder in root.iterdir():
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            match = pattern.match(path.name)
            if match and path.is_file():
                business_date = dt.datetime.strptime(match["date"], "%Y%m%d").date()
                found.append(
                    LandingFile(path, business_date, _folder_date(folder), path.stat().st_size)
                )
    return sorted(found, key=lambda f: (f.business_date, f.delivery_date or dt.date.min, f.path))


def files_for(landing_dir: Path, contract: FileContract, business_date: dt.date):
    return [f for f in find_files(landing_dir, contract) if f.business_date == business_date]


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def snapshot(landing_dir: Path, contracts) -> dict[str, list]:
    """Every contract file in the landing zone: relative path → [table, business date, size,
    modification time]; what the landing sensor compares between two ticks."""
    seen = {}
    for contract in contracts:
        for file in find_files(landing_dir, contract):
            stat = file.path.stat()
            relative = str(file.path.relative_to(landing_dir))
            seen[relative] = [contract.table, file.business_date.isoformat(), stat.st_size,
                              stat.st_mtime_ns]  # fmt: skip
    return seen


def changed_partitions(previous: dict, current: dict) -> dict[str, set[str]]:
    """Business date → tables with a new or changed file since the previous snapshot."""
    changed: dict[str, set[str]] = {}
    for relative, entry in current.items():
        if previous.get(relative) != entry:
            table, business_date = entry[0], entry[1]
            changed.setdefault(business_date, set()).add(table)
    return changed
