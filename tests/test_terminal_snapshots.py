"""Every terminal renderer at 100 columns, from fixed documents: no line wider than the
terminal, and the layout compared with a committed snapshot so that any drift fails.

The documents are frozen in tests/snapshots/inputs/ (tests/snapshots/capture.py made them
from the demo); the expected screens are tests/snapshots/<name>.txt. After a deliberate
change of layout, write them again and read their diff before committing:

    KTLO_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/test_terminal_snapshots.py
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable
from datetime import date
from functools import cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from rich.cells import cell_len
from rich.console import Console

from ktlo.cli.output import make_console
from ktlo.documents import Document

HERE = Path(__file__).resolve().parent / "snapshots"
WIDTH = 100
UPDATE = os.environ.get("KTLO_UPDATE_SNAPSHOTS") == "1"


@cache
def doc(name: str) -> Any:
    """A frozen input document (a fresh copy each time a renderer may change it)."""
    return json.loads((HERE / "inputs" / f"{name}.json").read_text(encoding="utf-8"))


def _rotation_plan(console: Console) -> None:
    from ktlo.config import Config
    from ktlo.planning.rotation import plan_rotation, to_rows
    from ktlo.planning.team import find_team, team_members
    from ktlo.render.terminal import render_rotation

    config = Config.model_validate(
        {
            "teams": [{"name": "payments", "members": ["ana", "raj", "lee", "sara"]}],
            "people": {"ana": {"time_off": [{"start": "2026-12-14", "end": "2026-12-20"}]}},
        }
    )
    start = date(2026, 12, 7)
    members = team_members(config, find_team(config, "payments"), None, start)
    plan = plan_rotation("payments", members, start, 6, "week", 14, True)
    render_rotation(plan, to_rows(plan), console)


def _report_summary() -> Any:
    """The report document of the summary's frozen parts (the cards, the hotspots, the health
    panels), each part validated against its model; the summary reads nothing else."""
    from ktlo.report.balance_types import Hotspot, TeamCard
    from ktlo.report.document import ReportDocument
    from ktlo.report.ops_types import HealthPanel, HealthSection

    frozen = doc("report")
    panels = [HealthPanel.model_validate(p) for p in frozen["health"]["panels"]]
    return ReportDocument.model_construct(
        as_of=frozen["as_of"],
        teams=[TeamCard.model_validate(t) for t in frozen["teams"]],
        hotspots=[Hotspot.model_validate(h) for h in frozen["hotspots"]],
        health=HealthSection.model_construct(panels=panels),
    )


def _renderers() -> dict[str, Callable[[Console], None]]:
    from ktlo.metrics.health_document import HealthDocument
    from ktlo.planning.flow_document import FlowDocument
    from ktlo.planning.ktlo_mode.answer import ModeDocument
    from ktlo.planning.outlook import ForecastDocument
    from ktlo.planning.rotation_review_document import RotationReviewDocument
    from ktlo.planning.sprints import SprintsDocument
    from ktlo.render import health, summary, terminal
    from ktlo.render import mining as scale
    from ktlo.render import review_queue as review
    from ktlo.render.flow import render_flow

    def one(
        render: Callable[[Any, Console], None], name: str, model: type[Document] | None = None
    ) -> Callable[[Console], None]:
        """`render` on a fresh copy of the input, as its typed document when it has one (the
        frozen input must then validate against the model: no field missing, none unknown)."""

        def draw(console: Console) -> None:
            fresh = json.loads(json.dumps(doc(name)))
            render(model.model_validate(fresh) if model else fresh, console)

        return draw

    from ktlo.effort.allocation_document import AllocationDocument, BudgetDocument
    from ktlo.effort.capitalization_document import CapitalizationDocument
    from ktlo.metrics.analyze_document import AnalyzeDocument
    from ktlo.render.capitalization import render_capitalization

    def analysis(name: str) -> AnalyzeDocument:
        return AnalyzeDocument.model_validate(doc(name))

    def typed(
        render: Callable[[Any, Console], None], model: type[Document], name: str
    ) -> Callable[[Console], None]:
        return lambda console: render(model.model_validate(doc(name)), console)

    return {
        "analyze": lambda console: terminal.render_analysis(analysis("analyze"), console),
        "analyze_many": lambda console: (
            terminal.render_analysis(analysis("analyze_many"), console),
            scale.render_repositories(analysis("analyze_many"), console, 10),
        ),
        "allocation_team": typed(terminal.render_allocation, AllocationDocument, "allocation_team"),
        "allocation_person": typed(
            terminal.render_allocation, AllocationDocument, "allocation_person"
        ),
        "allocation_subcategory": typed(
            terminal.render_allocation, AllocationDocument, "allocation_subcategory"
        ),
        "allocation_initiative": typed(
            terminal.render_allocation, AllocationDocument, "allocation_initiative"
        ),
        "budget": typed(terminal.render_budget, BudgetDocument, "budget"),
        "health": one(health.render_health, "health", HealthDocument),
        "capitalization": typed(render_capitalization, CapitalizationDocument, "capitalization"),
        "mode": one(terminal.render_mode, "mode", ModeDocument),
        "forecast": one(terminal.render_forecast, "forecast", ForecastDocument),
        "sprints": one(terminal.render_sprints, "sprints", SprintsDocument),
        "flow": one(render_flow, "flow", FlowDocument),
        "rotation_plan": _rotation_plan,
        "rotation_review": one(
            terminal.render_rotation_review, "rotation_review", RotationReviewDocument
        ),
        "review": lambda console: review.render_review(_review_queue(), console),
        "eval": lambda console: terminal.render_evaluation(doc("eval"), console, 3),
        "report_summary": lambda console: summary.render_summary(_report_summary(), console),
        "explanation": lambda console: terminal.render_explanation(EXPLANATION, console),
        "overrides": lambda console: terminal.render_overrides(_overrides(OVERRIDES), console),
        "demo_footer": lambda console: terminal.render_demo_footer(_demo_result(), console),
        **{f"{name}_empty": _empty(render, doc) for name, (render, doc) in _empties().items()},
    }


# Written here rather than captured: an explained verdict and two overrides as the CLI passes
# them (ktlo.cli.classify, ktlo.cli.verdicts), and the answers of commands that found nothing.
EXPLANATION = {
    "sha": "3f9a2c71d04be5a8c9e1f2a3b4c5d6e7f8091a2b",
    "title": "fix(checkout): handle an empty cart",
    "investment": "ktlo",
    "subcategory": "bug",
    "confidence": 0.93,
    "reasons": ["conventional commit type fix:", "words: handle, empty"],
}
OVERRIDES = [
    {
        "item_id": "github:acme/shop#412", "ref": "acme/shop#412",
        "title": "Upgrade the payment SDK before the provider retires version 3 of its API",
        "investment": "ktlo", "subcategory": "upgrade", "classifier_investment": "new_work",
        "classifier_subcategory": "feature", "note": "forced by the vendor", "created_by": "ana_lima",
        "created_at": "2026-11-30T09:12:00",
    },
    {
        "item_id": "git:7d1e0c2a9b", "ref": "git:7d1e0c2a9b", "title": None, "investment": "new_work",
        "subcategory": None, "classifier_investment": "ktlo", "classifier_subcategory": "bug",
        "note": None, "created_by": None, "created_at": "2026-12-01T17:40:00",
    },
]  # fmt: skip


def _analysis(name: str) -> Any:
    from ktlo.metrics.analyze_document import AnalyzeDocument

    return AnalyzeDocument.model_validate(doc(name))


def _overrides(rows: list[dict[str, Any]]) -> list[Any]:
    from ktlo.verdicts.overrides import Override

    return [Override.model_validate(r) for r in rows]


def _review_queue() -> list[Any]:
    """The captured queue as ReviewItems; it was captured before rows had `ref`, so the
    item's full id stands in for it, as the screen recorded in review.txt shows."""
    from ktlo.verdicts.review_queue import ReviewItem

    return [ReviewItem.model_validate({"ref": r["item_id"], **r}) for r in doc("review")]


