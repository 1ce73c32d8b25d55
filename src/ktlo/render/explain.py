"""Render `ktlo explain`: one item, its verdict and every reason, its ids whole."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.text import Text

KINDS = {"commit": "commit", "pull_request": "pull request", "issue": "issue", "epic": "epic"}


def render_item(item: dict[str, Any], console: Console) -> None:
    """What the item is, the verdict, why; the full id on a line of its own, never wrapped."""
    kind = KINDS.get(item["kind"], item["kind"])
    where = f" in {item['repo_id']}" if item.get("repo_id") else ""
    when = f", {item['created_at'][:10]}" if item.get("created_at") else ""
    who = f", by {item['author']}" if item.get("author") else ""
    console.print(Text.assemble((item["ref"], "yellow"), "  ", item.get("title") or ""))
    console.print(f"{kind} from {item['source']}{where}{when}{who}", style="dim")
    console.print(Text.assemble("id: ", item["id"]), soft_wrap=True)
    if item.get("investment") is None:
        console.print("no verdict stored yet: run `ktlo reclassify`")
        return
    label = item["investment"] + (f"/{item['subcategory']}" if item.get("subcategory") else "")
    note = " (overridden by a person)" if item["overridden"] else ""
    console.print(Text.assemble((label, "bold"), f"  confidence {item['confidence']:.2f}{note}"))
    for reason in item["reasons"]:
        console.print(f"  because {reason}")
    if item["names"]:
        console.print(f"names: {', '.join(item['names'])}", style="dim")
