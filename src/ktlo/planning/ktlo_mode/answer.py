"""`ktlo mode`: the KTLO-mode answer per team, from its effort and its operational health.

The signals of docs/ktlo-mode.md are read per period, the last six *complete* calendar
periods (ktlo.periods: the newest the one `ktlo budget` and `ktlo allocation` call the last
complete period), from `ktlo health` over those periods (incidents, MTTR, repeats, change
failure rate, SLOs, bugs, builds, alerts) and from the team's effort (its KTLO share,
corrected for the verdicts' measured error as the budget's is, against its band); scored by
`planning.mode`, and run through the hysteresis oldest first so the current answer knows
where it came from. The period in progress is not assessed until it is complete: a month
seen for a week would swing the risk with whatever that week held.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any, Literal

from pydantic import Field

from ktlo.choices import PERIODS
from ktlo.config import Config
from ktlo.documents import Document
from ktlo.effort.allocation import build_allocation, drivers
from ktlo.effort.error_bars import Parts, Rates, estimate, measured_rates, parts_sql
from ktlo.errors import ConfigError
from ktlo.metrics.common import HealthOptions, Reuse, window_index_sql
from ktlo.metrics.health import health
from ktlo.metrics.health_document import HealthDocument, NoisyAlert, RepeatGroup, Window
from ktlo.metrics.repository import period_label
from ktlo.periods import Coverage, coverage, next_start, period_start
from ktlo.planning.ktlo_mode import words
from ktlo.planning.ktlo_mode.dependencies import TeamDependencies, dependency_signals
from ktlo.planning.ktlo_mode.scoring import Assessment, ModeSettings, SignalRule, assess, decide
from ktlo.store import Store
from ktlo.store.temp_tables import require

JSON_SCHEMA = "ktlo.mode/v1"
MAX_THREADS = 4
State = Literal["enter", "stay", "exit", "normal"]


class ModeReason(Document):
    """One signal of a team's risk in the last period."""

    signal: str = Field(description="the signal's name (the table above)")
    text: str = Field(description="what its value says, in words with units")
    scale: str = Field(description="where it starts to add risk and where it reaches full risk")
    threshold_text: str = Field(description="the first half of `scale` alone")
    value: float | None = Field(description="the signal's value, `null` without data")
    threshold: float = Field(description="at or below it, no risk")
    ceiling: float = Field(description="at or above it, full risk")
    weight: float = Field(description="its weight in the risk")
    severity: float | None = Field(description="0 to 1 between threshold and ceiling")
    share_of_risk: float | None = Field(description="its share of the team's risk")
    meaning: str = Field(description="what the signal measures")


class ModeHistory(Document):
    """A team's answer in one period, oldest first."""

    period: str | None = Field(description="the period's label (`2026-10`)")
    start: str = Field(description="first day")
    end: str = Field(description="the day after the last")
    risk: float | None = Field(description="the risk, 0 to 1; `null` without data")
    state: State = Field(description="the answer in that period")


class ModeFocus(Document):
    """Where a team in KTLO mode should look first."""

    repeat_incident_groups: list[RepeatGroup] = Field(
        description="up to five repeat-incident groups (as in `ktlo health`)"
    )
    hotspots: list[dict[str, Any]] = Field(
        description="directories with the most KTLO effort in the last 91 days"
    )
    noisiest_alerts: list[NoisyAlert] = Field(
        description="up to five noisiest alerts (as in `ktlo health`)"
    )
    top_ktlo_kinds: list[dict[str, Any]] = Field(description="the top KTLO kinds")


class ModeTeam(Document):
    """One team's answer."""

    team: str = Field(description="the team's name")
    state: State = Field(description="the answer now")
    state_text: str = Field(description="the answer in words (`STAY in KTLO mode`)")
    risk: float | None = Field(description="the risk, 0 to 1; `null` without data")
    risk_text: str = Field(
        description="the risk as shown, enough decimals not to round onto a threshold"
    )
    reasons: list[ModeReason] = Field(description="each signal, most of the risk first")
    history: list[ModeHistory] = Field(description="the answer per period, oldest first")
    focus: ModeFocus | None = Field(description="where to look, with `enter` or `stay`")
    history_text: str = Field(description="the history as runs, in words")


class ModeDocument(Document):
    """`ktlo mode --json`: the KTLO-mode answer per team."""

    schema_: Literal["ktlo.mode/v1"] = Field(alias="schema", description="the schema id")
    period: str = Field(description="`month` or `week`")
    as_of: str | None = Field(description="the newest day of effort")
    last_period: str | None = Field(description="the label of the newest period assessed")
    enter: float = Field(description="the risk at which a team enters KTLO mode")
    exit: float = Field(description="the risk under which it may leave")
    min_periods: int = Field(description="the fewest periods a team stays")
    teams: list[ModeTeam] = Field(description="one answer per team")


