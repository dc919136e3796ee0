"""Turn physical lines into logical records: the step where broken rows are recognised.

Exports without quoting break when a value holds the separator (one field too many) or a line
break (two short lines whose fields add up to one record). Quoted CSV may legally carry a line
break inside quotes. Only the rare suspicious lines go through Python; the rest stay columnar.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

QUOTED_VALUE = r'"(?:[^"]|"")*"'


@dataclass
class Records:
    """Records of one chunk: good ones to parse, rejected ones with their reason."""

    line_numbers: list[int] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    rejected: list[tuple[int, str, str, str]] = field(default_factory=list)
    """(line number, reason, detail, raw text)."""


def field_counts(lines: pl.Series, separator: str, quote: str | None) -> np.ndarray:
    """Fields per line, not counting separators inside quoted values."""
    if quote:
        lines = lines.str.replace_all(QUOTED_VALUE, "")
    return (lines.str.count_matches(separator, literal=True) + 1).to_numpy()


class _LazyTexts:
    """Line texts fetched one by one: only the rare suspicious lines ever become Python strings."""

    def __init__(self, lines: pl.Series):
        self.lines = lines

    def __len__(self) -> int:
        return len(self.lines)

    def __getitem__(self, item):
        if isinstance(item, slice):
            return self.lines[item].to_list()
        return self.lines[int(item)]


class RecordAssembler:
    """Feeds chunks of lines in order; carries an unfinished record over to the next chunk."""

    def __init__(self, expected_fields: int, separator: str, quote: str | None):
        self.expected = expected_fields
        self.separator = separator
        self.quote = quote
        self.carry_first_line = 0
        self.carry: list[str] = []

    def feed(self, first_line: int, lines: pl.Series, final: bool) -> tuple[pl.DataFrame, Records]:
        """Good single-line records as a frame (``line_number``, ``text``) plus the exceptions."""
        if self.carry:
            lines = pl.concat([pl.Series("line", self.carry, dtype=pl.String), lines])
            first_line = self.carry_first_line
            self.carry = []
        counts = field_counts(lines, self.separator, self.quote)
        odd = (
            (lines.str.count_matches(self.quote, literal=True) % 2 == 1).to_numpy()
            if self.quote
            else np.zeros(len(lines), dtype=bool)
        )
        suspicious = np.flatnonzero((counts != self.expected) | odd)
        good = np.ones(len(lines), dtype=bool)
        good[suspicious] = False
        records = Records()
        texts = _LazyTexts(lines)
        position = 0
        for index in suspicious:
            if index < position:
                continue
            end = self._record_end(index, counts, odd, texts)
            if end is None:
                if final:
                    end = len(lines) - 1
                    self._resolve(records, first_line, index, end, counts, texts, unfinished=True)
                else:
                    self.carry = texts[index:]
                    self.carry_first_line = first_line + int(index)
                    good[index:] = False
                position = len(lines)
                break
            self._resolve(records, first_line, index, end, counts, texts, unfinished=False)
            good[index : end + 1] = False
            position = end + 1
        numbers = np.arange(first_line, first_line + len(lines), dtype=np.int64)
        frame = pl.DataFrame({"line_number": numbers[good], "text": lines.filter(pl.Series(good))})
        return frame, records

    def _record_end(self, index, counts, odd, texts) -> int | None:
        """Last line of the record starting at ``index``; ``None`` if it runs past the chunk."""
        if odd[index]:
            for end in range(index + 1, len(texts)):
                if odd[end]:
                    return end
            return None
        if counts[index] < self.expected:
            if index + 1 >= len(texts):
                return None
            if counts[index] + counts[index + 1] - 1 == self.expected:
                return index + 1
        return index

    def _resolve(self, records, first_line, start, end, counts, texts, unfinished) -> None:
        number = first_line + int(start)
        text = "\n".join(texts[start : end + 1])
        if (
            unfinished
            and self.quote
            and any(t.count(self.quote) % 2 for t in texts[start : end + 1])
        ):
            records.rejected.append(
                (number, "unbalanced_quotes", "quoted value never closed", text)
            )
            return
        if end > start and self.quote:
            found = int(field_counts(pl.Series([text]), self.separator, self.quote)[0])
            if found == self.expected:
                records.line_numbers.append(number)
                records.texts.append(text)
                return
        elif end > start:
            records.rejected.append(
                (number, "line_break_in_value", f"record spans lines {number}-{number + 1}", text)
            )
            return
        else:
            found = int(counts[start])
        reason = "too_many_fields" if found > self.expected else "too_few_fields"
        records.rejected.append((number, reason, f"{found} fields, expected {self.expected}", text))
