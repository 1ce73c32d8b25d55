"""`ktlo rotation review`: what past on-call shifts cost each person, and whether it was fair.

Shifts are ISO weeks. Who was on call a week is read from a schedule (the CSV that
`ktlo rotation plan --csv` writes) when given, else inferred: the team member who
acknowledged most of that week's pages. Per shift:

- pages: the team's alerts and incidents created that week (with a schedule, all of them
  go to the on-call person; else each to the person who acknowledged it)
- after-hours pages: those created outside 09:00–18:00 on a weekday, in the person's
  time zone (UTC when none is configured)
- incident hours: for incidents the person took part in, created to resolved
- KTLO person-days: the person's KTLO effort that week (docs/effort.md)

load = pages + after-hours pages (counted twice in all) + incident hours / 4. Fairness is
the Gini coefficient of load across members (0 = equal, 1 = one person carries all);
someone is overloaded above 1.5 × the mean load. Follow-ups: KTLO work items opened within
14 days after an incident was resolved that name it (its id) or read as a postmortem
follow-up, and how many of them are closed.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from statistics import fmean, median
from typing import Any
from zoneinfo import ZoneInfo

from ktlo.config import Config, Team
from ktlo.effort.person_days import compute_effort
from ktlo.planning.rotation_review_document import (
    FollowUps,
    IncidentFollowUps,
    ModelComparison,
    OnCallModels,
    PersonLoad,
    RotationReviewDocument,
    Shift,
)
from ktlo.planning.schedule import check_schedule, read_schedule
from ktlo.store import Store

WORK_START, WORK_END = 9, 18
FOLLOW_UP_DAYS = 14
OVERLOAD = 1.5
DEDICATED = 0.6  # one person acknowledging this share of a week's pages: a rotation week
PERMUTATIONS = 2000
_FOLLOW_UP = re.compile(r"post-?mortem|follow-?up|action item|rca\b|root cause", re.IGNORECASE)


def rotation_review(
    store: Store, config: Config, team: Team, since: date, schedule: Path | None = None,
    *, effort: str | None = None, ktlo_items: list[dict[str, Any]] | None = None,
) -> RotationReviewDocument:  # fmt: skip
    """The review document for `team` since `since`.

    `effort`: a table of effort with its verdicts (`person, day, person_days, investment`)
    the caller already has, such as the report's `alloc_all`; without it, effort is
    computed from the activity since `since`. `ktlo_items`: `ktlo_items_since(store,
    since)` when the caller reviews several teams over the same span.
    """
    members = _members(config, team)
    pages = _pages(store, team, since, members)
    if effort is None:
        compute_effort(store, config, since, None)
        weekly = _week_effort(store, members, "effort e JOIN effective_verdicts v USING (item_id)")
    else:
        weekly = _week_effort(store, members, f"{effort} e", since)
    notes: list[str] = []
    if schedule:
        rota = check_schedule(
            read_schedule(schedule), members, team.name, since, _newest(store, effort or "effort")
        )
        on_call, notes = rota.on_call, rota.notes
    else:
        on_call = _infer_on_call(pages)
    ktlo_days = {key: ktlo for key, (ktlo, _) in weekly.items()}
    zones = {pid: person.timezone for pid, person in config.people.items() if person.timezone}
    shifts = _shifts(pages, on_call, zones, ktlo_days, bool(schedule))
    loads = dict.fromkeys(sorted(set(members.values())), 0.0)  # sorted: the same order each run
    for s in shifts:
        loads[s.person] = loads.get(s.person, 0.0) + s.load
    mean_load = fmean(loads.values()) if loads else 0.0
    return RotationReviewDocument(
        schema="ktlo.rotation_review/v1",
        team=team.name,
        since=since.isoformat(),
        on_call_from="schedule" if schedule else "acknowledgements",
        shifts=shifts,
        people=[
            PersonLoad(
                person=p, load=round(v, 2), overloaded=bool(mean_load) and v > OVERLOAD * mean_load
            )
            for p, v in sorted(loads.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
        gini=round(gini(list(loads.values())), 3),
        follow_ups=_follow_ups(store, team, since, ktlo_items),
        models=compare_models(pages, _team_shares(weekly, set(members.values()))),
        warnings=notes,
    )


def _newest(store: Store, effort: str) -> date | None:
    """The newest day of data the review reads: of effort, incidents or alerts."""
    row = store.con.execute(
        f"""SELECT greatest((SELECT max(day) FROM {effort}),
                            (SELECT max(created_at) FROM incidents)::DATE,
                            (SELECT max(created_at) FROM alerts)::DATE)"""
    ).fetchone()
    return row[0] if row and row[0] else None


def on_call_weeks(
    store: Store, config: Config, team: Team, since: date, until: date
) -> dict[str, int]:
    """How many weeks each member was on call in [since, until), inferred as the review
    infers them (the member who acknowledged most of a week's pages); keyed like
    `team.members`."""
    pages = _pages(store, team, since, _members(config, team))
    on_call = _infer_on_call([p for p in pages if p["created_at"].date() < until])
    weeks: dict[str, int] = {}
    for person in on_call.values():
        weeks[person] = weeks.get(person, 0) + 1
    return weeks


def gini(values: Sequence[float]) -> float:
    """0 when everyone carries the same load, towards 1 when one person carries it all."""
    if not values or not sum(values):
        return 0.0
    ordered = sorted(values)
    n = len(ordered)
    return sum((2 * (i + 1) - n - 1) * v for i, v in enumerate(ordered)) / (n * sum(ordered))


def _members(config: Config, team: Team) -> dict[str, str]:
    """alias (lower case) -> person id, for the team's members."""
    out: dict[str, str] = {}
    for member in team.members:
        person = config.people.get(member)
        for alias in (
            member,
            *(person.aliases if person else []),
            *([person.name] if person and person.name else []),
        ):
            out[alias.lower()] = member
    return out


def _pages(store: Store, team: Team, since: date, members: dict[str, str]) -> list[dict[str, Any]]:
    """The team's alerts and incidents since `since`, each with who acknowledged it."""
    services = [s.lower() for s in team.services]
    rows = store.query(
        """
        SELECT 'incident' AS kind, i.incident_id AS id, i.created_at, i.resolved_at,
               (SELECT e.person FROM incident_events e WHERE e.incident_id = i.incident_id
                  AND e.kind = 'acknowledged' ORDER BY e.occurred_at LIMIT 1) AS acknowledged_by,
               (SELECT list(DISTINCT e.person) FROM incident_events e
                  WHERE e.incident_id = i.incident_id AND e.person IS NOT NULL) AS responders
        FROM incidents i
        WHERE i.created_at >= ? AND (lower(i.service) IN (SELECT unnest(?::VARCHAR[]))
                                     OR list_contains(i.teams, ?))
        UNION ALL
        SELECT 'alert', a.alert_id, a.created_at, a.closed_at, a.responders[1], a.responders
        FROM alerts a
        WHERE a.created_at >= ? AND a.incident_id IS NULL AND lower(a.service) IN (SELECT unnest(?::VARCHAR[]))
        """,
        [since, services, team.name, since, services],
    )
    for row in rows:
        who = (row["acknowledged_by"] or "").lower()
        row["person"] = members.get(who)
        row["participants"] = sorted(
            {members[r.lower()] for r in row["responders"] or [] if r and r.lower() in members}
        )
        row["week"] = (
            row["created_at"].date() - timedelta(days=row["created_at"].weekday())
        ).isoformat()
    return rows


def _infer_on_call(pages: list[dict[str, Any]]) -> dict[str, str]:
    counts: dict[str, dict[str, int]] = {}
    for page in pages:
        if page["person"]:
            week = counts.setdefault(page["week"], {})
            week[page["person"]] = week.get(page["person"], 0) + 1
    return {week: max(people, key=lambda p: (people[p], p)) for week, people in counts.items()}


def _week_effort(
    store: Store, members: dict[str, str], effort: str, since: date | None = None
) -> dict[tuple[str, str], tuple[float, float]]:
    """(KTLO person-days, all person-days) per (person, week) from `effort` (SQL naming its
    rows `e`)."""
    rows = store.con.execute(
        f"""
        SELECT e.person, CAST(date_trunc('week', e.day) AS DATE),
               coalesce(sum(e.person_days) FILTER (WHERE investment = 'ktlo'), 0),
               sum(e.person_days)
        FROM {effort}
        WHERE e.day >= ?::DATE GROUP BY ALL ORDER BY ALL
        """,
        [since or date.min],
    ).fetchall()
    out: dict[tuple[str, str], tuple[float, float]] = {}
    for person, week, ktlo, total in rows:
        key = (members.get(str(person).lower(), str(person)), week.isoformat())
        before = out.get(key, (0.0, 0.0))
        out[key] = (before[0] + float(ktlo), before[1] + float(total))
    return out


def _team_shares(
    weekly: dict[tuple[str, str], tuple[float, float]], members: set[str]
) -> dict[str, float]:
    """The members' KTLO share of effort per week."""
    totals: dict[str, tuple[float, float]] = {}
    for (person, week), (ktlo, total) in weekly.items():
        if person in members:
            before = totals.get(week, (0.0, 0.0))
            totals[week] = (before[0] + ktlo, before[1] + total)
    return {week: ktlo / total for week, (ktlo, total) in totals.items() if total}


def _shifts(
    pages: list[dict[str, Any]], on_call: dict[str, str], zones: dict[str, str],
    ktlo_days: dict[tuple[str, str], float], scheduled: bool,
) -> list[Shift]:  # fmt: skip
    shifts = []
    for week, person in sorted(on_call.items()):
        mine = [p for p in pages if p["week"] == week and (scheduled or p["person"] == person)]
        after = sum(1 for p in mine if _after_hours(p["created_at"], zones.get(person)))
        hours = sum(
            (p["resolved_at"] - p["created_at"]).total_seconds() / 3600
            for p in mine if p["kind"] == "incident" and p["resolved_at"]
        )  # fmt: skip
        load = len(mine) + after + hours / 4
        shifts.append(Shift(
            week=week, person=person, pages=len(mine), after_hours_pages=after,
            incident_hours=round(hours, 1), ktlo_person_days=round(ktlo_days.get((person, week), 0.0), 2),
            load=round(load, 2),
        ))  # fmt: skip
    return shifts


def _after_hours(moment: datetime, zone: str | None) -> bool:
    local = moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(zone or "UTC"))
    return local.weekday() >= 5 or not WORK_START <= local.hour < WORK_END


