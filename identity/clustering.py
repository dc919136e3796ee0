"""Clusters of person records from scored edges, with guards no edge can break.

Edges are applied strongest first — steward must-links, system mappings, shared valid INN or
SNILS, then Splink matches by probability — into a union-find whose components remember their
valid INNs and SNILS and their never-link partners. A union that would put two different valid
INNs (or SNILS) in one client, or join a never-link pair, is refused and reported as a conflict:
those identifiers are issued once for life, so two of them mean two people.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

EDGE_RANK = {"must_link": 0, "system_mapping": 1, "inn": 2, "snils": 2, "probabilistic": 3}
EDGE_SCHEMA = {
    "record_key_l": pl.String,
    "record_key_r": pl.String,
    "kind": pl.String,
    "match_probability": pl.Float64,
}


@dataclass
class Clustering:
    clusters: pl.DataFrame
    """record_key → cluster_key (the smallest record key of the cluster)."""
    accepted: pl.DataFrame
    """Edges that joined two components (record_key_l, record_key_r, kind, probability)."""
    conflicts: pl.DataFrame
    """Edges refused by a guard, with the reason."""


def owners(records: pl.DataFrame, never_link: pl.DataFrame) -> pl.DataFrame:
    """Satellite records (a card holder, a login, a caller) hang on the АБС client their system
    maps them to; they carry no INN or SNILS, so this collapse cannot break a guard. A record
    named in a never-link pair is detached and stands on its own."""
    detached = pl.concat([never_link["record_key_l"], never_link["record_key_r"]]).unique()
    owner = (
        pl.when(pl.col("anchor_id").is_not_null() & ~pl.col("record_key").is_in(detached.implode()))
        .then(pl.lit("abs:") + pl.col("anchor_id"))
        .otherwise(pl.col("record_key"))
    )
    return records.select("record_key", owner.alias("owner"))


def identifier_edges(records: pl.DataFrame, max_records: int) -> pl.DataFrame:
    """Records sharing a valid INN or SNILS; a value on more than ``max_records`` records is a
    hub (test values, copy errors) and links nothing."""
    frames = []
    for column, kind in (("inn_valid", "inn"), ("snils_valid", "snils")):
        held = records.select("record_key", column).drop_nulls()
        counts = held.group_by(column).len()
        keep = counts.filter(pl.col("len").is_between(2, max_records))[column]
        first = (
            held.filter(pl.col(column).is_in(keep.implode()))
            .group_by(column)
            .agg(pl.col("record_key").min().alias("first"), pl.col("record_key"))
            .explode("record_key")
            .filter(pl.col("record_key") != pl.col("first"))
        )
        frames.append(
            first.select(
                pl.col("first").alias("record_key_l"),
                pl.col("record_key").alias("record_key_r"),
                pl.lit(kind).alias("kind"),
                pl.lit(1.0).alias("match_probability"),
            )
        )
    return pl.concat(frames)


class _Components:
    """Union-find over owners with the identifiers each component holds."""

    def __init__(self, inns: dict[str, set], snilses: dict[str, set], never: dict[str, set]):
        self.parent: dict[str, str] = {}
        self.inns, self.snilses, self.never = inns, snilses, never

    def find(self, x: str) -> str:
        parent = self.parent
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while x != root:
            parent[x], x = root, parent.get(x, x)
        return root

    def union(self, a: str, b: str, forced: bool) -> str | None:
        """Join two components; the reason it was refused, or None."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return "same"
        never_a, never_b = self.never.get(ra, set()), self.never.get(rb, set())
        if any(self.find(o) == rb for o in never_a) or any(self.find(o) == ra for o in never_b):
            return "never_link_override"
        inns = self.inns.get(ra, set()) | self.inns.get(rb, set())
        snilses = self.snilses.get(ra, set()) | self.snilses.get(rb, set())
        if not forced and len(inns) > 1:
            return "different_valid_inn"
        if not forced and len(snilses) > 1:
            return "different_valid_snils"
        if ra > rb:
            ra, rb = rb, ra
        self.parent[rb] = ra
        for store, merged in ((self.inns, inns), (self.snilses, snilses)):
            store.pop(rb, None)
            if merged:
                store[ra] = merged
        if never_a or never_b:
            self.never[ra] = never_a | never_b
            self.never.pop(rb, None)
        return None


def cluster(records: pl.DataFrame, edges: pl.DataFrame, never_link: pl.DataFrame) -> Clustering:
    """Apply edges strongest first under the guards; return record → cluster."""
    owner_of = owners(records, never_link)
    by_owner = records.select("record_key", "inn_valid", "snils_valid").join(
        owner_of, on="record_key"
    )
    inns = _sets(by_owner, "inn_valid")
    snilses = _sets(by_owner, "snils_valid")
    never: dict[str, set] = {}
    for ol, or_ in _with_owners(never_link, owner_of).select("owner_l", "owner_r").iter_rows():
        never.setdefault(ol, set()).add(or_)
        never.setdefault(or_, set()).add(ol)
    components = _Components(inns, snilses, never)

    ordered = (
        _with_owners(edges, owner_of)
        .filter(pl.col("owner_l") != pl.col("owner_r"))
        .with_columns(pl.col("kind").replace_strict(EDGE_RANK).alias("rank"))
        .sort(
            ["rank", "match_probability", "record_key_l", "record_key_r"],
            descending=[False, True, False, False],
        )
    )
    accepted, conflicts = [], []
    for left, right, kind, probability, owner_l, owner_r, _ in ordered.iter_rows():
        refused = components.union(owner_l, owner_r, kind == "must_link")
        if refused is None:
            accepted.append((left, right, kind, probability))
        elif refused != "same":
            conflicts.append((left, right, kind, probability, refused))
    roots = {owner: components.find(owner) for owner in components.parent}
    clusters = (
        owner_of.with_columns(pl.col("owner").replace(roots).alias("root"))
        .with_columns(pl.col("record_key").min().over("root").alias("cluster_key"))
        .select("record_key", "cluster_key")
    )
    return Clustering(
        clusters=clusters,
        accepted=pl.DataFrame(accepted, schema=EDGE_SCHEMA, orient="row"),
        conflicts=pl.DataFrame(
            conflicts, schema={**EDGE_SCHEMA, "reason": pl.String}, orient="row"
        ),
    )


def _with_owners(pairs: pl.DataFrame, owner_of: pl.DataFrame) -> pl.DataFrame:
    """Each pair's two owners; a record absent from this run stands for itself."""
    lookup = owner_of.rename({"record_key": "_key"})
    return (
        pairs.join(lookup, left_on="record_key_l", right_on="_key", how="left")
        .rename({"owner": "owner_l"})
        .join(lookup, left_on="record_key_r", right_on="_key", how="left")
        .rename({"owner": "owner_r"})
        .with_columns(
            pl.coalesce("owner_l", "record_key_l").alias("owner_l"),
            pl.coalesce("owner_r", "record_key_r").alias("owner_r"),
        )
    )


def _sets(by_owner: pl.DataFrame, column: str) -> dict[str, set]:
    grouped = by_owner.select("owner", column).drop_nulls().group_by("owner").agg(pl.col(column))
    return {owner: set(values) for owner, values in grouped.iter_rows()}
