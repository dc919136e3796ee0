"""Probabilistic matching of person records with Splink (Fellegi–Sunter, DuckDB backend).

Runs in its own in-memory DuckDB, so Splink's work tables never touch the warehouse file.
Blocking is a union of rules — one per strong key, rules that do not use the name (birth date
with phone, with address) and rules on folded name keys — over columns in which values shared
by many people (placeholders, family and company phones) are blanked, so a hub can neither
create millions of pairs nor be mistaken for evidence of identity.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import duckdb
import polars as pl
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import ColumnExpression, DuckDBAPI, Linker, SettingsCreator, block_on

from cdp.warehouse import as_arrow
from identity.config import MatchingConfig

logging.getLogger("splink").setLevel(logging.WARNING)

MATCH_COLUMNS = (
    "record_key",
    "surname_fold",
    "surname_stem",
    "first_name_fold",
    "first_name_is_initial",
    "patronymic_fold",
    "birth_date_key",
    "sex",
    "passport",
    "inn_valid",
    "snils_valid",
    "phones_private",
    "phones_e164",
    "phone_blocks",
    "email_key",
    "address_key",
)


def hub_free(records: pl.DataFrame, config: MatchingConfig) -> pl.DataFrame:
    """Columns for blocking and comparison with shared phones removed: a phone held by more
    than ``max_people_per_phone`` different anchors stops being a key."""
    return without_hubs(records, phone_hubs(records, config)["phone"])


def without_hubs(records: pl.DataFrame, hubs: pl.Series) -> pl.DataFrame:
    """phones_private (the record's phones minus the hubs) and phone_blocks (those of them a
    pair is blocked on: its main phone — the first it now carries — and every phone it carried
    before), added as columns aligned by position: joining back the wide frame would copy it.

    A second current phone is compared but not blocked on: it is most often the family
    landline, and blocking on it (measured at 100 k persons) brought relatives' pairs that cost
    precision (0.99895 → 0.99858) for no recall."""
    kept = (
        records.select(pl.int_range(pl.len()).alias("_row"), "phones_e164")
        .explode("phones_e164")
        .filter(pl.col("phones_e164").is_not_null() & ~pl.col("phones_e164").is_in(hubs.implode()))
        .group_by("_row")
        .agg(pl.col("phones_e164").alias("phones_private"))
    )
    private = (
        pl.DataFrame({"_row": pl.int_range(records.height, eager=True)})
        .join(kept, on="_row", how="left", maintain_order="left")["phones_private"]
        .fill_null(pl.lit([], dtype=pl.List(pl.String)))
    )
    past = pl.col("phones_e164").list.set_difference("phones_current")
    blocks = pl.concat_list(pl.col("phones_current").list.slice(0, 1), past)
    return records.with_columns(private).with_columns(
        blocks.list.set_intersection("phones_private").alias("phone_blocks")
    )


def phone_hubs(records: pl.DataFrame, config: MatchingConfig) -> pl.DataFrame:
    """Phones shared by more people than a phone can belong to: reported, never matched on."""
    owner = pl.coalesce("anchor_id", "record_key")
    return (
        records.select(owner.alias("owner"), "phones_e164")
        .explode("phones_e164")
        .drop_nulls()
        .group_by(pl.col("phones_e164").alias("phone"))
        .agg(pl.col("owner").n_unique().alias("people"))
        .filter(pl.col("people") > config.max_people_per_phone)
        .sort("people", descending=True)
    )


def _name_comparison(column: str, label: str, reversed_with: str | None = None):
    levels = [
        cll.NullLevel(column),
        cll.ExactMatchLevel(column, term_frequency_adjustments=True),
        cll.JaroWinklerLevel(column, 0.92),
    ]
    if column == "surname_fold":
        levels.insert(3, cll.ExactMatchLevel("surname_stem").configure(label_for_charts="stem"))
    if reversed_with:
        levels.append(cll.ColumnsReversedLevel(column, reversed_with))
    if column != "surname_fold":
        levels.append(
            cll.CustomLevel(
                f"(length({column}_l) = 1 or length({column}_r) = 1) "
                f"and left({column}_l, 1) = left({column}_r, 1)",
                label_for_charts="initial agrees",
            )
        )
    levels.append(cll.ElseLevel())
    return cl.CustomComparison(comparison_levels=levels, output_column_name=label)


def _exact(column: str, tf: bool = False):
    return cl.CustomComparison(
        comparison_levels=[
            cll.NullLevel(column),
            cll.ExactMatchLevel(column, term_frequency_adjustments=tf),
            cll.ElseLevel(),
        ],
        output_column_name=column,
    )


def _lifelong_identifier(column: str):
    """INN and SNILS are issued once for life and their check digits hold: equal valid values
    are near-proof, different ones near-veto. Fixed, not trained: EM sees too few
    disagreements among matches to estimate them and drives m to zero."""
    return cl.CustomComparison(
        comparison_levels=[
            cll.NullLevel(column),
            cll.ExactMatchLevel(column).configure(
                m_probability=0.995,
                u_probability=1e-7,
                fix_m_probability=True,
                fix_u_probability=True,
            ),
            cll.ElseLevel().configure(
                m_probability=0.005,
                u_probability=1 - 1e-7,
                fix_m_probability=True,
                fix_u_probability=True,
            ),
        ],
        output_column_name=column,
    )


def settings(config: MatchingConfig) -> SettingsCreator:
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_key",
        probability_two_random_records_match=config.prior_match_probability,
        comparisons=[
            _name_comparison("surname_fold", "surname", reversed_with="first_name_fold"),
            _name_comparison("first_name_fold", "first_name"),
            _name_comparison("patronymic_fold", "patronymic"),
            cl.CustomComparison(
                comparison_levels=[
                    cll.NullLevel("birth_date_key"),
                    cll.ExactMatchLevel("birth_date_key"),
                    cll.DamerauLevenshteinLevel(
                        ColumnExpression("birth_date_key").cast_to_string(), 1
                    ),
                    cll.ElseLevel(),
                ],
                output_column_name="birth_date",
            ),
            _exact("sex"),
            _exact("passport"),
            _lifelong_identifier("inn_valid"),
            _lifelong_identifier("snils_valid"),
            cl.CustomComparison(
                comparison_levels=[
                    cll.CustomLevel(
                        "len(phones_e164_l) = 0 or len(phones_e164_r) = 0",
                        label_for_charts="phone missing",
                    ).configure(is_null_level=True),
                    cll.ArrayIntersectLevel("phones_private", 1),
                    cll.ArrayIntersectLevel("phones_e164", 1),
                    cll.ElseLevel(),
                ],
                output_column_name="phone",
            ),
            _exact("email_key", tf=True),
            cl.CustomComparison(
                comparison_levels=[
                    cll.NullLevel("address_key"),
                    cll.ExactMatchLevel("address_key", term_frequency_adjustments=True),
                    cll.JaroWinklerLevel("address_key", 0.9),
                    cll.ElseLevel(),
                ],
                output_column_name="address",
            ),
        ],
        blocking_rules_to_generate_predictions=blocking_rules(),
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )


BLOCKING_KEYS = (
    ("inn_valid",),
    ("snils_valid",),
    ("passport",),
    ("phone_blocks",),
    ("email_key",),
    ("birth_date_key", "first_name_fold"),
    ("birth_date_key", "surname_stem"),
    ("birth_date_key", "address_key"),
    ("surname_fold", "first_name_fold", "patronymic_fold"),
    ("first_name_fold", "patronymic_fold", "address_key"),
)
"""Union of rules; together they bound recall (measured against the truth in tests)."""

ARRAY_KEYS = frozenset({"phone_blocks"})
"""Keys holding several values: a pair is blocked when any value is shared. A record's past
phones are among its phone blocks: a number changed in one system is still the one the others
hold."""


def blocking_rules() -> list:
    return [
        block_on(*keys, arrays_to_explode=[k for k in keys if k in ARRAY_KEYS] or None)
        for keys in BLOCKING_KEYS
    ]


def _predicting(model: TrainedModel) -> dict:
    """The stored model with today's blocking rules: which pairs are compared is code, not a
    trained parameter, so a model trained before a rule changed still scores the new pairs."""
    rules = [rule.get_blocking_rule("duckdb").as_dict() for rule in blocking_rules()]
    return {**model.model_json, "blocking_rules_to_generate_predictions": rules}


@dataclass
class TrainedModel:
    """Splink's model as JSON, stored in ``identity.match_models`` and reused by later runs and
    by the resolver."""

    model_json: dict


def _linker(
    records: pl.DataFrame,
    model: dict | SettingsCreator,
    config: MatchingConfig,
    log_level: int = logging.WARNING,
) -> tuple[Linker, duckdb.DuckDBPyConnection]:
    con = _splink_connection(config)
    frame = as_arrow(records.select(MATCH_COLUMNS))
    con.register("person_records_input", frame)
    con.execute("create table person_records as select * from person_records_input")
    db_api = DuckDBAPI(con)
    sdf = db_api.register("person_records", dataset_display_name="person_records")
    return Linker(sdf, model, log_level=log_level), con


def silver_labels(records: pl.DataFrame, identifier_pairs: pl.DataFrame) -> pl.DataFrame:
    """Pairs the deterministic tier already proves: a card holder or login and the АБС client
    its system maps it to, and АБС records sharing a valid INN or SNILS."""
    present = records.select("record_key")
    mapped = (
        records.filter(pl.col("anchor_id").is_not_null() & (pl.col("source") != "abs"))
        .select(
            (pl.lit("abs:") + pl.col("anchor_id")).alias("record_key_l"),
            pl.col("record_key").alias("record_key_r"),
        )
        .join(present, left_on="record_key_l", right_on="record_key", how="semi")
    )
    return pl.concat([mapped, identifier_pairs.select("record_key_l", "record_key_r")])


def _splink_connection(config: MatchingConfig) -> duckdb.DuckDBPyConnection:
    """Splink's own in-memory database: its work tables never touch the warehouse file."""
    con = duckdb.connect()
    con.execute("set preserve_insertion_order = false")
    con.execute(f"set memory_limit = '{config.duckdb_memory_limit}'")
    return con