def ktlo_items_since(store: Store, since: date) -> list[dict[str, Any]]:
    """KTLO issues and pull requests opened since `since`: the candidate follow-ups."""
    return store.query(
        "SELECT w.item_id, w.title, w.body, w.created_at, w.state, w.closed_at, w.refs, "
        "w.repo_id, w.project "
        "FROM work_items w JOIN effective_verdicts v USING (item_id) "
        "WHERE v.investment = 'ktlo' AND w.kind <> 'commit' AND w.created_at >= ?",
        [since],
    )


def _follow_ups(
    store: Store, team: Team, since: date, items: list[dict[str, Any]] | None
) -> FollowUps:
    services = [s.lower() for s in team.services]
    incidents = store.query(
        "SELECT incident_id, external_id, title, resolved_at FROM incidents WHERE resolved_at IS NOT NULL "
        "AND created_at >= ? AND (lower(service) IN (SELECT unnest(?::VARCHAR[])) OR list_contains(teams, ?))",
        [since, services, team.name],
    )
    if items is None:
        items = ktlo_items_since(store, since)
    found: dict[str, list[dict[str, Any]]] = {i["external_id"]: [] for i in incidents}
    for item in items:
        followed = _followed_up(item, incidents, _belongs(item, team))
        if followed is not None:
            found[followed].append(item)
    result = []
    for incident in incidents:
        mine = found[incident["external_id"]]
        done = sum(
            1
            for i in mine
            if i["closed_at"] or (i["state"] or "").lower() in {"closed", "done", "resolved"}
        )
        result.append(
            IncidentFollowUps(
                incident=incident["external_id"],
                title=incident["title"],
                follow_ups=len(mine),
                done=done,
            )
        )
    total = sum(r.follow_ups for r in result)
    done = sum(r.done for r in result)
    return FollowUps(
        incidents=len(result),
        with_follow_ups=sum(1 for r in result if r.follow_ups),
        follow_ups=total,
        done=done,
        done_share=round(done / total, 4) if total else None,
        by_incident=result,
    )


