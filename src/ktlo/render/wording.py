"""Words and units as every view shows them: the terminal, the HTML report and the dashboard.

One rule each, so a figure reads the same wherever it is shown:

- counts agree with their noun: `1 person`, `2 people`, never `1 people` or `shift(s)`;
- durations in the unit that keeps them short: under 90 minutes in minutes (`35 min`),
  under two days in hours (`3.4 h`), else in days (`2.1 d`);
- a place in a repository is `repository: directory`, and files at the top of the
  repository (or of the folder an analysis covers) are `(root files)`, never `.`;
- a commit sha inside a sentence is shortened to 12 characters, which git and ktlo accept
  as long as it is unique; ids offered for copying (`ktlo explain`, `ktlo review`) are
  printed whole by their commands.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

ROOT = "."  # how the store and the JSON name the top of a repository
ROOT_FILES = "(root files)"
SHORT_SHA = 12
_SHA = re.compile(r"\b([0-9a-f]{12})[0-9a-f]{28}\b")

_PLURALS = {"person": "people", "day": "days", "person-day": "person-days"}


def plural(count: float, noun: str, many: str | None = None) -> str:
    """`1 person`, `3 people`, `1 shift`, `2 shifts`, with thousands separators."""
    word = noun if count == 1 else (many or _PLURALS.get(noun) or noun + "s")
    number = f"{count:,}" if isinstance(count, int) else f"{count:,g}"
    return f"{number} {word}"


def duration(minutes: float | None) -> str:
    """A duration given in minutes, in the unit that keeps it short; `—` when unknown."""
    if minutes is None:
        return "—"
    if minutes < 90:
        return f"{minutes:.0f} min"
    if minutes < 48 * 60:
        return f"{minutes / 60:.1f} h"
    return f"{minutes / 1440:.1f} d"


DURATION_UNITS = {"minutes": 1.0, "hours": 60.0, "days": 1440.0}
SHARE_UNITS = ("ratio", "share of bugs opened", "closed per opened")


def in_minutes(value: float, unit: str) -> float:
    """A duration in `unit` (`minutes`, `hours`, `days`) as minutes."""
    return value * DURATION_UNITS[unit]


def share(value: float | None) -> str:
    """A share as the scorecards show it: `31%`, under 10% with one decimal (`7.0%`)."""
    if value is None:
        return "—"
    return f"{value:.0%}" if value >= 0.1 or value == 0 else f"{value:.1%}"


def measure(value: float | None, unit: str) -> str:
    """A health figure in its unit, the same in the terminal and the HTML: shares as
    percentages, durations by `duration`, availability with three decimals, other figures
    as numbers (their unit is said beside them)."""
    if value is None:
        return "—"
    if unit in SHARE_UNITS:
        return share(value)
    if unit == "percent":
        return f"{value:.3f}%"
    if unit in DURATION_UNITS:
        return duration(in_minutes(value, unit))
    return f"{value:,.1f}" if isinstance(value, float) else f"{value:,}"


def directory(path: str | None) -> str:
    """A directory as shown: `(root files)` for the top of the repository."""
    return ROOT_FILES if path in (None, "", ROOT) else str(path)


def repository(repo_id: str | None) -> str:
    """A repository's short name: the last part of its id (`github.com/acme/shop` → `shop`)."""
    if not repo_id:
        return "—"
    return repo_id.rstrip("/").rsplit("/", 1)[-1].removeprefix("local:")


def place(repo_id: str | None, path: str | None, with_repository: bool = True) -> str:
    """`shop: src/payments` or `shop: (root files)`; the directory alone without the repository."""
    shown = directory(path)
    return f"{repository(repo_id)}: {shown}" if with_repository and repo_id else shown


def places(spots: Sequence[Any]) -> str:
    """Directories with their repository said once, in the order given:
    `payments-api: (root files), src/adapter; checkout-web: src/adapter`. Each spot has a
    `repo_id` and a `directory`: a typed one (ktlo.effort.allocation_document.DriverPlace)
    or a JSON one (a KTLO-mode focus's)."""
    by_repo: dict[str | None, list[str]] = {}
    for spot in spots:
        found = spot if isinstance(spot, Mapping) else vars(spot)
        by_repo.setdefault(found.get("repo_id"), []).append(directory(found.get("directory")))
    return "; ".join(
        (f"{repository(repo)}: " if repo else "") + ", ".join(dirs)
        for repo, dirs in by_repo.items()
    )


def short_shas(text: str) -> str:
    """`text` with every 40-character commit sha cut to its first 12 characters."""
    return _SHA.sub(r"\1", text)


def middle(text: str, width: int) -> str:
    """`text` cut in the middle to at most `width` characters (`src/cargo/…/compiler`):
    both ends of a path say more than either alone."""
    if len(text) <= width:
        return text
    keep = width - 1
    head = keep // 2
    return text[:head] + "…" + text[len(text) - (keep - head) :]