def train(records: pl.DataFrame, labels: pl.DataFrame, config: MatchingConfig) -> TrainedModel:
    """u by random sampling; m from the silver labels — pairs the system mappings and shared
    valid identifiers already prove — rather than by expectation maximisation, which on a
    small bank drives rare levels to m = 0 and Splink 5 refuses such a model."""
    linker, con = _linker(records, settings(config), config)
    try:
        linker.training.estimate_probability_two_random_records_match(
            [block_on("inn_valid"), block_on("snils_valid"), block_on("passport")],
            recall=config.deterministic_recall,
        )
        linker.training.estimate_u_using_random_sampling(
            max_pairs=config.u_sample_pairs, seed=config.seed
        )
        sample = labels.sample(min(labels.height, config.max_label_pairs), seed=config.seed)
        con.register("_labels_input", as_arrow(sample))
        con.execute("create table silver_labels as select * from _labels_input")
        linker.training.estimate_m_from_pairwise_labels("silver_labels")
        return TrainedModel(linker.misc.save_model_to_json())
    finally:
        con.close()


def candidate_pairs(records: pl.DataFrame, config: MatchingConfig) -> pl.DataFrame:
    """Every pair the blocking rules generate, unscored: what blocking recall is measured on."""
    linker, con = _linker(records, settings(config), config)
    try:
        pairs = linker.inference.deterministic_link()
        return con.sql(f"select record_key_l, record_key_r from {pairs.physical_name}").pl()
    finally:
        con.close()


