"""KTLO mode in words: each signal as a sentence with its unit, and the history as runs.

`ktlo mode --json` keeps every value as a number; the terminal, the report, the dashboard
and the team cards show the same sentences, made here: "31% of builds flaky (failed, then
passed on a re-run)", not "flaky_build_rate 0.31" (docs/ktlo-mode.md lists the units).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

#: Signals read from the team's effort; every other signal is operational health.
EFFORT_SIGNALS = ("ktlo_share_over_band", "ktlo_share_rising")
#: Signals read from the dependency inventory, release dates and advisories (`ktlo deps`).
DEPENDENCY_SIGNALS = ("open_critical_high", "critical_high_age", "libyears_rising")

_POINTS = ("ktlo_share_over_band", "ktlo_share_rising")
_RISES = ("incident_rate_rising", "mttr_rising", "bug_backlog_growth", "libyears_rising")
_RATIOS = ("change_failure_rate", "flaky_build_rate", "alert_noise")
_RISING_WHAT = {
    "incident_rate_rising": "incidents",
    "mttr_rising": "median time to resolve",
    "bug_backlog_growth": "open bugs",
    "libyears_rising": "libyears",
}
#: The health panel (docs/report.md) where each operational signal's figures are shown.
PANELS = {
    "incident_rate_rising": "incidents",
    "mttr_rising": "incidents",
    "repeat_incidents": "repeats",
    "change_failure_rate": "dora",
    "error_budget_burned": "slos",
    "bug_backlog_growth": "bugs",
    "flaky_build_rate": "builds",
    "alert_noise": "alerts",
}
_STATE_NOW = {
    "enter": "ENTER KTLO mode",
    "stay": "STAY in KTLO mode",
    "exit": "EXIT KTLO mode",
    "normal": "NORMAL (no KTLO mode)",
}
_STATE_PAST = {"enter": "entered", "stay": "stayed", "exit": "left", "normal": "normal"}


_NAMES = {
    "ktlo_share_over_band": "the KTLO share",
    "ktlo_share_rising": "the KTLO share's change",
    "incident_rate_rising": "incidents",
    "mttr_rising": "time to resolve",
    "repeat_incidents": "repeat incidents",
    "change_failure_rate": "change failure rate",
    "error_budget_burned": "error budget",
    "bug_backlog_growth": "open bugs",
    "flaky_build_rate": "flaky builds",
    "alert_noise": "alert noise",
    "open_critical_high": "open critical and high vulnerabilities",
    "critical_high_age": "the oldest open critical or high vulnerability",
    "libyears_rising": "libyears",
}


def percent(share: float) -> str:
    """`31%`, or `1.2%` under 10%: the precision the health scorecard uses."""
    value = share * 100
    if abs(value) >= 10 or round(value, 1) == round(value):
        return f"{value:.0f}%"
    return f"{value:.1f}%"


def _points(share: float) -> str:
    return f"{round(abs(share) * 100, 1):g} points"


def amount(signal: str, value: float) -> str:
    """A value of `signal` in its unit: points, a relative change, a share, a count, × budget."""
    if signal in _POINTS:
        return _points(value)
    if signal in _RISES:
        return f"{'+' if value >= 0 else ''}{percent(value)}"
    if signal in _RATIOS:
        return percent(value)
    if signal == "error_budget_burned":
        return percent(value) if value <= 1 else f"{value:.1f}×"
    if signal == "critical_high_age":
        return f"{value:g} days"
    return f"{value:g}"


def sentence(signal: str, value: float | None, period: str = "month") -> str:
    """What one signal's value says, with its unit."""
    if value is None:
        return f"no data for {_NAMES.get(signal, signal.replace('_', ' '))}"
    previous = f"the previous {period}"
    if signal == "ktlo_share_over_band":
        points = abs(value) * 100
        if round(points, 1) == 0:
            return "KTLO share at the top of its band"
        side = "above its band" if value > 0 else "below the top of its band"
        return f"KTLO share {points:.1f} points {side}"
    if signal == "ktlo_share_rising":
        return f"KTLO share {_change(value * 100, ' points')} from {previous}"
    if signal in _RISES:
        what = _RISING_WHAT[signal]
        if value <= -1 and signal != "mttr_rising":
            return f"no {what}, after some in {previous}"
        return f"{what} {_change(value * 100, '%')} from {previous}"
    if signal == "repeat_incidents":
        count = int(value)
        if count == 0:
            return "no repeat incidents"
        return f"{count} repeat incident{'' if count == 1 else 's'}"
    if signal == "change_failure_rate":
        return f"{percent(value)} of deployments failed"
    if signal == "error_budget_burned":
        if value == 0:
            return "no SLO burned any of its error budget"
        burned = amount(signal, value)
        return f"the worst SLO burned {burned}{'' if value > 1 else ' of'} its error budget"
    if signal == "flaky_build_rate":
        return f"{percent(value)} of builds flaky"
    if signal == "alert_noise":
        return f"{percent(value)} of alerts were noise"
    if signal == "open_critical_high":
        count = int(value)
        if count == 0:
            return "no open critical or high vulnerability"
        return f"{count} open critical or high vulnerabilit{'y' if count == 1 else 'ies'}"
    if signal == "critical_high_age":
        if value == 0:
            return "no critical or high vulnerability open"
        return f"the oldest open critical or high vulnerability public for {value:.0f} days"
    return f"{signal.replace('_', ' ')} {value:g}"


