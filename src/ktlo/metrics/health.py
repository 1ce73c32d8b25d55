"""`ktlo health`: one scorecard of DORA, incidents, bugs, builds, alerts and SLOs.

The document (`ktlo.health/v1`, docs/metrics.md) holds, for the scope and the chosen
period, every figure of every section beside its previous value, trend and series, and its
bucket (DORA) or target (SLOs). Every figure is SQL over the stored tables.
"""

from __future__ import annotations

from typing import Any

from ktlo.choices import DEFINITIONS
from ktlo.config import Config
from ktlo.errors import ConfigError
from ktlo.metrics.alerts import alerts, build_alerts
from ktlo.metrics.bugs import bugs, build_bugs
from ktlo.metrics.builds import build_builds, builds
from ktlo.metrics.common import Context, HealthOptions, Reuse, make_context
from ktlo.metrics.definitions import dora_section
from ktlo.metrics.deployments import build_changes, build_deployments
from ktlo.metrics.dora import create_groups
from ktlo.metrics.failures import build_failures, build_incidents, link_incidents
from ktlo.metrics.health_document import HealthDocument
from ktlo.metrics.incidents import build_downtime, incidents
from ktlo.metrics.shipped import build_shipped
from ktlo.metrics.slo import slos
from ktlo.metrics.synced import SECTION_NEEDS, missing, no_data, synced_counts
from ktlo.store import Store

JSON_SCHEMA = "ktlo.health/v1"


def health(
    store: Store, config: Config, options: HealthOptions, reuse: Reuse | None = None
) -> HealthDocument:
    """The whole `ktlo health` document. Several documents over the same store (one per
    team) share the tables that do not depend on the scope through one `reuse`.

    The sections are built as JSON values, a section whose records were never synced
    emptied of its numbers (`with_missing`), then checked against the model: strictly, so
    that no value changes type on the way."""
    definition = options.definition or config.health.definition
    if definition not in DEFINITIONS:
        raise ConfigError(
            f"unknown definition {definition!r}", f"use one of {', '.join(DEFINITIONS)}"
        )
    ctx = make_context(store, config, options, reuse)
    prepare(ctx)
    doc = {
        "schema": JSON_SCHEMA,
        "scope": {"team": options.team, "service": options.service,
                  "services": list(ctx.services), "repositories": list(ctx.repositories)},
        "definition": definition,
        "period": options.period,
        "window": ctx.current.as_json(),
        "previous_window": ctx.windows[1].as_json(),
        "windows": [w.as_json() for w in reversed(ctx.windows)],
        "statistics": ["median", "p90", *(["mean"] if options.mean else [])],
        "dora": dora_section(ctx, definition),
        "incidents": incidents(ctx),
        "bugs": bugs(ctx),
        "builds": builds(ctx),
        "alerts": alerts(ctx),
        "slos": slos(ctx),
    }  # fmt: skip
    return HealthDocument.model_validate(with_missing(doc, synced_counts(store.con)))


def with_missing(doc: dict[str, Any], counts: dict[str, int]) -> dict[str, Any]:
    """`doc` with every figure of a section whose records were never synced unknown (None,
    not 0) and `missing`: per section, what to sync (ktlo.metrics.synced)."""
    doc["missing"] = {}
    for section, needs in SECTION_NEEDS.items():
        note = missing(counts, *needs)
        if note:
            no_data(doc[section])
            doc["missing"][section] = note
    return doc


def prepare(ctx: Context) -> None:
    """Create the scoped tables every section reads, in dependency order."""
    build_deployments(ctx)
    build_shipped(ctx)
    build_changes(ctx)
    build_incidents(ctx)
    link_incidents(ctx)
    build_failures(ctx)
    create_groups(ctx)
    build_downtime(ctx)
    build_bugs(ctx)
    build_builds(ctx)
    build_alerts(ctx)