def predict(records: pl.DataFrame, model: TrainedModel, config: MatchingConfig) -> pl.DataFrame:
    """Scored candidate pairs above ``min_edge_probability``: record_key_l, record_key_r,
    match_weight, match_probability and ``is_sibling_pattern`` (see ``SIBLING_PATTERN``)."""
    linker, con = _linker(records, _predicting(model), config, log_level=logging.ERROR)
    try:
        scored = linker.inference.predict(threshold_match_probability=config.min_edge_probability)
        return con.sql(
            f"""
            select s.record_key_l, s.record_key_r, s.match_weight, s.match_probability,
                   coalesce({SIBLING_PATTERN}, false) as is_sibling_pattern
            from {scored.physical_name} as s
            join person_records as l on l.record_key = s.record_key_l
            join person_records as r on r.record_key = s.record_key_r
            """
        ).pl()
    finally:
        con.close()


def predict_between(
    incoming: pl.DataFrame, known: pl.DataFrame, model: TrainedModel, config: MatchingConfig
) -> pl.DataFrame:
    """Score the incoming records against the known ones only (link, not dedupe), with the
    same model: record_key_l is always the incoming record.

    Term frequencies are computed over all the records, as a full run computes them; then only
    the known records some blocking rule pairs with an incoming one go to Splink. Splink's own
    term-frequency and concatenation steps over every known record took 30 of 33 s for a day's
    records against 2.7 M known at 1 M persons."""
    con = _splink_connection(config)
    try:
        for name, frame in (("incoming_records", incoming), ("all_known_records", known)):
            con.register(f"_{name}", as_arrow(frame.select(MATCH_COLUMNS)))
            con.execute(f"create table {name} as select * from _{name}")
            con.unregister(f"_{name}")
        tf_columns = _term_frequency_columns(model)
        for column in tf_columns:
            con.execute(
                f"""
                create table tf_{column} as
                select {column}, cast(count(*) as double) / sum(count(*)) over () as tf_{column}
                from (select {column} from incoming_records
                      union all select {column} from all_known_records)
                where {column} is not null
                group by {column}
                """
            )
        partners = " union ".join(
            f"select k.record_key from ({_keys_of('all_known_records', keys)}) as k "
            f"join ({_keys_of('incoming_records', keys)}) as i on "
            + " and ".join(f"k.{c} = i.{c}" for c in keys)
            for keys in BLOCKING_KEYS
        )
        con.execute(
            "create table known_records as select * from all_known_records "
            f"where record_key in ({partners})"
        )
        con.execute("drop table all_known_records")
        con.execute(
            "create view person_records as "
            "select * from incoming_records union all select * from known_records"
        )
        db_api = DuckDBAPI(con)
        tables = [db_api.register(n) for n in ("incoming_records", "known_records")]
        linker = Linker(
            tables, {**_predicting(model), "link_type": "link_only"}, log_level=logging.ERROR
        )
        for column in tf_columns:
            linker.table_management.register_term_frequency_lookup(
                db_api.register(f"tf_{column}"), column
            )
        scored = linker.inference.predict(threshold_match_probability=config.min_edge_probability)
        return con.sql(
            f"""
            with pairs as (
                select s.record_key_l, s.record_key_r, s.match_probability,
                       coalesce({SIBLING_PATTERN}, false) as is_sibling_pattern
                from {scored.physical_name} as s
                join person_records as l on l.record_key = s.record_key_l
                join person_records as r on r.record_key = s.record_key_r
            )
            select
                case when record_key_l in (select record_key from incoming_records)
                     then record_key_l else record_key_r end as record_key_l,
                case when record_key_l in (select record_key from incoming_records)
                     then record_key_r else record_key_l end as record_key_r,
                match_probability, is_sibling_pattern
            from pairs
            """
        ).pl()
    finally:
        con.close()