def _change(value: float, unit: str) -> str:
    if round(value, 1) == 0:
        return "unchanged"
    size = f"{abs(value):.1f}" if unit == " points" else f"{abs(value):.0f}"
    return f"{'up' if value > 0 else 'down'} {size}{unit}"


def scale(signal: str, threshold: float, ceiling: float) -> str:
    """Where a signal starts to add risk and where it reaches full risk, in its unit."""
    full = amount(signal, ceiling)
    if signal == "ktlo_share_over_band":
        full += " above"
    elif signal in _RISES or signal == "ktlo_share_rising":
        full = "+" + full.lstrip("+")
    if threshold == 0 and signal not in _RATIOS:
        return f"full risk at {full}"
    return f"risk from {amount(signal, threshold)}, full at {full}"


def threshold_text(signal: str, threshold: float) -> str:
    """Where a signal starts to add risk, for one that does not yet: `risk from 15%`."""
    return (
        "" if threshold == 0 and signal not in _RATIOS else f"risk from {amount(signal, threshold)}"
    )


def risk_text(risk: float | None, *thresholds: float) -> str:
    """A risk with two decimals, or more where two would put it on a threshold it has not
    reached (0.4992 against an entry at 0.5 reads 0.499, not 0.50)."""
    if risk is None:
        return "no data"
    for digits in (2, 3, 4):
        shown = round(risk, digits)
        if not any(shown == t and (risk < t) != (shown < t) for t in thresholds):
            return f"{risk:.{digits}f}"
    return f"{risk:.4f}"


def state_now(state: str) -> str:
    """The answer as a headline: `STAY in KTLO mode`."""
    return _STATE_NOW.get(state, state.upper())


def history(entries: Sequence[dict[str, Any]]) -> str:
    """The answers period by period, oldest first, runs of one answer together:
    `normal 2026-05 to 2026-06, entered 2026-07, stayed 2026-08 to 2026-10`."""
    runs: list[tuple[str, str, str]] = []
    for entry in entries:
        label = entry.get("period") or str(entry.get("start", ""))[:10]
        if runs and runs[-1][0] == entry["state"]:
            runs[-1] = (runs[-1][0], runs[-1][1], label)
        else:
            runs.append((entry["state"], label, label))
    return ", ".join(
        f"{_STATE_PAST.get(state, state)} {first}" + (f" to {last}" if last != first else "")
        for state, first, last in runs
    )


def health_risks(reasons: Sequence[dict[str, Any]], top: int = 3) -> list[dict[str, Any]]:
    """The operational signals adding most to the risk (the KTLO share is on the card already),
    each with its sentence: what a team card leads with."""
    found = [
        r
        for r in reasons
        if r["signal"] not in EFFORT_SIGNALS and r["value"] is not None and r.get("severity")
    ]
    found.sort(key=lambda r: (-(r.get("share_of_risk") or 0.0), -(r.get("severity") or 0.0)))
    return [
        {"signal": r["signal"], "text": r["text"], "share_of_risk": r.get("share_of_risk"),
         "panel": PANELS.get(r["signal"])}
        for r in found[:top]
    ]  # fmt: skip


def has_health_data(reasons: Sequence[dict[str, Any]]) -> bool:
    """Whether any operational signal had data (else the card says none was synced)."""
    return any(
        r["signal"] not in EFFORT_SIGNALS + DEPENDENCY_SIGNALS and r["value"] is not None
        for r in reasons
    )
