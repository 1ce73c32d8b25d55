"""`ktlo init`: a ktlo.toml written from what the store holds (ktlo.config.ownership).

Its repositories become `[git]` (paths relative to the file, never a `local:` id), so
that the next `ktlo sync` or `ktlo analyze` mines them into the same store; the sources
the store was synced from, and the usual ones, are commented examples (their options and
tokens are not in the store); the people are merged as effort merges them, with the
merges that would be guesses written as comments to decide; the teams are guessed from
who works where, for a person to check and rename.
"""

from __future__ import annotations

import os
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from ktlo.config.ownership import GuessedTeam, Person, guess_teams, people
from ktlo.store import Store

DOCS = "docs/configuration.md"


@dataclass
class Seen:
    """What the store holds, as the starter file describes it."""

    store: Path | None = None
    repositories: list[tuple[str, str]] = field(default_factory=list)  # (repo_id, path)
    people: list[Person] = field(default_factory=list)
    teams: list[GuessedTeam] = field(default_factory=list)
    bots: list[str] = field(default_factory=list)
    sources: list[tuple[str, list[str]]] = field(default_factory=list)  # (name, files it read)
    projects: list[str] = field(default_factory=list)  # tracker projects (PAY, SRCH)
    labels: list[str] = field(default_factory=list)
    issue_types: list[str] = field(default_factory=list)


def read_store(store: Store) -> Seen:
    """Everything the starter file is written from."""
    found = people(store)
    return Seen(
        store=store.path,
        repositories=[
            (str(r), str(p))
            for r, p in store.con.execute(
                "SELECT repo_id, path FROM repositories ORDER BY repo_id"
            ).fetchall()
        ],
        people=found,
        teams=guess_teams(found),
        bots=_column(store, "SELECT DISTINCT author_name FROM work_items WHERE is_bot ORDER BY 1"),
        sources=_sources(store),
        projects=_column(
            store,
            "SELECT project FROM work_items WHERE kind IN ('issue', 'epic') AND project IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, project LIMIT 12",
        ),  # fmt: skip
        labels=_column(
            store,
            "SELECT label FROM (SELECT unnest(labels) AS label FROM work_items) GROUP BY label ORDER BY count(*) DESC, label LIMIT 20",
        ),  # fmt: skip
        issue_types=_column(
            store,
            "SELECT issue_type FROM work_items WHERE issue_type IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1",
        ),  # fmt: skip
    )


def _column(store: Store, sql: str) -> list[str]:
    return [str(row[0]) for row in store.con.execute(sql).fetchall() if row[0] is not None]


def _sources(store: Store) -> list[tuple[str, list[str]]]:
    """The sources the store was synced from (not git), with the files each read, if any."""
    rows = store.con.execute(
        """
        SELECT source, list(DISTINCT scope ORDER BY scope) FROM sync_state
        WHERE source <> 'git' GROUP BY source ORDER BY source
        """
    ).fetchall()
    return [
        (str(name), [s.removeprefix("file:") for s in scopes if s.startswith("file:")])
        for name, scopes in rows
    ]


def starter_config(seen: Seen, folder: Path) -> str:
    """The file's text; `folder` is where it is written (paths are relative to it)."""
    parts = [
        _header(seen), _top_level(seen), _git(seen, folder), _source_examples(seen, folder),
        _teams(seen), _people(seen), _rules(seen),
        "[effort]\nactive_days = 14  # an item in progress stays in hand this long between activities\n",
    ]  # fmt: skip
    return "\n".join(parts)


def _header(seen: Seen) -> str:
    if seen.store is None:
        origin = "with no store to read (`ktlo analyze PATH... --db ktlo.duckdb`, then `ktlo init --force`, fills it in)"
    else:
        origin = (
            f"from {seen.store}: {_count(len(seen.repositories), 'repository', 'repositories')}, "
            f"{_count(len(seen.people), 'person', 'people')}, "
            f"{_count(len(seen.teams), 'team', 'teams')} guessed"
        )
    first = textwrap.fill(f"ktlo.toml — written by `ktlo init` {origin}.", width=98,
                          initial_indent="# ", subsequent_indent="#   ",
                          break_long_words=False, break_on_hyphens=False)  # fmt: skip
    return (
        f"{first}\n"  # wrapped under 100 columns; a path stays whole
        "# Check the teams (guessed from who works where) and the people marked 'maybe', then\n"
        "# `ktlo sync` (the [git] repositories, and any source you uncomment), `ktlo reclassify`,\n"
        f"# `ktlo budget`. Every field: {DOCS}\n"
    )


def _top_level(seen: Seen) -> str:  # top-level keys must come before the first [table]
    found = f" (found on their own: {', '.join(seen.bots[:6])})" if seen.bots else ""
    return (
        f"bots = []  # other automation accounts to keep out of effort{found}\n"
        '# time_off_csv = "time-off.csv"  # person,start,end\n'
    )


def _git(seen: Seen, folder: Path) -> str:
    head = "[git]  # the repositories `ktlo sync` and `ktlo analyze` mine (docs/scaling.md)\n"
    tail = "# recursive = true  # each path is a folder of clones\n# jobs = 4\n"
    paths = [_path(Path(p), folder) for _, p in seen.repositories if p]
    if not paths:
        return (
            "# " + head + '# repositories = ["~/src/shop", "~/src/acme/*"]  '
            "# paths or globs, relative to this file\n" + tail
        )
    listed = ",\n".join(f'  "{_escape(p)}"' for p in paths)
    return f"{head}repositories = [  # paths or globs, relative to this file\n{listed},\n]\n{tail}"


