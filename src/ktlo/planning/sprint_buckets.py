"""A sprint's budget buckets, planned against actual, for teams with `targets`.

    planned share   a bucket's planned items ÷ all planned items, weighed as the sprint's
                    planned KTLO share is: by estimate (story points) when every planned
                    item has one, else by count
    actual share    a bucket's person-days ÷ all person-days spent during the sprint on its
                    items and on the changes that name them, as the actual KTLO share

An item's bucket is the team's (ktlo.effort.buckets): its custom category's, else its
subcategory's, else its investment's, else `(rest)`.
"""

from __future__ import annotations

from typing import Any

from ktlo.config import Config
from ktlo.effort.buckets import REST, BucketPlan, bucket_plan, split
from ktlo.planning.sprints import Sprint, SprintBucket
from ktlo.store import Store


def with_buckets(
    store: Store, config: Config, sprints: list[Sprint], flagged: str, spent: str,
    params: list[Any],
) -> list[Sprint]:  # fmt: skip
    """`sprints` with the buckets of each whose team has targets. `flagged` and `spent` are
    the sprint query's CTEs ending in `flagged` (each item: planned or not) and `spent` (a
    row per person, day and item worked on during the sprint), `params` their parameters."""
    plans = {t.name: plan for t in config.teams if (plan := bucket_plan(config, t))}
    if not any(s.team in plans for s in sprints):
        return sprints
    category, joined = "NULL AS category", ""
    if any(p.by_category for p in plans.values()):
        from ktlo.effort.categories import build_categories

        build_categories(store, config)
        category, joined = "c.category", "LEFT JOIN item_category c USING (item_id)"
    planned = _by_sprint(
        store.query(
            f"""{flagged}
            SELECT sprint_id, investment, subcategory, {category}, count(*) AS items,
                   sum(estimate) AS points
            FROM flagged {joined} WHERE NOT unplanned GROUP BY ALL""",
            params,
        )
    )
    worked = _by_sprint(
        store.query(
            f"""{spent}
            SELECT sprint_id, investment, subcategory, {category}, sum(person_days) AS person_days
            FROM spent {joined} GROUP BY ALL""",
            params,
        )
    )
    return [
        s.model_copy(update={"buckets": _buckets(plans[s.team], s, planned, worked)})
        if s.team in plans else s
        for s in sprints
    ]  # fmt: skip


def _by_sprint(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        found.setdefault(row["sprint_id"], []).append(row)
    return found


def _buckets(
    plan: BucketPlan, sprint: Sprint, planned: dict[str, list[dict[str, Any]]],
    worked: dict[str, list[dict[str, Any]]],
) -> list[SprintBucket]:  # fmt: skip
    weight = "points" if sprint.planned_basis == "points" else "items"
    scope = split(plan, planned.get(sprint.sprint_id, []), weight)
    effort = split(plan, worked.get(sprint.sprint_id, []), "person_days")
    scope_total, effort_total = sum(scope.values()), sum(effort.values())
    return [
        SprintBucket(
            bucket=name,
            target=round(plan.targets[name], 4),
            planned_share=_ratio(scope.get(name, 0.0), scope_total),
            actual_share=_ratio(effort.get(name, 0.0), effort_total),
            actual_person_days=round(effort.get(name, 0.0), 2),
        )
        for name in plan.names
        if name != REST or plan.targets[REST] > 0 or scope.get(REST) or effort.get(REST)
    ]


def _ratio(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None
