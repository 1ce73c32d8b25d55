"""Who works where, read from the store: what `ktlo init` writes teams and people from.

people     identities merged as effort merges them (ktlo.effort.identity: emails, names
           whatever their separators, configured aliases), bots left out, each with
           its aliases and how many items it authored or acted on
teams      guessed from ownership: a person works on a repository that holds at least
           WORKS_ON of their commits and activity; repositories are one team's when
           at least half of the people working on the smaller one work on both;
           each person joins the team of their main repository
proposals  merges that would be guesses, for a person to decide: a handle that is
           another person's first name (`ana` for Ana Lima), the local part of their
           email (`alima` for alima@acme.com), or their initial and surname (`alima`)
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field

from ktlo.config import Config
from ktlo.effort.identity import resolve_identities
from ktlo.store import Store

WORKS_ON = 0.25  # of a person's work: a repository they work on


@dataclass
class Person:
    """One person as the store knows them."""

    key: str  # the [people.<key>] id
    name: str
    aliases: list[str]
    items: int
    repos: dict[str, int] = field(default_factory=dict)  # repo_id -> commits and activities
    maybe: list[tuple[str, str]] = field(default_factory=list)  # (other key, why): to decide

    def main_repo(self) -> str | None:
        return min(self.repos, key=lambda r: (-self.repos[r], r)) if self.repos else None


@dataclass(frozen=True)
class GuessedTeam:
    name: str
    repositories: list[str]  # repo ids, most work first
    members: list[str]  # person keys


def people(store: Store) -> list[Person]:
    """Everyone who did something, bots left out, most items first."""
    resolve_identities(store, Config())
    rows = store.con.execute(
        """
        SELECT i.person, list(DISTINCT i.alias ORDER BY i.alias) FROM identity i
        JOIN person_info p USING (person) WHERE NOT p.is_bot GROUP BY ALL
        """
    ).fetchall()
    work, items = _work(store), _items(store)
    found = []
    for person, aliases in rows:
        name = str(person)
        found.append(
            Person("", name, _aliases(name, aliases), items.get(name, 0), work.get(name, {}))
        )
    found.sort(key=lambda p: (-p.items, p.name))
    _keys(found)
    _propose(found)
    return found


def _work(store: Store) -> dict[str, dict[str, int]]:
    """Per person, per repository: commits authored plus other activities."""
    rows = store.con.execute(
        """
        SELECT i.person, w.repo_id, count(*) FROM work_items w
        JOIN identity i ON i.alias = lower(coalesce(nullif(w.author_email, ''), w.author_name))
        WHERE w.kind = 'commit' AND w.repo_id IS NOT NULL GROUP BY ALL
        UNION ALL
        SELECT i.person, w.repo_id, count(*) FROM activities a
        JOIN identity i ON i.alias = lower(a.person) JOIN work_items w USING (item_id)
        WHERE w.repo_id IS NOT NULL GROUP BY ALL
        """
    ).fetchall()
    work: dict[str, dict[str, int]] = defaultdict(dict)
    for person, repo, count in rows:
        work[str(person)][str(repo)] = work[str(person)].get(str(repo), 0) + int(count)
    return work


def _items(store: Store) -> dict[str, int]:
    """Per person, the items they authored or acted on."""
    rows = store.con.execute(
        """
        SELECT i.person, count(DISTINCT x.item_id) FROM (
            SELECT item_id, lower(coalesce(nullif(author_email, ''), author_name)) AS alias
            FROM work_items
            UNION ALL SELECT item_id, lower(person) FROM activities
        ) x JOIN identity i USING (alias) GROUP BY ALL
        """
    ).fetchall()
    return {str(person): int(count) for person, count in rows}


def _aliases(name: str, aliases: list[str]) -> list[str]:
    return [a for a in aliases if a != name.lower()]


def _keys(found: list[Person]) -> None:
    """A [people.<key>] id for each: the name in lower case without its accents, `_`
    between its parts ("Jérémy Bethmont" → jeremy_bethmont); a name in another script by
    its first alias that gives one (an email's local part), else `someone`."""
    taken: set[str] = set()
    for person in found:
        base = next(filter(None, map(_ascii_key, [person.name, *person.aliases])), "someone")
        key, n = base, 1
        while key in taken:
            n += 1
            key = f"{base}_{n}"
        taken.add(key)
        person.key = key


# Latin letters that Unicode does not decompose into a base letter and an accent.
_NOT_DECOMPOSED = str.maketrans({
    "Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "Đ": "D", "đ": "d", "ß": "ss", "Æ": "AE",
    "æ": "ae", "Œ": "OE", "œ": "oe", "Þ": "Th", "þ": "th", "ı": "i", "Ħ": "H", "ħ": "h",
})  # fmt: skip


def _ascii_key(text: str) -> str:
    """`text` as a bare TOML key: accents dropped, lower case, `_` for anything else."""
    latin = text.split("@", 1)[0].translate(_NOT_DECOMPOSED)
    plain = "".join(c for c in unicodedata.normalize("NFKD", latin) if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "_", plain.lower()).strip("_")


def _propose(found: list[Person]) -> None:
    """Handles that may be another person's: said on the handle's entry, never merged."""
    by_guess: dict[str, list[tuple[Person, str]]] = defaultdict(list)
    for person in found:
        for guess, what in _guesses(person).items():
            by_guess[guess].append((person, what))
    for person in found:
        for handle in [a for a in [person.name.lower(), *person.aliases] if _handle(a)]:
            others = [(p, what) for p, what in by_guess.get(handle, []) if p is not person]
            if len(others) == 1 and all(k != others[0][0].key for k, _ in person.maybe):
                other, what = others[0]
                person.maybe.append((other.key, f"{handle!r} is {other.name}'s {what}"))


def _guesses(person: Person) -> dict[str, str]:
    """What a handle of this person could be, and what it would be of them."""
    parts = [p for p in re.split(r"[^a-z0-9]+", person.name.lower()) if p]
    guesses: dict[str, str] = {}
    for alias in person.aliases:
        if "@" in alias:
            guesses.setdefault(alias.split("@", 1)[0], "email's local part")
    if len(parts) >= 2:
        guesses.setdefault(parts[0], "first name")
        guesses.setdefault(parts[0][0] + parts[-1], "initial and surname")
    return {g: what for g, what in guesses.items() if len(g) >= 2}


def _handle(alias: str) -> bool:
    """A login or a single name: no space, no email."""
    return "@" not in alias and " " not in alias.strip()


def guess_teams(found: list[Person]) -> list[GuessedTeam]:
    """Teams from who works where (module docstring), largest first."""
    works: dict[str, set[str]] = defaultdict(set)  # repo -> people working on it
    for person in found:
        total = sum(person.repos.values())
        for repo, count in person.repos.items():
            if total and count / total >= WORKS_ON:
                works[repo].add(person.key)
    groups = _connected(works)
    members: dict[str, list[str]] = defaultdict(list)
    for person in found:
        main = person.main_repo()
        if main is not None:
            members[groups.get(main, main)].append(person.key)
    weight: dict[str, int] = defaultdict(int)
    for person in found:
        for repo, count in person.repos.items():
            weight[repo] += count
    teams = []
    for root, keys in members.items():
        repos = sorted((r for r in weight if groups.get(r, r) == root), key=lambda r: -weight[r])
        teams.append((sum(weight[r] for r in repos), repos, keys))
    teams.sort(key=lambda t: (-t[0], t[1]))
    return _named([(repos, keys) for _, repos, keys in teams])


def _connected(works: dict[str, set[str]]) -> dict[str, str]:
    """Each repository's group: repositories half of whose people work on both are one."""
    parent = {repo: repo for repo in works}

    def find(repo: str) -> str:
        while parent[repo] != repo:
            repo = parent[repo]
        return repo

    repos = sorted(works)
    for i, a in enumerate(repos):
        for b in repos[i + 1 :]:
            shared = len(works[a] & works[b])
            if shared and shared * 2 >= min(len(works[a]), len(works[b])):
                parent[max(find(a), find(b))] = min(find(a), find(b))
    return {repo: find(repo) for repo in repos}


def _named(teams: list[tuple[list[str], list[str]]]) -> list[GuessedTeam]:
    """Each team named after its largest repository (a person renames it)."""
    taken: set[str] = set()
    named = []
    for repos, keys in teams:
        base = re.sub(r"[^a-z0-9]+", "-", repos[0].rsplit("/", 1)[-1].lower()).strip("-")
        name, n = base or "team", 1
        while name in taken:
            n += 1
            name = f"{base}-{n}"
        taken.add(name)
        named.append(GuessedTeam(name, repos, keys))
    return named