def _demo_result() -> SimpleNamespace:
    """What `ktlo demo` ran, as ktlo.demo.run.DemoResult carries it; run inside a checkout."""
    out = Path("demo-output")
    return SimpleNamespace(
        out=out, store=out / "ktlo.duckdb", config=out / "ktlo.toml",
        report=out / "ktlo-report.html", commits=48_213,
        checkout=_analysis("analyze"),
    )  # fmt: skip


def _empties() -> dict[str, tuple[Callable[[Any, Console], None], Any]]:
    """The answers of commands that found nothing: only the fields a renderer reads then
    (the typed documents' attributes, as namespaces)."""
    from ktlo.render import terminal

    return {
        "analyze": (terminal.render_analysis, _namespace({"totals": {"commits": 0}, "repository": {"name": "shop"}, "folders": [], "since": None, "until": None})),
        "allocation": (terminal.render_allocation, _namespace({"totals": {"person_days": 0}, "budget": None})),
        "sprints": (terminal.render_sprints, _namespace({"sprints": []})),
        "mode": (terminal.render_mode, _namespace({"teams": []})),
        "overrides": (terminal.render_overrides, _overrides([])),
    }  # fmt: skip


def _namespace(value: Any) -> Any:
    if isinstance(value, dict):
        return SimpleNamespace(**{k: _namespace(v) for k, v in value.items()})
    return value


def _empty(render: Callable[[Any, Console], None], doc: Any) -> Callable[[Console], None]:
    return lambda console: render(doc, console)


RENDERERS = sorted(_renderers())


def screen(name: str, width: int = WIDTH) -> str:
    """What the renderer prints on a terminal `width` columns wide."""
    out = io.StringIO()
    _renderers()[name](make_console(width, out))
    return out.getvalue()


@pytest.mark.parametrize("name", RENDERERS)
def test_every_renderer_fits_100_columns_and_matches_its_snapshot(name: str) -> None:
    text = screen(name)
    wide = [line for line in text.splitlines() if cell_len(line) > WIDTH]
    assert not wide, f"{name}: {len(wide)} lines wider than {WIDTH} columns:\n" + "\n".join(wide)
    shown = "\n".join(line.rstrip() for line in text.splitlines()) + "\n"
    snapshot = HERE / f"{name}.txt"
    if UPDATE or not snapshot.exists():
        snapshot.write_text(shown, encoding="utf-8")
        if not UPDATE:
            pytest.fail(f"{snapshot} was missing and has been written: read it, then commit it")
    assert shown == snapshot.read_text(encoding="utf-8"), (
        f"{name} drifted from {snapshot}; if the change is meant, "
        "run with KTLO_UPDATE_SNAPSHOTS=1 and read the diff"
    )


@pytest.mark.parametrize("width", [72, 80])
@pytest.mark.parametrize("name", RENDERERS)
def test_a_narrower_terminal_is_never_overrun(name: str, width: int) -> None:
    wide = [line for line in screen(name, width).splitlines() if cell_len(line) > width]
    assert not wide, "\n".join(wide)
