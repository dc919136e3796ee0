"""One export: segment → contact policy → holdout → file, manifest and ledger row.

Order matters: the gates run before anything is written; the file and manifest are written to
temporary names and renamed into place; the ledger row goes in last, so a crash leaves no ledger
row and a re-run finishes the job. The same campaign, segment, channel and format is one export
(its ``export_id``): re-running it with the same result changes nothing, and a different result
under the same id is refused — a new audience needs a new campaign id.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import io
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from activation import ledger
from activation.audience import TABLE, Audience, build_audience
from activation.catalog import Segment, load_catalog
from activation.channels import FIELDS, select_sql
from activation.fields import DBT_MANIFEST, discover
from activation.policy import CHANNELS, load_policy
from activation.policy.do_not_contact import read_stop_list
from activation.safety import ExportRefused, check_data_quality, check_size_jump
from cdp.settings import Settings
from cdp.warehouse import connect

FORMATS = {"csv": "csv", "csv-cp1251": "cp1251.csv", "parquet": "parquet"}
"""Format → file extension. cp1251 files use ``;`` and CRLF, as the legacy tools expect."""
CAMPAIGN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


@dataclass(frozen=True)
class ExportRequest:
    segment: str
    channel: str
    campaign_id: str
    file_format: str = "csv"
    recipient: str | None = None
    purpose: str | None = None
    requested_by: str | None = None
    holdout_share: float | None = None


@dataclass(frozen=True)
class ExportResult:
    export_id: str
    status: str
    """``written`` or ``unchanged`` (the same export was already made)."""
    file_path: Path
    manifest_path: Path
    rows: int
    holdout_rows: int
    file_sha256: str
    manifest: dict = field(repr=False)


def export_id(request: ExportRequest) -> str:
    key = "\x1f".join((request.campaign_id, request.segment, request.channel, request.file_format))
    return "EX" + hashlib.sha256(key.encode()).hexdigest()[:16]


def encode(frame: pl.DataFrame, file_format: str) -> bytes:
    """The file's bytes, deterministic for the same rows."""
    buffer = io.BytesIO()
    if file_format == "parquet":
        frame.write_parquet(buffer, compression="zstd", statistics=False)
        return buffer.getvalue()
    if file_format == "csv-cp1251":
        text = frame.write_csv(separator=";", line_terminator="\r\n")
        try:
            return text.encode("cp1251")
        except UnicodeEncodeError as error:
            raise ExportRefused(f"a value cannot be written in cp1251: {error}") from error
    return frame.write_csv().encode("utf-8")


