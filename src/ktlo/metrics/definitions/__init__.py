"""The DORA metrics under other projects' definitions, offered by name (`--definition`).

    ktlo          ktlo's own (ktlo.metrics.dora; docs/metrics.md)
    devlake-2023  Apache DevLake's DORA dashboard, DORA 2023 report benchmarks
    devlake-2021  the same dashboard with its DORA 2021 report benchmarks
    fourkeys      dora-team/fourkeys: queries/*.sql and METRICS.md, dashboard buckets
    middleware    middlewarehq/middleware: analytics services and web thresholds

Each reproduces its project's published formula and thresholds over ktlo's stored tables;
what ktlo had to map (their tables onto ours) is said in each module and in docs/metrics.md.
Where a peer shows a number for "no data" (fourkeys' IFNULL(..., 0), middleware's 0%),
ktlo shows no value and no bucket instead. The names are `ktlo.choices.DEFINITIONS`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ktlo.metrics.common import Context
from ktlo.metrics.definitions import devlake, explain, fourkeys, middleware
from ktlo.metrics.dora import ktlo_dora
from ktlo.metrics.health_document import DORA, Dora
from ktlo.metrics.items import attach

_COMPUTE: dict[str, Callable[[Context], dict[str, Any]]] = {
    "ktlo": ktlo_dora,
    "devlake-2023": lambda ctx: devlake.dora(ctx, "2023"),
    "devlake-2021": lambda ctx: devlake.dora(ctx, "2021"),
    "fourkeys": fourkeys.dora,
    "middleware": middleware.dora,
}


_ITEMS: dict[str, Callable[[Context], dict[str, str]]] = {
    "ktlo": explain.ktlo_items,
    "devlake-2023": lambda ctx: explain.devlake_items(ctx, "2023"),
    "devlake-2021": lambda ctx: explain.devlake_items(ctx, "2021"),
    "fourkeys": explain.fourkeys_items,
    "middleware": explain.middleware_items,
}


def dora_section(ctx: Context, name: str) -> Dora:
    """The DORA section of the health document under the definition `name`, with each
    figure's items when they were asked for (`HealthOptions.items`)."""
    section: Dora = DORA.validate_python(attach(ctx, _COMPUTE[name](ctx), _ITEMS[name](ctx)))
    return section
