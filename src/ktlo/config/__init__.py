"""`ktlo.toml`: teams, people and their aliases, bots, categories, rules, sources.

Loaded once, validated whole before anything runs: an unknown field, a wrong type, an
invalid regex, a member of two teams without shares, overlapping time off. Each error
names the file, the line and the field. See docs/configuration.md, field by field.
"""

from __future__ import annotations

import re
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ktlo.errors import ConfigError

CONFIG_NAME = "ktlo.toml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)


class BudgetBand(_Strict):
    """The KTLO share a team aims for, in percent of its effort."""

    low: float = Field(20.0, ge=0, le=100)
    high: float = Field(40.0, ge=0, le=100)

    @model_validator(mode="after")
    def _ordered(self) -> BudgetBand:
        if self.low > self.high:
            raise ValueError(f"low ({self.low}) is above high ({self.high})")
        return self


class TimeOff(_Strict):
    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> TimeOff:
        if self.start > self.end:
            raise ValueError(f"starts ({self.start}) after it ends ({self.end})")
        return self


class Person(_Strict):
    """One person, known by many names across sources."""

    name: str | None = None
    aliases: list[str] = []
    capacity: float = Field(1.0, gt=0, le=1.5)
    teams: dict[str, float] = {}  # team name -> share of this person's time
    time_off: list[TimeOff] = []
    timezone: str | None = None  # IANA name, e.g. "Europe/Lisbon": for follow-the-sun rotations

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, zone: str | None) -> str | None:
        if zone is not None:
            from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(
                    f"unknown time zone {zone!r} (use an IANA name such as Europe/Lisbon)"
                ) from None
        return zone

    @field_validator("time_off")
    @classmethod
    def _no_overlap(cls, periods: list[TimeOff]) -> list[TimeOff]:
        ordered = sorted(periods, key=lambda p: p.start)
        for before, after in zip(ordered, ordered[1:], strict=False):
            if after.start <= before.end:
                raise ValueError(
                    f"time off {before.start}…{before.end} overlaps {after.start}…{after.end}"
                )
        return periods

    @field_validator("teams")
    @classmethod
    def _shares(cls, teams: dict[str, float]) -> dict[str, float]:
        if teams and abs(sum(teams.values()) - 1.0) > 0.001:
            raise ValueError(f"team shares add up to {sum(teams.values()):g}, not 1")
        return teams


class Team(_Strict):
    name: str
    members: list[str] = []
    repositories: list[str] = []
    paths: list[str] = []
    services: list[str] = []
    budget: BudgetBand = Field(default_factory=BudgetBand)
    cost_per_fte_month: float | None = Field(None, ge=0)
    sprint_days: int = Field(14, ge=1, le=56)  # a sprint's length, for rotations by sprint
    ktlo_wip_limit: int | None = Field(None, ge=1)  # KTLO items in progress at once (`ktlo flow`)
    # budget buckets: investment or subcategory -> percent of the team's effort (docs/allocation.md)
    targets: dict[str, float] = {}
    target_tolerance: float = Field(5.0, ge=0, le=50)  # points either side of a target: inside

    @field_validator("targets")
    @classmethod
    def _split(cls, targets: dict[str, float]) -> dict[str, float]:
        wrong = [name for name, value in targets.items() if not 0 <= value <= 100]
        if wrong:
            raise ValueError(f"target {wrong[0]!r} is {targets[wrong[0]]:g}: a percent, 0 to 100")
        if sum(targets.values()) > 100.0001:
            raise ValueError(f"targets add up to {sum(targets.values()):g}%, more than 100%")
        return targets

    def owns(self, repo_id: str | None, project: str | None) -> bool:
        """Whether an item of this repository or project is the team's, as allocation
        decides it for items nobody in a team touched (`github.com/acme/shop` is listed as
        itself or as `acme/shop`; a project key such as `PAY` as itself)."""
        repo, key = repo_id or "", project or ""
        return any(repo == r or repo.endswith(f"/{r}") or key == r for r in self.repositories)


