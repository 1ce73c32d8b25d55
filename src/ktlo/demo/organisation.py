"""Who works where in the demo organisation, and the story its data tells.

Four teams, forty people, twelve months ending on 20 November 2026:

- payments (conventional commits) drifts above its KTLO band after an incident storm on
  payments-api from late July and a wave of dependency upgrades, and is recommended KTLO
  mode, and holds more KTLO items in progress than its limit (`ktlo flow`); payments-api
  has repeat incidents (the payment provider's timeouts);
- search (ticket-prefixed commits) keeps shipping features while its bug backlog grows
  and its builds get flaky;
- platform (free-form commits) carries steady operational work and follows the sun
  across Lisbon and New York;
- mobile (gitmoji) is a healthy feature team that runs Kanban (no sprints: a KTLO WIP
  limit and cycle time), and breaks that limit in September and October, when customers'
  card payments failing in the app wait on payments-api's storm (`ktlo flow --team mobile
  --period 2026-09`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

END = date(2026, 11, 20)
START = END - timedelta(days=364)
MONTHS = 12
ORG = "github.com/acme-demo"


@dataclass(frozen=True, slots=True)
class DemoPerson:
    key: str
    name: str
    timezone: str

    @property
    def email(self) -> str:
        return f"{self.key}@acme.example"


@dataclass(frozen=True, slots=True)
class DemoTeam:
    name: str
    style: str  # conventional, ticket, free, gitmoji
    ticket: str  # the tracker's project key
    repos: tuple[str, ...]
    services: tuple[str, ...]
    components: tuple[str, ...]
    people: tuple[DemoPerson, ...]
    ktlo_share: tuple[float, ...]  # the KTLO share of working days, month by month
    things: tuple[str, ...]  # what its code handles, for titles and messages
    epic: str  # the team's long-running project
    budget: tuple[int, int] = (20, 40)
    kanban: bool = False  # no sprints: work is pulled as capacity frees up


# Holidays, in ktlo.toml too (effort counts no days off).
TIME_OFF = {"ana": (date(2026, 8, 3), date(2026, 8, 14))}
# Customer bug reports reach the tracker from the service desk, through an automation rule.
AUTOMATION = DemoPerson("jira-automation", "Automation for Jira", "UTC")


def _people(names: str, zone: str, second_zone: str | None = None) -> tuple[DemoPerson, ...]:
    people = []
    for i, full in enumerate(names.split(",")):
        full = full.strip()
        key = full.split()[0].lower()
        people.append(DemoPerson(key, full, second_zone if second_zone and i % 2 else zone))
    return tuple(people)


TEAMS = (
    DemoTeam(
        "payments",
        "conventional",
        "PAY",
        ("payments-api", "checkout-web"),
        ("payments-api", "checkout"),
        ("checkout", "refunds", "ledger", "invoices", "payment-adapter", "webhooks"),
        _people(
            "Ana Lima, Raj Patel, Lee Wong, Mia Rossi, Tom Berg, Ivy Chen, Omar Haddad, "
            "Sara Kim, Leo Marin, Nina Park",
            "Europe/Lisbon",
        ),
        (0.28, 0.27, 0.29, 0.28, 0.30, 0.29, 0.30, 0.30, 0.46, 0.56, 0.65, 0.71),
        ("cart", "coupon", "tax rate", "receipt", "chargeback", "currency", "payout", "card token"),
        "Migrate payouts to the new ledger",
    ),
    DemoTeam(
        "search",
        "ticket",
        "SRCH",
        ("search-service", "indexer"),
        ("search-api", "indexer"),
        ("ranking", "query-parser", "indexer", "autocomplete", "facets", "synonyms"),
        _people(
            "Eva Novak, Ben Adams, Zoe Clark, Max Weber, Ada Costa, Jan Kowal, Kim Soto, "
            "Luis Vega, Noor Aziz, Ole Hansen",
            "Europe/Berlin",
        ),
        (0.20, 0.19, 0.21, 0.20, 0.22, 0.21, 0.23, 0.22, 0.24, 0.23, 0.25, 0.26),
        ("query", "filter", "cursor", "boost", "shard", "result page", "stop word", "ranking rule"),
        "Semantic search beta",
    ),
    DemoTeam(
        "platform",
        "free",
        "PLAT",
        ("infra", "ci-tools"),
        ("kubernetes", "ci"),
        ("terraform", "kubernetes", "ci runners", "dns", "backups", "monitoring"),
        _people(
            "Sam Reid, Joe Baker, Amy Ford, Ian Moss, Liv Dunn, Ray Cole, Tia Hart, "
            "Dan Shaw, Kai Lund, Pia Holm",
            "Europe/Lisbon",
            "America/New_York",
        ),
        (0.43, 0.44, 0.42, 0.43, 0.44, 0.42, 0.44, 0.43, 0.43, 0.42, 0.43, 0.42),
        (
            "node pool",
            "certificate",
            "build cache",
            "snapshot",
            "log pipeline",
            "secret",
            "volume",
            "alert rule",
        ),
        "Multi-region Kubernetes platform",
        budget=(35, 65),  # an operations team: most of its work keeps the lights on by design
    ),
    DemoTeam(
        "mobile",
        "gitmoji",
        "MOB",
        ("mobile-app",),
        ("mobile-api",),
        ("onboarding", "feed", "profile", "notifications", "offline sync", "settings"),
        _people(
            "Uma Rao, Vic Lam, Wes Hill, Xia Liu, Yan Ito, Zed Oak, Abe Fox, Bea Kerr, "
            "Cy Nash, Di Wolfe",
            "Europe/London",
        ),
        (0.27, 0.26, 0.28, 0.25, 0.27, 0.29, 0.26, 0.28, 0.27, 0.26, 0.28, 0.27),
        ("push token", "story card", "avatar", "deep link", "draft", "theme", "session", "badge"),
        "Offline-first mobile app",
        kanban=True,
    ),
)

# Within KTLO, how a normal month splits, and how payments' incident storm (from late July) does.
KTLO_MIX = {"bug": 32, "maintenance": 20, "tech_debt": 14, "dependency": 10, "reliability": 10,
            "performance": 6, "security": 4, "incident": 4}  # fmt: skip
STORM_MIX = {"incident": 22, "dependency": 34, "bug": 18, "reliability": 10, "maintenance": 6,
             "tech_debt": 4, "security": 4, "performance": 2}  # fmt: skip
STORM_MONTHS = (8, 9, 10, 11)  # month indexes from START: 21 July - 20 November 2026
NEW_MIX = {"feature": 88, "project": 12}
# How many working days a piece of work takes (fewest, most): fixes are quick, features and
# the project's milestones take a week or two; a feature someone joins grows.
TASK_DAYS = {"feature": (3, 9), "project": (5, 14), "bug": (1, 4), "incident": (1, 2),
             "security": (1, 3), "dependency": (1, 2), "performance": (2, 5), "reliability": (2, 5),
             "maintenance": (1, 3), "tech_debt": (2, 6)}  # fmt: skip
# The tracker's labels that say what a task is (bugs and stories say it by their type).
TASK_LABELS = {"incident": "incident", "security": "security", "dependency": "dependencies",
               "performance": "performance", "reliability": "reliability",
               "maintenance": "maintenance", "tech_debt": "tech-debt"}  # fmt: skip


def month_of(day: date) -> int:
    """0 for the first month of the demo year, 11 for the last."""
    return min(MONTHS - 1, (day - START).days * MONTHS // 365)
