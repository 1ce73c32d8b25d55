"""`ktlo serve`: the dashboard over the store (FastAPI).

Every page has a JSON twin served by the same view (`/teams/payments` and
`/teams/payments.json`; the home page's is `/index.json`), the API is described at
`/openapi.json`, and `/metrics` speaks Prometheus. One error handler answers in HTML or
JSON, as the request asked.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Form, Query, Request
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
        for team in home.choices.teams:
            if snapshots.stopping:
                return
            pages.overview(snap, config, ReportFilters(team=team))
        pages.review(snap, config, REVIEW_LIMIT)
    except KtloError:
        return  # a page that cannot be computed says why when it is asked for


class Filters:
    """A page's period, dates, repository and service, declared once for every page and its
    JSON twin and taken from the query by FastAPI (`Depends()`); the team is the page's own
    (a query parameter, or the path of a team's page)."""

    def __init__(self, period: Period = None, since: Since = None, until: Until = None,
                 repo: Repo = None, service: Service = None) -> None:  # fmt: skip
        self.values = (period, since, until, repo, service)

    def report(self, team: str | None) -> ReportFilters:
        """The filters, parsed when the handler asks (a bad date is a 400 after the other
        parameters are checked, as it was when each route parsed its own)."""
        return pages.parse_filters(team, *self.values)


class Choice:
    """What a drill-down into the work items selects: a share and a page of it (`Depends()`)."""

    def __init__(self, investment: str | None = None, subcategory: str | None = None,
                 person: str | None = None, directory: str | None = None,
                 offset: Annotated[int, Query(ge=0)] = 0,
                 limit: Annotated[int, Query(ge=1, le=500)] = PAGE_SIZE) -> None:  # fmt: skip
        self.selection = Selection(investment or None, subcategory or None, person or None,
                                   directory or None, offset, limit)  # fmt: skip


def as_json(request: Request) -> bool:
    """True on a page's JSON twin: the route it came by is the one whose path ends in .json."""
    return str(getattr(request.scope.get("route"), "path", "")).endswith(".json")


PageFilters = Annotated[Filters, Depends()]
Drill = Annotated[Choice, Depends()]
AsJSON = Annotated[bool, Depends(as_json)]


def _page_route(
    app: FastAPI, path: str, endpoint: Callable[..., Any], tag: str, about_json: str | None = None
) -> None:
    """One of a page's two routes to `endpoint`: its HTML (described by the handler's
    docstring) or, with `about_json`, its JSON twin; the route names, and so the OpenAPI
    operation ids, stay those of the two functions each page used to have (`team_page`,
    `team_json`). On the JSON route the endpoint returns the document itself, which FastAPI
    serialises as it always has."""
    name = endpoint.__name__
    if about_json is not None:
        name = f"{name.removesuffix('_page')}_json"
    response = HTMLResponse if about_json is None else JSONDocument
    app.add_api_route(path, endpoint, methods=["GET"], name=name, tags=[tag],
                      description=about_json, response_class=response)  # fmt: skip


def _twin(
    app: FastAPI, paths: tuple[str, str], endpoint: Callable[..., Any], tag: str, about_json: str
) -> None:
    """A page at its JSON path and its HTML path, the JSON one first (a `.json` path would
    otherwise match the HTML route's parameter)."""
    _page_route(app, paths[0], endpoint, tag, about_json)
    _page_route(app, paths[1], endpoint, tag)


def _routes(app: FastAPI, snapshots: Snapshots, config: Config) -> None:
    def index(request: Request, json: AsJSON, filters: PageFilters, team: Team = None) -> Any:
        """The organisation's page (its JSON twin: /index.json)."""
        return _overview(request, snapshots, config, filters.report(team), "/", "/index.json", json)

    def team_page(request: Request, json: AsJSON, name: str, filters: PageFilters) -> Any:
        """One team's page (its JSON twin: /teams/{name}.json)."""
        here, twin = pages.team_path(name), pages.team_path(name, ".json")
        return _overview(request, snapshots, config, filters.report(name), here, twin, json)

    def items_page(request: Request, json: AsJSON, filters: PageFilters, drill: Drill,
                   team: Team = None) -> Any:  # fmt: skip
        """The work items behind a share (its JSON twin: /items.json)."""
        report = filters.report(team)
        with snapshots.current() as snap:
            found = pages.items(snap, config, report, drill.selection)
        if json:
            return found.to_json()
        return _items_page(request, snapshots, report, drill.selection, found.to_json())

    def item_page(json: AsJSON, item_id: str) -> Any:
        """One work item, with a form to confirm or correct its verdict."""
        with snapshots.current() as snap:
            doc = pages.item(snap, config, item_id).to_json()
        if json:
            return doc
        links = pages.Links(
            ReportFilters(),
            here=pages.item_path(item_id),
            json=pages.item_path(item_id, ".json"),
            override=pages.item_path(item_id, "/override"),
        )
        return render_html("item.html", doc, Page(f"{doc['title'][:80]} — ktlo", links=links,
                                            notice=_notice(snapshots)))  # fmt: skip

    def review_page(json: AsJSON, limit: ReviewLimit = REVIEW_LIMIT, team: Team = None,
                    answered: str | None = None) -> Any:  # fmt: skip
        """The review queue, with a confirm and a correct button per item."""
        with snapshots.current() as snap:
            review = pages.review(snap, config, limit, team or None)
        if json:
            return review.to_json()
        query = _review_query(limit, team)
        doc = {**review.to_json(), "answered": answered, "query": pages.with_query("", query)}
        links = pages.Links(ReportFilters(), here=pages.with_query("/review", query),
                            json=pages.with_query("/review.json", query))  # fmt: skip
        return render_html("review.html", doc, Page("Review queue — ktlo", links=links,
                                              notice=_notice(snapshots)))  # fmt: skip

    _twin(app, ("/index.json", "/"), index, "pages", "The organisation: balance, team cards, "
          "health, hotspots, rotation (`ktlo.report/v2`).")  # fmt: skip
    _twin(app, ("/teams/{name}.json", "/teams/{name}"), team_page, "pages",
          "One team's page as JSON (`ktlo.report/v2` with the team filter).")  # fmt: skip
    _twin(app, ("/items.json", "/items"), items_page, "drill-down", "The work items behind a "
          "share, with their verdicts and reasons (`ktlo.items/v1`).")  # fmt: skip
    _page_route(
        app,
        "/items/{item_id:path}.json",
        item_page,
        "drill-down",
        "One work item: its verdict, the reasons, the effort on it (`ktlo.item/v1`).",
    )

    @app.post("/items/{item_id:path}/override", tags=["drill-down"], response_model=None)
    def override(request: Request, item_id: str, label: Annotated[str, Form()],
                 note: Annotated[str | None, Form()] = None) -> Any:  # fmt: skip
        """Confirm or correct an item's verdict (an override, as `ktlo override` writes)."""
        investment, subcategory = snapshots.override(item_id, label, (note or "").strip() or None)
        if "application/json" in request.headers.get("accept", ""):
            return JSONDocument({"item_id": item_id, "investment": investment,
                                 "subcategory": subcategory})  # fmt: skip
        return RedirectResponse(pages.item_path(item_id), status_code=303)

    _page_route(app, "/items/{item_id:path}", item_page, "drill-down")
    _twin(app, ("/review.json", "/review"), review_page, "review", "Verdicts worth a person's "
          "look: uncertain or disagreeing, most effort first\n(`ktlo.review/v1`, as `ktlo "
          "review --json`).")  # fmt: skip

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
        """KTLO share per team and subcategory, DORA values, error budgets, dependency risk
        (Prometheus text)."""
        with snapshots.current() as snap:
            doc = pages.overview(snap, config, ReportFilters())
            deps = pages.dependency_risk_of(snap, config)
            body, content_type = metrics_text(doc, snap, deps)
        return Response(body, media_type=content_type)


def _items_page(
    request: Request, snapshots: Snapshots, filters: ReportFilters, selection: Selection,
    doc: dict[str, Any],
) -> HTMLResponse:  # fmt: skip
    """The items page, with links to the previous and next pages of the same selection."""
    offset, limit = selection.offset, selection.limit
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


def _overview(
    request: Request, snapshots: Snapshots, config: Config, filters: ReportFilters,
    here: str, json_path: str, json: bool,
) -> Any:  # fmt: skip
    """The organisation's or a team's page: its report document, or the page drawn from it."""
    with snapshots.current() as snap:
        doc = pages.overview(snap, config, filters)
        if json:
            return doc.to_json()
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
