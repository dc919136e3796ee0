"""The contact policy: one module per rule, applied to every export in this order.

A rule names the clients who may be contacted on a channel (``require``) or who may not
(``exclude``) as a SQL query over the warehouse returning ``golden_client_id``; values are
bound parameters. The audience builder evaluates every rule for every client of the segment,
so the export's waterfall counts clients before and after each rule.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import yaml

CHANNELS = ("sms", "email", "call", "push")
POLICY_FILE = Path(__file__).resolve().parents[1] / "policy.yml"


@dataclass(frozen=True)
class PolicyConfig:
    """The parameters of the rules (activation/policy.yml) and where the stop list lives."""

    complaint_cooldown_days: int
    aml_card_block_types: tuple[str, ...]
    aml_abs_risk_levels: tuple[str, ...]
    frequency_caps: tuple[dict, ...]
    call_hours: dict[str, str]
    recipients: dict[str, str]
    stop_list_path: Path
    raw: dict = field(repr=False, compare=False, default_factory=dict)

    @property
    def policy_hash(self) -> str:
        text = json.dumps(self.raw, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_policy(stop_list_path: Path, path: Path = POLICY_FILE) -> PolicyConfig:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    for cap in raw["frequency_caps"]:
        unknown = set(cap["channels"]) - set(CHANNELS)
        if unknown or cap["max_contacts"] < 1 or cap["period_days"] < 1:
            raise ValueError(f"{path}: frequency cap {cap['name']} is not valid")
    return PolicyConfig(
        complaint_cooldown_days=int(raw["complaint_cooldown_days"]),
        aml_card_block_types=tuple(raw["aml_card_block_types"]),
        aml_abs_risk_levels=tuple(raw["aml_abs_risk_levels"]),
        frequency_caps=tuple(raw["frequency_caps"]),
        call_hours=dict(raw["call_hours"]),
        recipients=dict(raw["recipients"]),
        stop_list_path=stop_list_path,
        raw=raw,
    )


@dataclass(frozen=True)
class RuleContext:
    """What a rule needs: the channel, the as-of date and the policy. ``p(name)`` and
    ``params(...)`` prefix a rule's parameters with its name, unique within the audience query."""

    channel: str
    as_of: dt.date
    policy: PolicyConfig
    rule: str = ""

    def params(self, **values: Any) -> dict[str, Any]:
        return {f"{self.rule}__{k}": v for k, v in values.items()}

    def p(self, name: str) -> str:
        return f"${self.rule}__{name}"


@dataclass(frozen=True)
class Rule:
    name: str
    summary: str
    legal_basis: str
    mode: str
    """``require``: only clients the query returns pass; ``exclude``: they are left out."""
    query: Callable[[RuleContext], tuple[str, dict[str, Any]]]
    reads: tuple[str, ...] = ()
    """Warehouse relations (``schema.table``) the rule reads: the export's lineage."""
    channels: tuple[str, ...] = CHANNELS
    prepare: Callable[[duckdb.DuckDBPyConnection, RuleContext], None] | None = None

    def applies_to(self, channel: str) -> bool:
        return channel in self.channels


CROSSWALK = "marts.dim_client_crosswalk"


def abs_clients(table: str, columns: str = "t.*") -> str:
    """A staging table keyed by the АБС client id, with the golden client of each row (through
    the crosswalk), so a rule sees every АБС record of a client, duplicates included."""
    return (
        f"(select x.golden_client_id, {columns} from staging.{table} t "
        "join marts.dim_client_crosswalk x "
        "on x.source = 'abs' and x.source_record_id = t.abs_client_id)"
    )


def rules() -> tuple[Rule, ...]:
    """The rules in waterfall order: legal grounds first, then stop lists, caps, contact data
    and hours."""
    from activation.policy import (
        closed_clients,
        complaints,
        consent,
        contactability,
        do_not_contact,
        frequency_caps,
        money_laundering,
        quiet_hours,
    )

    return (
        consent.PERSONAL_DATA,
        consent.MARKETING,
        do_not_contact.RULE,
        complaints.RULE,
        money_laundering.RULE,
        closed_clients.RULE,
        frequency_caps.RULE,
        contactability.RULE,
        quiet_hours.RULE,
    )
