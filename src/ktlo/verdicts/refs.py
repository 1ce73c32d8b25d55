"""Ids people can use: what every command that takes an item accepts, and what it prints.

An item is named by any of

    its full id           git:commit:github.com/acme/shop:3f2a9c1e…, jira:issue:acme.atlassian.net:10042
    a commit sha prefix   3f2a9c1 (4 characters or more; unique in the store)
    a tracker key         PAY-101 (any case), or qualified by its source: jira:issue:PAY-101
    a number in a repo    acme/shop#12 (an issue or pull request), acme/shop!12 (a merge request)

`resolve_item` turns one into the item's id, and says which items match when several do.
`short_refs` is the other way: the shortest of these that names each item alone, which
tables print whole so that it can be copied into the next command.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ktlo.errors import InputError, NotFoundError

if TYPE_CHECKING:
    from ktlo.store import Store

TRACKER_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]*-\d+$")
SHA_PREFIX = re.compile(r"^[0-9a-fA-F]{4,64}$")
NUMBERED = re.compile(r"^(?P<repo>[\w.\-/]+)(?P<sign>[#!])(?P<number>\d+)$")
SHORT_SHA = 12
SHOWN_MATCHES = 5
HOW = (
    "give its full id, 4 or more characters of a commit sha, a tracker key such as PAY-101, "
    "or owner/repo#12 (as `ktlo explain`, `ktlo review` and `ktlo override --list` print them)"
)


def resolve_item(store: Store, ref: str) -> str:
    """The id of the one stored item `ref` names; NotFoundError, or InputError listing
    the matches when it names several."""
    text = ref.strip()
    matches = _matches(store, text)
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise NotFoundError(f"no stored item is {text!r}", HOW)
    listed = ", ".join(matches[:SHOWN_MATCHES])
    more = f" and {len(matches) - SHOWN_MATCHES} more" if len(matches) > SHOWN_MATCHES else ""
    raise InputError(
        f"{text!r} names {len(matches)} items: {listed}{more}",
        "give one of them whole, or more characters of the sha",
    )


def _matches(store: Store, text: str) -> list[str]:
    exact = _ids(store, "SELECT item_id FROM work_items WHERE item_id = ?", [text])
    if exact:
        return exact
    qualified = text.split(":")
    if len(qualified) >= 3 and qualified[0] and qualified[1]:
        return _qualified(store, qualified[0], qualified[1], ":".join(qualified[2:]))
    if SHA_PREFIX.match(text):
        return _by_sha(store, text.lower(), None)
    if TRACKER_KEY.match(text):
        return _ids(
            store,
            "SELECT item_id FROM work_items WHERE upper(external_id) = upper(?) ORDER BY item_id",
            [text],
        )
    numbered = NUMBERED.match(text)
    if numbered:
        return _by_number(store, numbered["repo"], numbered["number"], numbered["sign"])
    return []


def _qualified(store: Store, source: str, kind: str, rest: str) -> list[str]:
    """`jira:issue:PAY-101`, `git:commit:3f2a9c1`: an item of that source and kind."""
    if kind == "commit":
        repo, _, sha = rest.rpartition(":")
        if SHA_PREFIX.match(sha):
            found = _by_sha(store, sha.lower(), source)
            return [i for i in found if not repo or i.startswith(f"{source}:commit:{repo}:")]
    return _ids(
        store,
        """
        SELECT item_id FROM work_items
        WHERE source = ? AND kind = ? AND (upper(external_id) = upper(?) OR ends_with(item_id, ':' || ?))
        ORDER BY item_id
        """,
        [source, kind, rest, rest],
    )


def _by_sha(store: Store, prefix: str, source: str | None) -> list[str]:
    sql = "SELECT c.item_id FROM commits c WHERE starts_with(c.sha, ?)"
    if source is not None:
        sql += " AND c.item_id IN (SELECT item_id FROM work_items WHERE source = ?)"
    return _ids(
        store, sql + " ORDER BY c.item_id LIMIT 50", [prefix, *([source] if source else [])]
    )


def _by_number(store: Store, repo: str, number: str, sign: str) -> list[str]:
    kinds = ["pull_request"] if sign == "!" else ["issue", "pull_request", "epic"]
    return _ids(
        store,
        """
        SELECT item_id FROM work_items
        WHERE external_id = ? AND kind IN (SELECT unnest(?::VARCHAR[]))
          AND (lower(repo_id) = lower(?) OR ends_with(lower(repo_id), '/' || lower(?)))
        ORDER BY item_id
        """,
        [number, kinds, repo, repo],
    )


def _ids(store: Store, sql: str, params: list[object]) -> list[str]:
    return [str(row[0]) for row in store.con.execute(sql, params).fetchall()]


def short_refs(store: Store, item_ids: Iterable[str]) -> dict[str, str]:
    """For each item, the shortest ref that names it alone: a 12-character sha, a tracker
    key, owner/repo#12, else its full id."""
    ids = list(dict.fromkeys(item_ids))
    if not ids:
        return {}
    rows = store.con.execute(
        """
        SELECT w.item_id, w.kind, w.source, w.external_id, w.repo_id, c.sha
        FROM work_items w LEFT JOIN commits c USING (item_id)
        WHERE w.item_id IN (SELECT unnest(?::VARCHAR[]))
        """,
        [ids],
    ).fetchall()
    refs = {}
    for item_id, kind, source, external_id, repo_id, sha in rows:
        candidate = _candidate(kind, source, str(external_id or ""), repo_id, sha)
        refs[item_id] = candidate if candidate and _names_alone(store, candidate) else item_id
    return {item_id: refs.get(item_id, item_id) for item_id in ids}


def _candidate(
    kind: str, source: str, external_id: str, repo_id: str | None, sha: str | None
) -> str | None:
    if sha:
        return str(sha)[:SHORT_SHA]
    if TRACKER_KEY.match(external_id):
        return external_id
    if repo_id and external_id.isdigit():
        sign = "!" if source == "gitlab" and kind == "pull_request" else "#"
        return f"{_repo_path(repo_id)}{sign}{external_id}"
    return None


def _repo_path(repo_id: str) -> str:
    """`acme/shop` of `github.com/acme/shop`; a local repository keeps its whole id."""
    host, _, path = repo_id.partition("/")
    return path if path and not host.startswith("local:") else repo_id


def _names_alone(store: Store, candidate: str) -> bool:
    return len(_matches(store, candidate)) == 1
