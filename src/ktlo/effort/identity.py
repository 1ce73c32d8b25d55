"""One person across emails, names and handles; bots kept apart.

Git has already applied `.mailmap` (`%aN`, `%aE`). On top of it, identities are merged
when they share an email (case-insensitive), share a name (case-insensitive, and
whatever separates its parts: `Ana Lima`, `ana_lima`, `ana.lima` and `ana-lima` are one
name; LOOSE_MIN letters or more, so short handles never merge this way), or are listed as
aliases of one person in ktlo.toml. Merges that would be guesses (a first name alone, an
email's local part) are never made here; `ktlo init` proposes them
(ktlo.config.ownership). The result is a temporary table
`identity(alias, person)` keyed by lower-cased alias, and `person_info(person, name,
capacity, is_bot)`, which the effort queries join against.
"""

from __future__ import annotations

from collections.abc import Iterable

from ktlo.classify.signals import is_bot
from ktlo.config import Config
from ktlo.store import Store


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, key: str) -> str:
        root = self.parent.setdefault(key, key)
        while root != self.parent[root]:
            root = self.parent[root]
        while key != root:
            self.parent[key], key = root, self.parent[key]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def resolve_identities(store: Store, config: Config) -> None:
    """(Re)build the `identity` and `person_info` temporary tables from the store and config."""
    seen = _seen_identities(store)
    groups = _UnionFind()
    for name, email, _ in seen:
        keys = [k for k in (_key(name), _key(email)) if k]
        for key in keys[1:]:
            groups.union(keys[0], key)
        for key in keys:
            groups.find(key)
        if email.strip() and not _key(email):  # a placeholder email still names its author
            groups.find(email.strip().lower())
    _merge_loose_names(groups)
    configured: dict[str, str] = {}
    for person_id, person in config.people.items():
        aliases = [person_id, *([person.name] if person.name else []), *person.aliases]
        for alias in aliases:
            groups.union(_key(person_id), _key(alias))
        configured[groups.find(_key(person_id))] = person_id
    bots = {_key(b) for b in config.bots}
    display = _display_names(seen, groups)
    rows = []
    for alias in list(groups.parent):
        root = groups.find(alias)
        rows.append((alias, configured.get(root) or display.get(root, root)))
    aliases_of: dict[str, list[str]] = {}
    for alias, person_id in rows:
        aliases_of.setdefault(person_id, []).append(alias)
    info = []
    for person_id, aliases in sorted(aliases_of.items()):
        settings = config.people.get(person_id)
        bot = any(a in bots or is_bot(a) for a in aliases)
        name = settings.name if settings and settings.name else person_id
        info.append((person_id, name, settings.capacity if settings else 1.0, bot))
    store.con.execute("CREATE OR REPLACE TEMP TABLE identity (alias VARCHAR, person VARCHAR)")
    store.con.execute(
        "CREATE OR REPLACE TEMP TABLE person_info "
        "(person VARCHAR, name VARCHAR, capacity DOUBLE, is_bot BOOLEAN)"
    )
    store.insert("identity", ["alias", "person"], rows)
    store.insert("person_info", ["person", "name", "capacity", "is_bot"], info)


def _merge_loose_names(groups: _UnionFind) -> None:
    """One person for names that differ only in case and separators (`ana_lima`, `Ana Lima`)."""
    first: dict[str, str] = {}
    for alias in sorted(groups.parent):
        loose = loose_name(alias)
        if loose is None:
            continue
        if loose in first:
            groups.union(first[loose], alias)
        else:
            first[loose] = alias


def loose_name(alias: str) -> str | None:
    """`analima` for `Ana Lima`, `ana_lima`, `ana.lima`; None for an email or a short name."""
    if "@" in alias:
        return None
    letters = "".join(ch for ch in alias.lower() if ch.isalnum())
    return letters if len(letters) >= LOOSE_MIN else None


LOOSE_MIN = 6  # `ana`, `bob-s` are too short to say that two spellings are one person


def _seen_identities(store: Store) -> list[tuple[str, str, int]]:
    rows = store.con.execute(
        """
        SELECT coalesce(author_name, ''), coalesce(author_email, ''), count(*) FROM work_items
        WHERE author_name IS NOT NULL OR author_email IS NOT NULL GROUP BY ALL
        UNION ALL SELECT person, '', count(*) FROM activities GROUP BY ALL
        """
    ).fetchall()
    return [(str(n), str(e), int(c)) for n, e, c in rows]


def _display_names(seen: Iterable[tuple[str, str, int]], groups: _UnionFind) -> dict[str, str]:
    """Each merged person is shown by their most used real name (a name over a login or email)."""
    names: dict[str, dict[str, int]] = {}
    for name, email, count in seen:
        if name and (_key(name) or _key(email)):
            counts = names.setdefault(groups.find(_key(name) or _key(email)), {})
            counts[name] = counts.get(name, 0) + count

    def preference(name: str, counts: dict[str, int]) -> tuple[bool, bool, int, str]:
        return ("@" not in name, " " in name and name != name.lower(), counts[name], name)

    return {
        root: max(counts, key=lambda n: preference(n, counts)) for root, counts in names.items()
    }


def _key(alias: str) -> str:
    """The merge key of a name or email; shared placeholder emails merge nobody."""
    key = alias.strip().lower()
    return "" if key in _PLACEHOLDER_EMAILS or key.startswith("none@") else key


# Emails that many unrelated people commit with; merging on them would fuse strangers.
_PLACEHOLDER_EMAILS = frozenset(
    "noreply@github.com none (none) unknown root@localhost nobody@nowhere "
    "you@example.com user@example.com".split()
)
