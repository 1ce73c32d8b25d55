"""Commit messages, issue titles and incident titles in the styles real teams write."""

from __future__ import annotations

import random

DEPS = ("lodash", "react", "django", "requests", "urllib3", "jackson-databind", "openssl", "grpc",
        "protobuf", "express", "spring-boot", "pydantic", "numpy", "log4j", "axios", "webpack")  # fmt: skip
THINGS = ("cart", "coupon", "invoice", "receipt", "payload", "token", "session", "currency",
          "timezone", "filter", "cursor", "header", "locale", "batch", "retry policy", "webhook")  # fmt: skip

SUBJECTS: dict[str, tuple[str, ...]] = {
    "feature": (
        "add {thing} export to {comp}",
        "support multiple currencies in {comp}",
        "allow users to save {thing} presets in {comp}",
        "add dark mode to {comp}",
        "add bulk {thing} actions to {comp}",
        "introduce {thing} sharing in {comp}",
        "add support for {thing} templates in {comp}",
        "show {thing} history in {comp}",
        "let admins configure {thing} limits in {comp}",
        "add search by {thing} to {comp}",
    ),
    "project": (
        "migrate {comp} to the new event bus (phase {n})",
        "rewrite {comp} on the new platform",
        "redesign {comp} onboarding flow",
        "new {comp} service scaffolding for the v2 architecture",
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
        "hotfix: restore {comp} after bad deploy",
        "roll back {comp} {thing} change",
        "hotfix {comp} timeouts to the payment provider",
        "postmortem follow-up: cap {comp} retries",
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
        "{comp}: {thing} totals are wrong after refund",
        "{comp} crashes when {thing} is empty",
        "{thing} not saved in {comp} on Safari",
        "{comp} shows duplicate {thing} entries",
    ),  # fmt: skip
    "feature": (
        "As a customer I want to export my {thing} history",
        "{comp}: bulk {thing} editing",
        "Support {thing} filters in {comp}",
        "Add {thing} reminders to {comp}",
    ),  # fmt: skip
    "task": (
        "Upgrade {dep} in {comp}",
        "Rotate {comp} credentials",
        "Clean up {comp} feature flags",
        "Add dashboards for {comp} latency",
    ),  # fmt: skip
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


def subject(rng: random.Random, sub: str, comp: str) -> str:
    template = rng.choice(SUBJECTS[sub])
    v1 = f"{rng.randint(1, 5)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}"
    v2 = v1.rsplit(".", 1)[0] + f".{int(v1.rsplit('.', 1)[1]) + rng.randint(1, 3)}"
    return template.format(comp=comp, thing=rng.choice(THINGS), dep=rng.choice(DEPS), v1=v1, v2=v2,
                           n=rng.randint(1, 9999))  # fmt: skip


def styled(rng: random.Random, style: str, sub: str, text: str, ticket: str) -> str:
    """The subject as the team writes it."""
    if style == "conventional":
        kind = CONVENTIONAL[sub]
        if "(" in kind:
            return f"{kind}: {text}"
        scope = text.rsplit(" in ", 1)[-1].split()[0] if " in " in text else None
        return f"{kind}({scope}): {text}" if scope and rng.random() < 0.6 else f"{kind}: {text}"
    if style == "ticket":
        return f"{ticket}-{rng.randint(100, 2999)} {text[0].upper()}{text[1:]}"
    if style == "gitmoji":
        return f"{GITMOJI[sub]} {text[0].upper()}{text[1:]}"
    return f"{text[0].upper()}{text[1:]}" if rng.random() < 0.7 else text
