"""Legal entities (ЮЛ) resolve on their own keys: a valid INN, else the OGRN. A company's
separate divisions are client records with the same INN and their own KPP: one client, several
records. Holding groups come from the parent reference in АБС.
"""

from __future__ import annotations

import duckdb
import polars as pl

from identity.normalize import valid_inn

LEGAL_FORMS = (
    r"\b(ООО|ОАО|ЗАО|ПАО|АО|НАО|НКО|АНО|ГУП|МУП|ФГУП|ИП|"
    r"ОБЩЕСТВО С ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ|АКЦИОНЕРНОЕ ОБЩЕСТВО|"
    r"ПУБЛИЧНОЕ АКЦИОНЕРНОЕ ОБЩЕСТВО|ЗАКРЫТОЕ АКЦИОНЕРНОЕ ОБЩЕСТВО)\b"
)

LEGAL_ENTITY_RECORDS = """
select 'abs' as source, abs_client_id as source_record_id, 'abs:' || abs_client_id as record_key,
       organization_name, inn, ogrn, kpp, okopf_code, okved_code, registration_address,
       parent_abs_client_id, registration_date, profile_updated_date as seen_date,
       abs_client_id as lineage_record_id, _business_date
from raw.abs__clients
where client_type = 'ЮЛ'
qualify row_number() over (partition by abs_client_id
                           order by _business_date desc, _line_number desc) = 1
"""


def records_from_warehouse(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    frame = con.sql(LEGAL_ENTITY_RECORDS).pl()
    return frame.with_columns(
        pl.Series("inn_valid", valid_inn(frame["inn"])),
        normalized_name(pl.col("organization_name")).alias("name_key"),
        pl.col("kpp").str.slice(4, 2).eq("01").fill_null(False).alias("is_head_office"),
    )


def normalized_name(col: pl.Expr) -> pl.Expr:
    """Company name without its legal form, quotes and punctuation: «ООО "Ромашка"» and
    "Ромашка, ООО" meet."""
    return (
        col.str.to_uppercase()
        .str.replace_all("Ё", "Е")
        .str.replace_all(LEGAL_FORMS, " ")
        .str.replace_all(r"[^\w]+", " ")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )


def cluster(records: pl.DataFrame) -> pl.DataFrame:
    """record_key → cluster_key: one cluster per valid INN (else OGRN, else the record)."""
    key = pl.coalesce(
        pl.lit("le-inn:") + pl.col("inn_valid"),
        pl.lit("le-ogrn:") + pl.col("ogrn"),
        pl.col("record_key"),
    )
    return records.select("record_key", key.alias("cluster_key"))


def golden_records(records: pl.DataFrame) -> pl.DataFrame:
    """One row per legal entity: the head-office record, freshest first, names the entity."""
    return (
        records.sort(
            ["is_head_office", "seen_date", "record_key"],
            descending=[True, True, False],
            nulls_last=True,
        )
        .group_by("golden_client_id", maintain_order=True)
        .agg(
            pl.col("organization_name").first(),
            pl.col("inn_valid").drop_nulls().first().alias("inn"),
            pl.col("ogrn").drop_nulls().first(),
            pl.col("kpp").first(),
            pl.col("okved_code").first(),
            pl.col("registration_address").first(),
            pl.col("registration_date").min(),
            pl.col("source_record_id").first().alias("head_office_abs_client_id"),
            pl.len().alias("branch_records"),
        )
    )


def hierarchy(records: pl.DataFrame) -> pl.DataFrame:
    """Each legal entity with its parent and the root of its holding group."""
    crosswalk = records.select(
        pl.col("source_record_id").alias("parent_abs_client_id"),
        pl.col("golden_client_id").alias("parent_golden_client_id"),
    )
    edges = (
        records.join(crosswalk, on="parent_abs_client_id", how="left")
        .group_by("golden_client_id")
        .agg(pl.col("parent_golden_client_id").drop_nulls().first())
    )
    parents = dict(edges.iter_rows())
    rows = []
    for golden_id in sorted(parents):
        chain, node = [golden_id], parents.get(golden_id)
        while node is not None and node not in chain:
            chain.append(node)
            node = parents.get(node)
        rows.append((golden_id, parents.get(golden_id), chain[-1], len(chain) - 1))
    return pl.DataFrame(
        rows,
        schema={
            "golden_client_id": pl.String,
            "parent_golden_client_id": pl.String,
            "holding_golden_client_id": pl.String,
            "depth": pl.Int64,
        },
        orient="row",
    )
