"""File contracts of the four source systems, in load order (referenced tables first)."""

from __future__ import annotations

from ingestion.contracts.abs import CONTRACTS_ABS
from ingestion.contracts.cards import CONTRACTS_CARDS
from ingestion.contracts.contact_center import CONTRACTS_CONTACT_CENTER
from ingestion.contracts.dbo import CONTRACTS_DBO
from ingestion.contracts.model import Column, FileContract, Trailer

CONTRACTS: tuple[FileContract, ...] = (
    *CONTRACTS_ABS,
    *CONTRACTS_CARDS,
    *CONTRACTS_DBO,
    *CONTRACTS_CONTACT_CENTER,
)


def contract_for(table: str) -> FileContract:
    """The contract of ``<system>__<entity>``; a clear error for an unknown table."""
    for contract in CONTRACTS:
        if contract.table == table:
            return contract
    known = ", ".join(c.table for c in CONTRACTS)
    raise KeyError(f"no file contract for table {table!r}; known tables: {known}")


__all__ = ["CONTRACTS", "Column", "FileContract", "Trailer", "contract_for"]
