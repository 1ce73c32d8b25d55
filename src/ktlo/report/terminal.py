"""Render the `ktlo analyze` document for a terminal with rich."""

from __future__ import annotations

from typing import Any

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from ktlo.periods import shown
from ktlo.report.display import display_name

BAR_WIDTH = 24
SPARK = "▁▂▃▄▅▆▇█"
STATUS_STYLE = {
    "over": "bold red",
    "likely over": "red",
    "under": "bold yellow",
    "likely under": "yellow",
    "inside": "bold green",
    "unknown": "dim",
}
ARROW = {"up": "▲", "down": "▼", "flat": "▶", "unknown": " "}


def render_analysis(doc: dict[str, Any], console: Console, hint: str | None = None) -> None:
    """Print the analysis: headline, subcategories, trend, hotspots, people, other; last
    `hint`, the command that explains a verdict from where the user is."""
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
    console.print(_footer(hint), soft_wrap=True)  # a command to copy: never broken


def _name(doc: dict[str, Any]) -> str:
    folders = ", ".join(f["folder"] for f in doc.get("folders") or ())
    only = f" (only {folders}: the commits that changed files there)" if folders else ""
    if doc["repository"] is None:  # several repositories
        return f"{len(doc['repositories']):,} repositories{only}"
    return str(doc["repository"].get("name") or doc["repository"]["repo_id"]) + only


def _headline(doc: dict[str, Any]) -> Group:
    totals, budget, trend, shares = doc["totals"], doc["budget"], doc["trend"], doc["shares"]
    span = f"{(totals['first_commit_at'] or '')[:10]} … {(totals['last_commit_at'] or '')[:10]}"
    title = Text.assemble(
        (_name(doc), "bold"),
        f" — {span}, by {doc['period']}; {totals['commits']:,} commits by {totals['authors']:,} people, "
        f"{totals['person_days']:,.0f} person-days ({totals['merges_excluded']:,} merges not counted twice)",
    )
    status = budget["status"]
    effort = shares["effort"]
    line = Text.assemble(
        "KTLO share of effort  ",
        (f"last {budget['window_periods']} {doc['period']}(s) ", "bold"),
        (interval(budget["share"], budget["share_low"], budget["share_high"]), "bold"),
        f"  {ARROW[trend['direction']]} from {_pct(trend['previous_share'])}   ",
        f"budget {_pct(budget['low'])}–{_pct(budget['high'])}: ",
        (status.upper(), STATUS_STYLE[status]),
        f"\nall time: {interval(effort['ktlo'], effort['ktlo_low'], effort['ktlo_high'])} of effort, "
        f"{_pct(shares['commits']['ktlo'])} of commits, {_pct(shares['lines']['ktlo'])} of changed lines",
    )
    return Group(
        Text(""), title, Text(""), line, Text(error_bars_note(effort["verified"]), style="dim")
    )


def interval(share: float | None, low: float | None, high: float | None) -> str:
    """`41% (35–47%)`: a share with its 90% interval."""
    if share is None:
        return _pct(share)
    if low is None or high is None or round(low * 100) == round(high * 100):
        return _pct(share)
    return f"{_pct(share)} ({low * 100:.0f}–{high * 100:.0f}%)"


def error_bars_note(verified: int) -> str:
    """What the intervals rest on, and how to narrow them."""
    if verified:
        return (
            f"KTLO shares are corrected for the verdicts' error measured on {verified:,} sampled "
            "answers (90% intervals); `ktlo review --sample 100` narrows them."
        )
    return (
        "KTLO shares are corrected for the verdicts' error measured on other projects (90% "
        "intervals, wide): `ktlo review --sample 100` measures it here."
    )