def _keys_of(table: str, keys: tuple[str, ...]) -> str:
    """A blocking rule's keys of every record, one row per value of an array key."""
    columns = ", ".join(f"unnest({c}) as {c}" if c in ARRAY_KEYS else c for c in keys)
    return f"select record_key, {columns} from {table}"


def _term_frequency_columns(model: TrainedModel) -> list[str]:
    """The columns the model adjusts for term frequency (names, e-mail, address)."""
    return sorted(
        {
            level["tf_adjustment_column"]
            for comparison in model.model_json["comparisons"]
            for level in comparison["comparison_levels"]
            if level.get("tf_adjustment_column")
        }
    )


SIBLING_PATTERN = """
    (
        (
            l.birth_date_key = r.birth_date_key
            and l.first_name_fold is distinct from r.surname_fold
            and (
                (
                    length(l.first_name_fold) > 1 and length(r.first_name_fold) > 1
                    and damerau_levenshtein(l.first_name_fold, r.first_name_fold) >= 2
                )
                or left(l.first_name_fold, 1) <> left(r.first_name_fold, 1)
            )
        )
        or (
            damerau_levenshtein(
                strftime(l.birth_date_key, '%Y%m%d'), strftime(r.birth_date_key, '%Y%m%d')
            ) >= 2
            and strftime(l.birth_date_key, '%Y%d%m') <> strftime(r.birth_date_key, '%Y%m%d')
        )
    )
    and not coalesce(l.passport = r.passport, false)
    and not coalesce(l.inn_valid = r.inn_valid, false)
    and not coalesce(l.snils_valid = r.snils_valid, false)
"""
"""Relatives look alike: twins share surname, patronymic, birth date, address and landline and
differ only in the first name; a father and the son named after him share the whole name and
the address and differ in the birth date. Two first names more than one edit apart (or an
initial that is not the other name's first letter) with one birth date, or two birth dates more
than one typo apart (a swapped day and month counts as a typo), with no shared document or
lifelong identifier, are two people however well the rest agrees: such an edge is refused,
never merged."""
