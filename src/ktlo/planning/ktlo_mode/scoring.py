"""KTLO mode: when a team should make reliability its main focus, and when it can stop.

Each period, every signal is scored between 0 (at or under its threshold) and 1 (at or past
its ceiling), linearly in between; the team's risk is the weighted mean of the signals:

    risk = Σ wᵢ · clamp((vᵢ − thresholdᵢ) / (ceilingᵢ − thresholdᵢ), 0, 1) / Σ wᵢ

Signals with no data are left out of both sums (and said so). With hysteresis so the
answer does not flap: a team *enters* when risk reaches `enter` (default 0.5), *stays*
while it is above `exit` (default 0.3) or for at least `min_periods` periods (default 2),
and *exits* below `exit` after that; otherwise it is *normal*. Defaults and how to tune
them: docs/ktlo-mode.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class SignalRule:
    """How one signal turns into risk."""

    weight: float
    threshold: float  # at or below: no risk
    ceiling: float  # at or above: full risk
    meaning: str


#: Weights sum to 1: the ten effort and health signals share 0.9 (as they did 1.0 before the
#: dependency signals, so a store without dependency data scores exactly as it did), the
#: three dependency signals 0.1.
DEFAULT_RULES: dict[str, SignalRule] = {
    "ktlo_share_over_band": SignalRule(
        0.18, 0.0, 0.20, "KTLO share above the team's band (points over high)"
    ),
    "ktlo_share_rising": SignalRule(
        0.045, 0.0, 0.10, "KTLO share rise over the previous period (points)"
    ),
    "incident_rate_rising": SignalRule(
        0.135, 0.0, 1.0, "incidents per week, relative rise over the previous period"
    ),
    "mttr_rising": SignalRule(
        0.09, 0.0, 1.0, "MTTR (median), relative rise over the previous period"
    ),
    "repeat_incidents": SignalRule(0.135, 0.0, 3.0, "incidents in repeat groups this period"),
    "change_failure_rate": SignalRule(
        0.09, 0.15, 0.45, "change failure rate (DORA elite/high are at or under 15%)"
    ),
    "error_budget_burned": SignalRule(
        0.135, 0.5, 1.0, "share of the error budget burned in the window"
    ),
    "bug_backlog_growth": SignalRule(
        0.036, 0.0, 0.5, "open bugs, relative growth over the previous period"
    ),
    "flaky_build_rate": SignalRule(
        0.027, 0.02, 0.15, "share of runs that failed then passed on a re-run"
    ),
    "alert_noise": SignalRule(0.027, 0.5, 0.9, "share of alerts that were noise"),
    "open_critical_high": SignalRule(
        0.05, 0.0, 3.0, "open critical or high vulnerabilities in the team's dependencies"
    ),
    "critical_high_age": SignalRule(
        0.03, 7.0, 60.0, "days since the oldest open critical or high vulnerability was published"
    ),
    "libyears_rising": SignalRule(
        0.02,
        0.0,
        0.5,
        "libyears of the team's dependencies, relative rise over the previous period",
    ),
}


@dataclass(frozen=True, slots=True)
class ModeSettings:
    enter: float = 0.5
    exit: float = 0.3
    min_periods: int = 2
    rules: Mapping[str, SignalRule] = field(default_factory=lambda: dict(DEFAULT_RULES))


@dataclass(frozen=True, slots=True)
class Scored:
    signal: str
    value: float | None
    threshold: float
    ceiling: float
    weight: float
    severity: float | None
    share_of_risk: float | None
    meaning: str


@dataclass(frozen=True, slots=True)
class Assessment:
    risk: float | None
    signals: tuple[Scored, ...]


def assess(values: Mapping[str, float | None], settings: ModeSettings) -> Assessment:
    """Score one period's signal values."""
    scored = []
    total_weight = contributions = 0.0
    parts: dict[str, float] = {}
    for name, rule in settings.rules.items():
        value = values.get(name)
        if value is None:
            scored.append(
                Scored(
                    name, None, rule.threshold, rule.ceiling, rule.weight, None, None, rule.meaning
                )
            )
            continue
        span = rule.ceiling - rule.threshold
        severity = (
            min(1.0, max(0.0, (value - rule.threshold) / span))
            if span > 0
            else float(value > rule.threshold)
        )
        total_weight += rule.weight
        contributions += rule.weight * severity
        parts[name] = rule.weight * severity
        scored.append(
            Scored(
                name,
                round(value, 4),
                rule.threshold,
                rule.ceiling,
                rule.weight,
                round(severity, 3),
                None,
                rule.meaning,
            )
        )
    risk = contributions / total_weight if total_weight else None
    final = tuple(
        Scored(
            s.signal,
            s.value,
            s.threshold,
            s.ceiling,
            s.weight,
            s.severity,
            round(parts[s.signal] / contributions, 3)
            if contributions and s.signal in parts
            else (0.0 if s.signal in parts else None),
            s.meaning,
        )  # fmt: skip
        for s in scored
    )
    return Assessment(round(risk, 4) if risk is not None else None, final)


def decide(risks: Sequence[float | None], settings: ModeSettings) -> list[str]:
    """The answer for each period in order: enter, stay, exit or normal, with hysteresis."""
    answers = []
    in_mode, periods_in = False, 0
    for risk in risks:
        if not in_mode:
            if risk is not None and risk >= settings.enter:
                in_mode, periods_in = True, 1
                answers.append("enter")
            else:
                answers.append("normal")
            continue
        if risk is not None and risk < settings.exit and periods_in >= settings.min_periods:
            in_mode, periods_in = False, 0
            answers.append("exit")
        else:
            periods_in += 1
            answers.append("stay")
    return answers
