"""The demo's incident, alert, deploy and CI exports, in ktlo's documented import formats.

Deployments ship the commit at the head of main when they run, and CI builds the commits
pushed that day, so their shas are the repositories' own.
"""

from __future__ import annotations

import bisect
import json
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ktlo.demo.messages import ALERT_CONDITIONS, INCIDENT_TITLES, REPEAT_TITLE
from ktlo.demo.organisation import END, MONTHS, ORG, START, STORM_MONTHS, TEAMS, DemoTeam, month_of

Heads = dict[str, list[tuple[datetime, str]]]  # repository name: (commit time, sha), in time order


def write_exports(
    root: Path, incidents: dict[str, list[dict[str, Any]]], heads: Heads, rng: random.Random
) -> dict[str, Path]:
    """Write the incident, alert, deployment and build exports under `root`."""
    root.mkdir(parents=True, exist_ok=True)
    alerts, deployments, builds = [], [], []
    for team in TEAMS:
        alerts += _alerts(team, incidents[team.name], rng)
        deployments += _deployments(team, heads, rng)
        builds += _builds(team, heads, rng)
    files = {
        "incidents": root / "incidents.json",
        "alerts": root / "alerts.jsonl",
        "deployments": root / "deployments.csv",
        "builds": root / "builds.jsonl",
    }
    everything = [i for team in TEAMS for i in incidents[team.name]]
    files["incidents"].write_text(json.dumps(everything, indent=1))
    files["alerts"].write_text("\n".join(json.dumps(a) for a in alerts) + "\n")
    _csv(files["deployments"], deployments)
    files["builds"].write_text("\n".join(json.dumps(b) for b in builds) + "\n")
    return files


def _csv(path: Path, rows: list[dict[str, Any]]) -> None:
    import csv

    columns = list(dict.fromkeys(k for row in rows for k in row))
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _head(heads: Heads, repo: str, at: datetime) -> str | None:
    """The sha at the head of `repo`'s main at `at` (None before its first commit)."""
    commits = heads.get(repo, [])
    i = bisect.bisect_right(commits, (at, "~"))
    return commits[i - 1][1] if i else None


def incidents_for(team: DemoTeam, rng: random.Random) -> list[dict[str, Any]]:
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


def _alerts(
    team: DemoTeam, incidents: list[dict[str, Any]], rng: random.Random
) -> list[dict[str, Any]]:
    """Alerts behind each incident, plus noise: most of it closed within minutes,
    unacknowledged. Every alert names the service it fired on, in its title too."""
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
            service, condition = rng.choice(team.services), rng.choice(ALERT_CONDITIONS)
            rows.append({"id": f"{team.ticket}-noise-{n}", "title": f"{service}: {condition}",
                         "created_at": _iso(at), "service": service, "severity": "warning",
                         "closed_at": _iso(at + timedelta(minutes=rng.randint(1, 8))), "count": 1, "tags": [team.name]})  # fmt: skip
        day += timedelta(days=1)
    return rows


def _deployments(team: DemoTeam, heads: Heads, rng: random.Random) -> list[dict[str, Any]]:
    """Zero to two production deployments a working day per service, of the head of main."""
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
                    rolled_back = status == "failure" and rng.random() < 0.5
                    sha = _head(heads, repo, at)
                    if sha is None:
                        continue
                    rows.append({"id": f"{service}-d{n}", "created_at": _iso(at), "finished_at": _iso(at + timedelta(minutes=6)),
                                 "repo": f"{ORG}/{repo}", "service": service, "environment": "production",
                                 "sha": sha, "ref": "main", "status": "rolled_back" if rolled_back else status})  # fmt: skip
        day += timedelta(days=1)
    return rows


def _builds(team: DemoTeam, heads: Heads, rng: random.Random) -> list[dict[str, Any]]:
    """CI runs on main, each of the head pushed before it; search's flaky tests grow from 2%
    to 20% of runs over the year."""
    rows = []
    day, n = START, 0
    while day <= END:
        if day.weekday() < 5:
            month = month_of(day)
            flaky = 0.02 + (0.18 * month / (MONTHS - 1) if team.name == "search" else 0.0)
            for repo in team.repos:
                for _ in range(rng.randint(2, 5)):
                    n += 1
                    start = datetime.combine(day, datetime.min.time()) + timedelta(
                        hours=rng.randint(8, 18), minutes=rng.randint(0, 59)
                    )
                    minutes = rng.randint(6, 14) + (month // 2 if team.name == "search" else 0)
                    rerun = (
                        rng.random() < flaky
                    )  # failed, then passed on a re-run of the same commit
                    failed = rerun or rng.random() < 0.04
                    sha = _head(heads, repo, start)
                    if sha is None:
                        continue
                    base = {"repo": f"{ORG}/{repo}", "workflow": "ci", "job": "test", "sha": sha,
                            "branch": "main", "event": "push", "status": "completed"}  # fmt: skip
                    for attempt in (1, 2) if rerun else (1,):
                        conclusion = "failure" if failed and attempt == 1 else "success"
                        rows.append({**base, "id": f"{repo}-b{n}-{attempt}", "conclusion": conclusion, "attempt": attempt,
                                     "queued_at": _iso(start), "started_at": _iso(start + timedelta(minutes=1)),
                                     "finished_at": _iso(start + timedelta(minutes=minutes))})  # fmt: skip
                        start += timedelta(minutes=minutes + 3)
        day += timedelta(days=1)
    return rows
