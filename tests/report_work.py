"""A small organisation written straight into a store, for the report and the dashboard.

Two teams over three months (January to March 2026), one commit a working day each:

    payments  ana (bug fixes in src/payments/, features in src/checkout/)
              raj (features in src/checkout/, one dependency bump a week)
    search    lee (reliability in search/index/, features in search/ui/)

The exact person-days are checked in tests/test_report.py against `ktlo allocation`.
One of Ana's commits (2026-01-07, a bug fix) has a hostile title: markup, quotes and
10,000 characters.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from ktlo.config import Config, load_config
from ktlo.ingest.history import COMMIT_COLUMNS, WORK_ITEM_COLUMNS
from ktlo.report.document import ReportDocument
from ktlo.store import Store

CONFIG = """
[[teams]]
name = "payments"
members = ["ana", "raj"]
budget = { low = 20, high = 40 }
cost_per_fte_month = 21700
services = ["checkout"]

[[teams]]
name = "search"
members = ["lee"]
budget = { low = 10, high = 30 }

[people.ana]
name = "Ana Lima"
aliases = ["ana@acme.com"]
[people.raj]
name = "Raj Patel"
aliases = ["raj@acme.com"]
[people.lee]
name = "Lee Wong"
aliases = ["lee@acme.com"]
"""

LONG_FROM = date(2025, 9, 1)  # `build_org(store, LONG_FROM)`: seven months, enough to forecast
HOSTILE_ID = "ana-hostile"  # sorts first among equal efforts
HOSTILE = "<script>alert('x')</script> \"quoted\" & <b>bold</b> " + "A" * 10_000
SHOP = "github.com/acme/shop"
SEARCH = "github.com/acme/search"


def write_config(folder: Path) -> Config:
    path = folder / "ktlo.toml"
    path.write_text(CONFIG)
    return load_config(path)


def build_org(store: Store, first: date = date(2026, 1, 5)) -> None:
    """Commits from `first` (a Monday) to 2026-03-27 (Mon–Fri), with their files and verdicts.

    With an earlier `first` (the forecast needs four months), Ana fixes bugs every day
    before 2026.
    """
    rows: list[tuple[str, str, datetime, tuple[str, str | None], str, str, str | None]] = []
    day = first
    n = 0
    while day < date(2026, 3, 28):
        if day.weekday() < 5:
            at = datetime(day.year, day.month, day.day, 10)
            n += 1
            if n == 3:  # 2026-01-07: a bug fix whose title is hostile
                rows.append((HOSTILE_ID, "Ana Lima", at, ("ktlo", "bug"), SHOP,
                             "src/payments/adapter.py", HOSTILE))  # fmt: skip
            else:
                ana_bug = day.month >= 2 or day.day % 2 == 0  # more KTLO from February
                rows.append((f"ana{n}", "Ana Lima", at,
                             ("ktlo", "bug") if ana_bug else ("new_work", "feature"), SHOP,
                             "src/payments/adapter.py" if ana_bug else "src/checkout/cart.py", None))  # fmt: skip
            raj = ("ktlo", "dependency") if day.weekday() == 0 else ("new_work", "feature")
            rows.append((f"raj{n}", "Raj Patel", at, raj, SHOP,
                         "package-lock.json" if raj[0] == "ktlo" else "src/checkout/pay.py", None))  # fmt: skip
            lee = ("ktlo", "reliability") if day.weekday() in (1, 3) else ("new_work", "feature")
            rows.append((f"lee{n}", "Lee Wong", at, lee, SEARCH,
                         "search/index/shard.py" if lee[0] == "ktlo" else "search/ui/box.ts", None))  # fmt: skip
        day += timedelta(days=1)
    write_commits(store, rows)


def write_commits(
    store: Store,
    rows: list[tuple[str, str, datetime, tuple[str, str | None], str, str, str | None]],
) -> None:
    """(item id, author, when, verdict, repository, path, title) -> one batch per table."""
    email = {name: f"{name.split()[0].lower()}@acme.com" for _, name, *_ in rows}
    with store.transaction():
        store.insert("work_items", WORK_ITEM_COLUMNS, [
            (i, "git", "commit", repo, i, title or f"{verdict[1]} work {i}", "", who, email[who],
             False, at, [], None, [])
            for i, who, at, verdict, repo, _, title in rows
        ])  # fmt: skip
        store.insert("commits", COMMIT_COLUMNS, [
            (i, repo, i, [], at, 0, who, email[who], at, False, False, 1, 6, 0)
            for i, who, at, _, repo, _, _ in rows
        ])  # fmt: skip
        store.insert("commit_files", ["item_id", "path", "old_path", "added", "deleted", "is_binary"],
                     [(i, path, None, 5, 1, False) for i, _, _, _, _, path, _ in rows])  # fmt: skip
        store.insert("verdicts", VERDICT_COLUMNS, [
            (i, verdict[0], verdict[1], 0.9, ["test"], "test", datetime(2026, 1, 1))
            for i, _, _, verdict, *_ in rows
        ])  # fmt: skip


def add_doubts(store: Store) -> None:
    """Two verdicts the classifier was unsure of (the review queue's), one of them hostile."""
    store.con.execute(
        "UPDATE verdicts SET confidence = 0.3, reasons = ['no_signal: too little to go on'] "
        "WHERE item_id IN ('raj3', ?)",
        [HOSTILE_ID],
    )


VERDICT_COLUMNS = ["item_id", "investment", "subcategory", "confidence", "reasons", "classifier",
                   "classified_at"]  # fmt: skip


HOSTILE_SPRINT = "PAY <script>alert('s')</script> Sprint 3"


def add_sprints(store: Store, hostile: bool = False) -> None:
    """Sprints of payments (Jira, two weeks, from 2026-01-05) and cycles of search (Linear,
    four weeks), over the commits of build_org: each team's commits in a sprint's dates
    belong to it. Raj's and Lee's entered their sprint three days before it started
    (planned), except Lee's Thursday commits; Ana's have no sprint history and were made
    after the start (added mid-sprint). With `hostile`, the third sprint's name is markup."""
    sprints = []
    for n in range(6):
        start = datetime(2026, 1, 5) + timedelta(days=14 * n)
        name = HOSTILE_SPRINT if hostile and n == 2 else f"PAY Sprint {n + 1}"
        sprints.append((f"jira:sprint:{n + 1}", "jira", name, "payments", "closed", start,
                        start + timedelta(days=11, hours=18)))  # fmt: skip
    for n in range(3):
        start = datetime(2026, 1, 5) + timedelta(days=28 * n)
        sprints.append((f"linear:cycle:{n + 1}", "linear", f"Cycle {n + 1}", "search", "completed",
                        start, start + timedelta(days=25, hours=18)))  # fmt: skip
    with store.transaction():
        store.insert("sprints", ["sprint_id", "source", "name", "team", "state", "starts_at",
                                 "ends_at"], sprints)  # fmt: skip
        store.con.execute(
            """
            UPDATE work_items w SET sprint = s.sprint_id FROM sprints s
            WHERE w.created_at BETWEEN s.starts_at AND s.ends_at
              AND s.team = CASE WHEN w.repo_id = ? THEN 'search' ELSE 'payments' END
            """,
            [SEARCH],
        )
        store.con.execute(
            """
            INSERT INTO state_changes (item_id, occurred_at, field, from_value, to_value, changed_by)
            SELECT w.item_id, s.starts_at - INTERVAL 3 DAY, 'sprint', NULL, s.sprint_id, 'raj'
            FROM work_items w JOIN sprints s ON s.sprint_id = w.sprint
            WHERE w.author_name = 'Raj Patel'
               OR (w.author_name = 'Lee Wong' AND dayofweek(w.created_at) <> 4)
            """
        )


def add_pages(store: Store) -> None:
    """Incidents of payments' service over the quarter before 2026-03-27: five weeks in
    which Ana took every page (three incidents of an hour), then five in which Ana and Raj
    shared them (four incidents of five hours, both taking part in each)."""
    incidents, events = [], []
    for week in range(10):
        monday = datetime(2026, 1, 5) + timedelta(days=7 * week)
        rotation = week < 5
        for n in range(3 if rotation else 4):
            key = f"P{week}-{n}"
            created = monday + timedelta(days=n, hours=10)
            resolved = created + timedelta(hours=1 if rotation else 5)
            incidents.append((f"pd:incident:{key}", "pagerduty", key, f"Checkout errors {key}",
                              "checkout", [], created, resolved))  # fmt: skip
            first = "ana@acme.com" if rotation or n % 2 == 0 else "raj@acme.com"
            events.append((f"pd:incident:{key}", created, "acknowledged", first))
            if not rotation:
                other = "raj@acme.com" if first == "ana@acme.com" else "ana@acme.com"
                events.append((f"pd:incident:{key}", created, "annotated", other))
    with store.transaction():
        store.insert("incidents", ["incident_id", "source", "external_id", "title", "service",
                                   "teams", "created_at", "resolved_at"], incidents)  # fmt: skip
        store.insert("incident_events", ["incident_id", "occurred_at", "kind", "person"], events)


def typed(doc: dict[str, Any]) -> ReportDocument:
    """A report's JSON read back into its model, for the renderers: the tests check the JSON's
    figures by hand and draw the same document."""
    return ReportDocument.model_validate(doc)
