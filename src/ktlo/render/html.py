"""The HTML face of the report: one self-contained file, and the dashboard's pages.

Both are rendered from the same Jinja2 templates with autoescaping on, so every text that
came from a source (titles, names, messages) is escaped. Chart data travels as JSON in
`<script type="application/json">` (`tojson` escapes `<`, `>`, `&` and `'`), and the chart
script escapes labels again before Plotly sees them, because Plotly reads a few HTML
tags in its labels. The report inlines every script and stylesheet and forbids any
request with its Content-Security-Policy; the dashboard serves the same files from
`/static/`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from ktlo.config import Config
from ktlo.periods import FTE_NOTE, shown
from ktlo.render import wording
from ktlo.render.charts import chart_id, chart_specs, period_span
from ktlo.render.display import display_name, visible
from ktlo.report.document import ReportDocument, build_report
from ktlo.report.model import ReportFilters
from ktlo.store import Store

STATIC_FILES = ("vendor/plotly-basic.min.js", "vendor/htmx.min.js", "ktlo.js", "ktlo.css")
REPORT_CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data:; font-src data:; form-action 'none'; base-uri 'none'"
)


@cache
def environment() -> jinja2.Environment:
    """The template environment (autoescaping everything, failing on undefined names,
    writing no bidirectional controls; `name` shows a name shortened)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("ktlo.render", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_without_bidi_controls,
    )
    env.filters["pct"] = pct
    env.filters["num"] = num
    env.filters["name"] = display_name
    env.filters["slug"] = slug
    env.filters["shown"] = shown
    env.filters["risk"] = risk
    env.filters["plural"] = wording.plural
    env.filters["duration"] = wording.duration
    env.filters["directory"] = wording.directory
    env.filters["repository"] = wording.repository
    env.filters["places"] = wording.places
    env.filters["short_shas"] = wording.short_shas
    env.filters["measure"] = wording.measure
    env.filters["minutes"] = lambda value: wording.duration(value)
    env.filters["hours"] = lambda value: (
        "—" if value is None else wording.duration(wording.in_minutes(value, "hours"))
    )
    env.globals.update(
        STATUS_TEXT=STATUS_TEXT,
        ARROW=ARROW,
        MODEL_FIGURES=MODEL_FIGURES,
        zip=zip,
        chart_id=chart_id,
        period_span=period_span,
        interval=interval,
        FTE_NOTE=FTE_NOTE,
        MEASURED_ALONE=(*wording.SHARE_UNITS, *wording.DURATION_UNITS, "percent"),
    )
    return env


def _without_bidi_controls(value: Any) -> Any:
    """What a template writes, without the characters that reorder text on screen."""
    if isinstance(value, Markup):
        return Markup(visible(str(value)))
    return visible(value) if isinstance(value, str) else value


@cache
def static_text(name: str) -> str:
    """A file shipped in ktlo/render/static (vendored scripts, our script and stylesheet)."""
    if name not in STATIC_FILES:
        raise KeyError(name)
    return (resources.files("ktlo.render") / "static" / name).read_text(encoding="utf-8")


@dataclass(frozen=True, slots=True)
class Page:
    """How a page is delivered: the report inlines everything, the dashboard links to /static."""

    title: str
    inline: bool = False
    csp: str | None = None
    scripts: tuple[str, ...] = ()
    styles: tuple[str, ...] = ()
    static: str = "/static"
    links: Any = None  # the dashboard's URL builder; None in the report (no drill-down)
    notice: str | None = None


def render_report(doc: ReportDocument) -> str:
    """The self-contained HTML report of a `ktlo.report/v2` document."""
    page = Page(
        title=_title(doc),
        inline=True,
        csp=REPORT_CSP,
        scripts=tuple(
            static_text(n) for n in STATIC_FILES if n.endswith(".js") and "htmx" not in n
        ),
        styles=(static_text("ktlo.css"),),
    )
    return (
        environment()
        .get_template("report.html")
        .render(doc=doc, page=page, charts=chart_specs(doc, links=None))
    )


def write_html_report(
    store: Store, config: Config, path: Path, filters: ReportFilters | None = None
) -> ReportDocument:
    """Compute the report from the store and write it to `path` as one HTML file."""
    doc = build_report(store, config, filters or ReportFilters())
    path.write_text(render_report(doc), encoding="utf-8")
    return doc


def write_report(
    store_path: Path, config: Config, target: Path, filters: ReportFilters | None = None
) -> ReportDocument:
    """Open the store at `store_path` (read-only) and write its HTML report to `target`."""
    with Store.open(store_path, read_only=True) as store:
        return write_html_report(store, config, target, filters)


def _title(doc: ReportDocument) -> str:
    team = doc.filters.team
    return f"KTLO report — {team}" if team else "KTLO report"


STATUS_TEXT = {
    "over": "over budget",
    "likely over": "likely over budget",
    "under": "under budget",
    "likely under": "likely under budget",
    "inside": "within budget",
    "unknown": "no data",
}
MODEL_FIGURES = {  # the figures `ktlo rotation review` compares between the two models
    "mttr_hours": "MTTR (median hours to resolve its incidents)",
    "people_interrupted": "People interrupted (taking part in its incidents)",
    "ktlo_share": "KTLO share of effort in the week, the members together",
}
ARROW = {"up": "▲", "down": "▼", "flat": "▶", "unknown": "·"}


def pct(value: float | None, digits: int = 0) -> str:
    """0.4123 -> '41%'; None -> '—'."""
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def risk(value: float | None) -> str:
    """A KTLO-mode risk, 0 to 1, as the terminal and ktlo.toml write it: `0.74`."""
    return "—" if value is None else f"{value:.2f}"


def interval(low: float | None, high: float | None) -> Markup:
    """` (35–47%)`: a share's 90% interval, to follow the share; nothing when unknown."""
    if low is None or high is None:
        return Markup("")
    return Markup('<span class="interval" title="90% interval">({}–{}%)</span>').format(
        f"{low * 100:.0f}", f"{high * 100:.0f}"
    )


def slug(value: str) -> str:
    """A status as a CSS class name: `likely over` -> `likely-over`."""
    return value.replace(" ", "-")


def num(value: float | int | None, digits: int = 1) -> str:
    """A person-day figure: 1234.5 -> '1,234.5'; None -> '—'."""
    if value is None:
        return "—"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{digits}f}"
