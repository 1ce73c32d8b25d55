"""`ktlo init`: a commented starter ktlo.toml written from what the store already knows."""

from __future__ import annotations

from ktlo.store import Store

HEADER = """# ktlo.toml — teams, people, rules and sources. Every field: docs/configuration.md
# After editing, run `ktlo reclassify` to apply rules, and `ktlo allocation` to see effort.
"""


def starter_config(store: Store | None) -> str:
    """The starter text; with a store, its repositories, people, labels and issue types."""
    repos, people, labels, types = [], [], [], []
    if store is not None:
        repos = [
            r[0]
            for r in store.con.execute("SELECT repo_id FROM repositories ORDER BY 1").fetchall()
        ]
        people = store.con.execute(
            """
            SELECT author_name, list(DISTINCT author_email ORDER BY author_email) AS emails, count(*) AS n
            FROM work_items WHERE NOT is_bot AND author_name IS NOT NULL
            GROUP BY author_name ORDER BY n DESC, author_name LIMIT 30
            """
        ).fetchall()
        labels = [r[0] for r in store.con.execute(
            "SELECT label FROM (SELECT unnest(labels) AS label FROM work_items) GROUP BY label ORDER BY count(*) DESC LIMIT 20"
        ).fetchall()]  # fmt: skip
        types = [r[0] for r in store.con.execute(
            "SELECT issue_type FROM work_items WHERE issue_type IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC"
        ).fetchall()]  # fmt: skip
    parts = [HEADER, _top_level(), _teams(repos), _people(people), _rules(labels, types), _effort()]
    return "\n".join(parts)


def _teams(repos: list[str]) -> str:
    repo_list = ", ".join(f'"{r}"' for r in repos[:5]) or '"github.com/acme/shop"'
    return f"""[[teams]]
name = "my-team"
members = []                      # person ids from [people.*] below, or names/emails as seen
repositories = [{repo_list}]
paths = []                        # path prefixes this team owns in a monorepo, e.g. "services/payments/"
services = []                     # service names as incident tools know them
budget = {{ low = 20, high = 40 }}  # the KTLO share (percent of effort) this team aims for
# cost_per_fte_month = 15000
"""


def _people(people: list[tuple[str, list[str], int]]) -> str:
    lines = ["# One entry per person; aliases merge their names, emails and handles.",
             "# capacity = 1.0 is full time; teams = { a = 0.5, b = 0.5 } splits a person across teams."]  # fmt: skip
    for name, emails, count in people:
        key = "".join(ch if ch.isalnum() else "_" for ch in name.lower()).strip("_") or "someone"
        aliases = ", ".join(f'"{e}"' for e in emails if e)
        lines.append(
            f'\n[people.{key}]  # {count} items\nname = "{_escape(name)}"\naliases = [{aliases}]\n# time_off = [{{ start = 2026-08-01, end = 2026-08-14 }}]'
        )
    if not people:
        lines.append(
            '\n# [people.ana]\n# name = "Ana Lima"\n# aliases = ["ana@acme.com", "ana-lima"]'
        )
    return "\n".join(lines) + "\n"


def _rules(labels: list[str], types: list[str]) -> str:
    seen = f"# labels seen: {', '.join(labels)}\n" if labels else ""
    seen += f"# issue types seen: {', '.join(types)}\n" if types else ""
    return f"""# Rules decide before any built-in signal; the first that matches wins.
# Match on source, repository, path (glob), label, issue_type, project, epic, component,
# title (regex) or author; assign with as = "ktlo/<kind>" or "new_work/<kind>".
{seen}# [[rules]]
# match = {{ label = "customer-escalation" }}
# as = "ktlo/incident"
"""


def _top_level() -> str:  # top-level keys must come before the first [table]
    return """bots = []                         # extra automation accounts to keep out of effort
# time_off_csv = "time-off.csv"   # person,start,end
"""


def _effort() -> str:
    return """[effort]
active_days = 14                  # an item in progress stays in hand this long between activities
"""


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')
