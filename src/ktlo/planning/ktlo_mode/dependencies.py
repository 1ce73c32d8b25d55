"""KTLO mode's dependency signals: the risk that is coming at a team (docs/ktlo-mode.md).

Read per period from what the store holds (`ktlo deps` fills it; no network here), as of
each period's last day, over the repositories of the team (ktlo.metrics.dependency_risk
`teams_of`):

    open_critical_high   open critical or high vulnerabilities in its dependencies
    critical_high_age    days since the oldest of them was published (0 when none is open)
    libyears_rising      its libyears, relative change on the previous period

A signal the store cannot answer is None, with why (`missing`): no inventory for the team's
repositories, packages never checked against OSV, no release dates. Never a silent 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from ktlo.config import Config
from ktlo.metrics.dependency_risk import DependencyRisk, dependency_risk
from ktlo.metrics.dependency_risk_document import OpenVulnerability
from ktlo.metrics.versions import version_key
from ktlo.store import Store

SIGNALS = ("open_critical_high", "critical_high_age", "libyears_rising")
SEVERE = ("critical", "high")
NO_INVENTORY = (
    "no dependency data: no manifest or lockfile inventoried in its repositories (`ktlo deps`)"
)
UNCHECKED = "no dependency data: its packages were never checked against OSV (`ktlo deps`)"
UNDATED = "no dependency data: no release dates for its packages (`ktlo deps`, online)"


@dataclass(frozen=True, slots=True)
class TeamDependencies:
    """A team's dependency signals per period (oldest first), and why any is missing now."""

    values: list[dict[str, float | None]]
    missing: dict[str, str] = field(default_factory=dict)


def dependency_signals(
    store: Store, config: Config, teams: list[str], period_ends: list[date]
) -> dict[str, TeamDependencies]:
    """Each team's signals for the periods ending the day before each of `period_ends`."""
    (held,) = store.con.execute("SELECT count(*) FROM dependency_changes").fetchone() or (0,)
    if not held:
        empty = dict.fromkeys(SIGNALS)
        return {
            t: TeamDependencies([dict(empty) for _ in period_ends], dict.fromkeys(SIGNALS, NO_INVENTORY))
            for t in teams
        }  # fmt: skip
    risks = [dependency_risk(store, config, as_of=end - timedelta(days=1)) for end in period_ends]
    return {team: _team(team, risks) for team in teams}


def _team(team: str, risks: list[DependencyRisk]) -> TeamDependencies:
    values: list[dict[str, float | None]] = []
    missing: dict[str, str] = {}
    before: float | None = None
    for risk in risks:
        libyears, why_not = _libyears(team, risk)
        opened, unchecked = _open(team, risk)
        oldest = max((v.age_days or 0.0 for v in opened), default=0.0)
        known = not unchecked
        rise = (
            None if libyears is None or before is None else (libyears - before) / max(before, 1.0)
        )
        values.append({
            "open_critical_high": float(len(opened)) if known else None,
            "critical_high_age": round(oldest, 1) if known else None,
            "libyears_rising": rise,
        })  # fmt: skip
        missing = {}
        if why_not == NO_INVENTORY:
            missing = dict.fromkeys(SIGNALS, NO_INVENTORY)
        else:
            if unchecked:
                missing |= {"open_critical_high": UNCHECKED, "critical_high_age": UNCHECKED}
            if libyears is None:
                missing["libyears_rising"] = why_not or UNDATED
        before = libyears
    return TeamDependencies(values, missing)


def _libyears(team: str, risk: DependencyRisk) -> tuple[float | None, str | None]:
    """The team's libyears as of the risk's day, or None and why."""
    mine = [r for r in risk.freshness.repositories if team in r.teams]
    if not mine:
        return None, NO_INVENTORY
    if not any(r.totals.dated for r in mine):
        return None, UNDATED
    return sum(r.totals.libyears for r in mine), None


def _open(team: str, risk: DependencyRisk) -> tuple[list[OpenVulnerability], bool]:
    """The team's open critical and high vulnerabilities, and whether none of its packages
    could be matched against OSV: never checked, or a range no lockfile pins (then the
    count is unknown, not 0)."""
    mine = [r for r in risk.freshness.repositories if team in r.teams]
    repos = {r.repo_id for r in mine}
    never = set(risk.vulnerabilities.unchecked)
    matched = [
        p for r in mine for p in r.packages
        if f"{p.ecosystem} {p.package}" not in never
        and version_key(p.ecosystem, p.version) is not None
    ]  # fmt: skip
    unchecked = not matched
    opened = [v for v in risk.vulnerabilities.open if v.repo_id in repos and v.severity in SEVERE]
    return opened, unchecked