def _path(path: Path, folder: Path) -> str:
    """Relative to the file when inside its folder, `~/…` under the home folder, else absolute."""
    absolute, base = path.resolve(), folder.resolve()
    if absolute == base or base in absolute.parents:
        return os.path.relpath(absolute, base)
    home = Path.home().resolve()
    if home in absolute.parents:
        return "~/" + str(absolute.relative_to(home))
    return str(absolute)


def _source_examples(seen: Seen, folder: Path) -> str:
    lines = ["# Sources besides git (docs/sources.md): uncomment one, set its token, `ktlo sync`."]
    for name, files in seen.sources:
        lines += ["#", f"# [sources.{name}]  # synced into this store before"]
        if files:
            paths = ", ".join(f'"{_escape(_path(Path(f), folder))}"' for f in files)
            lines += ['# type = "files"', f"# paths = [{paths}]"]
        else:
            lines.append(
                "# (its options are not stored: copy them from the ktlo.toml you synced with)"
            )
    lines += _examples(seen, {name for name, _ in seen.sources})
    return "\n".join(lines) + "\n"


def _examples(seen: Seen, taken: set[str]) -> list[str]:
    """Commented tables for GitHub, Jira and a file export, under names not yet taken."""
    repos = [r.split("/", 1)[1] for r, _ in seen.repositories if r.startswith("github.com/")]
    listed = ", ".join(f'"{r}"' for r in repos) or '"acme/shop"'
    projects = ", ".join(seen.projects) or "PAY, SRCH"
    examples = {
        "github": [
            "# [sources.github]  # pull requests, reviews, issues, CI runs and deployments",
            '# type = "github"',
            f"# repos = [{listed}]",
            '# token_env = "GITHUB_TOKEN"',
        ],
        "jira": [
            "# [sources.jira]  # Jira issues, their history and sprints",
            '# type = "jira"',
            '# base_url = "https://acme.atlassian.net"',
            '# email = "you@acme.com"',
            '# token_env = "JIRA_API_TOKEN"',
            f'# jql = "project in ({projects})"',
        ],
        "incidents": [
            "# [sources.incidents]  # an export of a tool with no connector (docs/import.md)",
            '# type = "files"',
            '# records = "incidents"',
            '# tool = "pagerduty"  # the tool it came from: the same record from two routes is one',
            '# paths = ["exports/incidents.csv"]',
        ],
    }
    return [line for name, table in examples.items() if name not in taken for line in ["#", *table]]


def _teams(seen: Seen) -> str:
    if not seen.teams:
        return (
            '# [[teams]]\n# name = "payments"\n# members = ["ana_lima"]  # ids of [people.*] below\n'
            '# repositories = ["acme/payments-api"]\n# budget = { low = 20, high = 40 }\n'
        )
    tables = []
    for team in seen.teams:
        repos = ", ".join(f'"{_team_repo(r)}"' for r in team.repositories)
        tables.append(
            f"[[teams]]  # guessed from who works where: rename it, check its members\n"
            f'name = "{team.name}"\nmembers = {_members(team.members)}\nrepositories = [{repos}]\n'
            "# paths = []  # path prefixes it owns in a monorepo\n"
            "# services = []  # service names as incident tools know them\n"
            "budget = { low = 20, high = 40 }  # its KTLO band, percent of effort\n"
            "# cost_per_fte_month = 15000\n"
        )
    return "\n".join(tables)


def _members(keys: list[str]) -> str:
    """A TOML array of person keys, wrapped under 100 columns (an open-source history has
    hundreds of people: one line of them could not be read or edited)."""
    names = ", ".join(f'"{k}"' for k in keys)
    if len(names) <= 80:
        return f"[{names}]"
    lines = textwrap.wrap(names, width=96, initial_indent="    ", subsequent_indent="    ",
                          break_long_words=False, break_on_hyphens=False)  # fmt: skip
    return f"[  # {len(keys):,} people\n" + "\n".join(lines) + ",\n]"


def _team_repo(repo_id: str) -> str:
    """`acme/shop` for github.com/acme/shop; a repository known by its path: its name."""
    if repo_id.startswith("local:"):
        return repo_id.rstrip("/").rsplit("/", 1)[-1]
    host, _, path = repo_id.partition("/")
    return path or host


def _people(seen: Seen) -> str:
    lines = [
        "# One entry per person, merged as ktlo merges them (same email, same name whatever",
        "# its separators); aliases are the other names, emails and handles seen.",
    ]
    if not seen.people:
        lines.append(
            '\n# [people.ana_lima]\n# name = "Ana Lima"\n# aliases = ["ana@acme.com", "ana-lima"]'
        )
    for person in seen.people:
        aliases = ", ".join(f'"{_escape(a)}"' for a in person.aliases)
        lines.append(f"\n[people.{person.key}]  # {person.items:,} items")
        lines.append(f'name = "{_escape(person.name)}"\naliases = [{aliases}]')
        for other, why in person.maybe:
            lines.append(
                f"# maybe [people.{other}]: {why} — if so, move these aliases there and delete this table"
            )
    return "\n".join(lines) + "\n"


def _rules(seen: Seen) -> str:
    found = f"# labels seen: {', '.join(seen.labels)}\n" if seen.labels else ""
    found += f"# issue types seen: {', '.join(seen.issue_types)}\n" if seen.issue_types else ""
    return (
        "# Rules decide before any built-in signal; the first that matches wins (docs/classification.md).\n"
        f'{found}# [[rules]]\n# match = {{ label = "customer-escalation" }}\n# as = "ktlo/incident"\n'
    )


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"
