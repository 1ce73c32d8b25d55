"""The demo's tracker, incident, alerting, deploy and CI exports, in ktlo's documented import formats."""

from __future__ import annotations

import csv
import json
import random
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from ktlo.demo.messages import (
    DEPS,
    FOLLOW_UP_TITLES,
    INCIDENT_TITLES,
    ISSUE_TITLES,
    REPEAT_TITLE,
    THINGS,
)
from ktlo.demo.organisation import END, MONTHS, ORG, START, STORM_MONTHS, TEAMS, DemoTeam, month_of

SPRINT_DAYS = 14


def write_exports(root: Path, rng: random.Random) -> dict[str, Path]:
    """Write every export under `root`; returns the file of each kind."""
    root.mkdir(parents=True, exist_ok=True)
    items, incidents, alerts, deployments, builds = [], [], [], [], []
    for team in TEAMS:
        items += _work_items(team, rng)
        team_incidents = _incidents(team, rng)
        incidents += team_incidents
        items += _follow_ups(team, team_incidents)
        alerts += _alerts(team, team_incidents, rng)
        deployments += _deployments(team, rng)
        builds += _builds(team, rng)
    files = {
        "work_items": root / "work_items.csv",
        "sprints": root / "sprints.csv",
        "incidents": root / "incidents.json",
        "alerts": root / "alerts.jsonl",
        "deployments": root / "deployments.csv",
        "builds": root / "builds.jsonl",
    }
    _csv(files["work_items"], items)
    _csv(files["sprints"], [s for team in TEAMS for s in _sprints(team, items)])
    files["incidents"].write_text(json.dumps(incidents, indent=1))
    files["alerts"].write_text("\n".join(json.dumps(a) for a in alerts) + "\n")
    _csv(files["deployments"], deployments)
    files["builds"].write_text("\n".join(json.dumps(b) for b in builds) + "\n")
    return files


def _csv(path: Path, rows: list[dict[str, Any]]) -> None:
    columns = list(dict.fromkeys(k for row in rows for k in row))
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "; ".join(v) if isinstance(v, list) else v for k, v in row.items()})


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _sprint(team: DemoTeam, day: date) -> str:
    return f"{team.ticket} Sprint {(day - START).days // SPRINT_DAYS + 1}"


def _planned_sprint(team: DemoTeam, kind: str, number: int, created: date, month: int) -> str:
    """Stories and tasks are planned into the next sprint; a bug is added to the running one
    (every other bug, and all of payments' bugs in its storm), else planned like the rest."""
    urgent = kind == "bug" and (
        number % 2 == 0 or (team.name == "payments" and month in STORM_MONTHS)
    )
    return _sprint(team, created if urgent else created + timedelta(days=SPRINT_DAYS))


