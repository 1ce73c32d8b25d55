"""Render the `ktlo analyze` document for a terminal with rich."""

from __future__ import annotations

from typing import Any

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

BAR_WIDTH = 24
SPARK = "▁▂▃▄▅▆▇█"
STATUS_STYLE = {
    "over": "bold red",
    "under": "bold yellow",
    "inside": "bold green",
    "unknown": "dim",
}
ARROW = {"up": "▲", "down": "▼", "flat": "▶", "unknown": " "}


def render_analysis(doc: dict[str, Any], console: Console) -> None:
    """Print the analysis: headline, subcategories, trend, hotspots, people, other."""
    if not doc["totals"]["commits"]:
        console.print(f"{_name(doc)}: no commits in range — nothing to analyze.")
        return
    console.print(_headline(doc))
    console.print(_share_table(doc))
    console.print(_period_table(doc))
    if doc["hotspots"]["directories"]:
        console.print(_hotspot_table(doc))
    if doc["people"]:
        console.print(_people_line(doc))
    console.print(_footer(doc))


def _name(doc: dict[str, Any]) -> str:
    return str(doc["repository"].get("name") or doc["repository"]["repo_id"])


def _headline(doc: dict[str, Any]) -> Group:
    totals, budget, trend = doc["totals"], doc["budget"], doc["trend"]
    span = f"{(totals['first_commit_at'] or '')[:10]} … {(totals['last_commit_at'] or '')[:10]}"
    title = Text.assemble(
        (_name(doc), "bold"),
        f" — {span}, by {doc['period']}; {totals['commits']:,} commits by "
        f"{totals['authors']:,} people ({totals['merges_excluded']:,} merges not counted twice)",
    )
    share = budget["share"]
    status = budget["status"]
    line = Text.assemble(
        "KTLO share  ",
        (f"last {budget['window_periods']} {doc['period']}(s) {_pct(share)}", "bold"),
        f"  {ARROW[trend['direction']]} from {_pct(trend['previous_share_commits'])}   ",
        f"budget {_pct(budget['low'])}–{_pct(budget['high'])}: ",
        (status.upper(), STATUS_STYLE[status]),
        f"   all time {_pct(doc['shares']['commits']['ktlo'])} of commits, "
        f"{_pct(doc['shares']['lines']['ktlo'])} of changed lines",
    )
    return Group(Text(""), title, Text(""), line)


