"""Small pieces the `*_records` modules share: labels, assignees, references, numbers, order.

Only what means the same in each tool's JSON lives here; how a tool names its users, its
closing keywords and its fields stays in its own module. No network here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ktlo.ingest.links import extract_refs
from ktlo.records import Link, StateChange

Json = Mapping[str, Any]


def labels(record: Json) -> tuple[str, ...]:
    """The names in `labels`, whether it lists label objects (`{"name": …}`) or names."""
    names = (
        label.get("name") if isinstance(label, dict) else label
        for label in record.get("labels") or ()
    )
    return tuple(str(name) for name in names if name)


def assignees(record: Json, name: Callable[[Any], str]) -> tuple[str, ...]:
    """The people in `assignees` (or the one `assignee`), by `name`; nameless ones left out."""
    people = record.get("assignees") or ([record["assignee"]] if record.get("assignee") else [])
    return tuple(found for person in people if (found := name(person)))


def body_links(record: Json, body_field: str, closing: re.Pattern[str]) -> list[Link]:
    """References in the title and body: `fixes` after a `closing` keyword, else `mentions`."""
    title, body = str(record.get("title") or ""), str(record.get(body_field) or "")
    fixes = {match[1] for match in closing.finditer(body)}
    return [Link(ref, "fixes" if ref in fixes else "mentions") for ref in extract_refs(title, body)]


def number(value: Any) -> float | None:
    """A JSON number as a float (an estimate, a weight); None for anything else, booleans too."""
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def chronological(changes: Iterable[StateChange]) -> tuple[StateChange, ...]:
    """State changes in the order they happened (a stable sort: ties keep their order)."""
    return tuple(sorted(changes, key=lambda c: c.occurred_at))
