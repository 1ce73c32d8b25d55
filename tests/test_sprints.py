"""Sprint budgets: planned vs actual KTLO share and work added mid-sprint, worked by hand."""

from __future__ import annotations

from datetime import datetime

from ktlo.config import Config
from ktlo.planning.sprints import sprint_report
from ktlo.store import Store
from tests.work import add_item, plan_sprint


def test_planned_actual_and_unplanned(store: Store) -> None:
    # planned: a feature (5 points) and a bug (3 points); added on day 3: an incident (2
    # points); Ana 2 days on the feature, 1 on the bug, 1 on the incident
    plan_sprint(store)
    sprint = sprint_report(store, Config(), "payments").sprints[0]
    assert sprint.planned_items == 2 and sprint.planned_basis == "points"
    assert sprint.planned_ktlo_share == 0.375  # 3 of 8 points
    assert sprint.actual_ktlo_share == 0.5  # 2 of 4 person-days
    assert (sprint.unplanned_items, sprint.unplanned_ktlo_items) == (1, 1)


def test_items_and_their_history_may_name_the_sprint_by_name(store: Store) -> None:
    """Exports name a sprint (`PAY Sprint 4`) where Jira's history names it by key."""
    store.insert(
        "sprints", ["sprint_id", "source", "name", "team", "state", "starts_at", "ends_at"],
        [("jira:sprint:4", "jira", "PAY Sprint 4", "payments", "closed", datetime(2026, 3, 2), datetime(2026, 3, 13)),
         ("jira:sprint:5", "jira", "PAY Sprint 5", "payments", "active", datetime(2026, 3, 16), datetime(2026, 3, 27))],
    )  # fmt: skip
    for item, verdict, sprint in (
        ("a", ("ktlo", "bug"), "PAY Sprint 4"),
        ("b", ("new_work", "feature"), "jira:sprint:4"),
        ("c", ("ktlo", "bug"), "PAY Sprint 5"),
    ):
        add_item(store, item, "issue", verdict)
        store.con.execute("UPDATE work_items SET sprint = ?, created_at = ? WHERE item_id = ?",
                          [sprint, datetime(2026, 3, 5), item])  # fmt: skip
    # `a` and `c` went into their sprints before they started (by name, then by key)
    store.insert(
        "state_changes", ["item_id", "occurred_at", "field", "from_value", "to_value", "changed_by"],
        [("a", datetime(2026, 2, 27), "sprint", None, "PAY Sprint 4", "ana"),
         ("c", datetime(2026, 3, 20), "sprint", None, "PAY Sprint 4", "ana"),
         ("c", datetime(2026, 3, 13), "sprint", "jira:sprint:4", "jira:sprint:5", "ana")],
    )  # fmt: skip
    four, five = sprint_report(store, Config()).sprints
    assert (four.planned_items, four.unplanned_items, four.planned_ktlo_share) == (
        1,
        1,
        1.0,
    )
    assert (five.sprint, five.planned_items, five.unplanned_items) == (
        "PAY Sprint 5",
        1,
        0,
    )


def test_a_sprint_named_by_project_key_belongs_to_the_team_that_lists_it(store: Store) -> None:
    """Jira names a sprint's team by project key (`PAY`); ktlo.toml's payments lists PAY."""
    store.insert(
        "sprints", ["sprint_id", "source", "name", "team", "state", "starts_at", "ends_at"],
        [("jira:sprint:1", "jira", "PAY Sprint 1", "PAY", "closed", datetime(2026, 3, 2), datetime(2026, 3, 13)),
         ("linear:cycle:9", "linear", "Cycle 9", "ops", "closed", datetime(2026, 3, 2), datetime(2026, 3, 13))],
    )  # fmt: skip
    for item, sprint in (("a", "jira:sprint:1"), ("b", "linear:cycle:9")):
        add_item(store, item, "issue", ("ktlo", "bug"))
        store.con.execute("UPDATE work_items SET sprint = ?, created_at = ? WHERE item_id = ?",
                          [sprint, datetime(2026, 2, 27), item])  # fmt: skip
    config = Config.model_validate(
        {"teams": [{"name": "payments", "repositories": ["github.com/acme/shop", "pay"]}]}
    )
    [sprint] = sprint_report(store, config, "payments").sprints
    assert (sprint.team, sprint.source_team) == ("payments", "PAY")
    assert sprint.planned_items == 1
    every = sprint_report(store, config).sprints
    assert [(s.team, s.source_team) for s in every] == [("payments", "PAY"), ("ops", "ops")]
    assert sprint_report(store, Config(), "payments").sprints == []  # nothing lists PAY
