"""Rotation review on a hand-made fortnight of pages, incidents and follow-ups."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

from click.testing import CliRunner

from ktlo.cli import main
from ktlo.config import load_config
from ktlo.planning.rotation_review import compare_models, gini, rotation_review
from ktlo.planning.team import find_team
from ktlo.store import Store
from tests.work import add_item

CONFIG = """
[[teams]]
name = "payments"
members = ["ana", "raj"]
services = ["payments-api"]
[people.ana]
name = "Ana Lima"
aliases = ["ana@acme.com"]
timezone = "Europe/Lisbon"
[people.raj]
name = "Raj Patel"
aliases = ["raj@acme.com"]
"""


def incident(store: Store, key: str, created: datetime, resolved: datetime, ack_by: str) -> None:
    store.insert(
        "incidents", ["incident_id", "source", "external_id", "title", "service", "teams", "created_at", "resolved_at"],
        [(f"pd:incident:{key}", "pagerduty", key, f"Checkout errors {key}", "payments-api", [], created, resolved)],
    )  # fmt: skip
    store.insert(
        "incident_events", ["incident_id", "occurred_at", "kind", "person"],
        [(f"pd:incident:{key}", created, "triggered", None), (f"pd:incident:{key}", created, "acknowledged", ack_by)],
    )  # fmt: skip


def test_review_of_two_weeks(store: Store, tmp_path: Path) -> None:
    # week of 2 March: Ana takes two incidents (2 h and 4 h), one at 22:00 UTC (22:00 in Lisbon)
    incident(store, "P1", datetime(2026, 3, 2, 10), datetime(2026, 3, 2, 12), "ana@acme.com")
    incident(store, "P2", datetime(2026, 3, 3, 22), datetime(2026, 3, 4, 2), "ana@acme.com")
    # week of 9 March: Raj takes one alert on Saturday
    store.insert(
        "alerts", ["alert_id", "source", "external_id", "service", "title", "created_at", "closed_at", "responders"],
        [("og:alert:A1", "opsgenie", "A1", "payments-api", "Disk 90%", datetime(2026, 3, 14, 9), datetime(2026, 3, 14, 9, 5), ["raj@acme.com"])],
    )  # fmt: skip
    add_item(
        store,
        "jira:PAY-9",
        "issue",
        ("ktlo", "incident"),
        title="Postmortem follow-up: add retry to P2 path",
    )
    store.con.execute("UPDATE work_items SET created_at = ?, state = 'done', closed_at = ? WHERE item_id = 'jira:PAY-9'",
                      [datetime(2026, 3, 5), datetime(2026, 3, 6)])  # fmt: skip
    config_file = tmp_path / "ktlo.toml"
    config_file.write_text(CONFIG)
    config = load_config(config_file)
    doc = rotation_review(store, config, find_team(config, "payments"), date(2026, 3, 1))
    shifts = {(s.week, s.person): s for s in doc.shifts}
    ana = shifts[("2026-03-02", "ana")]
    assert (ana.pages, ana.after_hours_pages, ana.incident_hours) == (2, 1, 6.0)
    assert ana.load == 2 + 1 + 6.0 / 4
    raj = shifts[("2026-03-09", "raj")]
    assert (raj.pages, raj.after_hours_pages, raj.load) == (1, 1, 2.0)
    assert doc.gini == round(gini([4.5, 2.0]), 3)
    # PAY-9 opened within both incidents' windows names P2: it counts once, for P2
    follow = doc.follow_ups
    assert (follow.follow_ups, follow.done) == (1, 1)
    assert {r.incident: r.follow_ups for r in follow.by_incident} == {"P1": 0, "P2": 1}
    assert doc.models.metrics["mttr_hours"].verdict.startswith("not enough weeks")


def test_a_follow_up_counts_once_for_the_incident_it_follows(store: Store, tmp_path: Path) -> None:
    incident(store, "P12", datetime(2026, 3, 2, 10), datetime(2026, 3, 2, 12), "raj@acme.com")
    incident(store, "P2", datetime(2026, 3, 3, 10), datetime(2026, 3, 3, 11), "ana@acme.com")
    incident(store, "P1", datetime(2026, 3, 3, 12), datetime(2026, 3, 3, 13), "ana@acme.com")
    for key, title, opened in (
        ("PAY-1", "Postmortem follow-up: alert on pool saturation", datetime(2026, 3, 4)),
        ("PAY-2", "Runbook for failover (P12)", datetime(2026, 3, 5)),
        ("PAY-3", "Add a queue for payouts", datetime(2026, 3, 5)),
    ):
        add_item(store, f"jira:{key}", "issue", ("ktlo", "reliability"), title=title)
        store.con.execute(
            "UPDATE work_items SET created_at = ? WHERE item_id = ?", [opened, f"jira:{key}"]
        )
    config_file = tmp_path / "ktlo.toml"
    config_file.write_text(CONFIG)
    config = load_config(config_file)
    doc = rotation_review(store, config, find_team(config, "payments"), date(2026, 3, 1))
    # PAY-1 names none: it follows the incident resolved last before it (P1), once; PAY-2
    # names P12 (and not P1, whose id is in "P12"); PAY-3 is no follow-up
    counted = {r.incident: r.follow_ups for r in doc.follow_ups.by_incident}
    assert counted == {"P12": 1, "P2": 0, "P1": 1}
    assert doc.follow_ups.follow_ups == 2


def test_gini() -> None:
    assert gini([1, 1, 1]) == 0.0
    assert round(gini([0, 0, 3]), 3) == 0.667
    assert gini([]) == 0.0


def test_a_model_comparison_with_a_clear_difference() -> None:
    def page(week: str, who: list[str], hours: float) -> list[dict[str, object]]:
        start = datetime.fromisoformat(f"{week}T10:00:00")
        end = start.replace(hour=10 + int(hours))
        return [
            {
                "week": week,
                "kind": "incident",
                "person": p,
                "participants": [p],
                "created_at": start,
                "resolved_at": end,
            }
            for p in who
        ]

    pages: list[dict[str, object]] = []
    for i, week in enumerate(
        ["2026-01-05", "2026-01-12", "2026-01-19", "2026-01-26", "2026-02-02"]
    ):
        pages += page(week, ["ana", "ana", "ana"], 1 + i % 2)  # one person: resolved in 1-2 h
    for i, week in enumerate(
        ["2026-02-09", "2026-02-16", "2026-02-23", "2026-03-02", "2026-03-09"]
    ):
        pages += page(week, ["ana", "raj", "lee"], 6 + i % 2)  # everyone: 6-7 h
    rotation_weeks = ["2026-01-05", "2026-01-12", "2026-01-19", "2026-01-26", "2026-02-02"]
    shares = {w: (0.3 if w in rotation_weeks else 0.5) + 0.01 * i for i, w in enumerate(
        [*rotation_weeks, "2026-02-09", "2026-02-16", "2026-02-23", "2026-03-02", "2026-03-09"])}  # fmt: skip
    result = compare_models(pages, shares)
    mttr = result.metrics["mttr_hours"]
    assert (result.rotation_weeks, result.shared_weeks) == (5, 5)
    assert mttr.p_value < 0.05 and "lower with a rotation" in mttr.verdict
    assert result.metrics["people_interrupted"].rotation == 1.0
    share = result.metrics["ktlo_share"]
    assert (share.rotation, share.shared) == (0.32, 0.57)
    assert share.p_value < 0.05 and "lower with a rotation" in share.verdict
    unknown = compare_models(pages).metrics["ktlo_share"]  # no effort: nothing claimed
    assert unknown.verdict.startswith("not enough weeks") and unknown.rotation is None


def test_cli(tmp_path: Path, store: Store) -> None:
    incident(store, "P1", datetime(2026, 3, 2, 10), datetime(2026, 3, 2, 12), "ana@acme.com")
    db = str(store.path)
    store.close()
    config_file = tmp_path / "ktlo.toml"
    config_file.write_text(CONFIG)
    result = CliRunner().invoke(main, ["rotation", "review", "--team", "payments", "--since", "2026-03-01",
                                       "--json", "--db", db, "--config", str(config_file)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert '"person": "ana"' in result.output


def test_the_plan_hands_the_pager_first_to_whoever_carried_it_least(
    tmp_path: Path, store: Store
) -> None:
    # Ana acknowledged the pages of three of the last weeks; nobody has KTLO effort
    for n, day in enumerate((2, 9, 16), start=1):
        incident(
            store, f"P{n}", datetime(2026, 3, day, 10), datetime(2026, 3, day, 11), "ana@acme.com"
        )
    db = str(store.path)
    store.close()
    config_file = tmp_path / "ktlo.toml"
    config_file.write_text(CONFIG)
    result = CliRunner().invoke(main, ["rotation", "plan", "--team", "payments", "--start", "2026-03-23",
                                       "--periods", "3", "--json", "--db", db, "--config", str(config_file)])  # fmt: skip
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    # equal histories would start with "ana" (ties go by name); 3 weeks on call weigh 21 days
    assert [s["primary"] for s in plan["shifts"]] == ["raj", "ana", "raj"]
    assert plan["load"] == {"ana": 3 * 7.0 + 7.0, "raj": 14.0}


def test_another_teams_follow_up_counts_only_if_it_names_the_incident(
    store: Store, tmp_path: Path
) -> None:
    incident(store, "P1", datetime(2026, 3, 2, 10), datetime(2026, 3, 2, 12), "ana@acme.com")
    for key, title, repo in (
        ("OPS-1", "Postmortem follow-up: rotate the disk alerts", "github.com/acme/infra"),
        ("OPS-2", "Follow-up for P1: retry budget", "github.com/acme/infra"),
        ("PAY-1", "Postmortem follow-up: cap retries", "github.com/acme/shop"),
    ):
        add_item(store, f"jira:{key}", "issue", ("ktlo", "reliability"), repo_id=repo, title=title)
        store.con.execute("UPDATE work_items SET created_at = ? WHERE item_id = ?",
                          [datetime(2026, 3, 3), f"jira:{key}"])  # fmt: skip
    config_file = tmp_path / "ktlo.toml"
    config_file.write_text(
        CONFIG.replace(
            'services = ["payments-api"]',
            'services = ["payments-api"]\nrepositories = ["acme/shop"]',
        )
    )
    config = load_config(config_file)
    doc = rotation_review(store, config, find_team(config, "payments"), date(2026, 3, 1))
    assert doc.follow_ups.follow_ups == 2  # OPS-2 (it names P1) and PAY-1, not OPS-1
