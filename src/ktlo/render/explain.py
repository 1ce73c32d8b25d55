"""Render `ktlo explain`: one item, its verdict and every reason, its ids whole."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.text import Text

if TYPE_CHECKING:
    from ktlo.verdicts.explain import ExplainDocument

KINDS = {"commit": "commit", "pull_request": "pull request", "issue": "issue", "epic": "epic"}


def render_item(item: ExplainDocument, console: Console) -> None:
    """What the item is, the verdict, why; the full id on a line of its own, never wrapped."""
    kind = KINDS.get(item.kind, item.kind)
    where = f" in {item.repo_id}" if item.repo_id else ""
    when = f", {item.created_at[:10]}" if item.created_at else ""
    who = f", by {item.author}" if item.author else ""
    console.print(Text.assemble((item.ref, "yellow"), "  ", item.title or ""))
    console.print(f"{kind} from {item.source}{where}{when}{who}", style="dim")
    console.print(Text.assemble("id: ", item.id), soft_wrap=True)
    if item.investment is None:
        console.print("no verdict stored yet: run `ktlo reclassify`")
        return
    label = item.investment + (f"/{item.subcategory}" if item.subcategory else "")
    note = " (overridden by a person)" if item.overridden else ""
    console.print(Text.assemble((label, "bold"), f"  confidence {item.confidence:.2f}{note}"))
    for reason in item.reasons:
        console.print(f"  because {reason}")
    if item.names:
        console.print(f"names: {', '.join(item.names)}", style="dim")
