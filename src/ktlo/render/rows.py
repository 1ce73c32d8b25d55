"""`--csv` for the report commands whose documents are nested: the same numbers as their
`--json`, as flat rows (one per period, window or shift)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ktlo.effort.allocation_document import Bucket, BudgetDocument
    from ktlo.metrics.analyze_document import AnalyzeDocument
    from ktlo.planning.ktlo_mode.answer import ModeDocument
    from ktlo.planning.outlook import ForecastDocument
    from ktlo.planning.rotation_review_document import RotationReviewDocument


def analysis_rows(doc: AnalyzeDocument) -> list[dict[str, Any]]:
    """`ktlo analyze`: one row per period (docs/analyze-json.md, `periods`)."""
    keys = ("period", "start", "person_days", "ktlo_person_days", "ktlo_share", "ktlo_share_low",
            "ktlo_share_high", "commits",
            "ktlo_commits", "new_work_commits", "other_commits", "lines", "ktlo_lines",
            "ktlo_share_commits", "ktlo_share_lines")  # fmt: skip
    return [{k: getattr(p, k) for k in keys} for p in doc.periods]


def forecast_rows(doc: ForecastDocument) -> list[dict[str, Any]]:
    """`ktlo forecast`: the history, the period in progress, then the forecast with its band
    and capacity."""
    now = [doc.in_progress] if doc.in_progress else []
    rows = [
        {"kind": kind, "start": h.start, "share": h.share, "low": None, "high": None,
         "person_days": h.person_days, "capacity_person_days": None, "new_work_person_days": None}
        for kind, periods in (("history", doc.history), ("in_progress", now))
        for h in periods
    ]  # fmt: skip
    rows += [
        {"kind": "forecast", "start": f.start, "share": f.share, "low": f.low,
         "high": f.high, "person_days": None,
         "capacity_person_days": f.capacity_person_days,
         "new_work_person_days": f.new_work_person_days}
        for f in doc.forecast
    ]  # fmt: skip
    return rows


def mode_rows(doc: ModeDocument) -> list[dict[str, Any]]:
    """`ktlo mode`: one row per team and window (the last one is the current answer)."""
    return [
        {"team": t.team, "start": h.start, "end": h.end, "risk": h.risk,
         "state": h.state, "current": i == len(t.history) - 1}
        for t in doc.teams
        for i, h in enumerate(t.history)
    ]  # fmt: skip


def rotation_review_rows(doc: RotationReviewDocument) -> list[dict[str, Any]]:
    """`ktlo rotation review`: one row per shift."""
    return [{"team": doc.team, **shift.model_dump()} for shift in doc.shifts]


BUCKET_COLUMNS = ("bucket", "bucket_period", "bucket_target", "bucket_low", "bucket_high",
                  "bucket_person_days", "bucket_share", "bucket_status", "bucket_previous_share",
                  "bucket_drift")  # fmt: skip


def budget_rows(doc: BudgetDocument) -> list[dict[str, Any]]:
    """`ktlo budget`: one row per team and budget bucket (docs/allocation.md#budget-buckets),
    the team's columns repeated on each; a team without `targets` has one row with the bucket
    columns empty."""
    rows = []
    for team in doc.teams:
        figures = team.to_json()
        figures.pop("buckets", None)
        buckets: list[Bucket | None] = [*team.buckets.buckets] if team.buckets else []
        period = team.buckets.period if team.buckets else None
        for b in buckets or [None]:
            bucket = dict.fromkeys(BUCKET_COLUMNS)
            if b is not None:
                bucket.update(
                    bucket=b.bucket, bucket_period=period, bucket_target=b.target,
                    bucket_low=b.low, bucket_high=b.high, bucket_person_days=b.person_days,
                    bucket_share=b.share, bucket_status=b.status,
                    bucket_previous_share=b.previous_share, bucket_drift=b.drift,
                )  # fmt: skip
            rows.append({**figures, **bucket})
    return rows
