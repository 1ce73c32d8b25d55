"""The demo's year of work: tracker issues, who worked on them when, and the commits they made.

Work happens the way a team's tracker says it does. Each working day a person works on
their task: an issue picked up from the backlog (a bug reported earlier), a story planned
into the sprint, a task for an upgrade or a clean-up, or an urgent bug taken the day it is
reported. They commit on it for days (the commits name the issue the way the team writes
it), say how it goes in a comment, move it to review and to done; a teammate may join a
feature that runs long. Some commits belong to no issue (a quick fix, a typo). What kind of
work a task is follows the team's KTLO share of working days for the month (payments' share
climbs in its incident storm). Search's bugs are reported faster every month than its
people pick them up, so its backlog grows.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from ktlo.demo import messages as text
from ktlo.demo.items import Change, Issue, TeamYear, sprint_of, sprint_start
from ktlo.demo.organisation import (
    AUTOMATION,
    END,
    KTLO_MIX,
    MONTHS,
    NEW_MIX,
    START,
    STORM_MIX,
    STORM_MONTHS,
    TASK_DAYS,
    TASK_LABELS,
    TIME_OFF,
    DemoPerson,
    DemoTeam,
    month_of,
)

KTLO_KINDS = frozenset(KTLO_MIX)
UNTRACKED = 0.6  # of the upkeep that takes a day or two: done without an issue
PAIRING = 0.25  # of the new work people start: joining a teammate's feature instead
ON_TASK = 0.88  # of a person's commits: on their task (the rest belong to no issue)
SWARMED = frozenset({"incident", "bug"})  # what a storm's people join
URGENT_BUGS = 0.3  # of the bugs picked up outside a storm: taken the day they are reported


def team_year(
    team: DemoTeam, rng: random.Random, incidents: Sequence[dict[str, Any]] = ()
) -> TeamYear:
    """Simulate the team's year, day by day; then the follow-ups of its incidents."""
    year = _Year(team, rng)
    day = START
    while day <= END:
        year.day(day)
        day += timedelta(days=1)
    if not team.kanban:
        year.plan_next_sprint()
    year.follow_ups(incidents, random.Random(f"follow-ups {team.name}"))
    if team.kanban:
        year.storm_tickets(random.Random(f"storm tickets {team.name}"))
    tracked = [i for i in year.issues if i.tracked]
    epic, *rest = sorted(tracked, key=lambda i: (i.kind != "Epic", i.created, i.number))
    epic.key = f"{team.ticket}-1"
    for n, issue in enumerate(rest, start=100):  # keys in the order the issues were created
        issue.key = f"{team.ticket}-{n}"
    issues = [epic, *rest]
    return TeamYear(team, issues, sorted(year.changes, key=lambda c: c.when))


def task_share(share: float, storm: bool) -> float:
    """The chance a new task is KTLO, so that KTLO takes `share` of the working days
    (KTLO tasks are shorter than new work, so they are started more often than `share`)."""
    ktlo = _mean_days(STORM_MIX if storm else KTLO_MIX)
    new = _mean_days(NEW_MIX)
    return share * new / (share * new + (1 - share) * ktlo)


def _mean_days(mix: dict[str, int]) -> float:
    return sum(w * sum(TASK_DAYS[sub]) / 2 for sub, w in mix.items()) / sum(mix.values())


def _at(day: date, rng: random.Random, first: int = 8, last: int = 18) -> datetime:
    return datetime.combine(day, time(rng.randint(first, last), rng.randint(0, 59)))