def _write_atomically(path: Path, payload: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(payload)
    os.replace(temporary, path)


def _validate(request: ExportRequest, segments: dict[str, Segment]) -> Segment:
    if request.channel not in CHANNELS:
        raise ExportRefused(f"unknown channel {request.channel!r} (one of {CHANNELS})")
    if request.file_format not in FORMATS:
        raise ExportRefused(f"unknown format {request.file_format!r} (one of {list(FORMATS)})")
    if not CAMPAIGN_ID.fullmatch(request.campaign_id):
        raise ExportRefused(
            f"campaign id {request.campaign_id!r}: letters, digits, '-' and '_', up to 64"
        )
    if request.segment not in segments:
        raise ExportRefused(f"unknown segment {request.segment!r} (known: {sorted(segments)})")
    return segments[request.segment]


def run_export(
    settings: Settings, request: ExportRequest, manifest_path: Path = DBT_MANIFEST
) -> ExportResult:
    """Make one export (see the module docstring); raises ``ExportRefused`` when a gate stops
    it and ``CatalogError`` when the segment does not validate against the warehouse."""
    segment = _validate(request, load_catalog(settings.activation_segments_dir))
    policy = load_policy(settings.activation_stop_list_path)
    gate = check_data_quality(settings.home / "dbt")
    holdout_share = (
        settings.activation_holdout_share
        if request.holdout_share is None
        else request.holdout_share
    )
    if not 0 <= holdout_share < 1:
        raise ExportRefused(f"holdout share {holdout_share} must be in [0, 1)")
    with connect(settings, read_only=True) as con:
        audience = build_audience(
            con,
            segment,
            discover(con, manifest_path),
            request.channel,
            request.campaign_id,
            policy,
            holdout_share,
        )
        target = f"(select golden_client_id from {TABLE} where is_eligible and not is_holdout)"
        sql, params = select_sql(request.channel, target, request.campaign_id, policy.call_hours)
        rows = con.execute(sql, params).pl()
        chosen = con.sql(
            f"select golden_client_id, is_holdout from {TABLE} where is_eligible order by 1"
        ).arrow()
    payload = encode(rows, request.file_format)
    sha256 = hashlib.sha256(payload).hexdigest()
    identifier = export_id(request)
    folder = settings.exports_dir / "campaigns" / request.campaign_id
    stem = f"{segment.name}__{request.channel}"
    file_path = folder / f"{stem}.{FORMATS[request.file_format]}"
    manifest_file = folder / f"{stem}.{request.file_format}.manifest.json"

    with ledger.open_ledger(settings.activation_ledger_path) as book:
        previous = ledger.find_export(book, identifier)
        if previous is not None:
            if previous["file_sha256"] != sha256:
                raise ExportRefused(
                    f"export {identifier} (campaign {request.campaign_id}, segment "
                    f"{segment.name}, {request.channel}, {request.file_format}) was already made "
                    f"with a different audience on {previous['exported_at']:%Y-%m-%d %H:%M} UTC; "
                    "a new audience needs a new campaign id"
                )
            if (
                not file_path.exists()
                or hashlib.sha256(file_path.read_bytes()).hexdigest() != sha256
            ):
                _write_atomically(file_path, payload)
            manifest = json.loads(Path(previous["manifest_path"]).read_text(encoding="utf-8"))
            return ExportResult(
                identifier, "unchanged", file_path, manifest_file, previous["rows"],
                previous["holdout_rows"], sha256, manifest,
            )  # fmt: skip
        check_size_jump(
            audience.segment_rows,
            ledger.last_segment_rows(book, segment.definition_hash, request.channel),
            settings.activation_max_size_ratio,
        )
        exported_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        row = {
            "export_id": identifier,
            "exported_at": exported_at,
            "exported_by": request.requested_by or getpass.getuser(),
            "purpose": request.purpose or segment.purpose,
            "campaign_id": request.campaign_id,
            "segment_name": segment.name,
            "segment_version": segment.version,
            "segment_hash": segment.definition_hash,
            "channel": request.channel,
            "recipient_system": request.recipient or policy.recipients[request.channel],
            "file_format": request.file_format,
            "file_path": str(file_path),
            "file_sha256": sha256,
            "manifest_path": str(manifest_file),
            "as_of_date": audience.as_of,
            "policy_hash": policy.policy_hash,
            "segment_rows": audience.segment_rows,
            "eligible_rows": audience.eligible_rows,
            "holdout_rows": audience.holdout_rows,
            "rows": rows.height,
        }
        manifest = _manifest(row, segment, audience, gate.as_dict(), holdout_share, policy, payload)
        _write_atomically(file_path, payload)
        _write_atomically(
            manifest_file,
            json.dumps(manifest, ensure_ascii=False, indent=2, default=str).encode("utf-8"),
        )
        ledger.append(book, row, chosen)
    return ExportResult(
        identifier, "written", file_path, manifest_file, rows.height, audience.holdout_rows,
        sha256, manifest,
    )  # fmt: skip


def _manifest(
    row: dict,
    segment: Segment,
    audience: Audience,
    gate: dict,
    holdout_share: float,
    policy,
    payload: bytes,
) -> dict:
    return {
        "export_id": row["export_id"],
        "exported_at": row["exported_at"].isoformat() + "Z",
        "exported_by": row["exported_by"],
        "purpose": row["purpose"],
        "campaign_id": row["campaign_id"],
        "channel": row["channel"],
        "recipient_system": row["recipient_system"],
        "as_of_date": str(audience.as_of),
        "segment": {
            "name": segment.name,
            "version": segment.version,
            "owner": segment.owner,
            "file": str(segment.path),
            "definition": segment.definition,
            "sha256": segment.definition_hash,
        },
        "policy": {
            "version": policy.raw.get("version"),
            "sha256": policy.policy_hash,
            "parameters": policy.raw,
            "stop_list": {
                "path": str(policy.stop_list_path),
                "entries": read_stop_list(policy.stop_list_path).height,
            },
        },
        "waterfall": [
            {"rule": "segment", "clients_after": audience.segment_rows},
            *audience.waterfall,
        ],
        "eligible_rows": audience.eligible_rows,
        "holdout": {
            "share": holdout_share,
            "rows": audience.holdout_rows,
            "method": "md5(campaign_id || ':' || golden_client_id), first 32 bits / 2^32 < share",
            "recorded_in": "audit.export_audience where is_holdout, by export_id",
        },
        "data_quality_gate": gate,
        "file": {
            "path": row["file_path"],
            "format": row["file_format"],
            "fields": ["campaign_id", "golden_client_id", *FIELDS[row["channel"]]],
            "rows": row["rows"],
            "bytes": len(payload),
            "sha256": row["file_sha256"],
        },
    }
