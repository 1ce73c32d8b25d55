"""Commit messages, issue titles, comments and incident titles in the styles real teams write.

A commit on an issue names it the way its team does: search prefixes the key
(`SRCH-412 Fix ...`), platform adds it at the end or in the body (`... (PLAT-88)`, `Part of
PLAT-88`), payments and mobile put it in the body (`Refs PAY-230`, `Fixes PAY-230`).
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ktlo.demo.organisation import DemoTeam

DEPS = ("lodash", "react", "django", "requests", "urllib3", "jackson-databind", "openssl", "grpc",
        "protobuf", "express", "spring-boot", "pydantic", "numpy", "log4j", "axios", "webpack")  # fmt: skip
BOTS = (("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com"),
        ("renovate[bot]", "29139614+renovate[bot]@users.noreply.github.com"))  # fmt: skip

SUBJECTS: dict[str, tuple[str, ...]] = {
    "feature": (
        "add {thing} export to {comp}",
        "allow users to save {thing} presets in {comp}",
        "add bulk {thing} actions to {comp}",
        "introduce {thing} sharing in {comp}",
        "add support for {thing} templates in {comp}",
        "show {thing} history in {comp}",
        "let admins configure {thing} limits in {comp}",
        "add search by {thing} to {comp}",
        "add {thing} preview to {comp}",
        "support scheduling {thing} changes in {comp}",
    ),
    "project": (
        "migrate {comp} {thing} handling to the new platform (phase {phase})",
        "move {comp} {thing} writes to the new service",
        "add the v2 {thing} API to {comp}",
        "wire {comp} into the new {thing} pipeline",
    ),
    "bug": (
        "fix {thing} rounding in {comp}",
        "handle empty {thing} in {comp}",
        "fix crash when {thing} is missing in {comp}",
        "fix wrong {thing} totals in {comp}",
        "fix race condition in {comp} {thing} updates",
        "correct {thing} parsing in {comp}",
        "fix null pointer in {comp} when {thing} is not set",
        "fix off-by-one in {comp} pagination",
    ),
    "incident": (
        "restore {comp} after bad deploy",
        "roll back {comp} {thing} change",
        "fix {comp} timeouts under peak load",
        "stop {comp} crash loop after deploy",
    ),
    "security": (
        "patch CVE-2026-{n:04d} in {dep}",
        "sanitize {thing} input in {comp} to prevent XSS",
        "rotate leaked {thing} signing key",
        "enforce permission check on {comp} {thing} endpoint",
    ),
    "dependency": (
        "bump {dep} from {v1} to {v2}",
        "upgrade {dep} to {v2}",
        "update dependency {dep} to v{v2}",
    ),
    "performance": (
        "speed up {comp} {thing} queries",
        "reduce memory usage of {comp} {thing} cache",
        "cache {thing} lookups in {comp}",
        "fix N+1 queries in {comp}",
    ),
    "reliability": (
        "add retry with backoff to {comp} client",
        "add alert for {comp} queue depth",
        "fix flaky {comp} integration test",
        "add health check to {comp}",
        "add circuit breaker around {comp} calls",
    ),
    "maintenance": (
        "update CI workflow for {comp}",
        "document {comp} setup in README",
        "update {comp} config for staging",
        "add tests for {comp} {thing} handling",
        "clean up build scripts for {comp}",
    ),
    "tech_debt": (
        "refactor {comp} {thing} handling",
        "remove deprecated {thing} endpoint from {comp}",
        "clean up unused {comp} helpers",
        "extract {thing} validation into a helper in {comp}",
        "simplify {comp} {thing} state machine",
    ),
}

CONVENTIONAL = {
    "feature": "feat", "project": "feat", "bug": "fix", "incident": "fix", "security": "fix",
    "dependency": "chore(deps)", "performance": "perf", "reliability": "fix", "maintenance": "chore",
    "tech_debt": "refactor",
}  # fmt: skip
GITMOJI = {
    "feature": "✨", "project": "🏗️", "bug": "🐛", "incident": "🚑", "security": "🔒", "dependency": "⬆️",
    "performance": "⚡", "reliability": "🔊", "maintenance": "🔧", "tech_debt": "♻️",
}  # fmt: skip

ISSUE_TITLES: dict[str, tuple[str, ...]] = {
    "bug": (
        "{comp} crashes when the {thing} is empty",
        "{comp} shows duplicate {thing} entries",
        "{thing} not saved in {comp} on Safari",
        "Wrong {thing} count in {comp} after an update",
        "{comp} returns a 500 when the {thing} is missing",
        "{comp}: {thing} changes lost on reload",
    ),
    "incident": (
        "{comp} errors after the {thing} deploy",
        "{comp} timeouts under peak load",
        "{comp} stuck in a crash loop",
    ),
    "feature": (
        "As a customer I want to export my {thing} history",
        "{comp}: bulk {thing} editing",
        "Support {thing} filters in {comp}",
        "Add {thing} reminders to {comp}",
        "Show {thing} history in {comp}",
        "Let admins set {thing} limits in {comp}",
    ),
    "project": (
        "{epic}: move {comp} over",
        "{epic}: {comp} {thing} milestone",
        "{epic}: dual-run {comp} {thing}s",
    ),
    "dependency": ("Upgrade {dep} in {comp}", "Move {comp} to the supported {dep} release"),
    "security": (
        "Rotate {comp} credentials",
        "Patch the {dep} advisory in {comp}",
        "Restrict access to the {comp} {thing} endpoint",
    ),
    "performance": ("Speed up {comp} {thing} queries", "Cut {comp} memory use under load"),
    "reliability": (
        "Add dashboards for {comp} latency",
        "Alert on {comp} queue depth",
        "Retry {comp} calls with backoff",
    ),
    "maintenance": (
        "Update the {comp} runbook",
        "Move {comp} CI to the shared workflow",
        "Document {comp} setup",
    ),
    "tech_debt": (
        "Clean up {comp} feature flags",
        "Remove the legacy {thing} code path from {comp}",
        "Split the {comp} {thing} module",
    ),
}
INCIDENT_TITLES = (
    "Elevated 5xx on {service}",
    "{service} latency above SLO",
    "{service} queue backlog growing",
    "Partial outage of {service}",
)
REPEAT_TITLE = "Payment provider timeouts on checkout ({n})"
FOLLOW_UP_TITLES = (
    "Postmortem follow-up: add an alert on {service} saturation ({incident})",
    "Postmortem follow-up: cap {service} retries ({incident})",
    "Postmortem follow-up: runbook for {service} failover ({incident})",
    "Action item from {incident}: load-test {service} before peak",
)
ALERT_CONDITIONS = (
    "cpu above 80%",
    "disk usage above 85%",
    "pod restarted",
    "p99 latency above 1s",
)

# Mobile's customers' card payments failing in the app while payments-api's storm lasts.
STORM_TICKET_TITLE = "Card payment fails in the app: {thing} times out at payments-api"
STORM_TICKET_COMMENTS = (
    "Blocked: waiting on payments-api's fix for the provider timeouts.",
    "Another customer report today, same timeout.",
    "Payments say a fix is rolling out; retest then.",
)
PROGRESS_COMMENTS = (
    "Spent today on the design; code tomorrow.",
    "Blocked on the staging deploy, picking it up again tomorrow.",
    "Paired with support on the customer's case, notes in the doc.",
    "Trying a second approach, the first one did not hold under load.",
)
JOIN_COMMENTS = ("Joining this to get it over the line.", "I'll take the API side of this.")
REVIEW_COMMENTS = (
    "Reviewed the PR: one question about the error handling.",
    "Looks good to me, merged.",
    "Tested on staging, works.",
)
TRIAGE_COMMENTS = (
    "Seen again today, by a customer.",
    "Still happens on the latest release.",
    "Support asked about this again.",
)
EPIC_COMMENTS = (
    "Status: on track, next milestone in two weeks.",
    "Status: one milestone slipped, the rest on track.",
    "Status: scope for the next phase agreed with product.",
)


def _fill(template: str, rng: random.Random, comp: str, thing: str, epic: str = "") -> str:
    v1 = f"{rng.randint(1, 5)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}"
    v2 = v1.rsplit(".", 1)[0] + f".{int(v1.rsplit('.', 1)[1]) + rng.randint(1, 3)}"
    return template.format(comp=comp, thing=thing, dep=rng.choice(DEPS), v1=v1, v2=v2,
                           n=rng.randint(1, 9999), phase=rng.randint(1, 4), epic=epic)  # fmt: skip


def subject(rng: random.Random, sub: str, comp: str, thing: str) -> str:
    """A commit subject for this kind of work, in lower case."""
    return _fill(rng.choice(SUBJECTS[sub]), rng, comp, thing)


def issue_title(rng: random.Random, sub: str, comp: str, thing: str, team: DemoTeam) -> str:
    """The tracker title of an issue for this kind of work."""
    return _fill(rng.choice(ISSUE_TITLES[sub]), rng, comp, thing, team.epic)


def styled(rng: random.Random, style: str, sub: str, text: str) -> str:
    """The subject as the team writes it."""
    if style == "conventional":
        kind = CONVENTIONAL[sub]
        if text.split(" ", 1)[0] == kind:  # `fix: fix crash ...` reads `fix: crash ...`
            text = text.split(" ", 1)[1]
        if "(" in kind:
            return f"{kind}: {text}"
        scope = text.rsplit(" in ", 1)[-1].split()[0] if " in " in text else None
        return f"{kind}({scope}): {text}" if scope and rng.random() < 0.6 else f"{kind}: {text}"
    if style == "gitmoji":
        return f"{GITMOJI[sub]} {text[0].upper()}{text[1:]}"
    return f"{text[0].upper()}{text[1:]}" if rng.random() < 0.7 or style == "ticket" else text


def referenced(rng: random.Random, style: str, line: str, key: str | None, closes: bool) -> str:
    """The message with the issue named as the team names it (nothing when there is none)."""
    if key is None:
        return line
    trailer = f"{'Fixes' if closes else 'Refs'} {key}"
    if style == "ticket":
        return f"{key} {line}"
    if style == "free":
        pick = rng.random()
        return (
            f"{line} ({key})"
            if pick < 0.5
            else f"{line}\n\nPart of {key}."
            if pick < 0.75
            else line
        )
    return f"{line}\n\n{trailer}" if rng.random() < 0.7 else line
