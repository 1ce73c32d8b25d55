"""The security patch work coming at a team, for `ktlo forecast` (docs/planning.md).

    expected patch work = open advisories × the team's median person-days per security fix

Open advisories: the open vulnerabilities (one per repository and advisory) in the team's
repositories now, from what the store holds (`ktlo deps` fills it). A security fix: a work
item with a `security` verdict that had effort from the team (docs/effort.md), its
person-days the team's over the whole history. Shown as its own line beside the forecast,
with what it rests on; the KTLO share's trend already carries past patch work, so it is not
added to the share.
"""

from __future__ import annotations

from statistics import median

from pydantic import Field

from ktlo.config import Config
from ktlo.documents import Document
from ktlo.store import Store


class PatchWork(Document):
    """Expected security patch work: open advisories × the measured person-days per fix."""

    open_advisories: int | None = Field(
        description="open vulnerabilities (repository × advisory) in the team's repositories "
        "now; `null` without dependency data"
    )
    security_fixes: int = Field(
        description="the team's work items with a `security` verdict and effort, measured"
    )
    person_days_per_fix: float | None = Field(
        description="their median person-days; `null` when none was measured"
    )
    person_days: float | None = Field(
        description="open advisories × person-days per fix; `null` when either is unknown"
    )
    text: str = Field(description="the line shown, with what it rests on")


def patch_work(store: Store, config: Config, team: str | None, alloc: str = "alloc") -> PatchWork:
    """The team's (or every team's) expected patch work; `alloc` is the allocation table
    over the whole history the caller built (ktlo.effort.allocation.build_allocation)."""
    from ktlo.metrics.dependency_risk import dependency_risk

    rows = store.query(
        f"SELECT sum(person_days) AS days FROM {alloc} "
        "WHERE subcategory = 'security' AND ($team IS NULL OR team = $team) "
        "GROUP BY item_id HAVING sum(person_days) > 0",
        {"team": team},
    )
    per_fix = round(median(float(r["days"]) for r in rows), 2) if rows else None
    (held,) = store.con.execute("SELECT count(*) FROM dependency_changes").fetchone() or (0,)
    opened = None
    if held:
        risk = dependency_risk(store, config, team=team)
        opened = len({(v.repo_id, v.advisory_id) for v in risk.vulnerabilities.open})
    days = round(opened * per_fix, 1) if opened is not None and per_fix is not None else None
    return PatchWork(
        open_advisories=opened, security_fixes=len(rows), person_days_per_fix=per_fix,
        person_days=days, text=_text(opened, per_fix, len(rows), days, team),
    )  # fmt: skip


def _text(
    opened: int | None, per_fix: float | None, fixes: int, days: float | None, team: str | None
) -> str:
    whose = f"of {team}" if team else "of all teams"
    if opened is None:
        return (
            "no dependency data: no manifest or lockfile inventoried (`ktlo deps`), so no "
            "expected patch work"
        )
    advisories = f"{opened} open advisor{'y' if opened == 1 else 'ies'}"
    if per_fix is None:
        return f"{advisories}; no security fix {whose} measured, so no person-days to put on them"
    basis = f"the median of {fixes} security fix{'' if fixes == 1 else 'es'} {whose}"
    return f"{advisories} × {_days(per_fix)} ({basis}) = {_days(days or 0.0)}"


def _days(value: float) -> str:
    return f"{value:g} person-day{'' if value == 1 else 's'}"
