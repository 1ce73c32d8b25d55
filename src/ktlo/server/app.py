"""`ktlo serve`: the dashboard over the store (FastAPI).

Every page has a JSON twin served by the same view (`/teams/payments` and
`/teams/payments.json`; the home page's is `/index.json`), the API is described at
`/openapi.json`, and `/metrics` speaks Prometheus. One error handler answers in HTML or
JSON, as the request asked.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Form, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from ktlo import __version__
from ktlo.config import Config
from ktlo.errors import KtloError, NotFoundError, StoreError, StoreLockedError
from ktlo.render.charts import chart_specs
from ktlo.render.html import Page, environment
from ktlo.report.items import PAGE_SIZE, Selection
from ktlo.report.model import ReportFilters
from ktlo.server import pages
from ktlo.server.guard import install_guard
from ktlo.server.metrics import metrics_text
from ktlo.server.responses import JSONDocument, error_response, render_html
from ktlo.server.snapshot import Snapshot, Snapshots
from ktlo.verdicts.review_queue import answer_override

DASHBOARD_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """What `ktlo serve` was given."""

    store: Path
    config: Config
    token: str | None = None
    loopback: bool = True  # bound to 127.0.0.1 / ::1: Host headers are checked
    check_every: float = 1.0  # seconds between looks at the store file


Team = Annotated[str | None, Query(description="A team from ktlo.toml, or `(no team)`.")]
Period = Annotated[str | None, Query(description="Bucket size: week, month (default) or quarter.")]
Since = Annotated[str | None, Query(description="First day, YYYY-MM-DD.")]
Until = Annotated[str | None, Query(description="Day after the last, YYYY-MM-DD.")]
Repo = Annotated[str | None, Query(description="A repository id, e.g. github.com/acme/shop.")]
Service = Annotated[str | None, Query(description="A service name.")]
ReviewLimit = Annotated[int, Query(ge=1, le=500, description="How many items at most.")]
REVIEW_LIMIT = 50  # the review page's default length


def create_app(settings: ServerSettings) -> FastAPI:
    """The dashboard application over the store in `settings`."""
    snapshots = Snapshots(settings.store, settings.config, settings.check_every)
    config = settings.config

    snapshots.on_refresh = lambda snap: _warm(snapshots, snap, config)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        snapshots.start()  # in the background: the server answers, and stops, at once
        yield
        snapshots.stop()

    app = FastAPI(
        title="ktlo dashboard",
        version=__version__,
        summary="Keep-the-lights-on work, made visible: every page as HTML and as JSON.",
        docs_url=None,  # the interactive docs load scripts from a CDN; the page stays offline
        redoc_url=None,
        openapi_url="/openapi.json",
        lifespan=lifespan,
    )
    app.state.snapshots = snapshots
    install_guard(app, settings.token, settings.loopback, DASHBOARD_CSP)
    _install_errors(app, snapshots)
    app.mount("/static", StaticFiles(packages=[("ktlo.render", "static")]), name="static")
    _routes(app, snapshots, config)
    return app


def _warm(snapshots: Snapshots, snap: Snapshot, config: Config) -> None:
    """Compute the home page, every team's page and the review queue ahead of the first visitor."""
    try:
        home = pages.overview(snap, config, ReportFilters())
        for team in home["choices"]["teams"]:
            if snapshots.stopping:
                return
            pages.overview(snap, config, ReportFilters(team=team))
        pages.review(snap, config, REVIEW_LIMIT)
    except KtloError:
        return  # a page that cannot be computed says why when it is asked for


