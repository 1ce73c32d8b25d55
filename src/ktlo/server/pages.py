"""What each dashboard page shows, as a JSON-able document; the HTML is rendered from it.

Every page's document is computed once per snapshot of the store and kept (see
Snapshot.cached): the data only changes when a sync or an override changes the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from ktlo.config import Config
from ktlo.errors import ConfigError
from ktlo.report.balance_types import Choices, Filters
from ktlo.report.document import ReportDocument, report_document
from ktlo.report.items import (
    ItemDocument,
    ItemsDocument,
    Selection,
    category_choices,
    item_detail,
    work_items,
)
from ktlo.report.model import (
    BASE_TABLE,
    ReportFilters,
    apply_filters,
    check_filters,
    repositories,
    services,
    team_names,
)
from ktlo.server.snapshot import Snapshot
from ktlo.verdicts.review_queue import ReviewPageDocument, review_queue

if TYPE_CHECKING:
    from ktlo.metrics.dependency_risk import DependencyRisk


def parse_date(name: str, text: str | None) -> date | None:
    """A YYYY-MM-DD query parameter, or a clear 400."""
    if text is None or not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(
            f"{name}={text!r} is not a date", f"write {name} as YYYY-MM-DD, e.g. {name}=2026-03-01"
        ) from None


def parse_filters(
    team: str | None, period: str | None, since: str | None, until: str | None,
    repo: str | None, service: str | None,
) -> ReportFilters:  # fmt: skip
    """Query parameters -> filters; empty values (a form's "all") mean no filter."""
    return ReportFilters(
        team=team or None,
        period=period or "month",
        since=parse_date("since", since),
        until=parse_date("until", until),
        repo=repo or None,
        service=service or None,
    )


def overview(snap: Snapshot, config: Config, filters: ReportFilters) -> ReportDocument:
    """The organisation's (or, with a team filter, one team's) report document."""

    def compute() -> ReportDocument:
        with snap.reader() as store:
            return report_document(store, config, filters)

    doc: ReportDocument = snap.cached(("overview", filters), compute)
    return doc


def dependency_risk_of(snap: Snapshot, config: Config) -> DependencyRisk:
    """Freshness, open vulnerabilities and time to patch, from the store (no network)."""
    from ktlo.metrics.dependency_risk import dependency_risk

    def compute() -> DependencyRisk:
        with snap.reader() as store:
            return dependency_risk(store, config)

    risk: DependencyRisk = snap.cached(("dependency_risk",), compute)
    return risk


def items(
    snap: Snapshot, config: Config, filters: ReportFilters, selection: Selection
) -> ItemsDocument:
    """The work items behind a share: filtered effort, most person-days first."""

    def compute() -> ItemsDocument:
        with snap.reader() as store:
            apply_filters(store, config, filters)
            totals, rows = work_items(store, config, filters.team, selection)
            choices = Choices(
                teams=team_names(store, config),
                repositories=repositories(store),
                services=services(store, config),
            )
        return ItemsDocument(
            schema="ktlo.items/v1", filters=Filters(**filters.as_json()),
            selection=selection.as_json(), choices=choices, totals=totals, items=rows,
        )  # fmt: skip

    doc: ItemsDocument = snap.cached(("items", filters, selection), compute)
    return doc


def item(snap: Snapshot, config: Config, item_id: str) -> ItemDocument:
    """One work item with its verdict, reasons and effort."""

    def compute() -> ItemDocument:
        with snap.reader() as store:
            return item_detail(store, config, item_id)

    doc: ItemDocument = snap.cached(("item", item_id), compute)
    return doc


def review(
    snap: Snapshot, config: Config, limit: int, team: str | None = None
) -> ReviewPageDocument:
    """The review queue: uncertain and disagreeing verdicts, most effort first (of the
    items `team` spent effort on, with a team)."""

    def compute() -> ReviewPageDocument:
        with snap.reader() as store:
            check_filters(store, config, ReportFilters(team=team))
            teams = team_names(store, config)
            queue = review_queue(store, config, limit, effort=BASE_TABLE, team=team)
        return ReviewPageDocument.of(team, limit, teams, category_choices(config), queue)

    doc: ReviewPageDocument = snap.cached(("review", limit, team), compute)
    return doc


@dataclass(frozen=True)
class Links:
    """URLs of the dashboard, keeping the current filters when moving between pages."""

    filters: ReportFilters
    here: str = "/"
    json: str = "/index.json"
    override: str | None = None
    previous: str | None = None
    next: str | None = None
    home: str = "/"
    all_items: str = "/items"
    review: str = "/review"

    def team(self, name: str) -> str:
        return _with_query(team_path(name), self.filters.query(team=None))

    def items(self, **selection: Any) -> str:
        params = self.filters.query(**{k: v for k, v in selection.items() if k in FILTER_KEYS})
        params |= {k: str(v) for k, v in selection.items() if k not in FILTER_KEYS and v}
        return _with_query("/items", params)

    def item(self, item_id: str) -> str:
        return item_path(item_id)

    def answer(self, item_id: str) -> str:
        return answer_path(item_id)


FILTER_KEYS = ("team", "period", "since", "until", "repo", "service")


def team_path(name: str, suffix: str = "") -> str:
    return f"/teams/{quote(name, safe='')}{suffix}"


def item_path(item_id: str, suffix: str = "") -> str:
    return f"/items/{quote(item_id, safe=':/@')}{suffix}"


def answer_path(item_id: str) -> str:
    return f"/review/{quote(item_id, safe=':/@')}/answer"


def _with_query(path: str, params: dict[str, str]) -> str:
    return f"{path}?{urlencode(params)}" if params else path


def with_query(path: str, params: dict[str, str]) -> str:
    """`path?a=b` from the non-empty params (public twin of the helper above)."""
    return _with_query(path, {k: v for k, v in params.items() if v})