def _followed_up(item: dict[str, Any], incidents: list[dict[str, Any]], ours: bool) -> str | None:
    """The incident an item follows up, if any, so that it counts once: among the incidents
    resolved in the FOLLOW_UP_DAYS before the item was opened, the one it names (by id), else,
    when it is the team's own (`ours`) and reads as a postmortem follow-up, the one resolved
    last before it."""
    opened = item["created_at"]
    if not opened:
        return None
    recent = [
        i for i in incidents
        if i["resolved_at"] <= opened <= i["resolved_at"] + timedelta(days=FOLLOW_UP_DAYS)
    ]  # fmt: skip
    text = f"{item['title'] or ''} {item['body'] or ''}"
    for incident in sorted(recent, key=lambda i: i["resolved_at"], reverse=True):
        key = incident["external_id"]
        if key in (item["refs"] or []) or re.search(rf"(?<![\w-]){re.escape(key)}(?![\w-])", text):
            return str(key)
    if ours and recent and _FOLLOW_UP.search(item["title"] or ""):
        return str(max(recent, key=lambda i: i["resolved_at"])["external_id"])
    return None


def _belongs(item: dict[str, Any], team: Team) -> bool:
    """Whether an item is the team's (any item, when the team lists no repositories)."""
    return not team.repositories or team.owns(item.get("repo_id"), item.get("project"))