class RuleMatch(_Strict):
    """Conditions of a rule; all given ones must hold."""

    source: str | None = None
    repository: str | None = None
    path: str | None = None  # glob over files touched
    label: str | None = None
    issue_type: str | None = None
    project: str | None = None
    epic: str | None = None  # epic or parent key
    component: str | None = None
    title: str | None = None  # regular expression, case-insensitive
    author: str | None = None

    @field_validator("title")
    @classmethod
    def _regex(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from None
        return pattern

    @model_validator(mode="after")
    def _something(self) -> RuleMatch:
        if not any(v is not None for v in self.model_dump().values()):
            raise ValueError("a rule must match on at least one field")
        return self


class Rule(_Strict):
    match: RuleMatch
    assign: str = Field(alias="as")  # "ktlo/security", "new_work/feature" or a custom category
    note: str | None = None


class CustomCategory(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    investment: str = Field(pattern=r"^(ktlo|new_work)$")


class Categories(_Strict):
    rename: dict[str, str] = {}
    add: list[CustomCategory] = []


class CategoryMatch(_Strict):
    """One way an item falls in a custom category: all the given conditions must hold."""

    label: str | None = None  # one of the item's labels (case-insensitive)
    issue_type: str | None = None  # the tracker's issue type (Bug, Story, ...)
    epic: str | None = None  # the item's own key or its parent's (its epic)
    path: str | None = None  # glob over the files a commit changed (`*` crosses `/`)
    repository: str | None = None  # `owner/name`, the full id, or a project key (`PAY`)
    subcategory: str | None = None  # the verdict's: built-in, renamed or added
    investment: str | None = Field(None, pattern=r"^(ktlo|new_work|other)$")

    @model_validator(mode="after")
    def _something(self) -> CategoryMatch:
        if not any(v is not None for v in self.model_dump().values()):
            raise ValueError(
                "an empty match: give at least one of label, issue_type, epic, path, "
                "repository, subcategory, investment"
            )
        return self


class CustomCategoryRules(_Strict):
    """`[custom_categories."Name"]`: an organisation's own category, shown beside the KTLO
    taxonomy (`ktlo allocation --by category`, docs/allocation.md#custom-categories)."""

    match: list[CategoryMatch]  # any one of them puts an item in the category
    note: str | None = None

    @field_validator("match", mode="before")
    @classmethod
    def _listed(cls, value: Any) -> Any:
        return [value] if isinstance(value, dict) else value

    @field_validator("match")
    @classmethod
    def _not_empty(cls, matches: list[CategoryMatch]) -> list[CategoryMatch]:
        if not matches:
            raise ValueError("no rules: give match = { label = ... } or a list of such tables")
        return matches


class EffortSettings(_Strict):
    """How activity becomes person-days (docs/effort.md)."""

    active_days: int = Field(14, ge=1, le=365)
    weights: dict[str, float] = {}


def _regex_or_none(pattern: str | None) -> str | None:
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from None
    return pattern


FAILURE_SOURCES = ("incidents", "rollbacks", "reverts", "hotfixes", "failed")


class OnCallHours(_Strict):
    """Working hours of the on-call rota; a page outside them is an after-hours page."""

    hours: str = Field("09:00-18:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$")
    days: list[str] = ["mon", "tue", "wed", "thu", "fri"]
    time_zone: str = "UTC"

    @field_validator("days")
    @classmethod
    def _weekdays(cls, days: list[str]) -> list[str]:
        known = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        wrong = [d for d in days if d not in known]
        if wrong:
            raise ValueError(f"unknown day {wrong[0]!r}: use {', '.join(known)}")
        return days

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, zone: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {zone!r} (use an IANA name)") from None
        return zone


class RepositoryDeployments(_Strict):
    """Where a repository's deployments come from (docs/metrics.md, Deployments)."""

    deployments: str = Field("auto", pattern=r"^(auto|records|ci|pull_requests)$")
    branch: str | None = None  # the production branch, when deployments = "pull_requests"


class HealthSettings(_Strict):
    """`[health]`: how `ktlo health` finds deployments, failures, noise and downtime."""

    definition: str = Field(
        "ktlo", pattern=r"^(ktlo|devlake-2023|devlake-2021|fourkeys|middleware)$"
    )
    environment: str = "(?i)prod"  # production, in a deployment's environment or a CI run's name
    deploy_workflow: str = "(?i)(deploy|push-image)"  # CI runs (workflow or job) that deploy
    main_branch: str = "^(main|master)$"
    repositories: dict[str, RepositoryDeployments] = {}
    incident_window_hours: float = Field(24.0, gt=0, le=720)
    failure_sources: list[str] = ["incidents", "rollbacks", "reverts", "hotfixes"]
    revert_pattern: str = r"(?i)^revert\b"
    hotfix_pattern: str = r"(?i)\bhot-?fix"
    repeat_window_days: int = Field(30, ge=1, le=365)
    repeat_similarity: float = Field(0.6, gt=0, le=1)
    downtime_severity: str | None = None  # incidents that count as downtime; None: all
    noise_minutes: int = Field(10, ge=1, le=1440)
    production_bug: str = r"(?i)\b(prod|production|customer|escaped|live)\b"
    on_call: OnCallHours = Field(default_factory=OnCallHours)

    _patterns = field_validator(
        "environment", "deploy_workflow", "main_branch", "revert_pattern", "hotfix_pattern",
        "downtime_severity", "production_bug",
    )(_regex_or_none)  # fmt: skip

    @field_validator("failure_sources")
    @classmethod
    def _sources(cls, sources: list[str]) -> list[str]:
        wrong = [s for s in sources if s not in FAILURE_SOURCES]
        if wrong:
            raise ValueError(
                f"unknown failure source {wrong[0]!r}: use {', '.join(FAILURE_SOURCES)}"
            )
        return sources


class ServiceSettings(_Strict):
    """`[services.<name>]`: a service's repositories, its SLO and what its downtime costs."""

    repositories: list[str] = []
    slo: float | None = Field(None, gt=0, lt=100)  # availability target in percent, e.g. 99.9
    slo_window_days: int = Field(30, ge=1, le=366)
    cost_per_minute: float | None = Field(None, ge=0)


class GitSettings(_Strict):
    """`[git]`: the repositories `ktlo analyze` and `ktlo sync` mine, and where (docs/scaling.md)."""

    repositories: list[str] = []  # paths (~ and globs allowed), relative to ktlo.toml
    recursive: bool = False  # each path is a folder to search for repositories
    jobs: int | None = Field(None, ge=1, le=4096)  # local processes (default: the cores)
    executor: str = Field("local", pattern=r"^(local|dask://[^/\s]+:\d+/?)$")

    def paths(self, base: Path | None) -> list[Path]:
        """The configured repositories as paths, globs expanded, in the order given."""
        import glob

        found: list[Path] = []
        for entry in self.repositories:
            pattern = Path(entry).expanduser()
            if not pattern.is_absolute() and base is not None:
                pattern = base / pattern
            matches = sorted(glob.glob(str(pattern))) if glob.has_magic(str(pattern)) else []
            found += [Path(m) for m in matches] or [pattern]
        return found


class KtloModeSettings(_Strict):
    """`[ktlo_mode]`: when a team should make reliability its focus (docs/ktlo-mode.md)."""

    enter: float = Field(0.5, gt=0, le=1)
    exit: float = Field(0.3, ge=0, lt=1)
    min_periods: int = Field(2, ge=1, le=24)
    weights: dict[str, float] = {}
    thresholds: dict[str, float] = {}
    ceilings: dict[str, float] = {}

    @model_validator(mode="after")
    def _check(self) -> KtloModeSettings:
        from ktlo.planning.ktlo_mode.scoring import DEFAULT_RULES

        if self.exit >= self.enter:
            raise ValueError(
                f"exit ({self.exit}) must be below enter ({self.enter}), or the answer would flap"
            )
        for table in (self.weights, self.thresholds, self.ceilings):
            unknown = [k for k in table if k not in DEFAULT_RULES]
            if unknown:
                raise ValueError(f"unknown signal {unknown[0]!r}: use {', '.join(DEFAULT_RULES)}")
        return self


#: How many days an item of each kind may be in progress (`ktlo flow`, docs/flow.md);
#: `[flow.sle_days]` overrides these one key at a time.
DEFAULT_SLE_DAYS: dict[str, float] = {
    "incident": 14, "bug": 5, "security": 10, "dependency": 10, "performance": 15,
    "reliability": 15, "maintenance": 15, "tech_debt": 20,
}  # fmt: skip


class FlowSettings(_Strict):
    """`[flow]`: what a tracker's statuses mean and each kind of work's service-level
    expectation (docs/flow.md). A status in none of the lists means work has started."""

    todo: list[str] = [
        "backlog", "to do", "todo", "open", "opened", "new", "triage", "unstarted",
        "selected for development", "ready", "ready for development",
    ]  # fmt: skip
    done: list[str] = ["done", "closed", "resolved", "merged", "released", "completed", "complete"]
    dropped: list[str] = [
        "canceled", "cancelled", "won't do", "won't fix", "wontfix", "duplicate", "declined",
        "rejected", "abandoned",
    ]  # fmt: skip
    sle_days: dict[str, float] = {}

    @field_validator("sle_days")
    @classmethod
    def _kinds(cls, days: dict[str, float]) -> dict[str, float]:
        from ktlo.classify.taxonomy import INVESTMENTS, SUBCATEGORIES

        known = (*SUBCATEGORIES, *INVESTMENTS)
        for kind, value in days.items():
            if kind not in known:
                raise ValueError(f"unknown kind of work {kind!r}: use {', '.join(known)}")
            if value <= 0:
                raise ValueError(f"{kind} = {value:g}: a service-level expectation is > 0 days")
        return days

    def sle(self) -> dict[str, float]:
        """Days allowed per subcategory (or investment): the defaults with ktlo.toml's over them."""
        return DEFAULT_SLE_DAYS | self.sle_days

    def categories(self) -> dict[str, str]:
        """Each listed status, lower-cased, -> `todo`, `done` or `dropped`."""
        return {
            status.strip().lower(): category
            for category, statuses in (
                ("todo", self.todo),
                ("done", self.done),
                ("dropped", self.dropped),
            )
            for status in statuses
        }


class Initiative(_Strict):
    """`[initiatives."PAY-1"]`: an initiative (an epic's key, a project's or milestone's
    name, as `ktlo allocation --by initiative` shows it) and how finance treats it."""

    capitalizable: bool = False  # its new work is capitalized R&D (docs/capitalization.md)


class Config(_Strict):
    """The whole ktlo.toml. Every field has a default, so an empty file is valid."""

    teams: list[Team] = []
    people: dict[str, Person] = {}
    bots: list[str] = []
    time_off_csv: Path | None = None
    categories: Categories = Field(default_factory=Categories)
    rules: list[Rule] = []
    effort: EffortSettings = Field(default_factory=EffortSettings)
    ktlo_mode: KtloModeSettings = Field(default_factory=KtloModeSettings)
    sources: dict[str, dict[str, Any]] = {}
    health: HealthSettings = Field(default_factory=HealthSettings)
    services: dict[str, ServiceSettings] = {}
    git: GitSettings = Field(default_factory=GitSettings)
    flow: FlowSettings = Field(default_factory=FlowSettings)
    initiatives: dict[str, Initiative] = {}
    custom_categories: dict[str, CustomCategoryRules] = {}  # in file order: the first match wins
    path: Path | None = Field(None, exclude=True)

    @model_validator(mode="after")
    def _membership(self) -> Config:
        person_of = {
            alias.lower(): person_id
            for person_id, person in self.people.items()
            for alias in (person_id, person.name or person_id, *person.aliases)
        }
        teams_of: dict[str, list[str]] = {}
        for team in self.teams:
            for member in team.members:
                teams_of.setdefault(person_of.get(member.lower(), member), []).append(team.name)
        for member, teams in teams_of.items():
            person = self.people.get(member)
            if len(teams) > 1 and not (person and person.teams):
                shares = ", ".join(f"{t} = {1 / len(teams):.2g}" for t in teams)
                raise ValueError(
                    f"{member} is a member of {' and '.join(teams)} without shares: "
                    f"set people.{member}.teams = {{ {shares} }}"
                )
        return self


def find_config(explicit: Path | None) -> Path | None:
    """The config to load: the one given, else ./ktlo.toml if it exists."""
    if explicit is not None:
        if not explicit.exists():
            raise ConfigError(f"no config file at {explicit}", "check the --config path")
        return explicit
    default = Path.cwd() / CONFIG_NAME
    return default if default.exists() else None


def load_config(path: Path | None) -> Config:
    """Parse and validate a config file; None gives the defaults."""
    if path is None:
        return Config()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}", "check the file") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path} is not valid TOML: {exc}", "fix the syntax at that line"
        ) from exc
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise _config_error(path, text, exc) from None
    from ktlo.config.checks import config_problems

    problems = config_problems(config)
    if problems:
        loc, message = problems[0]
        raise ConfigError(
            f"{where_in(path, text, loc)}: {message}", "see docs/configuration.md for the fields"
        )
    return config.model_copy(update={"path": path})


