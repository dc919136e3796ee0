"""Do-not-contact requests: a steward-maintained stop list.

None of the source systems delivers do-not-contact requests (docs/sources/: the contact centre
files calls, chats, complaints, surveys and the communications sent, no opt-out register), so
requests taken outside the consent process — a letter, a call "never call me again" — go into a
CSV the data steward keeps at ``CDP_ACTIVATION_STOP_LIST_PATH``: ``golden_client_id,channel,
requested_date,reason`` with channel ``sms``, ``email``, ``call``, ``push`` or ``all``. A
request counts from its date; a missing file means no requests (the manifest records how many
were read).
"""

from __future__ import annotations

import duckdb
import polars as pl

from activation.policy import CHANNELS, Rule, RuleContext

COLUMNS = {"golden_client_id": pl.String, "channel": pl.String, "requested_date": pl.Date,
           "reason": pl.String}  # fmt: skip
RELATION = "activation_stop_list"


def read_stop_list(path) -> pl.DataFrame:
    if not path.exists():
        return pl.DataFrame(schema=COLUMNS)
    frame = pl.read_csv(path, schema_overrides=COLUMNS, columns=list(COLUMNS))
    bad = frame.filter(~pl.col("channel").is_in([*CHANNELS, "all"]))
    if bad.height:
        raise ValueError(f"{path}: unknown channel(s) {bad['channel'].unique().to_list()}")
    return frame


def _prepare(con: duckdb.DuckDBPyConnection, ctx: RuleContext) -> None:
    con.register(RELATION, read_stop_list(ctx.policy.stop_list_path).to_arrow())


def _query(ctx: RuleContext) -> tuple[str, dict]:
    sql = f"""
        select golden_client_id from {RELATION}
        where channel in ({ctx.p("channel")}, 'all') and requested_date <= {ctx.p("as_of")}
    """
    return sql, ctx.params(channel=ctx.channel, as_of=ctx.as_of)


RULE = Rule(
    name="do_not_contact",
    summary="no do-not-contact request for the channel (steward stop list)",
    legal_basis="38-FZ art. 18 part 1 (stop at the subscriber's request); 152-FZ art. 15 "
    "part 2 (processing for direct marketing stops on the subject's demand)",
    mode="exclude",
    query=_query,
    prepare=_prepare,
)