def _share_table(doc: dict[str, Any]) -> Table:
    table = Table(box=None, pad_edge=False, show_header=True, header_style="dim")
    for column, justify in (("", "left"), ("effort", "right"), ("", "left"), ("commits", "right"),
                            ("lines", "right"), ("", "left")):  # fmt: skip
        table.add_column(column, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    for sub in doc["subcategories"]:
        if sub["investment"] == "ktlo":
            table.add_row(
                f"  {sub['subcategory']}", _pct(sub["effort_share"]), _bar(sub["effort_share"]),
                _pct(sub["commit_share"]), _pct(sub["line_share"]), _notes(doc, sub["subcategory"]),
            )  # fmt: skip
    new = [s for s in doc["subcategories"] if s["investment"] == "new_work"]
    shares = doc["shares"]
    table.add_row(
        "new work", _pct(shares["effort"]["new_work"]), _bar(shares["effort"]["new_work"]),
        _pct(shares["commits"]["new_work"]), _pct(shares["lines"]["new_work"]),
        ", ".join(f"{s['subcategory']} {_pct(s['effort_share'])}" for s in new),
    )  # fmt: skip
    other = doc["other"]
    top_reason = other["reasons"][0]["reason"] if other["reasons"] else ""
    table.add_row(
        "other", _pct(shares["effort"]["other"]), _bar(shares["effort"]["other"]),
        _pct(shares["commits"]["other"]), _pct(shares["lines"]["other"]),
        f"{other['commits']:,} commits; most: {top_reason}" if other["commits"] else "",
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
    table.add_column("person-days", justify="right")
    table.add_column("KTLO", justify="right")
    table.add_column("", justify="left", no_wrap=True)
    table.add_column("commits", justify="right")
    table.add_column("by commits", justify="right")
    table.add_column("top KTLO kinds", no_wrap=True, overflow="ellipsis")
    for p in periods:
        kinds = [k for k in p["by_subcategory"] if k not in ("feature", "project")][:3]
        table.add_row(
            p["period"], f"{p['person_days']:,.1f}", interval(p["ktlo_share"], p["ktlo_share_low"], p["ktlo_share_high"]),
            _bar(p["ktlo_share"], 16),
            f"{p['commits']:,}", _pct(p["ktlo_share_commits"]), ", ".join(kinds),
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
    table.add_column("kinds", no_wrap=True, overflow="ellipsis")
    for h in doc["hotspots"]["directories"]:
        kinds = ", ".join(f"{k} {v}" for k, v in list(h["by_subcategory"].items())[:3])
        table.add_row(
            h["directory"] + "/", f"{h['ktlo_commits']:,}", _pct(h["share_of_ktlo_lines"]),
            _pct(h["ktlo_ratio"]), kinds,
        )  # fmt: skip
    return table


def _people_line(doc: dict[str, Any]) -> Text:
    people = ", ".join(
        f"{display_name(p['person'])} ({_pct(p['share_of_ktlo'])})" for p in doc["people"][:5]
    )
    return Text.assemble("\nCarrying the KTLO: ", (people, "bold"))


def _footer(hint: str | None) -> Text:
    return Text(
        "\n"
        + (
            hint
            or "Why? `ktlo explain <sha>` shows any verdict with its reasons; `--json` for everything above."
        ),
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


def render_allocation(doc: dict[str, Any], console: Console) -> None:
    """Person-days and FTE per group and period, with the KTLO share against the band."""
    totals, budget = doc["totals"], doc["budget"]
    if not totals["person_days"]:
        console.print("No effort in range: sync or analyze some work first.")
        return
    scope = f"team {display_name(doc['team'])}" if doc["team"] else "all teams"
    console.print(
        Text.assemble(
            (f"Allocation — {scope}", "bold"),
            f", {totals['first_day']} … {totals['last_day']}: {totals['person_days']:,.1f} person-days "
            f"({totals['fte']} FTE) by {totals['people']} people on {totals['items']:,} items",
        )
    )
    status = budget["status"]
    console.print(
        Text.assemble(
            "KTLO share ",
            (
                interval(totals["ktlo_share"], totals["ktlo_share_low"], totals["ktlo_share_high"]),
                "bold",
            ),
            f" overall; last complete period {budget.get('period') or _none_complete(doc)} ",
            (interval(budget["share"], budget["share_low"], budget["share_high"]), "bold"),
            f" {ARROW[doc['trend']['direction']]}  ",
            f"band {_pct(budget['low'])}–{_pct(budget['high'])}: ",
            (status.upper(), STATUS_STYLE[status]),
        )  # fmt: skip
    )
    table = Table(box=None, header_style="dim", title=f"\nby {doc['by']}", title_justify="left")
    for column, justify in (
        ("", "left"),
        ("person-days", "right"),
        ("share", "right"),
        ("", "left"),
        ("items", "right"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for group in doc["groups"]:
        table.add_row(display_name(group["key"]), f"{group['person_days']:,.1f}", _pct(group["share"]),
                      _bar(group["share"], 16), f"{group['items']:,}")  # fmt: skip
    console.print(table)
    periods = Table(
        box=None, header_style="dim", title=f"\nby {doc['period']}", title_justify="left"
    )
    for column in ("", "person-days", "FTE", "KTLO", "status"):
        periods.add_column(column, justify="left" if not column else "right")
    for p in doc["periods"][-12:]:
        periods.add_row(shown(p), f"{p['person_days']:,.1f}", f"{p['fte']:.2f}",
                        interval(p["ktlo_share"], p["ktlo_share_low"], p["ktlo_share_high"]),
                        Text(p["status"], style=STATUS_STYLE[p["status"]]))  # fmt: skip
    console.print(periods)
    console.print(Text(_fte_note(doc), style="dim"))
    if doc["cost"]:
        console.print(f"\nKTLO cost: {doc['cost']['ktlo_cost']:,.0f} ({doc['cost']['basis']})")
    console.print(Text("\n" + error_bars_note(doc["error_rates"]["verified"]), style="dim"))
    console.print(
        Text(
            "\nCounts of items are beside the effort, never instead of it: see docs/effort.md.",
            style="dim",
        )
    )


def _none_complete(doc: dict[str, Any]) -> str:
    return f"– (no complete {doc['period']} yet)"


def _fte_note(doc: dict[str, Any]) -> str:
    """What the FTE figures divide by, and why they are below headcount (ktlo.periods)."""
    now = next((p for p in doc["periods"] if p.get("in_progress")), None)
    so_far = f"Data up to {doc.get('as_of')}: {now['period']} is in progress. " if now else ""
    people = doc["totals"]["people"]
    who = f"{people} {'person' if people == 1 else 'people'} with effort in the span"
    return f"\n{so_far}{doc.get('fte_note', '')} ({who}.)"


def render_budget(doc: dict[str, Any], console: Console) -> None:
    """One line per team: last full period, quarter, drift, and what drives the KTLO."""
    table = Table(
        box=None,
        header_style="dim",
        title=f"KTLO budget as of {doc['as_of']}",
        title_justify="left",
    )
    for column in ("team", "band", "last period", "", "quarter", "", "drift", "driven by"):
        table.add_column(column)
    for t in doc["teams"]:
        drivers = ", ".join(
            f"{k['subcategory']} {k['person_days']:g}d" for k in t["drivers"]["subcategories"]
        )
        places = ", ".join(h["directory"] for h in t["drivers"]["hotspots"][:2])
        table.add_row(
            display_name(t["team"]), f"{_pct(t['low'])}–{_pct(t['high'])}",
            f"{t['last_period'] or '–'} {interval(t['last_period_share'], t['last_period_share_low'], t['last_period_share_high'])}",
            Text(t["last_period_status"], style=STATUS_STYLE[t["last_period_status"]]),
            interval(t["quarter_share"], t["quarter_share_low"], t["quarter_share_high"]),
            Text(t["quarter_status"], style=STATUS_STYLE[t["quarter_status"]]),
            Text("rising" if t["drifting"] else "", style="bold red"),
            drivers + (f"; in {places}" if places else ""),
        )  # fmt: skip
    console.print(table)


def render_overrides(rows: list[dict[str, Any]], console: Console) -> None:
    if not rows:
        console.print("No overrides yet: `ktlo override ITEM_ID --as ktlo/<kind>` records one.")
        return
    table = Table(box=None, header_style="dim")
    for column in ("item", "title", "is", "was", "note", "by"):  # the item's ref whole: copyable
        table.add_column(column, no_wrap=column == "item", overflow="fold")
    for r in rows:
        table.add_row(
            r.get("ref") or r["item_id"], (r["title"] or "")[:50], f"{r['investment']}/{r['subcategory'] or ''}",
            f"{r['classifier_investment']}/{r['classifier_subcategory'] or ''}", r["note"] or "", display_name(r["created_by"] or ""),
        )  # fmt: skip
    console.print(table)


def render_rotation(plan: Any, rows: list[dict[str, Any]], console: Console) -> None:
    """The rotation as a table, then each person's number of shifts and resulting load."""
    table = Table(
        box=None,
        header_style="dim",
        title=f"KTLO rotation — {display_name(plan.team)}, by {plan.length}",
        title_justify="left",
    )
    columns = [
        "period",
        "from",
        "to",
        *(["region", "hours (UTC)"] if len(plan.regions) > 1 else []),
        "primary",
        "secondary",
    ]
    for column in columns:
        table.add_column(column)
    for r in rows:
        region = [r["region"], r["hours_utc"] or ""] if len(plan.regions) > 1 else []
        table.add_row(
            str(r["period"]),
            r["start"],
            r["end"],
            *region,
            display_name(r["primary"]) if r["primary"] else "UNCOVERED",
            display_name(r["secondary"]) if r["secondary"] else "",
        )
    console.print(table)
    fairness = ", ".join(
        f"{display_name(p)} {n} shift(s), load {plan.load[p]:g}"
        for p, n in sorted(plan.shifts_by_person.items())
    )
    console.print(Text(f"\n{fairness}", style="dim"))


def render_forecast(doc: dict[str, Any], console: Console) -> None:
    """Recent history, then each forecast period with its band and the room left for new work."""
    who = f"team {display_name(doc['team'])}" if doc["team"] else "all teams"
    table = Table(
        box=None,
        header_style="dim",
        title=f"KTLO share forecast — {who}, by {doc['period']}",
        title_justify="left",
    )
    for column in ("", "period", "KTLO share", "80% band", "", "new-work person-days"):
        table.add_column(
            column, justify="right" if "share" in column or "days" in column else "left"
        )
    for h in doc["history"][-6:]:
        table.add_row("history", h["start"][:7], _pct(h["share"]), "", _bar(h["share"], 16), "")
    now = doc.get("in_progress")
    if now:
        table.add_row("so far", now["start"][:7], _pct(now["share"]), "in progress",
                      _bar(now["share"], 16), "")  # fmt: skip
    for f in doc["forecast"]:
        room = (
            ""
            if f["new_work_person_days"] is None
            else f"{f['new_work_person_days']:,.1f} of {f['capacity_person_days']:,.1f}"
        )
        kind = "naive" if doc.get("method") == "naive" else "forecast"
        table.add_row(Text(kind, style="bold"), f["start"][:7], _pct(f["share"]),
                      f"{_pct(f['low'])}–{_pct(f['high'])}", _bar(f["share"], 16), room)  # fmt: skip
    console.print(table)
    bt = doc["backtest"]
    errors = ", ".join(
        f"{h} ahead {_pct(m)} (naive {_pct(bt['naive_mae_by_horizon'][h])})"
        for h, m in bt["mae_by_horizon"].items() if m is not None
    )  # fmt: skip
    console.print(
        Text(
            f"\nBack-test over {bt['origins']} origins, mean absolute error: {errors}", style="dim"
        )
    )
    if doc.get("method_note"):
        console.print(Text(f"Naive forecast: {doc['method_note']}.", style="bold"))
    if doc.get("capacity"):
        console.print(Text(_capacity_note(doc["capacity"]), style="dim"))


def _capacity_note(basis: dict[str, Any]) -> str:
    """Where the forecast's capacity comes from (ktlo.planning.capacity)."""
    span = (
        f"{basis['periods'][0]} … {basis['periods'][-1]}"
        if len(basis["periods"]) > 1
        else basis["periods"][0]
    )
    configured = (
        f", {_pct(basis['measured_share_of_configured'])} of the members' configured "
        f"{basis['configured_fte']:g} FTE; ahead, configured time off is taken out"
        if basis.get("configured_fte")
        else ""
    )
    return f"Capacity: the {basis['measured_fte']:g} FTE measured over {span}{configured} (docs/planning.md)."


def render_sprints(doc: dict[str, Any], console: Console) -> None:
    if not doc["sprints"]:
        console.print("No sprints or cycles stored yet: sync Jira or Linear first (`ktlo sync`).")
        return
    table = Table(
        box=None,
        header_style="dim",
        title="KTLO per sprint: planned vs actual",
        title_justify="left",
    )
    for column in (
        "sprint",
        "dates",
        "planned KTLO",
        "actual KTLO",
        "unplanned items (KTLO)",
        "done",
    ):
        table.add_column(column)
    for s in doc["sprints"]:
        table.add_row(
            s["sprint"], f"{(s['starts_at'] or '')[:10]} … {(s['ends_at'] or '')[:10]}",
            f"{_pct(s['planned_ktlo_share'])} ({s['planned_basis']})", _sprint_actual(s),
            f"{s['unplanned_items']} ({s['unplanned_ktlo_items']})", str(s["done_items"]),
        )  # fmt: skip
    console.print(table)
    console.print(
        Text(
            "\nActual KTLO: of the person-days spent during the sprint on its items and on the "
            "changes naming them (docs/planning.md); 'no effort' where none was recorded.",
            style="dim",
        )
    )


def _sprint_actual(sprint: dict[str, Any]) -> str:
    """The actual KTLO share of a sprint's effort, with its person-days; so far while it runs."""
    if sprint["actual_ktlo_share"] is None:
        return "no effort" + (" so far" if sprint.get("in_progress") else "")
    so_far = " so far" if sprint.get("in_progress") else ""
    return f"{_pct(sprint['actual_ktlo_share'])} of {sprint['actual_person_days']:g} d{so_far}"


def render_rotation_review(doc: dict[str, Any], console: Console) -> None:
    table = Table(
        box=None,
        header_style="dim",
        title=f"On-call shifts — {display_name(doc['team'])} since {doc['since']} (on call from {doc['on_call_from']})",
        title_justify="left",
    )
    for column in (
        "week",
        "person",
        "pages",
        "after hours",
        "incident hours",
        "KTLO person-days",
        "load",
    ):
        table.add_column(column, justify="left" if column in ("week", "person") else "right")
    for s in doc["shifts"]:
        table.add_row(s["week"], display_name(s["person"]), str(s["pages"]), str(s["after_hours_pages"]),
                      f"{s['incident_hours']:g}", f"{s['ktlo_person_days']:g}", f"{s['load']:g}")  # fmt: skip
    console.print(table)
    over = [display_name(p["person"]) for p in doc["people"] if p["overloaded"]]
    console.print(
        f"\nFairness (Gini of load): {doc['gini']:.2f}"
        + (f"; overloaded: {', '.join(over)}" if over else "")
    )
    f = doc["follow_ups"]
    console.print(
        f"Follow-ups: {f['done']} of {f['follow_ups']} done, for {f['with_follow_ups']} of {f['incidents']} incidents"
    )
    for metric, result in doc["models"]["metrics"].items():
        console.print(f"{metric.replace('_', ' ')}: {result['verdict']}")


def render_demo_footer(result: Any, console: Console) -> None:
    """Where everything the demo wrote is, and how to look further."""
    console.print(
        f"\n{result.commits:,} commits in 7 repositories, plus tracker, incident, alert, deploy and CI exports."
    )
    console.print(f"Store:  {result.store}\nConfig: {result.config}")
    if result.report:
        console.print(f"Report: {result.report}  (open it in a browser; it works offline)")
    if result.checkout and result.checkout["totals"]["commits"]:
        doc = result.checkout
        console.print(
            f"This checkout ({doc['repository'].get('name')}): {doc['totals']['commits']:,} commits, "
            f"KTLO share of effort {interval(doc['shares']['effort']['ktlo'], doc['shares']['effort']['ktlo_low'], doc['shares']['effort']['ktlo_high'])}."
        )
    console.print(
        Text(
            f"\nNext: ktlo allocation --db {result.store} --config {result.config} --team payments --by subcategory",
            style="dim",
        )
    )


MODE_STYLE = {"enter": "bold red", "stay": "bold yellow", "exit": "bold green", "normal": "green"}


def render_mode(doc: dict[str, Any], console: Console) -> None:
    """Each team's answer, its risk and the signals that make it, and where to focus."""
    if doc.get("last_period"):
        console.print(
            Text(
                f"KTLO mode over complete {doc['period']}s, the last {doc['last_period']} "
                f"(data up to {doc['as_of']}; the {doc['period']} in progress is assessed once "
                "complete)",
                style="dim",
            )
        )
    for team in doc["teams"]:
        risk = "–" if team["risk"] is None else f"{team['risk']:.2f}"
        console.print(Text.assemble(
            (display_name(team["team"]), "bold"), "  ", (team["state"].upper(), MODE_STYLE[team["state"]]),
            f"  risk {risk} (enter at {doc['enter']:g}, exit below {doc['exit']:g})",
            "   history: " + " ".join(h["state"][0].upper() for h in team["history"]),
        ))  # fmt: skip
        for r in team["reasons"]:
            if r["value"] is None:
                continue
            share = (
                "" if not r["share_of_risk"] else f"  {r['share_of_risk'] * 100:.0f}% of the risk"
            )
            console.print(
                f"    {r['signal']:<22} {r['value']:>8g}  threshold {r['threshold']:g}{share}",
                style="dim" if not share else None,
            )
        missing = [r["signal"] for r in team["reasons"] if r["value"] is None]
        if missing:
            console.print(f"    no data for: {', '.join(missing)}", style="dim")
        if team["focus"]:
            f = team["focus"]
            console.print("    Focus:")
            for g in f["repeat_incident_groups"][:3]:
                members = g.get("incidents", [])
                example = members[0]["title"] if members else ""
                console.print(
                    f"      repeat incidents on {g.get('service')}: {len(members)} alike, e.g. {example!r}"
                )
            if f["hotspots"]:
                console.print("      hotspots: " + ", ".join(h["directory"] for h in f["hotspots"]))
            for a in f["noisiest_alerts"][:3]:
                console.print(
                    f"      noisy alert: {a.get('title')} ({a.get('alerts', a.get('count', '?'))} alerts)"
                )
            if f["top_ktlo_kinds"]:
                console.print(
                    "      top KTLO kinds: "
                    + ", ".join(k["subcategory"] for k in f["top_ktlo_kinds"])
                )
        console.print("")
