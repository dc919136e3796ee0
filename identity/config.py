"""Tuning of identity resolution in one typed place; every figure cites what chose it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MatchingConfig:
    seed: int = 42
    prior_match_probability: float = 1e-4
    """Starting prior before training re-estimates it from the deterministic rules."""
    deterministic_recall: float = 0.7
    """Share of true pairs the INN/SNILS/passport rules are assumed to find (measured on the
    tiny bank: 0.63 of АБС duplicate pairs share a valid INN or SNILS, 0.88 a passport)."""
    max_training_records: int = 400_000
    """Records (whole clients) the model is trained on; more does not move the parameters."""
    u_sample_pairs: int = 2_000_000
    max_label_pairs: int = 300_000
    """Silver-label pairs used to estimate m; more changes the estimates by < 0.01."""
    min_label_pairs: int = 50
    """Fewer silver-label pairs than this cannot estimate m for every comparison level."""
    min_edge_probability: float = 0.5
    """Pairs below this are not kept at all."""
    match_probability: float = 0.999
    """A probabilistic edge merges two records at or above this. Measured on two simulated banks
    (seeds 42 and 7): 0.99 let one pair of namesakes at one address through (precision 0.9989),
    0.999 none, at no recall cost; 0.9999 starts losing true pairs."""
    max_people_per_phone: int = 3
    """A phone held by more anchors than this is a hub (family landline, company switchboard,
    placeholder) and is neither blocked nor compared as private evidence."""
    duckdb_memory_limit: str = "1GB"
    """DuckDB buffer pool during a resolution (warehouse and Splink alike): the frames, not
    DuckDB's cache, need the memory; left at its default DuckDB took up to 80 % of RAM."""
    max_cluster_records: int = 60
    """Clusters above this many records are alerted: a person has ~4 records per system at
    most, plus one caller record per phone they call from."""