def where_in(path: Path, text: str, loc: tuple[Any, ...]) -> str:
    """`ktlo.toml line 9, rules.0.as`: the file, the line of `loc` if found, the field."""
    line = locate(text, loc)
    field = ".".join(str(part) for part in loc)
    return f"{path} line {line}, {field}" if line else f"{path}, {field}"


def _config_error(path: Path, text: str, exc: ValidationError) -> ConfigError:
    first = exc.errors()[0]
    loc = tuple(first["loc"])
    field = ".".join(str(part) for part in loc if part != "__root__") or "(top level)"
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown field"
    line = locate(text, loc)
    where = f"{path} line {line}" if line else str(path)
    return ConfigError(f"{where}, {field}: {message}", "see docs/configuration.md for the fields")


def locate(text: str, loc: tuple[Any, ...]) -> int | None:
    """The line of the deepest key of `loc` found in the TOML text (1-based), or None."""
    lines: dict[tuple[Any, ...], int] = {}
    table: tuple[Any, ...] = ()
    counts: dict[tuple[Any, ...], int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        header = re.fullmatch(r"\[\[\s*([^\]]+?)\s*\]\]", line) or re.fullmatch(
            r"\[\s*([^\]]+?)\s*\]", line
        )
        if header:
            name = tuple(part.strip().strip('"') for part in header[1].split("."))
            if line.startswith("[["):
                counts[name] = counts.get(name, -1) + 1
                table = (*name, counts[name])
            else:
                table = name
            lines.setdefault(table, number)
            continue
        key = re.match(r"([A-Za-z0-9_\-\".]+)\s*=", line)
        if key:
            path = (*table, *(part.strip('"') for part in key[1].split(".")))
            lines.setdefault(path, number)
    for depth in range(len(loc), 0, -1):
        if loc[:depth] in lines:
            return lines[loc[:depth]]
    return None


def load_time_off(config: Config) -> list[tuple[str, date, date]]:
    """Every time-off period, from the config's people and its `time_off_csv` (person,start,end)."""
    periods = [
        (person_id, off.start, off.end)
        for person_id, person in config.people.items()
        for off in person.time_off
    ]
    if config.time_off_csv is None:
        return periods
    path = config.time_off_csv
    if not path.is_absolute() and config.path is not None:
        path = config.path.parent / path
    periods += _read_time_off_csv(path)
    _check_overlaps(periods, path)
    return periods


def _read_time_off_csv(path: Path) -> list[tuple[str, date, date]]:
    import csv

    try:
        handle = path.open(newline="", encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"cannot read the time-off file {path}: {exc.strerror}", "check time_off_csv"
        ) from exc
    rows = []
    with handle:
        reader = csv.DictReader(handle)
        if not {"person", "start", "end"} <= set(reader.fieldnames or []):
            raise ConfigError(
                f"{path} line 1: the columns must be person,start,end", "fix the header row"
            )
        for row in reader:
            try:
                start, end = (
                    date.fromisoformat(row["start"].strip()),
                    date.fromisoformat(row["end"].strip()),
                )
            except (ValueError, AttributeError):
                raise ConfigError(
                    f"{path} line {reader.line_num}: bad date {row.get('start')!r} or {row.get('end')!r}",
                    "write dates as YYYY-MM-DD",
                ) from None
            if start > end:
                raise ConfigError(
                    f"{path} line {reader.line_num}: starts after it ends", "swap start and end"
                )
            rows.append((row["person"].strip(), start, end))
    return rows


def _check_overlaps(periods: list[tuple[str, date, date]], path: Path) -> None:
    by_person: dict[str, list[tuple[date, date]]] = {}
    for person, start, end in periods:
        by_person.setdefault(person.lower(), []).append((start, end))
    for person, spans in by_person.items():
        spans.sort()
        for (s1, e1), (s2, e2) in zip(spans, spans[1:], strict=False):
            if s2 <= e1:
                raise ConfigError(
                    f"time off of {person} overlaps: {s1}…{e1} and {s2}…{e2} (config and {path})",
                    "merge or remove one of the periods",
                )
