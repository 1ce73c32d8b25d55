"""Who was on call, from a rota (the CSV `ktlo rotation plan --csv` writes), checked against
the team and the data before `ktlo rotation review` reads it.

A rota is only evidence of a week when the week is one the review can see and the person
is one of the team's: another team's rota, or this team's plan for the weeks ahead, would
otherwise give weeks of zeros scored as if they had happened. So each week is kept only
when its primary is a member of the team (by id, name or alias) and the week overlaps the
reviewed span: it ends on or after `since` and starts on or before the newest day of data.
A rota with no such week is refused; one with some is used with a note per kind of week
left out.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from ktlo.errors import InputError

SHOWN = 4  # names listed in a note before "…"


@dataclass(frozen=True, slots=True)
class Checked:
    """The weeks kept (Monday → member id) and a note for each kind of week left out."""

    on_call: dict[str, str]
    notes: list[str]


def read_schedule(path: Path) -> dict[str, str]:
    """Monday of each week → the primary the rota names (as written)."""
    weeks: dict[str, str] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            try:
                day, end = date.fromisoformat(row["start"]), date.fromisoformat(row["end"])
                primary = row["primary"]
            except (KeyError, TypeError, ValueError):
                raise InputError(
                    f"{path}: a row without a start, end (YYYY-MM-DD) and primary",
                    "pass the CSV `ktlo rotation plan --csv` writes",
                ) from None
            while day <= end:
                if primary:
                    weeks.setdefault((day - timedelta(days=day.weekday())).isoformat(), primary)
                day += timedelta(days=7)
    return weeks


def check_schedule(
    weeks: dict[str, str], members: dict[str, str], team: str, since: date, newest: date | None
) -> Checked:
    """Keep the weeks the review can read (module doc); refuse a rota with none.

    `members` maps each member's id, name and aliases (lower case) to the member id;
    `newest` is the newest day of data in the store."""
    kept: dict[str, str] = {}
    strangers: dict[str, str] = {}
    before: list[str] = []
    after: list[str] = []
    for week, person in sorted(weeks.items()):
        monday = date.fromisoformat(week)
        member = members.get(person.lower())
        if member is None:
            strangers[week] = person
        elif monday + timedelta(days=6) < since:
            before.append(week)
        elif newest is None or monday > newest:
            after.append(week)
        else:
            kept[week] = member
    reasons = _reasons(team, strangers, before, after, since, newest)
    if not kept:
        raise InputError(
            f"the rota has no week to review for {team}: " + "; ".join(reasons),
            f"pass the rota of {team} for weeks since {since.isoformat()}, or leave out "
            "--schedule to infer who was on call from who acknowledged the pages",
        )
    return Checked(kept, [f"{reason}: left out" for reason in reasons])


def _reasons(
    team: str, strangers: dict[str, str], before: list[str], after: list[str], since: date,
    newest: date | None,
) -> list[str]:  # fmt: skip
    notes: list[str] = []
    if strangers:
        names = sorted(set(strangers.values()))
        listed = ", ".join(names[:SHOWN]) + (", …" if len(names) > SHOWN else "")
        notes.append(f"{_weeks(len(strangers))} name people not in {team} ({listed})")
    if before:
        notes.append(
            f"{_weeks(len(before))} end before {since.isoformat()}, the first day reviewed"
        )
    if after:
        data = f"the newest data ({newest.isoformat()})" if newest else "any data in the store"
        notes.append(f"{_weeks(len(after))} ({after[0]} …) start after {data}")
    return notes


def _weeks(count: int) -> str:
    return f"{count} week{'' if count == 1 else 's'} of the rota"