def _routes(app: FastAPI, snapshots: Snapshots, config: Config) -> None:
    def overview_doc(filters: ReportFilters) -> tuple[Snapshot, dict[str, Any]]:
        with snapshots.current() as snap:
            return snap, pages.overview(snap, config, filters)

    @app.get("/index.json", response_class=JSONDocument, tags=["pages"])
    def index_json(team: Team = None, period: Period = None, since: Since = None, until: Until = None,
                   repo: Repo = None, service: Service = None) -> Any:  # fmt: skip
        """The organisation: balance, team cards, health, hotspots, rotation (`ktlo.report/v2`)."""
        return overview_doc(pages.parse_filters(team, period, since, until, repo, service))[1]

    @app.get("/", response_class=HTMLResponse, tags=["pages"])
    def index(request: Request, team: Team = None, period: Period = None, since: Since = None,
              until: Until = None, repo: Repo = None, service: Service = None) -> Any:  # fmt: skip
        """The organisation's page (its JSON twin: /index.json)."""
        filters = pages.parse_filters(team, period, since, until, repo, service)
        return _overview_page(request, snapshots, config, filters, "/", "/index.json")

    @app.get("/teams/{name}.json", response_class=JSONDocument, tags=["pages"])
    def team_json(name: str, period: Period = None, since: Since = None, until: Until = None,
                  repo: Repo = None, service: Service = None) -> Any:  # fmt: skip
        """One team's page as JSON (`ktlo.report/v2` with the team filter)."""
        return overview_doc(pages.parse_filters(name, period, since, until, repo, service))[1]

    @app.get("/teams/{name}", response_class=HTMLResponse, tags=["pages"])
    def team_page(request: Request, name: str, period: Period = None, since: Since = None,
                  until: Until = None, repo: Repo = None, service: Service = None) -> Any:  # fmt: skip
        """One team's page (its JSON twin: /teams/{name}.json)."""
        filters = pages.parse_filters(name, period, since, until, repo, service)
        here = pages.team_path(name)
        return _overview_page(
            request, snapshots, config, filters, here, pages.team_path(name, ".json")
        )

    @app.get("/items.json", response_class=JSONDocument, tags=["drill-down"])
    def items_json(team: Team = None, period: Period = None, since: Since = None,
                   until: Until = None, repo: Repo = None, service: Service = None,
                   investment: str | None = None, subcategory: str | None = None,
                   person: str | None = None, directory: str | None = None,
                   offset: Annotated[int, Query(ge=0)] = 0,
                   limit: Annotated[int, Query(ge=1, le=500)] = PAGE_SIZE) -> Any:  # fmt: skip
        """The work items behind a share, with their verdicts and reasons (`ktlo.items/v1`)."""
        filters = pages.parse_filters(team, period, since, until, repo, service)
        selection = Selection(investment or None, subcategory or None, person or None,
                              directory or None, offset, limit)  # fmt: skip
        with snapshots.current() as snap:
            return pages.items(snap, config, filters, selection)

    @app.get("/items", response_class=HTMLResponse, tags=["drill-down"])
    def items_page(request: Request, team: Team = None, period: Period = None,
                   since: Since = None, until: Until = None, repo: Repo = None,
                   service: Service = None, investment: str | None = None,
                   subcategory: str | None = None, person: str | None = None,
                   directory: str | None = None, offset: Annotated[int, Query(ge=0)] = 0,
                   limit: Annotated[int, Query(ge=1, le=500)] = PAGE_SIZE) -> Any:  # fmt: skip
        """The work items behind a share (its JSON twin: /items.json)."""
        doc = items_json(team, period, since, until, repo, service, investment, subcategory,
                         person, directory, offset, limit)  # fmt: skip
        filters = pages.parse_filters(team, period, since, until, repo, service)
        query = {k: v for k, v in request.query_params.items() if k != "offset"}
        shown = len(doc["items"])
        links = pages.Links(
            filters,
            here="/items",
            json=pages.with_query("/items.json", dict(request.query_params)),
            previous=pages.with_query("/items", {**query, "offset": str(max(0, offset - limit))})
            if offset
            else None,
            next=pages.with_query("/items", {**query, "offset": str(offset + limit)})
            if offset + shown < doc["totals"]["items"]
            else None,
        )
        return render_html("items.html", doc, Page("Work items — ktlo", links=links,
                                             notice=_notice(snapshots)))  # fmt: skip

    @app.get("/items/{item_id:path}.json", response_class=JSONDocument, tags=["drill-down"])
    def item_json(item_id: str) -> Any:
        """One work item: its verdict, the reasons, the effort on it (`ktlo.item/v1`)."""
        with snapshots.current() as snap:
            return pages.item(snap, config, item_id)

    @app.post("/items/{item_id:path}/override", tags=["drill-down"], response_model=None)
    def override(request: Request, item_id: str, label: Annotated[str, Form()],
                 note: Annotated[str | None, Form()] = None) -> Any:  # fmt: skip
        """Confirm or correct an item's verdict (an override, as `ktlo override` writes)."""
        investment, subcategory = snapshots.override(item_id, label, (note or "").strip() or None)
        if "application/json" in request.headers.get("accept", ""):
            return JSONDocument({"item_id": item_id, "investment": investment,
                                 "subcategory": subcategory})  # fmt: skip
        return RedirectResponse(pages.item_path(item_id), status_code=303)

    @app.get("/items/{item_id:path}", response_class=HTMLResponse, tags=["drill-down"])
    def item_page(item_id: str) -> Any:
        """One work item, with a form to confirm or correct its verdict."""
        doc = item_json(item_id)
        links = pages.Links(
            ReportFilters(),
            here=pages.item_path(item_id),
            json=pages.item_path(item_id, ".json"),
            override=pages.item_path(item_id, "/override"),
        )
        return render_html("item.html", doc, Page(f"{doc['title'][:80]} — ktlo", links=links,
                                            notice=_notice(snapshots)))  # fmt: skip

    @app.get("/review.json", response_class=JSONDocument, tags=["review"])
    def review_json(limit: ReviewLimit = REVIEW_LIMIT, team: Team = None) -> Any:
        """Verdicts worth a person's look: uncertain or disagreeing, most effort first
        (`ktlo.review/v1`, as `ktlo review --json`)."""
        with snapshots.current() as snap:
            return pages.review(snap, config, limit, team or None)

    @app.get("/review", response_class=HTMLResponse, tags=["review"])
    def review_page(limit: ReviewLimit = REVIEW_LIMIT, team: Team = None,
                    answered: str | None = None) -> Any:  # fmt: skip
        """The review queue, with a confirm and a correct button per item."""
        query = _review_query(limit, team)
        doc = {**review_json(limit, team), "answered": answered,
               "query": pages.with_query("", query)}  # fmt: skip
        links = pages.Links(ReportFilters(), here=pages.with_query("/review", query),
                            json=pages.with_query("/review.json", query))  # fmt: skip
        return render_html("review.html", doc, Page("Review queue — ktlo", links=links,
                                              notice=_notice(snapshots)))  # fmt: skip

    @app.post("/review/{item_id:path}/answer", tags=["review"], response_model=None)
    def review_answer(request: Request, item_id: str, limit: ReviewLimit = REVIEW_LIMIT,
                      team: Team = None,
                      label: Annotated[str | None, Form()] = None) -> Any:  # fmt: skip
        """Answer for one queued item: without `label` its verdict is confirmed, with one it
        is corrected; either way an override (`review: confirmed` / `review: corrected from ...`)."""
        with snapshots.current() as snap, snap.reader() as store:
            label, note = answer_override(store, item_id, (label or "").strip() or None)
        investment, subcategory = snapshots.override(item_id, label, note)
        if "application/json" in request.headers.get("accept", ""):
            return JSONDocument({"item_id": item_id, "investment": investment,
                                 "subcategory": subcategory, "note": note})  # fmt: skip
        query = {**_review_query(limit, team), "answered": item_id}
        return RedirectResponse(pages.with_query("/review", query), status_code=303)

    @app.get("/metrics", tags=["metrics"], response_class=Response)
    def metrics() -> Response:
        """KTLO share per team and subcategory, DORA values, error budgets (Prometheus text)."""
        with snapshots.current() as snap:
            doc = pages.overview(snap, config, ReportFilters())
            body, content_type = metrics_text(doc, snap)
        return Response(body, media_type=content_type)


