"""What each DORA figure counted: its items for the report's window, beside the figure.

Asked for with `HealthOptions(items=True)` (`ktlo health --json` and `--explain METRIC`):
each definition gives one SQL query per figure over the tables it computed the figure from,
so the list is exactly what was counted (and what was left out, with why). Rows come back
in the query's order; times as ISO 8601, durations rounded to two digits.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ktlo.metrics.common import Context


def current(ctx: Context, column: str) -> str:
    """A SQL condition: `column` falls in the report's (newest) window."""
    return f"{column} >= $start0::TIMESTAMP AND {column} < $end0::TIMESTAMP"


def attach(ctx: Context, doc: dict[str, Any], queries: Mapping[str, str]) -> dict[str, Any]:
    """Put each figure's items (`queries`: figure -> SQL) beside it, when they were asked for."""
    if ctx.options.items:
        for metric, sql in queries.items():
            doc[metric]["items"] = [_plain(row) for row in ctx.rows(sql)]
    return doc


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {key: _value(value) for key, value in row.items()}


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="minutes")
    if isinstance(value, float):
        return round(value, 2)
    if isinstance(value, list):
        return [_value(v) for v in value]
    return value
