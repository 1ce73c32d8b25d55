"""The one calendar every command and view reads: periods, working days, and which periods
the data covers whole.

**A period is complete when the data covers all of it**: none of its working days (Mon–Fri)
comes after the newest day of data (`as_of`, the newest day of effort in the store, or in
the range asked for) or before the oldest. A period with working days after `as_of` is *in
progress*, shown "so far"; one the data begins inside (a history synced from 21 November) is
*partial*. Neither is ever "the last period", fitted by the forecast or assessed by KTLO
mode. Working days, so that a month ending on a Sunday is complete with Friday's data.

Why the newest day of data and not today: a store synced on 20 November and read on
7 December holds two thirds of November; called complete, that November would be compared
with full months (its effort a third short, its share as noisy as a fortnight's). And the
same store gives the same answer on any day, so a report, a test or a snapshot does not
change with the clock. The cost: after the last day of a period, that period stays in
progress until the store holds data from its last day or later (the next sync).

Working days are Monday to Friday. FTE divides person-days by the working days the data
covers: all of a complete period's, those so far of one in progress (docs/effort.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

WORKDAYS_PER_WEEK = 5

FTE_NOTE = (
    "FTE = person-days ÷ the working days (Mon–Fri) the data covers in the period. It counts "
    "only days with recorded activity, so it is below headcount when people had time off, "
    "work part time, joined or left, or had days with nothing recorded."
)


def period_start(day: date, period: str) -> date:
    """The first day of the week (Monday), month or quarter that holds `day`."""
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "quarter":
        return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return date(day.year, day.month, 1)


def next_start(start: date, period: str) -> date:
    """The first day of the period after the one starting on `start`."""
    if period == "week":
        return start + timedelta(days=7)
    months = 3 if period == "quarter" else 1
    year, month = divmod(start.month - 1 + months, 12)
    return date(start.year + year, month + 1, 1)


def period_end(start: date, period: str) -> date:
    """The last day of the period that starts on `start`."""
    return next_start(start, period) - timedelta(days=1)


def parse_label(label: str) -> tuple[str, date] | None:
    """A period's label (`2026-09`, `2026-W36`, `2026-Q3`) as (its size, its first day);
    None for text that is no label."""
    import re

    found = re.fullmatch(r"(\d{4})-(?:(\d{2})|W(\d{2})|Q([1-4]))", label.strip())
    if not found:
        return None
    year, month, week, quarter = found.groups()
    try:
        if month:
            return "month", date(int(year), int(month), 1)
        if week:
            return "week", date.fromisocalendar(int(year), int(week), 1)
    except ValueError:
        return None
    return "quarter", date(int(year), 3 * int(quarter) - 2, 1)


def workdays(first: date | None, last: date | None) -> int:
    """Working days (Mon–Fri) from `first` to `last`, both included."""
    if first is None or last is None or last < first:
        return 0
    days = (last - first).days + 1
    full_weeks, rest = divmod(days, 7)
    extra = sum(1 for i in range(rest) if (first.weekday() + i) % 7 < WORKDAYS_PER_WEEK)
    return full_weeks * WORKDAYS_PER_WEEK + extra


def period_workdays(start: date, period: str) -> int:
    """Working days (Mon–Fri) in the week, month or quarter starting on `start`."""
    return workdays(start, period_end(start, period))


@dataclass(frozen=True, slots=True)
class Coverage:
    """The days the data covers, from its oldest day (`first`) to its newest (`as_of`)."""

    first: date | None
    as_of: date | None

    def in_progress(self, start: date, period: str) -> bool:
        """A working day of the period comes after the newest day of data: shown "so far"."""
        end = period_end(start, period)
        return self.as_of is None or workdays(self.as_of + timedelta(days=1), end) > 0

    def complete(self, start: date, period: str) -> bool:
        """The data covers every working day of the period: none after `as_of`, and none
        before the oldest day of data (a history synced from Friday 21 November 2025 leaves
        that month and quarter partial)."""
        if self.in_progress(start, period):
            return False
        return self.first is None or workdays(start, self.first - timedelta(days=1)) == 0

    def complete_until(self, period: str) -> date | None:
        """The day after the last complete period (exclusive end of every complete period),
        or None without data."""
        if self.as_of is None:
            return None
        start = period_start(self.as_of, period)
        return next_start(start, period) if not self.in_progress(start, period) else start

    def first_day(self, start: date, period: str) -> date:
        """The first day of the period the data covers."""
        return max(start, self.first) if self.first else start

    def last_day(self, start: date, period: str) -> date:
        """The last day of the period the data covers."""
        end = period_end(start, period)
        return min(end, self.as_of) if self.as_of else end

    def workdays(self, start: date, period: str) -> int:
        """The period's working days the data covers (at least one): what FTE divides by."""
        return max(1, workdays(self.first_day(start, period), self.last_day(start, period)))

    def fields(self, start: date, period: str) -> dict[str, Any]:
        """What every view shows of a period beside its figures: `complete`, `in_progress`
        (shown "so far"), and `workdays`, the covered working days its FTE divides by."""
        return {
            "complete": self.complete(start, period),
            "in_progress": self.in_progress(start, period),
            "workdays": self.workdays(start, period),
        }


def shown(row: Mapping[str, Any] | Any) -> str:
    """A period of a document as every view labels it: `2026-11 so far` while in progress,
    `2025-Q4 partial` when the data begins inside it, else its label (`period`). `row` is
    a period of a JSON document, or of a typed one (ktlo.documents)."""
    if not isinstance(row, Mapping):
        row = {k: getattr(row, k, None) for k in ("period", "in_progress", "complete")}
    if row.get("in_progress"):
        return f"{row['period']} so far"
    return f"{row['period']} partial" if row.get("complete") is False else str(row["period"])


def coverage(
    con: Any, table: str, since: date | None = None, until: date | None = None
) -> Coverage:
    """The days an effort table (`alloc`, `alloc_all`, `effort`) covers, within [since, until)
    when the caller restricted it (`until` exclusive)."""
    row = con.execute(f"SELECT min(day), max(day) FROM {table}").fetchone()
    first, last = (row[0], row[1]) if row else (None, None)
    if first is not None and since is not None:
        first = max(first, since)
    if last is not None and until is not None:
        last = min(last, until - timedelta(days=1))
    return Coverage(first, last)
