"""Contact-centre extracts: calls, chats, complaints, surveys and marketing communications.

A modern contact-centre platform exports UTF-8 CSV with a BOM, commas, quoted fields and CRLF,
snake_case headers and local (Moscow) timestamps ``yyyy-mm-dd hh:mm:ss``. Caller numbers come as
the telephony delivered them: many spellings, withheld (empty) or plainly invalid (logged in the
truth). ``ani`` is the client's number in both directions (the number dialled on outbound
calls, as in call-detail records' ``ANI/Dialnum``); ``dnis`` is the bank's line. From the day
the delivery plan says, the call file gains an ``ivr_path`` column.

Marketing communications are written after the month loop from the consents: mostly to clients
with a valid 38-FZ consent for the channel, but about 0.5 % go out without one (sent after the
consent was withdrawn, or on a channel never consented to) — each logged as a
``sent_without_consent`` defect so contact-policy checks have something to catch.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from simulator import contacts
from simulator.activity.contact_center import DAY, ContactCenterActivity
from simulator.consents import CHANNELS
from simulator.defects import DefectLog, pick
from simulator.extracts.formats import CC_CSV
from simulator.extracts.landing import DATE, FileType, LandingWriter, lifecycle_rows
from simulator.lifecycle import NEVER_DAY, Lifecycle, MonthState
from simulator.population import days
from simulator.rng import stream
from simulator.strings import pick_labels

SYSTEM = "contact_center"
ANI_STYLES = {
    "plain_8": 0.3,
    "e164": 0.25,
    "ten_digits": 0.12,
    "paren_7": 0.08,
    "spaced_plus7": 0.08,
    "paren_8": 0.07,
    "dashed_8": 0.05,
    "paren_plus7": 0.05,
}
OUTBOUND_ANI_STYLES = {"e164": 0.7, "plain_8": 0.3}
SHARE_INVALID_ANI = 0.03
SHARE_WITHOUT_CONSENT = 0.005
"""Share of marketing communications sent without a valid consent for the channel."""
SENDS_PER_CONSENT = {"sms": 0.8, "email": 1.1, "call": 0.12, "push": 1.0}
"""Marketing messages per consent-month (≈ 1.5 per consented client-month)."""
SEND_HOURS = {"sms": (10, 20), "email": (8, 12), "call": (10, 19), "push": (11, 21)}
CAMPAIGNS_PER_MONTH = 3

CALLS = FileType(
    SYSTEM, "calls", "calls_{date}.csv", CC_CSV,
    ("call_id", "start_ts", "direction", "ani", "dnis", "queue", "enqueue_ts", "answer_ts",
     "end_ts", "wait_sec", "talk_sec", "hold_sec", "acw_sec", "abandoned", "transferred_to",
     "agent_id", "topic", "outcome", "identified_client_id"),
    added_column="ivr_path",
)  # fmt: skip
CHATS = FileType(
    SYSTEM, "chats", "chats_{date}.csv", CC_CSV,
    ("chat_id", "started_at", "ended_at", "channel", "client_login_id", "identified_client_id",
     "display_name", "topic", "outcome", "csat"),
)  # fmt: skip
COMPLAINTS = FileType(
    SYSTEM, "complaints", "complaints_{date}.csv", CC_CSV,
    ("complaint_id", "received_ts", "channel", "identified_client_id", "category", "product",
     "amount_claimed", "due_date", "status", "resolution", "compensation", "closed_ts"),
)  # fmt: skip
SURVEYS = FileType(
    SYSTEM, "surveys", "surveys_{date}.csv", CC_CSV,
    ("survey_id", "survey_type", "sent_ts", "answered_ts", "identified_client_id", "call_id",
     "score", "comment"),
)  # fmt: skip
COMMUNICATIONS = FileType(
    SYSTEM, "communications", "communications_{date}.csv", CC_CSV,
    ("communication_id", "campaign_id", "client_id", "channel", "sent_at", "template_id",
     "status"),
)  # fmt: skip
FILE_TYPES = (CALLS, CHATS, COMPLAINTS, SURVEYS, COMMUNICATIONS)


def _ts(seconds: pl.Expr) -> pl.Expr:
    """``yyyy-mm-dd hh:mm:ss`` from local seconds since 1970-01-01."""
    return pl.from_epoch(seconds, time_unit="s").dt.strftime("%Y-%m-%d %H:%M:%S")


def _day(seconds: pl.Expr) -> pl.Expr:
    return (seconds // DAY).cast(pl.Int32).cast(pl.Date)


def _blank_to_null(frame: pl.DataFrame) -> pl.DataFrame:
    """Empty values are written as empty fields, never as a quoted ``""``."""
    return frame.with_columns(pl.col(pl.String).replace("", None))


def _rub(kopecks: pl.Expr) -> pl.Expr:
    """``1234.56`` (the platform's decimal point), null stays empty."""
    return pl.format(
        "{}.{}",
        (kopecks // 100).cast(pl.String),
        (kopecks % 100).cast(pl.String).str.pad_start(2, "0"),
    )


class ContactCenterExtracts:
    """Formats and writes everything the contact-centre platform delivers."""

    def __init__(self, params, population, identity, phone_changes):
        self.params = params
        self.persons = population.persons
        self.identity = identity
        self.activity = ContactCenterActivity(
            params.seed, population.persons, identity, phone_changes
        )
        self.log = DefectLog()
        self.records: list[pl.DataFrame] = []

    @property
    def defects(self) -> list[pl.DataFrame]:
        return self.log.frames

    def _client_ids(self, person: np.ndarray, known: np.ndarray) -> pl.Series:
        """The contact's core-banking client id where the agent identified the client, else ''."""
        ids = self.identity.abs_client_id_column.gather(np.maximum(person, 0))
        return ids.scatter(np.flatnonzero(~(known & (person >= 0))), "").alias(
            "identified_client_id"
        )

    # -- monthly -----------------------------------------------------------------------------
    def write_month(self, writer: LandingWriter, state: MonthState, life: Lifecycle):
        """Generate the month's activity and write it; returns it (tests and evaluation)."""
        month = self.activity.month(life, state)
        rng = stream(self.params.seed, "contact_center_files", state.index)
        writer.write(CALLS, _blank_to_null(self._calls(rng, month.calls)))
        writer.write(CHATS, _blank_to_null(self._chats(month.chats)))
        writer.write(COMPLAINTS, _blank_to_null(self._complaints(month.complaints)))
        writer.write(SURVEYS, _blank_to_null(self._surveys(month.surveys)))
        return month

    def _calls(self, rng, calls: pl.DataFrame) -> pl.DataFrame:
        last = days(self.params.business_date)
        calls = calls.filter(pl.col("start_s") // DAY <= last)
        n = calls.height
        call_id = calls["call_id"].to_numpy().astype(str)
        raw = calls["ani_e164"].to_numpy().astype(str)
        inbound = calls["direction"].to_numpy() == "inbound"
        ani = np.full(n, "", dtype=object)
        for mask, styles in ((inbound, ANI_STYLES), (~inbound, OUTBOUND_ANI_STYLES)):
            idx = np.flatnonzero(mask & (raw != ""))
            ani[idx] = contacts.format_phones(rng, raw[idx], styles)
        bad = pick(rng, n, SHARE_INVALID_ANI, inbound & (raw != ""))
        values, kinds = contacts.invalid_phones(rng, raw[bad])
        self.log.add(SYSTEM, "calls", call_id[bad], "ani", kinds, raw[bad], values)
        ani[bad] = values
        person = calls["person_id"].to_numpy()
        identified = calls["identified"].to_numpy() & (person >= 0)
        self.records.append(
            pl.DataFrame(
                {
                    "system": SYSTEM,
                    "entity": "calls",
                    "record_id": call_id[identified],
                    "person_id": person[identified],
                    "role": "identified_caller",
                }
            )
        )
        enqueue = pl.col("start_s") + pl.col("ivr_sec")
        answer = enqueue + pl.col("wait_sec")
        answered = pl.col("answered")
        end = pl.when(answered).then(answer + pl.col("talk_sec") + pl.col("hold_sec"))
        abandoned = answered.not_() & (pl.col("direction") == "inbound")
        return calls.with_columns(
            pl.Series("ani", ani.astype(str)),
            self._client_ids(person, identified),
        ).select(
            "call_id",
            _ts(pl.col("start_s")).alias("start_ts"),
            "direction",
            "ani",
            "dnis",
            "queue",
            _ts(enqueue).alias("enqueue_ts"),
            pl.when(answered).then(_ts(answer)).alias("answer_ts"),
            _ts(end.otherwise(answer)).alias("end_ts"),
            *(pl.col(c).cast(pl.String) for c in ("wait_sec", "talk_sec", "hold_sec", "acw_sec")),
            pl.when(abandoned).then(pl.lit("Y")).otherwise(pl.lit("N")).alias("abandoned"),
            "transferred_to",
            "agent_id",
            pl.when(answered | (pl.col("direction") == "outbound"))
            .then(pl.col("topic"))
            .alias("topic"),
            "outcome",
            "identified_client_id",
            "ivr_path",
            _day(pl.col("start_s")).alias(DATE),
        )

    def _chats(self, chats: pl.DataFrame) -> pl.DataFrame:
        person = chats["person_id"].to_numpy()
        return chats.with_columns(self._client_ids(person, chats["identified"].to_numpy())).select(
            "chat_id",
            _ts(pl.col("start_s")).alias("started_at"),
            _ts(pl.col("end_s")).alias("ended_at"),
            "channel",
            pl.col("login_id").alias("client_login_id"),
            "identified_client_id",
            "display_name",
            "topic",
            "outcome",
            pl.col("csat").cast(pl.String),
            _day(pl.col("start_s")).alias(DATE),
        )

    def _complaints(self, complaints: pl.DataFrame) -> pl.DataFrame:
        snap = days(self.params.snapshot_date)
        last = days(self.params.business_date)
        person = complaints["person_id"].to_numpy()
        frame = complaints.with_columns(
            (pl.col("received_s") // DAY).alias("received_day"),
            self._client_ids(person, complaints["identified"].to_numpy()),
        )
        rows = lifecycle_rows(frame, "received_day", "close_day", self.params)
        closed = pl.col("end_visible") < NEVER_DAY
        row_day = pl.col(DATE).cast(pl.Int64)
        rows = rows.with_columns(
            pl.when(closed)
            .then(pl.lit("closed"))
            .when((row_day <= snap) & (pl.col("progress_day") <= snap))
            .then(pl.lit("in_progress"))
            .otherwise(pl.lit("registered"))
            .alias("status")
        )
        progress = frame.filter(
            (pl.col("progress_day") > pl.max_horizontal(pl.col("received_day"), pl.lit(snap)))
            & (pl.col("progress_day") < pl.col("close_day"))
            & (pl.col("progress_day") <= last)
        ).with_columns(
            pl.col("progress_day").alias("row_day"),
            pl.lit(NEVER_DAY).alias("end_visible"),
            pl.lit("in_progress").alias("status"),
            pl.col("progress_day").cast(pl.Date).alias(DATE),
        )
        rows = pl.concat([rows, progress.select(rows.columns)]).sort(DATE, maintain_order=True)
        closed = pl.col("status") == "closed"
        return rows.select(
            "complaint_id",
            _ts(pl.col("received_s")).alias("received_ts"),
            "channel",
            "identified_client_id",
            "category",
            "product",
            _rub(pl.col("amount_claimed_kop")).alias("amount_claimed"),
            pl.col("due_day").cast(pl.Date).dt.strftime("%Y-%m-%d").alias("due_date"),
            "status",
            pl.when(closed).then(pl.col("resolution")).alias("resolution"),
            pl.when(closed).then(_rub(pl.col("compensation_kop"))).alias("compensation"),
            pl.when(closed).then(_ts(pl.col("close_s"))).alias("closed_ts"),
            pl.col(DATE),
        )

    def _surveys(self, surveys: pl.DataFrame) -> pl.DataFrame:
        """A post-call CSAT names the client only when the call was identified: joining
        surveys to calls must not reveal who an unidentified caller was."""
        person = surveys["person_id"].to_numpy()
        got = pl.col("answered_s") >= 0
        return surveys.with_columns(
            self._client_ids(person, surveys["identified"].to_numpy())
        ).select(
            "survey_id",
            "survey_type",
            _ts(pl.col("sent_s")).alias("sent_ts"),
            pl.when(got).then(_ts(pl.col("answered_s"))).alias("answered_ts"),
            "identified_client_id",
            "call_id",
            pl.when(got).then(pl.col("score").cast(pl.String)).alias("score"),
            "comment",
            _day(pl.when(got).then("answered_s").otherwise(pl.col("sent_s") + 3 * DAY)).alias(DATE),
        )

    # -- after the month loop: marketing communications ---------------------------------------
    def write_entities(self, writer: LandingWriter, life: Lifecycle, consents: pl.DataFrame):
        """Marketing communications month by month (memory stays flat in the history)."""
        n = self.persons.height
        marketing = consents.filter(pl.col("purpose") == "marketing")
        captured = np.full((len(CHANNELS), n), NEVER_DAY, dtype=np.int64)
        withdrawn = np.full((len(CHANNELS), n), NEVER_DAY, dtype=np.int64)
        chan = np.searchsorted(CHANNELS, marketing["channel"].to_numpy(), sorter=_ORDER)
        chan = _ORDER[chan]
        who = marketing["person_id"].to_numpy()
        captured[chan, who] = marketing["captured_day"].to_numpy()
        withdrawn[chan, who] = marketing["withdrawn_day"].to_numpy()
        join = self.persons["join_day"].to_numpy()
        # a campaign only targets clients it can reach on the channel: an e-mail address on
        # file, a digital-banking login for push
        reach = np.broadcast_to(join, (len(CHANNELS), n)).copy()
        reach[CHANNELS.index("email"), self.persons["email"].to_numpy() == ""] = NEVER_DAY
        reach[CHANNELS.index("push")] = np.maximum(join, self.identity.dbo_since_day)
        self._reach = reach
        gone = np.where(life.status == 3, life.churn_day, NEVER_DAY)
        today = days(self.params.business_date)
        seq = 0
        for m in range(len(life.month_starts) - 1):
            s = life.month_starts[m]
            e = min(life.month_starts[m + 1] - 1, today)
            if s > e:
                break
            rng = stream(self.params.seed, "communications", m)
            frame = self._month_communications(
                rng, m, s, e, life.month_starts[m + 1] - s, join, gone, captured, withdrawn
            )
            k = frame.height
            ids = pl.Series("communication_id", 700_000_000 + np.arange(seq, seq + k))
            seq += k
            frame = frame.with_columns(ids.cast(pl.String))
            bad = frame.filter(pl.col("violation") != "")
            self.log.add(
                SYSTEM,
                "communications",
                bad["communication_id"].to_numpy(),
                "consent",
                np.full(bad.height, "sent_without_consent"),
                bad["violation"].to_numpy(),
                bad["channel"].to_numpy(),
            )
            writer.write(COMMUNICATIONS, _blank_to_null(self._communications(rng, frame)))

    def _month_communications(
        self, rng, m, s, e, month_len, join, gone, captured, withdrawn
    ) -> pl.DataFrame:
        lo_p = np.maximum(join, s)
        hi_p = np.minimum(gone, e)
        active = np.flatnonzero(lo_p <= hi_p)
        parts = []
        for c, channel in enumerate(CHANNELS):
            lo = np.maximum(lo_p[active], np.maximum(captured[c, active], self._reach[c, active]))
            hi = np.minimum(hi_p[active], withdrawn[c, active] - 1)
            ok = lo <= hi
            who, lo, hi = active[ok], lo[ok], hi[ok]
            count = rng.poisson(SENDS_PER_CONSENT[channel] * (hi - lo + 1) / month_len)
            person = np.repeat(who, count)
            lo, hi = np.repeat(lo, count), np.repeat(hi, count)
            day = lo + (rng.random(person.size) * (hi - lo + 1)).astype(np.int64)
            parts.append((c, person, day, pl.repeat("", person.size, dtype=pl.String, eager=True)))
        n_ok = sum(p[1].size for p in parts)
        k_bad = rng.binomial(n_ok, SHARE_WITHOUT_CONSENT / (1 - SHARE_WITHOUT_CONSENT))
        parts += self._violations(rng, k_bad, s, e, active, lo_p, hi_p, captured, withdrawn)
        channel = np.concatenate([np.full(p[1].size, p[0]) for p in parts])
        person = np.concatenate([p[1] for p in parts])
        day = np.concatenate([p[2] for p in parts])
        violation = pl.concat([p[3] for p in parts])
        hours = np.array([SEND_HOURS[c] for c in CHANNELS])[channel]
        second = rng.integers(hours[:, 0] * 3600, hours[:, 1] * 3600)
        campaign = rng.integers(0, CAMPAIGNS_PER_MONTH, person.size)
        frame = pl.DataFrame(
            {
                "person_id": person,
                "channel_idx": channel,
                "sent_s": day * DAY + second,
                "campaign": campaign,
                "violation": violation,
            }
        )
        return frame.with_columns(
            pick_labels(CHANNELS, channel).alias("channel"),
            pl.lit(m).alias("month"),
        ).sort("sent_s", maintain_order=True)

    def _violations(self, rng, k, s, e, active, lo_p, hi_p, captured, withdrawn) -> list:
        """``k`` messages without a valid consent: after a withdrawal (suppression lists a few
        weeks late) or on a channel the client never agreed to (a campaign-selection bug)."""
        out = []
        k_after = rng.binomial(k, 0.5)
        c_w, p_w = np.nonzero(
            (withdrawn[:, active] <= hi_p[active]) & (withdrawn[:, active] >= s - 45)
        )
        p_w = active[p_w]
        first = np.maximum(np.maximum(withdrawn[c_w, p_w], lo_p[p_w]), self._reach[c_w, p_w])
        last = np.minimum(withdrawn[c_w, p_w] + 45, hi_p[p_w])
        ok = first <= last
        c_w, p_w, first, last = c_w[ok], p_w[ok], first[ok], last[ok]
        take = rng.permutation(p_w.size)[: min(k_after, p_w.size)]
        day = first[take] + (rng.random(take.size) * (last[take] - first[take] + 1)).astype(
            np.int64
        )
        for c in range(len(CHANNELS)):
            sel = c_w[take] == c
            text = np.char.add(
                "withdrawn ", withdrawn[c, p_w[take][sel]].astype("datetime64[D]").astype(str)
            )
            out.append((c, p_w[take][sel], day[sel], pl.Series(text, dtype=pl.String)))
        rest = k - take.size
        if rest > 0 and active.size:
            who = active[rng.integers(0, active.size, rest * 4)]
            c = rng.integers(0, len(CHANNELS), who.size)
            lo = np.maximum(lo_p[who], self._reach[c, who])
            day = lo + (rng.random(who.size) * (hi_p[who] - lo + 1).clip(1)).astype(np.int64)
            reachable = lo <= hi_p[who]
            invalid = reachable & ((captured[c, who] > day) | (withdrawn[c, who] <= day))
            keep = np.flatnonzero(invalid)[:rest]
            for ch in range(len(CHANNELS)):
                sel = keep[c[keep] == ch]
                never = captured[ch, who[sel]] == NEVER_DAY
                text = np.where(
                    never,
                    "none",
                    np.where(
                        captured[ch, who[sel]] > day[sel],
                        np.char.add(
                            "captured ",
                            np.minimum(captured[ch, who[sel]], 10**6)
                            .astype("datetime64[D]")
                            .astype(str),
                        ),
                        np.char.add(
                            "withdrawn ",
                            np.minimum(withdrawn[ch, who[sel]], 10**6)
                            .astype("datetime64[D]")
                            .astype(str),
                        ),
                    ),
                )
                out.append((ch, who[sel], day[sel], pl.Series(text, dtype=pl.String)))
        return out

    def _communications(self, rng, frame: pl.DataFrame) -> pl.DataFrame:
        k = frame.height
        person = frame["person_id"].to_numpy()
        channel = frame["channel"].to_numpy()
        no_email = self.persons["email"].to_numpy()[person] == ""
        fail_p = np.select(
            [channel == "sms", channel == "email", channel == "push"],
            [0.03, np.where(no_email, 1.0, 0.04), 0.06],
            0.5,
        )
        open_p = np.select([channel == "email", channel == "push"], [0.22, 0.12], 0.0)
        u = rng.random(k)
        status = pick_labels(
            ("failed", "opened", "delivered"),
            np.where(u < fail_p, 0, np.where(u < fail_p + open_p, 1, 2)),
        )
        tag = pl.col("channel").str.to_uppercase()
        year_month = pl.from_epoch(pl.col("sent_s"), time_unit="s").dt.strftime("%Y%m")
        template = (pl.col("month") * 7 + pl.col("campaign") * 3 + pl.col("channel_idx")) % 40 + 1
        return frame.with_columns(status.alias("status")).select(
            "communication_id",
            pl.format("MKT-{}-{}-{}", year_month, tag, pl.col("campaign") + 1).alias("campaign_id"),
            self.identity.abs_client_id_column.gather(person).alias("client_id"),
            "channel",
            _ts(pl.col("sent_s")).alias("sent_at"),
            pl.format("{}-{}", tag, template.cast(pl.String).str.pad_start(3, "0")).alias(
                "template_id"
            ),
            "status",
            _day(pl.col("sent_s")).alias(DATE),
        )


_ORDER = np.argsort(CHANNELS)
