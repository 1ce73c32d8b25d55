"""One record per real thing: an issue that comes by two routes is one item.

The same Jira issue can reach the store through the Jira API (`jira:issue:<site>:<id>`),
a saved answer, and a CSV export imported with `--source files` (`files:issue:PAY-101`).
Stored twice, it would count twice: two bugs in the backlog for one, its effort split.
So before a batch is loaded, each work item whose id is not stored yet, but whose tracker
key (PAY-101) is, takes the stored item's id: the later route updates the first one's
record. Two routes are one tracker when they name the same tool, or when either is not a
tool ktlo has a connector for (a file import with no `tool`, whose `source` is then the
import's own name, such as `files`); two different trackers (Jira's ENG-1 and Linear's
ENG-1) stay apart. An item known by a number
(a pull request, a GitHub issue) is the same only in the same repository.

Why merge rather than refuse the second route: both orders happen (an export first, then
the connector; or the connector, then a backfill from an export), and a refusal would
leave the user to delete records by hand; keeping the first id keeps every override and
review answer attached to it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

from ktlo.records import WorkItem
from ktlo.store import Store

TRACKERS = frozenset({"git", "github", "gitlab", "jira", "linear"})  # tools with their own keys
TRACKER_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]*-\d+$")
_FAMILY = {"epic": "issue"}  # a tool may call an issue an epic where another does not


def same_as_stored(store: Store, items: Sequence[WorkItem]) -> tuple[list[WorkItem], list[str]]:
    """`items` with each one already stored by another route under that route's id, and
    the notes saying which (`files:issue:OPS-1 is jira:issue:OPS-1`)."""
    keys = [i.key for i in items]
    fresh = {i.key: i for i in items if i.external_id and i.key not in set(_stored(store, keys))}
    if not fresh:
        return list(items), []
    rows = store.con.execute(
        """
        SELECT item_id, source, kind, external_id, repo_id FROM work_items
        WHERE upper(external_id) IN (SELECT upper(unnest($1::VARCHAR[])))
        ORDER BY item_id
        """,
        [[i.external_id for i in fresh.values()]],
    ).fetchall()
    merged, notes = {}, []
    for item in fresh.values():
        match = next((r for r in rows if _same(item, *r[1:])), None)
        if match is not None and match[0] not in keys:
            merged[item.key] = dataclasses.replace(item, key=match[0])
            notes.append(f"{item.key} is {match[0]}")
    return [merged.get(i.key, i) for i in items], notes


def _stored(store: Store, keys: list[str]) -> list[str]:
    rows = store.con.execute(
        "SELECT item_id FROM work_items WHERE item_id IN (SELECT unnest($1::VARCHAR[]))", [keys]
    ).fetchall()
    return [r[0] for r in rows]


def _same(item: WorkItem, source: str, kind: str, external_id: str, repo_id: str | None) -> bool:
    if _FAMILY.get(kind, kind) != _FAMILY.get(item.kind, item.kind):
        return False
    if source != item.source and source in TRACKERS and item.source in TRACKERS:
        return False  # two tools, two things that happen to share a key
    if TRACKER_KEY.match(external_id) and external_id.upper() == str(item.external_id).upper():
        return True
    return bool(repo_id) and repo_id == item.repo_id and external_id == item.external_id
