"""Render the `ktlo analyze` document for a terminal with rich."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from rich.console import Console, Group
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from ktlo.periods import shown
from ktlo.render.display import display_name
from ktlo.render.tables import Titled
from ktlo.render.wording import middle, place, places, plural, repository

if TYPE_CHECKING:
    from ktlo.effort.allocation_document import AllocationDocument, BudgetDocument, Drivers
    from ktlo.metrics.analyze_document import AnalyzeDocument
    from ktlo.planning.capacity import CapacityBasis
    from ktlo.planning.ktlo_mode.answer import ModeDocument, ModeFocus, ModeTeam
    from ktlo.planning.outlook import ForecastDocument
    from ktlo.planning.rotation_review_document import RotationReviewDocument
    from ktlo.planning.sprints import Sprint, SprintsDocument
    from ktlo.verdicts.overrides import Override

BAR_WIDTH = 24
PLACE_WIDTH = 44  # a longer directory is cut in its middle, where it says least
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


def render_analysis(doc: AnalyzeDocument, console: Console, hint: str | None = None) -> None:
    """Print the analysis: headline, subcategories, trend, hotspots, people, other; last
    `hint`, the command that explains a verdict from where the user is."""
    if not doc.totals.commits:
        asked = " … ".join(
            part for part in (f"since {doc.since}" if doc.since else "",
                              f"until {doc.until} (excluded)" if doc.until else "") if part
        )  # fmt: skip
        if asked:  # the range may lie outside the history: say which range, and the way out
            console.print(
                f"{_name(doc)}: no commits in range ({asked}) — nothing to analyze; widen "
                "--since/--until, or leave them out for the whole history."
            )
        else:
            console.print(f"{_name(doc)}: no commits in range — nothing to analyze.")
        return
    console.print(_headline(doc))
    console.print(_share_table(doc))
    console.print(_period_table(doc))
    if doc.hotspots.directories:
        console.print(_hotspot_table(doc))
    if doc.people:
        console.print(_people_line(doc))
    command = hint or "ktlo explain <sha>"
    console.print(Text(f"\nWhy? `{command}`", style="dim"), soft_wrap=True)  # to copy: never broken
    console.print(
        "shows a verdict with its reasons (any sha, pull request or issue key); "
        "`--json` for everything above.",
        style="dim",
    )


def _name(doc: AnalyzeDocument) -> str:
    folders = ", ".join(f.folder for f in doc.folders)
    only = f" (only {folders}: the commits that changed files there)" if folders else ""
    if doc.repository is None:  # several repositories
        return f"{len(doc.repositories):,} repositories{only}"
    return str(doc.repository.name or doc.repository.repo_id) + only


def _headline(doc: AnalyzeDocument) -> Group:
    totals, budget, trend, shares = doc.totals, doc.budget, doc.trend, doc.shares
    span = f"{(totals.first_commit_at or '')[:10]} … {(totals.last_commit_at or '')[:10]}"
    merges = totals.merges_excluded
    title = Text.assemble(
        (_name(doc), "bold"),
        f" — {span}, by {doc.period}; {plural(totals.commits, 'commit')} by "
        f"{plural(totals.authors, 'person')}, {totals.person_days:,.0f} person-days"
        + (
            f"; {plural(merges, 'merge')} left out (their changes count on the commits they bring)"
            if merges
            else ""
        ),
    )
    status = budget.status
    effort = shares.effort
    line = Text.assemble(
        "KTLO share of effort  ",
        (f"{last_periods(budget.window_periods, doc.period)} ", "bold"),
        (interval(budget.share, budget.share_low, budget.share_high), "bold"),
        f"  {ARROW[trend.direction]} from {_pct(trend.previous_share)}   ",
        f"budget {_pct(budget.low)}–{_pct(budget.high)}: ",
        (status.upper(), STATUS_STYLE[status]),
        f"\nall time: {interval(effort.ktlo, effort.ktlo_low, effort.ktlo_high)} of effort, "
        f"{_pct(shares.commits.ktlo)} of commits, {_pct(shares.lines.ktlo)} of changed lines",
    )
    return Group(
        Text(""), title, Text(""), line, Text(error_bars_note(effort.verified), style="dim")
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


def last_periods(count: int, period: str) -> str:
    """`last 3 months`, `last month`, `last 4 weeks`."""
    return f"last {period}" if count == 1 else f"last {count} {period}s"


def _share_table(doc: AnalyzeDocument) -> Table:
    table = Titled(box=None, pad_edge=False, show_header=True, header_style="dim")
    for column, justify in (("", "left"), ("effort", "right"), ("", "left"), ("commits", "right"),
                            ("lines", "right")):  # fmt: skip
        table.add_column(column, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    table.add_column("", ratio=1)  # the notes wrap; the figures never do
    for sub in doc.subcategories:
        if sub.investment == "ktlo":
            table.add_row(
                f"  {sub.subcategory}", _pct(sub.effort_share), _bar(sub.effort_share),
                _pct(sub.commit_share), _pct(sub.line_share), _notes(doc, sub.subcategory),
            )  # fmt: skip
    new = [s for s in doc.subcategories if s.investment == "new_work"]
    shares = doc.shares
    table.add_row(
        "new work", _pct(shares.effort.new_work), _bar(shares.effort.new_work),
        _pct(shares.commits.new_work), _pct(shares.lines.new_work),
        ", ".join(f"{s.subcategory} {_pct(s.effort_share)}" for s in new),
    )  # fmt: skip
    other = doc.other
    top_reason = other.reasons[0].reason if other.reasons else ""
    table.add_row(
        "other", _pct(shares.effort.other), _bar(shares.effort.other),
        _pct(shares.commits.other), _pct(shares.lines.other),
        f"{plural(other.commits, 'commit')}; most: {top_reason}" if other.commits else "",
    )  # fmt: skip
    return table


def _notes(doc: AnalyzeDocument, sub: str) -> str:
    bots = [(b.bot, n) for b in doc.bots if (n := (b.by_subcategory or {}).get(sub))]
    if not bots:
        return ""
    *first, (name, count) = bots[:2]
    return "(" + "".join(f"{b}: {n:,}, " for b, n in first) + f"{name}: {plural(count, 'commit')})"


def _period_table(doc: AnalyzeDocument) -> Table:
    periods = doc.periods[-12:]
    table = Titled(
        title=f"\nKTLO share by {doc.period}", title_justify="left", box=None,
        header_style="dim", pad_edge=False,
    )  # fmt: skip
    table.add_column(doc.period, no_wrap=True)
    table.add_column("person-days", justify="right", no_wrap=True)
    table.add_column("KTLO", justify="right", no_wrap=True)
    table.add_column("", justify="left", no_wrap=True)
    table.add_column("commits", justify="right", no_wrap=True)
    table.add_column("by commits", justify="right", no_wrap=True)
    table.add_column("top KTLO kinds", ratio=1)
    for p in periods:
        kinds = [k for k in p.by_subcategory if k not in ("feature", "project")][:3]
        table.add_row(
            p.period, f"{p.person_days:,.1f}", interval(p.ktlo_share, p.ktlo_share_low, p.ktlo_share_high),
            _bar(p.ktlo_share, 10),
            f"{p.commits:,}", _pct(p.ktlo_share_commits), ", ".join(kinds),
        )  # fmt: skip
    table.caption = f"trend {_spark(doc.trend.series[-36:])}"
    table.caption_justify = "left"
    return table


def _hotspot_table(doc: AnalyzeDocument) -> Table:
    """Directories of each repository, `(root files)` for a repository's (or folder's) top."""
    spots = doc.hotspots.directories
    several = len({h.repo_id for h in spots}) > 1 or doc.repository is None
    folders = [f.folder for f in doc.folders]
    within = f", directories within {folders[0]}/" if len(folders) == 1 else ""
    table = Titled(
        title=f"\nKTLO hotspots (where keeping the lights on concentrates{within})",
        title_justify="left", box=None, header_style="dim", pad_edge=False,
    )  # fmt: skip
    table.add_column("repository: directory" if several else "directory", no_wrap=True)
    table.add_column("KTLO\ncommits", justify="right", no_wrap=True)
    table.add_column("of KTLO\nlines", justify="right", no_wrap=True)
    table.add_column("KTLO\nratio", justify="right", no_wrap=True)
    table.add_column("top KTLO kinds\n(commits)", ratio=1)
    for h in spots:
        kinds = ", ".join(f"{k} {v:,}" for k, v in list(h.by_subcategory.items())[:3])
        where = place(h.repo_id, h.directory, several)
        table.add_row(
            middle(where, PLACE_WIDTH), f"{h.ktlo_commits:,}", _pct(h.share_of_ktlo_lines),
            _pct(h.ktlo_ratio), kinds,
        )  # fmt: skip
    return table


def _people_line(doc: AnalyzeDocument) -> Text:
    people = ", ".join(
        f"{display_name(p.person)} ({_pct(p.share_of_ktlo)})" for p in doc.people[:5]
    )
    return Text.assemble("\nCarrying the KTLO: ", (people, "bold"))


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
    table = Titled(box=None, header_style="dim", title="\nper class", title_justify="left")
    for column in ("class", "precision", "recall", "f1", "support"):
        table.add_column(column, justify="left" if column == "class" else "right")
    for name, m in report["classes"].items():
        table.add_row(
            name, f"{m['precision']:.2f}", f"{m['recall']:.2f}", f"{m['f1']:.2f}", str(m["support"])
        )
    console.print(table)
    classes = list(report["confusion"])
    matrix = Titled(
        box=None,
        header_style="dim",
        title="\nconfusion (rows: label, columns: predicted)",
        title_justify="left",
        pad_edge=False,
        padding=(0, 0, 0, 1),
    )
    matrix.add_column("", no_wrap=True)
    for name in classes:  # a name's first six letters head its column; rows say it whole
        matrix.add_column(name[:6], justify="right", no_wrap=True)
    for name in classes:
        matrix.add_row(name, *(str(report["confusion"][name][g] or "·") for g in classes))
    console.print(matrix)
    for m in report["mistakes"][:mistakes]:
        console.print(f"  {m['id']}: {m['label']} → {m['predicted']}: {m['text'][:100]!r}")


def render_allocation(doc: AllocationDocument, console: Console) -> None:
    """Person-days and FTE per group and period, with the KTLO share against the band."""
    totals, budget = doc.totals, doc.budget
    if not totals.person_days:
        console.print("No effort in range: sync or analyze some work first.")
        return
    scope = f"team {display_name(doc.team)}" if doc.team else "all teams"
    console.print(
        Text.assemble(
            (f"Allocation — {scope}", "bold"),
            f", {totals.first_day} … {totals.last_day}: {totals.person_days:,.1f} person-days "
            f"({totals.fte} FTE) by {plural(totals.people, 'person')} on "
            f"{plural(totals.items, 'item')}",
        )
    )
    status = budget.status
    console.print(
        Text.assemble(
            "KTLO share ",
            (interval(totals.ktlo_share, totals.ktlo_share_low, totals.ktlo_share_high), "bold"),
            f" overall; last complete period {budget.period or _none_complete(doc)} ",
            (interval(budget.share, budget.share_low, budget.share_high), "bold"),
            f" {ARROW[doc.trend.direction]}  ",
            f"band {_pct(budget.low)}–{_pct(budget.high)}: ",
            (status.upper(), STATUS_STYLE[status]),
        )  # fmt: skip
    )
    console.print(_group_table(doc, console.width))
    for unassigned in (doc.no_initiative, doc.no_category):
        if unassigned:
            kinds = ", ".join(
                f"{k.person_days:,.1f} person-days on {plural(k.items, k.kind.replace('_', ' '))}"
                for k in unassigned.by_kind
            )
            console.print(
                Text(f"{unassigned.key}: {unassigned.holds} ({kinds or 'none'})", style="dim")
            )
    for overlap in doc.category_overlaps or ():
        console.print(
            Text(
                f"{overlap.category} holds {overlap.person_days:,.1f} person-days on "
                f"{plural(overlap.items, 'item')} matching {overlap.also} too (an item counts "
                "in the first category it matches, in ktlo.toml's order)",
                style="dim",
            )
        )
    periods = Titled(box=None, header_style="dim", title=f"\nby {doc.period}", title_justify="left")
    for column in ("", "person-days", "FTE", "KTLO", "status"):
        periods.add_column(column, justify="left" if not column else "right")
    for p in doc.periods[-12:]:
        periods.add_row(shown(p), f"{p.person_days:,.1f}", f"{p.fte:.2f}",
                        interval(p.ktlo_share, p.ktlo_share_low, p.ktlo_share_high),
                        Text(p.status, style=STATUS_STYLE[p.status]))  # fmt: skip
    console.print(periods)
    console.print(Text(_fte_note(doc), style="dim"))
    if doc.cost:
        console.print(f"\nKTLO cost: {doc.cost.ktlo_cost:,.0f} ({doc.cost.basis})")
    console.print(Text("\n" + error_bars_note(doc.error_rates.verified), style="dim"))
    console.print(
        Text(
            "\nCounts of items are beside the effort, never instead of it: see docs/effort.md.",
            style="dim",
        )
    )


#: Groupings whose members each have a KTLO share of their own (by investment or kind, a
#: group is all KTLO or none of it, so its share of all effort is what it has to say).
OWN_SHARE = ("team", "person", "repo", "initiative", "category")


def _group_table(doc: AllocationDocument, width: int) -> Table:
    """Each group's effort; by team, person or repository also its own KTLO share. The bar
    gives way to long names, and a name longer than the room left wraps."""
    own = doc.by in OWN_SHARE
    title = f"\nby {doc.by}" + (": each one's KTLO share of its own effort" if own else "")
    table = Titled(box=None, header_style="dim", title=title, title_justify="left", pad_edge=False)
    rows = []
    for g in doc.groups:
        name = repository(g.key) if doc.by == "repo" else display_name(g.key)
        row = [name, f"{g.person_days:,.1f}", _pct(g.share)]
        if own:
            row.append(interval(g.ktlo_share, g.ktlo_share_low, g.ktlo_share_high))
        rows.append((row, g.ktlo_share if own else g.share, f"{g.items:,}"))
    headers = ["", "person-days", "of all"] + (["KTLO share"] if own else [])
    widths = [max([len(h)] + [len(r[0][k]) for r in rows]) for k, h in enumerate(headers)]
    items = max([5] + [len(r[2]) for r in rows])
    bar = min(16, width - sum(widths) - items - 2 * (len(headers) + 1))
    for column in [*headers, "", "items"]:
        table.add_column(column, justify="left" if column in ("", "KTLO share") else "right",
                         no_wrap=bool(column))  # fmt: skip
    for row, value, count in rows:
        table.add_row(*row, _bar(value, bar) if bar >= 4 else "", count)
    return table


def _none_complete(doc: AllocationDocument) -> str:
    return f"– (no complete {doc.period} yet)"


def _fte_note(doc: AllocationDocument) -> str:
    """What the FTE figures divide by, and why they are below headcount (ktlo.periods)."""
    now = next((p for p in doc.periods if p.in_progress), None)
    so_far = f"Data up to {doc.as_of}: {now.period} is in progress. " if now else ""
    people = doc.totals.people
    who = f"{people} {'person' if people == 1 else 'people'} with effort in the span"
    return f"\n{so_far}{doc.fte_note} ({who}.)"


def render_budget(doc: BudgetDocument, console: Console) -> None:
    """One line per team: last complete period, the last 91 days, drift; then what drives it."""
    periods = {t.last_period for t in doc.teams}
    one = periods.pop() if len(periods) == 1 else None
    table = Titled(
        box=None, header_style="dim", title_justify="left", pad_edge=False,
        title=f"KTLO budget as of {doc.as_of}"
        + (f" (last complete {doc.period}: {one})" if one else ""),
    )  # fmt: skip
    last = one or f"last complete {doc.period}"
    for column in ("team", "band", last, "", "last 91 days", "", "drift"):
        table.add_column(column, no_wrap=column != "team")
    for t in doc.teams:
        share = interval(t.last_period_share, t.last_period_share_low, t.last_period_share_high)
        table.add_row(
            display_name(t.team), f"{_pct(t.low)}–{_pct(t.high)}",
            share if one else f"{t.last_period or '–'} {share}",
            Text(t.last_period_status, style=STATUS_STYLE[t.last_period_status]),
            interval(t.quarter_share, t.quarter_share_low, t.quarter_share_high),
            Text(t.quarter_status, style=STATUS_STYLE[t.quarter_status]),
            Text("rising" if t.drifting else "", style="bold red"),
        )  # fmt: skip
    console.print(table)
    console.print(drivers_table([(t.team, t.drivers) for t in doc.teams]))
    from ktlo.render.buckets import budget_buckets_table

    buckets = budget_buckets_table(doc)
    if buckets is not None:
        console.print(buckets)


def drivers_table(teams: Sequence[tuple[str, Drivers]]) -> Table:
    """Per team, its top KTLO kinds and the places in its repositories where they went."""
    table = Titled(
        box=None, show_header=False, title_justify="left", pad_edge=False,
        title="\nWhat drives the KTLO, last 91 days (person-days)",
    )  # fmt: skip
    table.add_column("team", no_wrap=True)
    table.add_column("drivers", ratio=1)
    for team, drivers in teams:
        kinds = ", ".join(f"{k.subcategory} {k.person_days:,.1f}" for k in drivers.subcategories)
        where = places(drivers.hotspots[:3])
        table.add_row(
            display_name(team),
            (kinds or "no KTLO effort") + (f"\nin {where}" if where else ""),
        )
    return table


def render_overrides(rows: list[Override], console: Console) -> None:
    """Every override: the item, what it is now, what the classifier said, the note, who."""
    if not rows:
        console.print("No overrides yet: `ktlo override ITEM_ID --as ktlo/<kind>` records one.")
        return
    table = Titled(box=None, header_style="dim")
    for column in ("item", "title", "is", "was", "note", "by"):
        table.add_column(column, no_wrap=column == "item", overflow="fold")  # whole: copyable
    for r in rows:
        table.add_row(
            r.ref, (r.title or "")[:50], f"{r.investment}/{r.subcategory or ''}",
            f"{r.classifier_investment}/{r.classifier_subcategory or ''}", r.note or "", display_name(r.created_by or ""),
        )  # fmt: skip
    console.print(table)


def render_rotation(plan: Any, rows: list[dict[str, Any]], console: Console) -> None:
    """The rotation as a table, then each person's number of shifts and resulting load."""
    table = Titled(
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
    fairness = Titled(box=None, header_style="dim", title="\nShifts and load", title_justify="left")
    for column in ("person", "shifts", "load"):
        fairness.add_column(column, justify="left" if column == "person" else "right")
    for person, shifts in sorted(plan.shifts_by_person.items()):
        fairness.add_row(display_name(person), f"{shifts}", f"{plan.load[person]:g}")
    console.print(fairness)
    console.print(
        Text(
            "Load after the plan: each member's KTLO person-days of the last 90 days and 7 for "
            "each week on call in them, plus the days of each planned shift (a secondary's "
            "count half).",
            style="dim",
        )
    )


def render_forecast(doc: ForecastDocument, console: Console) -> None:
    """Recent history, then each forecast period with its band and the room left for new work."""
    who = f"team {display_name(doc.team)}" if doc.team else "all teams"
    table = Titled(
        box=None,
        header_style="dim",
        title=f"KTLO share forecast — {who}, by {doc.period}",
        title_justify="left",
    )
    for column in ("", "period", "KTLO share", "80% band", "", "new-work person-days"):
        table.add_column(
            column, justify="right" if "share" in column or "days" in column else "left",
            no_wrap=True,
        )  # fmt: skip
    for h in doc.history[-6:]:
        table.add_row("history", h.start[:7], _pct(h.share), "", _bar(h.share, 16), "")
    now = doc.in_progress
    if now:
        table.add_row("so far", now.start[:7], _pct(now.share), "in progress",
                      _bar(now.share, 16), "")  # fmt: skip
    for f in doc.forecast:
        room = (
            ""
            if f.new_work_person_days is None
            else f"{f.new_work_person_days:,.1f} of {f.capacity_person_days:,.1f}"
        )
        kind = "naive" if doc.method == "naive" else "forecast"
        table.add_row(Text(kind, style="bold"), f.start[:7], _pct(f.share),
                      f"{_pct(f.low)}–{_pct(f.high)}", _bar(f.share, 16), room)  # fmt: skip
    console.print(table)
    bt = doc.backtest
    errors = ", ".join(
        f"{h} ahead {_pct(m)} (naive {_pct(bt.naive_mae_by_horizon[h])})"
        for h, m in bt.mae_by_horizon.items() if m is not None
    )  # fmt: skip
    console.print(
        Text(f"\nBack-test over {bt.origins} origins, mean absolute error: {errors}", style="dim")
    )
    if doc.method_note:
        console.print(Text(f"Naive forecast: {doc.method_note}.", style="bold"))
    stale = _stale_note(doc.as_of)
    if stale:
        console.print(Text(stale, style="bold"))
    if doc.capacity:
        console.print(Text(_capacity_note(doc.capacity), style="dim"))
    if doc.patch_work:
        console.print(Text(f"Expected patch work: {doc.patch_work.text}."))


STALE_DAYS = 7  # effort older than this is said to be behind today


def _stale_note(as_of: str | None, today: date | None = None) -> str:
    """That the stored effort ends well before today, so the periods are counted from its
    end (a clone not pulled, a sync not run); "" when it is recent."""
    if not as_of:
        return ""
    behind = ((today or date.today()) - date.fromisoformat(as_of)).days
    if behind <= STALE_DAYS:
        return ""
    return (
        f"The effort stored ends {as_of}, {behind} days before today: the history and the "
        "forecast run from there, not from today (`ktlo analyze` or `ktlo sync` brings it "
        "up to date)."
    )


def _capacity_note(basis: CapacityBasis) -> str:
    """Where the forecast's capacity comes from (ktlo.planning.capacity)."""
    span = (
        f"{basis.periods[0]} … {basis.periods[-1]}" if len(basis.periods) > 1 else basis.periods[0]
    )
    configured = (
        f", {_pct(basis.measured_share_of_configured)} of the members' configured "
        f"{basis.configured_fte:g} FTE; ahead, configured time off is taken out"
        if basis.configured_fte
        else ""
    )
    return f"Capacity: the {basis.measured_fte:g} FTE measured over {span}{configured} (docs/planning.md)."


def render_sprints(doc: SprintsDocument, console: Console) -> None:
    """Each sprint's planned and actual KTLO share, and the work added mid-sprint."""
    if not doc.sprints:
        console.print("No sprints or cycles stored yet: sync Jira or Linear first (`ktlo sync`).")
        return
    table = Titled(
        box=None,
        header_style="dim",
        title="KTLO per sprint: planned vs actual",
        title_justify="left",
    )
    for column, justify in (
        ("sprint", "left"), ("dates", "left"), ("planned KTLO\n(basis)", "left"),
        ("actual KTLO\n(of effort)", "left"), ("added mid-sprint\n(of them KTLO)", "right"),
        ("items\ndone", "right"),
    ):  # fmt: skip
        table.add_column(column, justify=justify, no_wrap=column != "sprint")  # type: ignore[arg-type]
    for s in doc.sprints:
        table.add_row(
            s.sprint, _dates(s.starts_at, s.ends_at),
            f"{_pct(s.planned_ktlo_share)} ({s.planned_basis})", _sprint_actual(s),
            f"{s.unplanned_items} ({s.unplanned_ktlo_items})", str(s.done_items),
        )  # fmt: skip
    console.print(table)
    console.print(
        Text(
            "\nActual KTLO: of the person-days spent during the sprint on its items and on the "
            "changes naming them (docs/planning.md); 'no effort' where none was recorded.",
            style="dim",
        )
    )
    from ktlo.render.buckets import sprint_buckets_tables

    for buckets in sprint_buckets_tables(doc):
        console.print(buckets)


def _dates(start: str | None, end: str | None) -> str:
    """`2026-11-06 … 11-19`: the end without its year when it is the start's."""
    first, last = (start or "")[:10], (end or "")[:10]
    return f"{first} … {last[5:] if first[:4] == last[:4] and last else last}"


def _sprint_actual(sprint: Sprint) -> str:
    """The actual KTLO share of a sprint's effort, with its person-days; so far while it runs."""
    so_far = " so far" if sprint.in_progress else ""
    if sprint.actual_ktlo_share is None:
        return "no effort" + so_far
    return f"{_pct(sprint.actual_ktlo_share)} of {sprint.actual_person_days:g} d{so_far}"


def render_rotation_review(doc: RotationReviewDocument, console: Console) -> None:
    """Each shift's pages and load, then fairness, follow-ups and which on-call model works."""
    table = Titled(
        box=None,
        header_style="dim",
        title=f"On-call shifts — {display_name(doc.team)} since {doc.since} (on call from {doc.on_call_from})",
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
    for s in doc.shifts:
        table.add_row(s.week, display_name(s.person), str(s.pages), str(s.after_hours_pages),
                      f"{s.incident_hours:g}", f"{s.ktlo_person_days:g}", f"{s.load:g}")  # fmt: skip
    console.print(table)
    over = [display_name(p.person) for p in doc.people if p.overloaded]
    console.print(
        f"\nFairness (Gini of load): {doc.gini:.2f}"
        + (f"; overloaded: {', '.join(over)}" if over else "")
    )
    f = doc.follow_ups
    console.print(
        f"Follow-ups: {f.done} of {f.follow_ups} done, for {f.with_follow_ups} of "
        f"{plural(f.incidents, 'incident')}"
    )
    for metric, result in doc.models.metrics.items():
        console.print(f"{MODEL_FIGURES.get(metric, metric)}: {result.verdict}")


def render_demo_footer(result: Any, console: Console) -> None:
    """Where everything the demo wrote is, and how to look further."""
    console.print(
        f"\n{result.commits:,} commits in 7 repositories, plus tracker, incident, alert, deploy and CI exports."
    )
    console.print(f"Store:  {result.store}\nConfig: {result.config}")
    if result.report:
        console.print(f"Report: {result.report}  (open it in a browser; it works offline)")
    if result.checkout and result.checkout.totals.commits:
        doc: AnalyzeDocument = result.checkout
        name = doc.repository.name if doc.repository else None
        effort = doc.shares.effort
        console.print(
            f"This checkout ({name}): {plural(doc.totals.commits, 'commit')}, "
            f"KTLO share of effort {interval(effort.ktlo, effort.ktlo_low, effort.ktlo_high)}."
        )
    console.print(
        Text(
            f"\nNext: ktlo allocation --db {result.store} --config {result.config} --team payments --by subcategory",
            style="dim",
        )
    )


MODEL_FIGURES = {  # as the report names them (ktlo.render.html.MODEL_FIGURES)
    "mttr_hours": "MTTR (median hours to resolve)",
    "people_interrupted": "People interrupted",
    "ktlo_share": "KTLO share of the week's effort",
}
MODE_STYLE = {"enter": "bold red", "stay": "bold yellow", "exit": "bold green", "normal": "green"}


def render_mode(doc: ModeDocument, console: Console) -> None:
    """Each team's answer and risk, its history, the signals that make the risk as sentences
    with their units, and where to focus (ktlo.planning.ktlo_mode.words)."""
    if not doc.teams:
        console.print("No teams to assess: KTLO mode is decided per team; define them under "
                      "[[teams]] in ktlo.toml (docs/configuration.md).")  # fmt: skip
        return
    if doc.last_period:
        console.print(Text(
            f"KTLO mode over complete {doc.period}s, the last {doc.last_period} (data up to "
            f"{doc.as_of}; the {doc.period} in progress is assessed once complete). Risk runs "
            f"from 0 to 1: a team enters KTLO mode at {doc.enter:.2f} and leaves below "
            f"{doc.exit:.2f}.",
            style="dim",
        ))  # fmt: skip
    for team in doc.teams:
        console.print(_mode_headline(team))
        console.print(Padding(Text(team.history_text or "", style="dim"), (0, 0, 0, 2)))
        console.print(Padding(_mode_reasons(team), (0, 0, 0, 2)))
        if team.focus:
            console.print(Padding("Focus:", (0, 0, 0, 2)))
            console.print(Padding(_focus(team.focus), (0, 0, 0, 4)))


def _mode_headline(team: ModeTeam) -> Text:
    risk = team.risk_text or ("no data" if team.risk is None else f"{team.risk:.2f}")
    return Text.assemble(
        "\n", (display_name(team.team), "bold"), "  ",
        (team.state_text or team.state.upper(), MODE_STYLE[team.state]),
        f"  risk {risk}",
    )  # fmt: skip


def _mode_reasons(team: ModeTeam) -> Table:
    """The signals, most of the risk first: share of the risk, what the value says, its scale;
    those adding none dim, with where they would start to."""
    table = Titled(box=None, header_style="dim", pad_edge=False)
    table.add_column("of risk", justify="right", no_wrap=True)
    table.add_column("why, and where each signal adds risk", ratio=1)
    for r in team.reasons:
        if r.value is None:
            continue
        text = Text(r.text or r.signal)
        if r.share_of_risk:
            text.append(f" ({r.scale})", style="dim")
            table.add_row(f"{r.share_of_risk * 100:.0f}%", text)
            continue
        text.stylize("dim")
        below = r.threshold_text
        text.append(f" ({below})" if below else "", style="dim")
        table.add_row(Text("·", style="dim"), text)
    missing = [r.text or r.signal for r in team.reasons if r.value is None]
    if missing:
        table.add_row("", Text("; ".join(missing), style="dim"))
    return table


def _focus(focus: ModeFocus) -> Table:
    """Where to look first, for a team in KTLO mode."""
    table = Titled(box=None, show_header=False, pad_edge=False)
    table.add_column("what", no_wrap=True)
    table.add_column("where", ratio=1)
    for g in focus.repeat_incident_groups[:3]:
        example = g.incidents[0].title if g.incidents else ""
        table.add_row(
            "repeat incidents", f"{g.service}: {len(g.incidents)} alike, e.g. {example!r}"
        )
    if focus.hotspots:
        table.add_row("KTLO hotspots", places(focus.hotspots))
    for a in focus.noisiest_alerts[:3]:
        table.add_row("noisy alert", f"{a.title} ({plural(a.alerts, 'alert')})")
    if focus.top_ktlo_kinds:
        table.add_row("top KTLO kinds", ", ".join(k["subcategory"] for k in focus.top_ktlo_kinds))
    return table