class _Year:
    """The state of one team's simulated year."""

    def __init__(self, team: DemoTeam, rng: random.Random) -> None:
        self.team, self.rng = team, rng
        self.issues: list[Issue] = []
        self.changes: list[Change] = []
        self.current: dict[str, Issue] = {}
        self.backlog: list[Issue] = []  # bugs reported and not picked up yet
        self.worked: dict[tuple[int, int], list[int]] = {}  # calendar month: new, KTLO days
        self.reports = self._bug_reports()
        lead = team.people[0]
        self.epic = self._issue("Epic", "project", team.epic, lead, _at(START, rng, 9, 10))
        self.epic.started = self.epic.created

    # -- each day ------------------------------------------------------------------------------

    def day(self, day: date) -> None:
        month = month_of(day)
        while self.reports and self.reports[0].created.date() <= day:
            self.backlog.append(self.reports.pop(0))
        if day.weekday() < 5:
            for person in self.team.people:
                away = TIME_OFF.get(person.key)
                if self.rng.random() >= 0.12 and not (away and away[0] <= day <= away[1]):
                    self._work(person, day, month)  # else the odd day off, or a holiday
            if day.day in (1, 15) and self.rng.random() < 0.7:
                self._comment(self.epic, self.team.people[0], day, text.EPIC_COMMENTS)
            if self.backlog and self.rng.random() < 0.3:  # an old bug comes up again
                who = self.rng.choice(self.team.people)
                self._comment(self.rng.choice(self.backlog), who, day, text.TRIAGE_COMMENTS)
        if self.rng.random() < (0.5 if self._storm(month) else 0.12):
            self.changes.append(self._bot_change(day))

    def _storm(self, month: int) -> bool:
        return self.team.name == "payments" and month in STORM_MONTHS

    def _work(self, person: DemoPerson, day: date, month: int) -> None:
        task = self.current.get(person.key)
        if task is None or task.done is not None:
            task = self._next_task(person, day, month)
        commits = self.rng.choices((0, 1, 2, 3), (0.25, 0.4, 0.25, 0.1))[0]
        for _ in range(commits):
            if self.rng.random() < ON_TASK:
                self.changes.append(self._change(person, day, task.sub, task))
            else:
                self.changes.append(self._change(person, day, self._sub(month), None))
        if commits == 0 and self.rng.random() < 0.5:
            self._comment(task, person, day, text.PROGRESS_COMMENTS)
        task.remaining -= 1
        self.worked.setdefault((day.year, day.month), [0, 0])[task.sub in KTLO_KINDS] += 1
        if task.remaining <= 0:
            self._finish(task, person, day)

    def _sub(self, month: int) -> str:
        """The kind of a commit that belongs to no task: the month's mix, by commits."""
        storm = self._storm(month)
        ktlo = self.rng.random() < self.team.ktlo_share[month]
        mix = (STORM_MIX if storm else KTLO_MIX) if ktlo else NEW_MIX
        return self.rng.choices(list(mix), list(mix.values()))[0]

    def _change(self, person: DemoPerson, day: date, sub: str, task: Issue | None) -> Change:
        rng = self.rng
        comp, thing = (task.comp, task.thing) if task else self._where(sub, day)
        repo = task.repo if task else self._repo()
        when = _at(day, rng, 10, 18) if task else _at(day, rng)
        change = Change((person.name, person.email), when, sub, comp, thing, repo, task)
        if task is not None:
            task.changes.append(change)
        return change

    def _bot_change(self, day: date) -> Change:
        bot = text.BOTS[0] if self.team.style != "free" else text.BOTS[1]
        when = datetime.combine(day, time(6, self.rng.randint(0, 59)))
        return Change(bot, when, "dependency", "deps", "", self.rng.choice(self.team.repos), None)

    # -- picking up work -------------------------------------------------------------------

    def _next_task(self, person: DemoPerson, day: date, month: int) -> Issue:
        storm = self._storm(month)
        ktlo = self.rng.random() < self._ktlo_chance(day, month, storm)
        mix = (STORM_MIX if storm else KTLO_MIX) if ktlo else NEW_MIX
        if not ktlo or storm:  # features get a second pair of hands; a storm's fires, several
            joined = self._join(person, day, SWARMED if ktlo else frozenset(NEW_MIX))
            if joined is not None:
                return joined
        sub = self.rng.choices(list(mix), list(mix.values()))[0]
        task = self._task_for(sub, person, day, storm)
        low, high = TASK_DAYS[sub]
        task.people, task.remaining = [person], self.rng.randint(low, high)
        if task.kind == "Task" and task.remaining <= 2 and self.rng.random() < UNTRACKED:
            task.tracked = False
        task.started = _at(day, self.rng, 9, 11)
        if not self.team.kanban:
            self._into_sprint(task, day)
        self.current[person.key] = task
        return task

    def _ktlo_chance(self, day: date, month: int, storm: bool) -> float:
        """The chance the next task is KTLO, leaning against the calendar month's drift from
        its share (a team plans its month, it does not toss a coin for each task)."""
        share = self.team.ktlo_share[month]
        chance = task_share(share, storm)
        new, ktlo = self.worked.get((day.year, day.month), [0, 0])
        if new + ktlo < 10:
            return chance
        return min(0.95, chance * 2.5) if ktlo / (new + ktlo) < share else chance * 0.3

    def _join(self, person: DemoPerson, day: date, kinds: frozenset[str]) -> Issue | None:
        """Sometimes a person joins a teammate's work that still has days to run."""
        if self.rng.random() >= PAIRING:
            return None
        running = [
            t
            for t in dict.fromkeys(self.current.values())
            if t.done is None and t.sub in kinds and t.remaining >= 2 and len(t.people) < 3
        ]
        if not running:
            return None
        task = self.rng.choice(running)
        task.people.append(person)
        task.remaining += self.rng.randint(2, 4)  # more hands, more scope
        self._comment(task, person, day, text.JOIN_COMMENTS)
        self.current[person.key] = task
        return task

    def _task_for(self, sub: str, person: DemoPerson, day: date, storm: bool) -> Issue:
        rng, team = self.rng, self.team
        if sub == "bug" and not storm and rng.random() >= URGENT_BUGS:
            waiting = [b for b in self.backlog if b.created.date() < day]
            if waiting:  # mostly one of the latest reports; now and then an old one
                bug = self.rng.choice(waiting[-5:] if self.rng.random() < 0.6 else waiting)
                self.backlog.remove(bug)
                return bug
        if sub in ("bug", "incident"):  # reported today, by whoever takes it, at once
            reporter, created = person, _at(day, rng, 7, 9)
        else:  # written by the lead at a sprint planning, this one's or an earlier one's
            sprint = max(1, sprint_of(day) - rng.choice((0, 0, 0, 1, 2)))
            planning = sprint_start(sprint) - timedelta(days=1)
            reporter, created = team.people[0], _at(max(START, planning), rng, 14, 16)
        kind = {"bug": "Bug", "incident": "Bug", "feature": "Story", "project": "Story"}
        comp, thing = self._where(sub, day)
        issue = self._issue(
            kind.get(sub, "Task"), sub, text.issue_title(rng, sub, comp, thing, team),
            reporter, created, comp=comp, thing=thing,
        )  # fmt: skip
        if sub == "project":
            issue.parent = self.epic
        return issue

    def _where(self, sub: str, day: date) -> tuple[str, str]:
        comp = self.rng.choice(self.team.components)
        storm = self._storm(month_of(day))
        if storm and sub in ("incident", "bug", "reliability") and self.rng.random() < 0.7:
            comp = "payment-adapter"
        return comp, self.rng.choice(self.team.things)

    def _repo(self) -> str:
        repos = self.team.repos
        return repos[0] if len(repos) == 1 or self.rng.random() < 0.65 else repos[1]

    def _issue(
        self,
        kind: str,
        sub: str,
        title: str,
        reporter: DemoPerson,
        created: datetime,
        comp: str | None = None,
        thing: str | None = None,
    ) -> Issue:
        rng = self.rng
        labels = (self.team.name, *([TASK_LABELS[sub]] if sub in TASK_LABELS else ()))
        points = {"Bug": (1, 2, 3), "Story": (2, 3, 5, 8), "Task": (1, 2, 3, 5), "Epic": ()}
        estimate = rng.choice(points[kind]) if points[kind] else None
        if sub == "project" and kind == "Story":
            estimate = rng.choice((5, 8, 13))
        issue = Issue(
            self.team, len(self.issues), kind, sub, title, comp or rng.choice(self.team.components),
            thing or rng.choice(self.team.things), self._repo(), reporter, created, labels, estimate,
        )  # fmt: skip
        self.issues.append(issue)
        return issue

    # -- the tracker's side --------------------------------------------------------------------

    def _bug_reports(self) -> list[Issue]:
        """Bugs reported over the year; search's come faster every month."""
        found = []
        for month in range(MONTHS):
            first = START + timedelta(days=month * 365 // MONTHS)
            count = 6 + (month * 2 if self.team.name == "search" else 0)
            for _ in range(count):
                day = first + timedelta(days=self.rng.randint(0, 27))
                if day > END:
                    continue
                comp, thing = (
                    self.rng.choice(self.team.components),
                    self.rng.choice(self.team.things),
                )
                title = text.issue_title(self.rng, "bug", comp, thing, self.team)
                reporter = AUTOMATION
                bug = self._issue(
                    "Bug", "bug", title, reporter, _at(day, self.rng, 8, 17), comp, thing
                )
                found.append(bug)
        return sorted(found, key=lambda b: b.created)

    def _into_sprint(self, task: Issue, day: date) -> None:
        """Into the running sprint: planned when it was there before the sprint began."""
        n = sprint_of(day)
        begins = datetime.combine(sprint_start(n), time(9, 0))
        if task.created < begins - timedelta(days=1):
            task.sprints.append((n, begins - timedelta(hours=18), True))  # at planning
        else:
            task.sprints.append((n, task.started or begins, False))  # added mid-sprint

    def _finish(self, task: Issue, person: DemoPerson, day: date) -> None:
        task.done = _at(day, self.rng, 15, 18)
        last = task.sprints[-1][0] if task.sprints else sprint_of(day)
        for n in range(last + 1, sprint_of(day) + 1):  # carried over at each sprint's close
            task.sprints.append((n, datetime.combine(sprint_start(n), time(8, 0)), True))
        others = [p for p in self.team.people if p not in task.people]
        for reviewer in self.rng.sample(others, self.rng.randint(0, 2)):
            self._comment(task, reviewer, day, text.REVIEW_COMMENTS)

    def _comment(self, issue: Issue, person: DemoPerson, day: date, pool: tuple[str, ...]) -> None:
        when = _at(day, self.rng, 9, 18)
        if when > issue.created:
            issue.comments.append((person, when, self.rng.choice(pool)))

    def plan_next_sprint(self) -> None:
        """A few stories from the backlog are planned into the sprint after the last."""
        n = sprint_of(END) + 1
        for _ in range(self.rng.randint(4, 7)):
            comp, thing = self._where("feature", END)
            title = text.issue_title(self.rng, "feature", comp, thing, self.team)
            created = _at(END - timedelta(days=self.rng.randint(1, 12)), self.rng, 9, 17)
            story = self._issue(
                "Story", "feature", title, self.team.people[0], created, comp, thing
            )
            story.sprints.append((n, datetime.combine(END, time(16, 0)), True))

    def storm_tickets(self, rng: random.Random) -> None:
        """While payments-api's storm lasts, customers' card payments fail in the app: a
        couple of reports a week from mid-August to mid-October, each taken at once,
        blocked on payments-api's fix for two to five weeks, then retested and closed. A
        Kanban team's KTLO work in progress climbs over its limit. A generator of its own,
        so that the rest of the year does not change with it."""
        day = date(2026, 8, 17)
        while day <= date(2026, 10, 16):
            day += timedelta(days=rng.choice((2, 3, 4)))
            if day.weekday() >= 5:
                continue
            person = rng.choice(self.team.people)
            thing = rng.choice(self.team.things)
            reported = _at(day, rng, 8, 10)
            ticket = self._issue(
                "Bug", "bug", text.STORM_TICKET_TITLE.format(thing=thing), AUTOMATION, reported,
                comp="checkout", thing=thing,
            )  # fmt: skip
            ticket.labels = (self.team.name, "customer", "payments-api")
            ticket.people = [person]
            ticket.started = reported + timedelta(hours=rng.randint(1, 3))
            blocked = ticket.started + timedelta(hours=rng.randint(2, 6))
            unblocked = blocked + timedelta(days=rng.randint(14, 35))
            ticket.blocked = (blocked, unblocked)
            ticket.done = unblocked + timedelta(hours=rng.randint(4, 30))
            waited = unblocked - blocked
            moments = (
                blocked + timedelta(minutes=5),
                blocked + waited / 3,
                blocked + waited * 2 / 3,
            )
            for who, when, comment in zip(
                (person, rng.choice(self.team.people), person), moments,
                text.STORM_TICKET_COMMENTS, strict=True,
            ):  # fmt: skip
                ticket.comments.append((who, when, comment))

    def follow_ups(self, incidents: Sequence[dict[str, Any]], rng: random.Random) -> None:
        """Postmortem follow-ups, opened by the responder within days of the resolution and
        naming the incident: for every sev1 and sev2 and some sev3s. During payments' storm
        most stay open, the pattern `ktlo rotation review` reports. A generator of its own,
        so that the rest of the year does not change with it."""
        for incident in incidents:
            if incident["severity"] == "sev3" and rng.random() < 0.6:
                continue
            resolved = datetime.fromisoformat(incident["resolved_at"].replace("Z", ""))
            opened = resolved + timedelta(days=rng.randint(1, 4), hours=rng.randint(0, 6))
            if opened.date() > END:
                continue
            storm = self._storm(month_of(opened.date()))
            closed: datetime | None = opened + timedelta(days=rng.randint(3, 15))
            if rng.random() >= (0.3 if storm else 0.8) or (closed and closed.date() > END):
                closed = None
            responder = next(
                p for p in self.team.people if p.email == incident["events"][1]["person"]
            )
            title = rng.choice(text.FOLLOW_UP_TITLES).format(
                service=incident["service"], incident=incident["id"]
            )
            task = self._issue("Task", "incident", title, responder, opened)
            task.labels = (self.team.name, "postmortem")
            task.estimate = rng.choice((1, 2, 3))
            task.people = [responder]
            if closed is not None:
                task.started, task.done = closed - timedelta(days=rng.randint(1, 2)), closed
