"""Bugs: opened against closed, how long they take, the open backlog, where they were found.

A bug is a work item (not a commit or pull request) whose standard type is `bug`. Per window:

    opened / closed     bugs created / closed in the window
    resolution rate     closed / opened
    time to resolve     created -> closed of the bugs closed in the window, in days
    open backlog        bugs open at the window's end: how many, median and p90 age in days
    found in production bugs opened whose title, labels or components match
                        `production_bug`; the others were found before production
"""

from __future__ import annotations

from ktlo.metrics.common import (
    Context,
    figure,
    in_scope,
    per_window,
    ratio,
    rounded,
    stats_sql,
)
from ktlo.metrics.health_document import Bugs
from ktlo.store.temp_tables import require


def build_bugs(ctx: Context) -> None:
    """`h_bugs(item_id, created_at, closed_at, production)`: the bugs in scope."""
    pattern = "$production_bug"
    scope = in_scope(ctx, repo="repo_id")
    if ctx.scoped:
        names = "$services::VARCHAR[]"
        scope = (
            f"({scope} OR list_has_any(list_transform(coalesce(components, []), lambda c: lower(c)),"
            f" {names}) OR list_contains({names}, lower(project)))"
        )
    ctx.run(
        f"""
        CREATE OR REPLACE TEMP TABLE h_bugs AS
        SELECT item_id, created_at, closed_at,
               regexp_matches(concat_ws(' ', title, array_to_string(labels, ' '),
                                        array_to_string(coalesce(components, []), ' ')), {pattern}) AS production
        FROM work_items
        WHERE standard_type = 'bug' AND kind NOT IN ('commit', 'pull_request')
          AND created_at < $until::TIMESTAMP AND {scope}
        """
    )


def bugs(ctx: Context) -> Bugs:
    """The bugs section of the health document."""
    require(ctx.store, "h_bugs", "h_windows")
    mean = ctx.options.mean
    opened = ctx.rows(
        """
        SELECT w.idx, count(*) AS opened, count(*) FILTER (WHERE production) AS production
        FROM h_bugs b JOIN h_windows w ON b.created_at >= w.w_start AND b.created_at < w.w_end
        GROUP BY w.idx
        """
    )
    closed = ctx.rows(
        f"""
        SELECT w.idx, count(*) AS closed, {stats_sql("epoch(closed_at - created_at) / 86400", mean, "res_")}
        FROM h_bugs b JOIN h_windows w ON b.closed_at >= w.w_start AND b.closed_at < w.w_end
        GROUP BY w.idx
        """
    )
    backlog = ctx.rows(
        f"""
        SELECT w.idx, count(*) AS open, {stats_sql("epoch(w.w_end - created_at) / 86400", False, "age_")},
               max(epoch(w.w_end - created_at) / 86400) AS oldest
        FROM h_bugs b JOIN h_windows w ON b.created_at < w.w_end AND coalesce(b.closed_at >= w.w_end, TRUE)
        GROUP BY w.idx
        """
    )
    opened_n = per_window(opened, ctx, "opened", 0)
    closed_n = per_window(closed, ctx, "closed", 0)
    production = per_window(opened, ctx, "production", 0)
    now_closed = next((r for r in closed if r["idx"] == 0), {})
    now_backlog = next((r for r in backlog if r["idx"] == 0), {})
    return Bugs.model_validate({
        "opened": figure(opened_n, "bugs", "down"),
        "closed": figure(closed_n, "bugs", "up"),
        "resolution_rate": figure([ratio(c, o) for c, o in zip(closed_n, opened_n, strict=True)],
                                  "closed per opened", "up", digits=4),
        "time_to_resolve": figure(
            per_window(closed, ctx, "res_median"), "days", "down", p90=rounded(now_closed.get("res_p90")),
            **({"mean": rounded(now_closed.get("res_mean"))} if mean else {}),
        ),
        "open_backlog": figure(
            per_window(backlog, ctx, "open", 0), "bugs", "down",
            median_age_days=rounded(now_backlog.get("age_median")),
            p90_age_days=rounded(now_backlog.get("age_p90")), oldest_days=rounded(now_backlog.get("oldest")),
        ),
        "found_in_production": figure(
            [ratio(p, o) for p, o in zip(production, opened_n, strict=True)], "share of bugs opened", "down",
            digits=4, in_production=production[0], before_production=opened_n[0] - production[0],
        ),
    })  # fmt: skip