def settings_from(config: Config) -> ModeSettings:
    """Defaults, with the thresholds, ceilings and weights `[ktlo_mode]` overrides."""
    from ktlo.planning.ktlo_mode.scoring import DEFAULT_RULES

    cfg = config.ktlo_mode
    rules = {}
    for name, rule in DEFAULT_RULES.items():
        rules[name] = SignalRule(
            cfg.weights.get(name, rule.weight), cfg.thresholds.get(name, rule.threshold),
            cfg.ceilings.get(name, rule.ceiling), rule.meaning,
        )  # fmt: skip
    return ModeSettings(cfg.enter, cfg.exit, cfg.min_periods, rules)


def ktlo_mode(
    store: Store,
    config: Config,
    team: str | None = None,
    period: str = "month",
    *,
    alloc: str | None = None,
    reuse: Reuse | None = None,
) -> ModeDocument:
    """One entry per team (or the one asked for): state, risk, reasons, history, focus.

    `alloc` names an allocation table over the whole history the caller already built (the
    report's `alloc_all`); without it, one is built. `reuse` shares the health tables that
    do not depend on the team with the caller's other health documents (when the teams'
    documents are computed on the caller's connection, not on threads).
    """
    if period not in PERIODS:
        raise ConfigError(f"unknown period {period!r}", f"use one of {', '.join(PERIODS)}")
    settings = settings_from(config)
    names = [team] if team else [t.name for t in config.teams]
    if alloc is None and names:
        build_allocation(store, config, None, None)  # effort over every day, once for all teams
    table = alloc or "alloc"
    if names:
        require(store, table)
    covered = coverage(store.con, table) if names else Coverage(None, None)
    until = covered.complete_until(period)
    docs = _health_docs(store, config, names, period, until, reuse or Reuse())
    rates = measured_rates(store)
    ends = [date.fromisoformat(w.end[:10]) for w in docs[names[0]].windows] if names else []
    deps = dependency_signals(store, config, names, ends)
    teams = [
        _team(store, config, name, (docs[name], deps[name]), settings, table, rates, period)
        for name in names
    ]
    in_mode = [t.team for t in teams if t.state in ("enter", "stay")]
    driving = drivers(store, in_mode, table)  # only a team in KTLO mode needs where to look
    teams = [
        t.model_copy(update={"focus": _focus(docs[t.team], driving[t.team])})
        if t.team in driving
        else t
        for t in teams
    ]
    return ModeDocument(schema=JSON_SCHEMA, period=period,
            as_of=covered.as_of.isoformat() if covered.as_of else None,
            last_period=_last_label(until, period), enter=settings.enter,
            exit=settings.exit, min_periods=settings.min_periods, teams=teams)  # fmt: skip


def _last_label(until: date | None, period: str) -> str | None:
    """The label of the last complete period, which ends the day before `until`."""
    if until is None:
        return None
    return period_label(period_start(until - timedelta(days=1), period), period)


def _health_docs(
    store: Store, config: Config, names: list[str], period: str, until: date | None,
    reuse: Reuse,
) -> dict[str, HealthDocument]:  # fmt: skip
    """`ktlo health` for each team. Each document is some forty small queries whose cost is
    mostly planning, so with several teams the work is shared among threads, each on its
    own cursor (and so its own temporary tables): about 1.7x faster on two cores."""

    def of(names: list[str], on: Store, shared: Reuse) -> dict[str, HealthDocument]:
        options = [HealthOptions(team=n, period=period, until=until) for n in names]
        return {o.team or "": health(on, config, o, shared) for o in options}

    workers = min(len(names), os.cpu_count() or 1, MAX_THREADS)
    if workers < 2:
        return of(names, store, reuse)

    def on_cursor(part: list[str]) -> dict[str, HealthDocument]:
        cursor = store.cursor()
        try:
            return of(part, cursor, Reuse())
        finally:
            cursor.close()

    with ThreadPoolExecutor(workers) as pool:
        parts = list(pool.map(on_cursor, [names[k::workers] for k in range(workers)]))
    return {name: doc for part in parts for name, doc in part.items()}


def _team(
    store: Store,
    config: Config,
    team: str,
    signals: tuple[HealthDocument, TeamDependencies],
    settings: ModeSettings,
    alloc: str,
    rates: Rates,
    period: str,
) -> ModeTeam:
    doc, deps = signals
    windows = doc.windows  # oldest first
    shares = _ktlo_shares(store, alloc, team, windows, rates)
    high = next((t.budget.high / 100 for t in config.teams if t.name == team), 0.40)
    assessments = [
        assess(_values(doc, shares, high, k) | deps.values[k], settings)
        for k in range(len(windows))
    ]
    answers = decide([a.risk for a in assessments], settings)
    now = assessments[-1]
    state = answers[-1]
    history = [
        {"period": _label(w, doc.period), "start": w.start, "end": w.end,
         "risk": a.risk, "state": s}
        for w, a, s in zip(windows, assessments, answers, strict=True)
    ]  # fmt: skip
    return ModeTeam(
        team=team,
        state=state,
        state_text=words.state_now(state),
        risk=now.risk,
        risk_text=words.risk_text(now.risk, settings.enter, settings.exit),
        reasons=_reasons(now, period, deps.missing),
        history=[ModeHistory(**h) for h in history],
        focus=None,  # where to look, set by ktlo_mode for a team in KTLO mode
        history_text=words.history(history),
    )