def compare_models(
    pages: list[dict[str, Any]], ktlo_shares: dict[str, float] | None = None
) -> OnCallModels:
    """Weeks one person handled (rotation) against weeks many did (shared), on what the data has.

    For each week: MTTR (median hours to resolve its incidents), interruptions (how many
    distinct people took part in its incidents) and the team's KTLO share of effort that
    week (`ktlo_shares`, by the week's Monday, when known). The difference of the two groups' means is
    tested by permutation (2,000 shuffles, fixed seed); a difference is called supported only
    with at least 4 weeks in each group and p < 0.05.
    """
    weeks: dict[str, list[dict[str, Any]]] = {}
    for page in pages:
        weeks.setdefault(page["week"], []).append(page)
    rotation: list[dict[str, Any]] = []
    shared: list[dict[str, Any]] = []
    shares = ktlo_shares or {}
    for week, week_pages in weeks.items():
        acks = [p["person"] for p in week_pages if p["person"]]
        if not acks:
            continue
        top = max(acks.count(p) for p in set(acks))
        incidents = [p for p in week_pages if p["kind"] == "incident" and p["resolved_at"]]
        mttr = (
            median([(p["resolved_at"] - p["created_at"]).total_seconds() / 3600 for p in incidents])
            if incidents
            else None
        )
        interrupted = len({person for p in week_pages for person in p["participants"]})
        (rotation if top / len(acks) >= DEDICATED else shared).append(
            {"mttr_hours": mttr, "people_interrupted": interrupted, "ktlo_share": shares.get(week)}
        )
    return OnCallModels(
        rotation_weeks=len(rotation),
        shared_weeks=len(shared),
        metrics={
            metric: _compare(
                [w[metric] for w in rotation if w[metric] is not None],
                [w[metric] for w in shared if w[metric] is not None],
            )
            for metric in ("mttr_hours", "people_interrupted", "ktlo_share")
        },  # fmt: skip
    )


def _compare(a: list[float], b: list[float]) -> ModelComparison:
    if len(a) < 4 or len(b) < 4:
        return ModelComparison(rotation=_mean(a), shared=_mean(b), p_value=None,
                verdict=f"not enough weeks to tell ({len(a)} with a rotation, {len(b)} shared; 4 of each needed)")  # fmt: skip
    observed = fmean(a) - fmean(b)
    pooled, rng, extreme = a + b, random.Random(7), 0
    for _ in range(PERMUTATIONS):
        rng.shuffle(pooled)
        if abs(fmean(pooled[: len(a)]) - fmean(pooled[len(a) :])) >= abs(observed) - 1e-12:
            extreme += 1
    p = (extreme + 1) / (PERMUTATIONS + 1)
    shown = "p < 0.001" if p < 0.001 else f"p = {p:.3f}"
    if p < 0.05:
        verdict = f"the data supports a difference: {'lower' if observed < 0 else 'higher'} with a rotation ({shown})"
    else:
        verdict = (
            f"no clear difference ({shown}); the data does not support either model over the other"
        )
    return ModelComparison(rotation=_mean(a), shared=_mean(b), p_value=round(p, 4), verdict=verdict)


def _mean(values: list[float]) -> float | None:
    return round(fmean(values), 2) if values else None