def _share_table(doc: dict[str, Any]) -> Table:
    table = Table(box=None, pad_edge=False, show_header=True, header_style="dim")
    for column, justify in (
        ("", "left"),
        ("commits", "right"),
        ("", "left"),
        ("lines", "right"),
        ("", "left"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for sub in doc["subcategories"]:
        if sub["investment"] == "ktlo":
            table.add_row(
                f"  {sub['subcategory']}", _pct(sub["commit_share"]), _bar(sub["commit_share"]),
                _pct(sub["line_share"]), _notes(doc, sub["subcategory"]),
            )  # fmt: skip
    new = [s for s in doc["subcategories"] if s["investment"] == "new_work"]
    shares = doc["shares"]
    table.add_row(
        "new work", _pct(shares["commits"]["new_work"]), _bar(shares["commits"]["new_work"]),
        _pct(shares["lines"]["new_work"]),
        ", ".join(f"{s['subcategory']} {_pct(s['commit_share'])}" for s in new),
    )  # fmt: skip
    other = doc["other"]
    top_reason = other["reasons"][0]["reason"] if other["reasons"] else ""
    table.add_row(
        "other", _pct(shares["commits"]["other"]), _bar(shares["commits"]["other"]),
        _pct(shares["lines"]["other"]), f"{other['commits']:,} commits; most: {top_reason}" if other["commits"] else "",
    )  # fmt: skip
    return table


def _notes(doc: dict[str, Any], sub: str) -> str:
    bots = [
        f"{b['bot']}: {b['by_subcategory'].get(sub, 0):,}"
        for b in doc["bots"]
        if b["by_subcategory"].get(sub)
    ]
    return f"({', '.join(bots[:2])} commits)" if bots else ""


def _period_table(doc: dict[str, Any]) -> Table:
    periods = doc["periods"][-12:]
    table = Table(
        title=f"\nKTLO share by {doc['period']}", title_justify="left", box=None, header_style="dim"
    )
    table.add_column(doc["period"])
    table.add_column("commits", justify="right")
    table.add_column("KTLO", justify="right")
    table.add_column("by lines", justify="right")
    table.add_column("", justify="left")
    table.add_column("top KTLO kinds")
    for p in periods:
        kinds = [k for k in p["by_subcategory"] if k not in ("feature", "project")][:3]
        table.add_row(
            p["period"], f"{p['commits']:,}", _pct(p["ktlo_share_commits"]),
            _pct(p["ktlo_share_lines"]), _bar(p["ktlo_share_commits"], 16), ", ".join(kinds),
        )  # fmt: skip
    table.caption = f"trend {_spark(doc['trend']['series'][-36:])}"
    table.caption_justify = "left"
    return table


def _hotspot_table(doc: dict[str, Any]) -> Table:
    table = Table(
        title="\nKTLO hotspots (where keeping the lights on concentrates)",
        title_justify="left", box=None, header_style="dim",
    )  # fmt: skip
    table.add_column("directory")
    table.add_column("KTLO commits", justify="right")
    table.add_column("of KTLO lines", justify="right")
    table.add_column("KTLO ratio", justify="right")
    table.add_column("kinds")
    for h in doc["hotspots"]["directories"]:
        kinds = ", ".join(f"{k} {v}" for k, v in list(h["by_subcategory"].items())[:3])
        table.add_row(
            h["directory"] + "/", f"{h['ktlo_commits']:,}", _pct(h["share_of_ktlo_lines"]),
            _pct(h["ktlo_ratio"]), kinds,
        )  # fmt: skip
    return table


def _people_line(doc: dict[str, Any]) -> Text:
    people = ", ".join(f"{p['person']} ({_pct(p['share_of_ktlo'])})" for p in doc["people"][:5])
    return Text.assemble("\nCarrying the KTLO: ", (people, "bold"))


def _footer(doc: dict[str, Any]) -> Text:
    return Text(
        "\nWhy? `ktlo explain <sha>` shows any verdict with its reasons; `--json` for everything above.",
        style="dim",
    )


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def _bar(value: float | None, width: int = BAR_WIDTH) -> str:
    if not value:
        return ""
    eighths = round(value * width * 8)
    full, rest = divmod(eighths, 8)
    return "█" * full + ("▏▎▍▌▋▊▉"[rest - 1] if rest else "")


def _spark(series: list[float | None]) -> str:
    return "".join(" " if v is None else SPARK[min(7, int(v * 8))] for v in series)


def render_explanation(item: dict[str, Any], console: Console) -> None:
    """One verdict: what it is, how sure, and why."""
    label = item["investment"] + (f"/{item['subcategory']}" if item.get("subcategory") else "")
    head = Text.assemble((label, "bold"), f"  confidence {item['confidence']:.2f}")
    if item.get("sha"):
        console.print(Text.assemble((item["sha"][:12], "yellow"), "  ", item.get("title") or ""))
    console.print(head)
    for reason in item["reasons"]:
        console.print(f"  because {reason}")


def render_evaluation(report: dict[str, Any], console: Console, mistakes: int = 0) -> None:
    """Accuracy, macro-F1, per-class precision and recall, and the confusion matrix."""
    binary = report["binary"]
    console.print(
        f"{report['items']:,} labeled items ({report['level']} labels)\n"
        f"{report['level']} accuracy {report['accuracy']:.3f}, macro-F1 {report['macro_f1']:.3f}\n"
        f"binary (ktlo vs new_work) accuracy {binary['accuracy']:.3f}, macro-F1 {binary['macro_f1']:.3f}"
    )
    table = Table(box=None, header_style="dim", title="\nper class", title_justify="left")
    for column in ("class", "precision", "recall", "f1", "support"):
        table.add_column(column, justify="left" if column == "class" else "right")
    for name, m in report["classes"].items():
        table.add_row(
            name, f"{m['precision']:.2f}", f"{m['recall']:.2f}", f"{m['f1']:.2f}", str(m["support"])
        )
    console.print(table)
    classes = list(report["confusion"])
    matrix = Table(
        box=None,
        header_style="dim",
        title="\nconfusion (rows: label, columns: predicted)",
        title_justify="left",
    )
    matrix.add_column("")
    for name in classes:
        matrix.add_column(name[:8], justify="right")
    for name in classes:
        matrix.add_row(name, *(str(report["confusion"][name][g] or "·") for g in classes))
    console.print(matrix)
    for m in report["mistakes"][:mistakes]:
        console.print(f"  {m['id']}: {m['label']} → {m['predicted']}: {m['text'][:100]!r}")