def _label(window: Window, period: str) -> str | None:
    """A window's period label (`2026-10`) when it is one calendar period, else None."""
    start = date.fromisoformat(window.start[:10])
    end = date.fromisoformat(window.end[:10])
    return (
        period_label(start, period)
        if period_start(start, period) == start and (next_start(start, period) == end)
        else None
    )


def _ktlo_shares(
    store: Store, alloc: str, team: str, windows: list[Window], rates: Rates
) -> list[float | None]:
    """The team's KTLO share of effort per window (oldest first), from the allocation table,
    corrected for the verdicts' measured error as `ktlo budget`'s is (ktlo.effort.error_bars)."""
    newest_first = [w.start[:10] for w in reversed(windows)]
    index = window_index_sql("day", len(newest_first), "DATE")
    starts = {f"start{k}": start for k, start in enumerate(newest_first)}
    rows = store.query(
        f"""
        SELECT {index} AS k, {parts_sql("person_days", whole="item_days")}
        FROM {alloc} WHERE team = $team AND day >= $oldest::DATE
        GROUP BY k HAVING k IS NOT NULL
        """,
        {"team": team, "until": windows[-1].end[:10], "oldest": newest_first[-1], **starts},
    )
    last = len(windows) - 1  # the CASE counts from the newest window
    found: dict[int, float] = {}
    for row in rows:
        share = estimate(Parts.of(row), rates)
        if share is not None:
            found[last - int(row["k"])] = share.share
    return [found.get(k) for k in range(len(windows))]


def _values(
    doc: HealthDocument, shares: list[float | None], high: float, k: int
) -> dict[str, float | None]:
    def series(section: str, key: str) -> list[Any]:
        return list(doc.figure(section, key).series)

    def at(values: list[Any], i: int) -> float | None:
        return float(values[i]) if 0 <= i < len(values) and values[i] is not None else None

    def rise(values: list[Any]) -> float | None:
        now, before = at(values, k), at(values, k - 1)
        if now is None or before is None:
            return None
        return (now - before) / max(before, 1.0)

    share, previous = at(shares, k), at(shares, k - 1)
    burned = None
    rates = [float(s.burn_rate) for s in doc.slos if s.burn_rate is not None]
    if k == len(shares) - 1 and rates:
        burned = max(rates)
    return {
        "ktlo_share_over_band": share - high if share is not None else None,
        "ktlo_share_rising": share - previous
        if share is not None and previous is not None
        else None,
        "incident_rate_rising": rise(series("incidents", "count")),
        "mttr_rising": rise(series("incidents", "mttr")),
        "repeat_incidents": at(series("incidents", "repeats"), k),
        "change_failure_rate": at(series("dora", "change_failure_rate"), k),
        "error_budget_burned": burned,
        "bug_backlog_growth": rise(series("bugs", "open_backlog")),
        "flaky_build_rate": at(series("builds", "flaky_rate"), k),
        "alert_noise": at(series("alerts", "noise_ratio"), k),
    }


def _reasons(assessment: Assessment, period: str, missing: dict[str, str]) -> list[ModeReason]:
    """Each signal, most of the risk first, with its sentence and scale in words (or, for a
    signal without data, why: `missing`)."""
    ordered = sorted(assessment.signals, key=lambda s: -(s.share_of_risk or 0.0))
    return [
        ModeReason(
            signal=s.signal,
            text=(s.value is None and missing.get(s.signal))
            or words.sentence(s.signal, s.value, period),
            scale=words.scale(s.signal, s.threshold, s.ceiling),
            threshold_text=words.threshold_text(s.signal, s.threshold),
            value=s.value,
            threshold=s.threshold,
            ceiling=s.ceiling,
            weight=s.weight,
            severity=s.severity,
            share_of_risk=s.share_of_risk,
            meaning=s.meaning,
        )
        for s in ordered
    ]


def _focus(doc: HealthDocument, driving: dict[str, Any]) -> ModeFocus:
    """Where to look first: repeat incidents, KTLO hotspots, the noisiest alerts, the top KTLO kinds."""
    return ModeFocus(
        repeat_incident_groups=doc.incidents.repeats.groups[:5],
        hotspots=driving.get("hotspots", []),
        noisiest_alerts=doc.alerts.noisiest[:5],
        top_ktlo_kinds=driving.get("subcategories", []),
    )