def _sprints(team: DemoTeam, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The team's two-week sprints, from the first to the last one its items name."""
    named = {i["sprint"] for i in items if i["sprint"].startswith(f"{team.ticket} Sprint ")}
    last = max(int(name.rsplit(" ", 1)[1]) for name in named)
    rows = []
    for n in range(1, last + 1):
        first = START + timedelta(days=(n - 1) * SPRINT_DAYS)
        end = first + timedelta(days=SPRINT_DAYS - 1)
        state = "closed" if end < END else ("active" if first <= END else "future")
        rows.append({
            "id": f"{team.ticket}-S{n}", "name": f"{team.ticket} Sprint {n}", "team": team.name,
            "state": state, "starts_at": f"{first.isoformat()}T00:00:00Z",
            "ends_at": f"{end.isoformat()}T23:59:59Z",
        })  # fmt: skip
    return rows


def _work_items(team: DemoTeam, rng: random.Random) -> list[dict[str, Any]]:
    """Stories, bugs, tasks and epics. Search's bugs pile up: opened faster than closed."""
    rows = []
    number = 100
    for month in range(MONTHS):
        first = START + timedelta(days=month * 365 // MONTHS)
        bugs = (
            6
            + (month * 2 if team.name == "search" else 0)
            + (8 if team.name == "payments" and month in STORM_MONTHS else 0)
        )
        for kind, count in (("bug", bugs), ("feature", 10), ("task", 5)):
            for _ in range(count):
                number += 1
                created = datetime.combine(
                    first + timedelta(days=rng.randint(0, 27)), datetime.min.time()
                ) + timedelta(hours=rng.randint(8, 17))
                fix_rate = 0.35 if team.name == "search" and kind == "bug" else 0.85
                closed = (
                    created + timedelta(days=rng.randint(1, 20))
                    if rng.random() < fix_rate
                    else None
                )
                if closed and closed.date() > END:
                    closed = None
                person = rng.choice(team.people)
                title = rng.choice(ISSUE_TITLES[kind]).format(
                    comp=rng.choice(team.components), thing=rng.choice(THINGS), dep=rng.choice(DEPS)
                )
                rows.append({
                    "id": f"{team.ticket}-{number}", "title": title, "kind": "issue",
                    "state": "done" if closed else "open", "author": person.name, "author_email": person.email,
                    "assignees": [rng.choice(team.people).name], "labels": [team.name] + (["bug"] if kind == "bug" else []),
                    "issue_type": {"bug": "Bug", "feature": "Story", "task": "Task"}[kind],
                    "project": team.ticket, "estimate": rng.choice((1, 2, 3, 5, 8)), "sprint": _planned_sprint(team, kind, number, created.date(), month),
                    "repo": f"{ORG}/{team.repos[0]}", "created_at": _iso(created), "closed_at": _iso(closed) if closed else "",
                })  # fmt: skip
    epic = {"payments": "Migrate payouts to the new ledger", "search": "Semantic search beta",
            "platform": "Multi-region Kubernetes platform", "mobile": "Offline-first mobile app"}[team.name]  # fmt: skip
    rows.append({"id": f"{team.ticket}-1", "title": epic, "kind": "issue", "state": "open", "author": team.people[0].name,
                 "author_email": team.people[0].email, "assignees": [], "labels": [team.name], "issue_type": "Epic",
                 "project": team.ticket, "estimate": "", "sprint": "", "repo": f"{ORG}/{team.repos[0]}",
                 "created_at": _iso(datetime.combine(START, datetime.min.time())), "closed_at": ""})  # fmt: skip
    return rows


def _incidents(team: DemoTeam, rng: random.Random) -> list[dict[str, Any]]:
    """A couple a month per team; payments-api's storm brings repeats of the same failure."""
    rows = []
    for month in range(MONTHS):
        first = START + timedelta(days=month * 365 // MONTHS)
        storm = team.name == "payments" and month in STORM_MONTHS
        for n in range(rng.randint(0, 2) + (9 if storm else 0)):
            created = datetime.combine(
                first + timedelta(days=rng.randint(0, 27)), datetime.min.time()
            ) + timedelta(hours=rng.randint(0, 23), minutes=rng.randint(0, 59))
            service = team.services[0] if storm or rng.random() < 0.6 else team.services[-1]
            repeat = storm and n % 3 != 2
            title = (
                REPEAT_TITLE.format(n=rng.choice(("eu", "card", "wallet")))
                if repeat
                else rng.choice(INCIDENT_TITLES).format(service=service)
            )
            minutes = rng.randint(90, 300) if storm else rng.randint(20, 90)
            responder = rng.choice(team.people)
            acked = created + timedelta(minutes=rng.randint(2, 15))
            resolved = created + timedelta(minutes=minutes)
            key = f"{team.ticket}-INC-{month:02d}{n:02d}"
            rows.append({
                "id": key, "title": title, "created_at": _iso(created), "service": service, "teams": [team.name],
                "severity": "sev1" if minutes > 180 else ("sev2" if minutes > 60 else "sev3"),
                "status": "resolved", "acknowledged_at": _iso(acked), "resolved_at": _iso(resolved),
                "events": [
                    {"occurred_at": _iso(created), "kind": "triggered"},
                    {"occurred_at": _iso(acked), "kind": "acknowledged", "person": responder.email},
                    {"occurred_at": _iso(resolved), "kind": "resolved", "person": responder.email},
                ],
            })  # fmt: skip
    return rows


def _follow_ups(team: DemoTeam, incidents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Postmortem follow-ups, opened by the responder within days of the resolution and
    naming the incident: for every sev1 and sev2 and some sev3s. During payments' storm
    most stay open, the pattern `ktlo rotation review` reports. A generator of its own,
    so that the other exports do not change with it."""
    rng = random.Random(f"follow-ups {team.name}")
    rows = []
    for number, incident in enumerate(incidents, start=9001):
        if incident["severity"] == "sev3" and rng.random() < 0.6:
            continue
        resolved = datetime.fromisoformat(incident["resolved_at"].replace("Z", ""))
        opened = resolved + timedelta(days=rng.randint(1, 4), hours=rng.randint(0, 6))
        if opened.date() > END:
            continue
        storm = team.name == "payments" and month_of(opened.date()) in STORM_MONTHS
        done_rate = 0.3 if storm else 0.8
        closed: datetime | None = opened + timedelta(days=rng.randint(3, 15))
        if rng.random() >= done_rate or (closed and closed.date() > END):
            closed = None
        responder = next(p for p in team.people if p.email == incident["events"][1]["person"])
        title = rng.choice(FOLLOW_UP_TITLES).format(
            service=incident["service"], incident=incident["id"]
        )
        rows.append({
            "id": f"{team.ticket}-{number}", "title": title, "kind": "issue",
            "state": "done" if closed else "open", "author": responder.name, "author_email": responder.email,
            "assignees": [responder.name], "labels": [team.name, "postmortem"], "issue_type": "Task",
            "project": team.ticket, "estimate": rng.choice((1, 2, 3)), "sprint": "",
            "repo": f"{ORG}/{team.repos[0]}", "created_at": _iso(opened), "closed_at": _iso(closed) if closed else "",
        })  # fmt: skip
    return rows


def _alerts(
    team: DemoTeam, incidents: list[dict[str, Any]], rng: random.Random
) -> list[dict[str, Any]]:
    """Alerts behind each incident, plus noise: most of it closed within minutes, unacknowledged."""
    rows = []
    for incident in incidents:
        created = datetime.fromisoformat(incident["created_at"].replace("Z", ""))
        for i in range(rng.randint(1, 4)):
            at = created - timedelta(minutes=rng.randint(0, 5))
            rows.append({"id": f"{incident['id']}-a{i}", "title": f"{incident['service']} error rate above 5%",
                         "created_at": _iso(at), "incident_id": incident["id"], "service": incident["service"],
                         "severity": "critical", "acknowledged_at": incident["acknowledged_at"],
                         "closed_at": incident["resolved_at"], "count": rng.randint(1, 6), "tags": [team.name],
                         "responders": [incident["events"][1]["person"]]})  # fmt: skip
    noisy = {"payments": 80, "search": 40, "platform": 120, "mobile": 20}[team.name]
    day, n = START, 0
    while day <= END:
        for _ in range(rng.randint(0, max(1, noisy // 30))):
            n += 1
            at = datetime.combine(day, datetime.min.time()) + timedelta(
                hours=rng.randint(0, 23), minutes=rng.randint(0, 59)
            )
            source = rng.choice(
                ("cpu above 80%", "disk usage above 85%", "pod restarted", "p99 latency above 1s")
            )
            rows.append({"id": f"{team.ticket}-noise-{n}", "title": f"{rng.choice(team.services)}: {source}",
                         "created_at": _iso(at), "service": rng.choice(team.services), "severity": "warning",
                         "closed_at": _iso(at + timedelta(minutes=rng.randint(1, 8))), "count": 1, "tags": [team.name]})  # fmt: skip
        day += timedelta(days=1)
    return rows


def _deployments(team: DemoTeam, rng: random.Random) -> list[dict[str, Any]]:
    rows = []
    day, n = START, 0
    while day <= END:
        if day.weekday() < 5:
            for service, repo in zip(team.services, team.repos, strict=False):
                for _ in range(rng.choice((0, 1, 1, 2))):
                    n += 1
                    storm = team.name == "payments" and month_of(day) in STORM_MONTHS
                    status = "failure" if rng.random() < (0.25 if storm else 0.05) else "success"
                    at = datetime.combine(day, datetime.min.time()) + timedelta(
                        hours=rng.randint(9, 17)
                    )
                    rows.append({"id": f"{service}-d{n}", "created_at": _iso(at), "finished_at": _iso(at + timedelta(minutes=6)),
                                 "repo": f"{ORG}/{repo}", "service": service, "environment": "production",
                                 "sha": f"{rng.getrandbits(160):040x}", "ref": "main",
                                 "status": "rolled_back" if status == "failure" and rng.random() < 0.5 else status})  # fmt: skip
        day += timedelta(days=1)
    return rows


def _builds(team: DemoTeam, rng: random.Random) -> list[dict[str, Any]]:
    """CI runs on main; search's flaky tests grow from 2% to 20% of runs over the year."""
    rows = []
    day, n = START, 0
    while day <= END:
        if day.weekday() < 5:
            month = month_of(day)
            flaky = 0.02 + (0.18 * month / (MONTHS - 1) if team.name == "search" else 0.0)
            for repo in team.repos:
                for _ in range(rng.randint(2, 5)):
                    n += 1
                    sha = f"{rng.getrandbits(160):040x}"
                    start = datetime.combine(day, datetime.min.time()) + timedelta(
                        hours=rng.randint(8, 18), minutes=rng.randint(0, 59)
                    )
                    minutes = rng.randint(6, 14) + (month // 2 if team.name == "search" else 0)
                    base = {
                        "repo": f"{ORG}/{repo}",
                        "workflow": "ci",
                        "job": "test",
                        "sha": sha,
                        "branch": "main",
                        "event": "push",
                        "status": "completed",
                    }
                    if rng.random() < flaky:  # failed, then passed on a re-run of the same commit
                        rows.append({**base, "id": f"{repo}-b{n}-1", "conclusion": "failure", "attempt": 1,
                                     "queued_at": _iso(start), "started_at": _iso(start + timedelta(minutes=1)),
                                     "finished_at": _iso(start + timedelta(minutes=minutes))})  # fmt: skip
                        start += timedelta(minutes=minutes + 3)
                        rows.append({**base, "id": f"{repo}-b{n}-2", "conclusion": "success", "attempt": 2,
                                     "queued_at": _iso(start), "started_at": _iso(start + timedelta(minutes=1)),
                                     "finished_at": _iso(start + timedelta(minutes=minutes))})  # fmt: skip
                    else:
                        conclusion = "failure" if rng.random() < 0.04 else "success"
                        rows.append({**base, "id": f"{repo}-b{n}-1", "conclusion": conclusion, "attempt": 1,
                                     "queued_at": _iso(start), "started_at": _iso(start + timedelta(minutes=1)),
                                     "finished_at": _iso(start + timedelta(minutes=minutes))})  # fmt: skip
        day += timedelta(days=1)
    return rows