def _overview_page(
    request: Request, snapshots: Snapshots, config: Config, filters: ReportFilters,
    here: str, json_path: str,
) -> HTMLResponse:  # fmt: skip
    with snapshots.current() as snap:
        doc = pages.overview(snap, config, filters)
        notice = _notice(snapshots)
        key = ("overview.html", filters, notice)

        def render() -> str:
            links = pages.Links(filters, here=here,
                                json=pages.with_query(json_path, filters.query(team=None)))  # fmt: skip
            title = f"KTLO — {filters.team}" if filters.team else "KTLO — the organisation"
            charts = chart_specs(doc, links.items)
            page = Page(title, links=links, notice=notice)
            return (
                environment()
                .get_template("dashboard.html")
                .render(doc=doc, page=page, charts=charts)
            )

        body: str = snap.cached(key, render)
    return HTMLResponse(body)


def _review_query(limit: int, team: str | None) -> dict[str, str]:
    """The review page's own query parameters, without their defaults."""
    return {"team": team or "", "limit": str(limit) if limit != REVIEW_LIMIT else ""}


def _notice(snapshots: Snapshots) -> str | None:
    if snapshots.busy_since is None:
        return None
    return (
        "The store is being written (ktlo sync); this page shows it as it was before, "
        "and will catch up when the sync ends."
    )


ERROR_STATUS: tuple[tuple[type[KtloError], int, str], ...] = (
    (NotFoundError, 404, "Not found"),
    (StoreLockedError, 409, "The store is busy"),
    (StoreError, 503, "The store cannot be read"),
    (KtloError, 400, "Bad request"),
)


def _install_errors(app: FastAPI, snapshots: Snapshots) -> None:
    @app.exception_handler(KtloError)
    async def ktlo_error(request: Request, exc: KtloError) -> Response:
        for kind, status, title in ERROR_STATUS:
            if isinstance(exc, kind):
                return error_response(request, status, title, exc.what, exc.fix)
        raise exc  # unreachable: KtloError is the last entry

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        titles = {404: "Not found", 405: "Method not allowed"}
        message = "no such page" if exc.status_code == 404 else str(exc.detail)
        return error_response(request, exc.status_code, titles.get(exc.status_code, "Error"),
                              message, "see /openapi.json for every page")  # fmt: skip

    @app.exception_handler(RequestValidationError)
    async def bad_parameter(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("query", "body"))
        return error_response(request, 400, "Bad request", f"{where}: {first.get('msg')}",
                              "see /openapi.json for the parameters")  # fmt: skip
