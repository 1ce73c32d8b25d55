"""`ktlo health`: one scorecard of DORA, incidents, bugs, builds, alerts and SLOs.

The document (`ktlo.health/v1`, docs/metrics.md) holds, for the scope and the chosen
period, every figure of every section beside its previous value, trend and series, and its
bucket (DORA) or target (SLOs). Every figure is SQL over the stored tables.
"""

from __future__ import annotations

from typing import Any, Final

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
from ktlo.metrics.health_document import HealthDocument, Scope, Window
from ktlo.metrics.incidents import build_downtime, incidents
from ktlo.metrics.shipped import build_shipped
from ktlo.metrics.slo import slos
from ktlo.metrics.synced import SECTION_NEEDS, missing, no_data, synced_counts
from ktlo.store import Store

JSON_SCHEMA: Final = "ktlo.health/v1"


def health(
    store: Store, config: Config, options: HealthOptions, reuse: Reuse | None = None
) -> HealthDocument:
    """The whole `ktlo health` document. Several documents over the same store (one per
    team) share the tables that do not depend on the scope through one `reuse`.

    Each section checks its figures against its model strictly (no value changes type on
    the way); a section whose records were never synced is then emptied of its numbers
    (`with_missing`)."""
    definition = options.definition or config.health.definition
    if definition not in DEFINITIONS:
        raise ConfigError(
            f"unknown definition {definition!r}", f"use one of {', '.join(DEFINITIONS)}"
        )
    ctx = make_context(store, config, options, reuse)
    prepare(ctx)
    scope = Scope(team=options.team, service=options.service, services=list(ctx.services),
                  repositories=list(ctx.repositories))  # fmt: skip
    doc = HealthDocument(
        schema=JSON_SCHEMA,
        scope=scope,
        definition=definition,
        period=options.period,
        window=Window(**ctx.current.as_json()),
        previous_window=Window(**ctx.windows[1].as_json()),
        windows=[Window(**w.as_json()) for w in reversed(ctx.windows)],
        statistics=["median", "p90", *(["mean"] if options.mean else [])],
        dora=dora_section(ctx, definition),
        incidents=incidents(ctx),
        bugs=bugs(ctx),
        builds=builds(ctx),
        alerts=alerts(ctx),
        slos=slos(ctx),
        missing={},
    )
    return with_missing(doc, synced_counts(store.con))


def with_missing(doc: HealthDocument, counts: dict[str, int]) -> HealthDocument:
    """`doc` with every figure of a section whose records were never synced unknown (None,
    not 0) and `missing`: per section, what to sync (ktlo.metrics.synced)."""
    emptied: dict[str, Any] = {}
    notes: dict[str, str] = {}
    for section, needs in SECTION_NEEDS.items():
        note = missing(counts, *needs)
        if note:
            emptied[section] = no_data(getattr(doc, section))
            notes[section] = note
    return doc.model_copy(update={**emptied, "missing": notes})


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
