"""Activation: marketers' segments turned into consented, accountable campaign exports.

Plain Python (DuckDB, Polars, PyYAML), no Dagster: the segment catalog (versioned YAML, validated
and compiled to parameterised SQL), the contact policy (one module per rule), the export writer
with its manifest and holdout, and the append-only export ledger (docs/activation.md).
"""
