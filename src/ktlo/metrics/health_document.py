"""The `ktlo health --json` document (`ktlo.health/v1`, docs/metrics.md) as typed models.

`ktlo.metrics.health.health` builds a `HealthDocument`: every figure of every section is a
`Figure` (its value beside the previous window's, the trend and the series) with the
extras of its kind; the DORA section takes the shape of its definition (`--definition`).
The terminal, the CSV rows, the report and KTLO mode read its attributes; docs/metrics.md's
field table is generated from it. Fields are declared in the order the JSON has always
written them. Numbers a figure computes are `integer or number` (counts are integers,
durations and ratios numbers): a figure keeps the type its query gave, so the JSON stays
byte for byte what it was. A section whose records were never synced has every number
`null` and every trend `unknown` (`missing` says what to sync).
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import ConfigDict, Field, SerializerFunctionWrapHandler, TypeAdapter, model_serializer

from ktlo.documents import Document

Num = int | float
Trend = Literal["up", "down", "flat", "unknown"]
ITEMS = (
    "what the figure counted in the window, one row each (`--json` and `--explain` only); "
    "the columns are the definition's (docs/metrics.md)"
)
MEAN = "the mean, with `--mean` only"
BUCKET = (
    "the definition's performance bucket (`elite`, `high`, `medium`, `low`), `null` without a value"
)
LABEL = "the definition's own words for the bucket"


class HealthPart(Document):
    """A part of the health document: strict, so a value never changes type on its way
    through (an integer stays an integer); fields named in `SOMETIMES` are written only
    when the section gave them (`mean` with `--mean`, `items` with `--json`)."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)
    SOMETIMES: ClassVar[frozenset[str]] = frozenset(
        {"mean", "items", "median_deployment_days_per_six_months"}
    )

    @model_serializer(mode="wrap")
    def _given_only(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        given = self.model_fields_set
        return {k: v for k, v in data.items() if k not in self.SOMETIMES or k in given}


class Window(HealthPart):
    """A window of days: from `start` up to (not including) `end`."""

    start: str = Field(description="its first day")
    end: str = Field(description="the day after its last")


class Scope(HealthPart):
    """What the figures cover."""

    team: str | None = Field(description="the team (`--team`), `null` for the organisation")
    service: str | None = Field(description="the service (`--service`)")
    services: list[str] = Field(description="the team's or service's services; empty: all")
    repositories: list[str] = Field(description="their repositories; empty: all")


class Figure(HealthPart):
    """A number beside the previous window's, its trend and its series."""

    value: Num | None = Field(description="in the report's (newest) window; `null` without data")
    unit: str = Field(description="what `value` counts (`hours`, `ratio`, `deployments per week`)")
    previous: Num | None = Field(description="in the window before")
    trend: Trend = Field(description="value against previous: `flat` within 5%")
    improving: bool | None = Field(
        description="whether the trend is good news; `null` when flat, unknown or neither"
    )
    series: list[Num | None] = Field(description="one value per window, oldest first")


class Spread(Figure):
    """A median with its 90th percentile."""

    p90: Num | None = Field(description="the 90th percentile")
    mean: Num | None = Field(None, description=MEAN)


# DORA under ktlo's own definition (ktlo.metrics.dora)


class DeploymentFrequency(Figure):
    """Deployments per week, bucketed by deployment days (ktlo's definition)."""

    bucket: str | None = Field(description=BUCKET)
    deployments: int | None = Field(description="deployments in the window")
    deployment_days: int | None = Field(description="days with a deployment")
    median_deployment_days_per_week: Num | None = Field(description="median over its weeks")
    median_deployment_days_per_month: Num | None = Field(description="median over its months")
    items: list[dict[str, Any]] | None = Field(None, description=ITEMS)


class LeadTime(Figure):
    """Median hours from a change's first commit to its production deployment."""

    bucket: str | None = Field(description=BUCKET)
    p90: Num | None = Field(description="the 90th percentile")
    changes: int | None = Field(description="changes deployed in the window")
    excluded_negative: int | None = Field(description="left out: deployed before committed")
    excluded_first_deployment: int | None = Field(
        description="left out: first deployment of a service (no earlier one to measure from)"
    )
    excluded_bots: int | None = Field(description="left out: changes by bots")
    mean: Num | None = Field(None, description=MEAN)
    items: list[dict[str, Any]] | None = Field(None, description=ITEMS)


class ChangeFailureRate(Figure):
    """Share of deployments that failed (ktlo's definition)."""

    bucket: str | None = Field(description=BUCKET)
    failed_deployments: int | None = Field(description="deployments that failed")
    deployments: int | None = Field(description="deployments counted")
    by_source: dict[str, int] = Field(
        description="failed deployments per evidence: `incident`, `rollback`, `revert`, "
        "`hotfix`, `failed_deployment`"
    )
    items: list[dict[str, Any]] | None = Field(None, description=ITEMS)


class RecoveryTime(Figure):
    """Median hours from a failed deployment to its recovery."""

    name: str = Field(description="the figure's name under this definition")
    bucket: str | None = Field(description=BUCKET)
    p90: Num | None = Field(description="the 90th percentile")
    recovered: int | None = Field(description="failed deployments recovered")
    unrecovered: int | None = Field(description="failed deployments not (yet) recovered")
    mean: Num | None = Field(None, description=MEAN)
    items: list[dict[str, Any]] | None = Field(None, description=ITEMS)


class IncidentLinks(HealthPart):
    """How the window's incidents were tied to the deployments they failed."""

    incidents: int = Field(description="incidents in the window")
    linked: int = Field(description="tied to a deployment")
    unlinked_without_service: int = Field(description="not tied: no service named")
    unlinked_without_deployment: int = Field(description="not tied: no deployment before it")
    by_reference: int = Field(description="tied by a reference to a deployment or change")
    by_service_window: int = Field(description="tied to its service's last deployment")
    references_to_later_deployments: int = Field(
        description="references to deployments after the incident, ignored"
    )


class FailedDeployment(HealthPart):
    """A failed deployment of the window and why it counts as failed."""

    deploy_id: str = Field(description="the deployment's id")
    service: str | None = Field(description="its service")
    deployed_at: str = Field(description="when (ISO 8601)")
    reasons: list[str] = Field(description="the evidence: incidents, rollbacks, reverts, ...")
    recovered_at: str | None = Field(description="when it recovered, `null` when it did not")


class DoraByService(HealthPart):
    """One service's four figures in the window."""

    service: str = Field(description="the service")
    deployments: int = Field(description="deployments")
    per_week: Num | None = Field(description="deployments per week")
    deployment_frequency_bucket: str | None = Field(description="its bucket")
    lead_time_hours: Num | None = Field(description="median lead time, hours")
    lead_time_bucket: str | None = Field(description="its bucket")
    change_failure_rate: Num | None = Field(description="change failure rate")
    change_failure_rate_bucket: str | None = Field(description="its bucket")
    recovery_hours: Num | None = Field(description="median recovery time, hours")
    recovery_bucket: str | None = Field(description="its bucket")


class DoraByTeam(HealthPart):
    """One team's four figures in the window."""

    team: str = Field(description="the team")
    deployments: int = Field(description="deployments")
    per_week: Num | None = Field(description="deployments per week")
    deployment_frequency_bucket: str | None = Field(description="its bucket")
    lead_time_hours: Num | None = Field(description="median lead time, hours")
    lead_time_bucket: str | None = Field(description="its bucket")
    change_failure_rate: Num | None = Field(description="change failure rate")
    change_failure_rate_bucket: str | None = Field(description="its bucket")
    recovery_hours: Num | None = Field(description="median recovery time, hours")
    recovery_bucket: str | None = Field(description="its bucket")


class KtloDora(HealthPart):
    """DORA under ktlo's own definition (`--definition ktlo`, the default)."""

    definition: Literal["ktlo"] = Field(description="the definition")
    deployment_frequency: DeploymentFrequency = Field(description="deployments per week")
    lead_time: LeadTime = Field(description="lead time for changes, hours")
    change_failure_rate: ChangeFailureRate = Field(description="change failure rate")
    recovery_time: RecoveryTime = Field(description="failed deployment recovery time, hours")
    incident_links: IncidentLinks = Field(description="how incidents were tied to deployments")
    failures: list[FailedDeployment] = Field(
        description="the window's failed deployments (20 at most)"
    )
    by_service: list[DoraByService] = Field(description="per service, most deployments first")
    by_team: list[DoraByTeam] = Field(
        description="per team (the whole organisation only, with teams in ktlo.toml)"
    )
    thresholds: dict[str, str] = Field(description="each figure's buckets, in words")


# DORA under other projects' definitions (ktlo.metrics.definitions)


class PeerFigure(Figure):
    """A figure under another project's definition: its bucket and that project's label."""

    bucket: str | None = Field(description=BUCKET)
    label: str = Field(description=LABEL)
    items: list[dict[str, Any]] | None = Field(None, description=ITEMS)


class DevlakeDeploymentFrequency(Figure):
    """Deployment frequency as DevLake's dashboard buckets it."""

    median_deployment_days_per_month: Num | None = Field(description="median over its months")
    median_deployment_days_per_six_months: Num | None = Field(
        None, description="median over six months (`devlake-2021` only)"
    )
    bucket: str | None = Field(description=BUCKET)
    label: str = Field(description=LABEL)
    items: list[dict[str, Any]] | None = Field(None, description=ITEMS)


class FourkeysLeadTime(Figure):
    """Lead time as fourkeys computes it."""

    changes: int | None = Field(description="changes deployed in the window")
    ignored_non_positive: int | None = Field(description="left out: zero or negative times")
    bucket: str | None = Field(description=BUCKET)
    label: str = Field(description=LABEL)
    items: list[dict[str, Any]] | None = Field(None, description=ITEMS)


class PullRequestLeadTime(Figure):
    """Lead time over pull requests (DevLake, middleware)."""

    name: str = Field(description="the figure's name under this definition")
    pull_requests: int | None = Field(description="pull requests counted")
    bucket: str | None = Field(description=BUCKET)
    label: str = Field(description=LABEL)
    items: list[dict[str, Any]] | None = Field(None, description=ITEMS)


class FourkeysChangeFailureRate(Figure):
    """Change failure rate as fourkeys computes it."""

    deployments: int | None = Field(description="deployments counted")
    failures: int | None = Field(description="deployments with a failure")
    bucket: str | None = Field(description=BUCKET)
    label: str = Field(description=LABEL)
    items: list[dict[str, Any]] | None = Field(None, description=ITEMS)


class PeerChangeFailureRate(Figure):
    """Change failure rate (DevLake, middleware)."""

    deployments: int | None = Field(description="deployments counted")
    failed_deployments: int | None = Field(description="deployments that failed")
    bucket: str | None = Field(description=BUCKET)
    label: str = Field(description=LABEL)
    items: list[dict[str, Any]] | None = Field(None, description=ITEMS)


class IncidentRecovery(Figure):
    """Recovery time over incidents (DevLake, fourkeys, middleware)."""

    name: str = Field(description="the figure's name under this definition")
    incidents: int | None = Field(description="incidents counted")
    bucket: str | None = Field(description=BUCKET)
    label: str = Field(description=LABEL)
    items: list[dict[str, Any]] | None = Field(None, description=ITEMS)


class MiddlewareDeploymentFrequency(Figure):
    """Deployment frequency as middleware computes it."""

    deployments: int | None = Field(description="deployments in the window")
    per_day: int | None = Field(description="deployments per day")
    per_month: int | None = Field(description="deployments per month")
    duration: str | None = Field(
        description="the unit middleware judges by (`day`, `week`, `month`)"
    )
    bucket: str | None = Field(description=BUCKET)
    label: str = Field(description=LABEL)
    items: list[dict[str, Any]] | None = Field(None, description=ITEMS)


class DevlakeDora(HealthPart):
    """DORA as Apache DevLake's dashboard computes it (`devlake-2023`, `devlake-2021`)."""

    definition: Literal["devlake-2023", "devlake-2021"] = Field(description="the definition")
    deployment_frequency: DevlakeDeploymentFrequency = Field(description="deployment frequency")
    lead_time: PullRequestLeadTime = Field(description="lead time for changes")
    change_failure_rate: PeerChangeFailureRate = Field(description="change failure rate")
    recovery_time: IncidentRecovery = Field(description="time to restore service")


class FourkeysDora(HealthPart):
    """DORA as dora-team/fourkeys computes it (`fourkeys`)."""

    definition: Literal["fourkeys"] = Field(description="the definition")
    deployment_frequency: PeerFigure = Field(description="deployment frequency")
    lead_time: FourkeysLeadTime = Field(description="lead time for changes")
    change_failure_rate: FourkeysChangeFailureRate = Field(description="change failure rate")
    recovery_time: IncidentRecovery = Field(description="time to restore service")


class MiddlewareDora(HealthPart):
    """DORA as middlewarehq/middleware computes it (`middleware`)."""

    definition: Literal["middleware"] = Field(description="the definition")
    deployment_frequency: MiddlewareDeploymentFrequency = Field(description="deployment frequency")
    lead_time: PullRequestLeadTime = Field(description="lead time for changes")
    change_failure_rate: PeerChangeFailureRate = Field(description="change failure rate")
    recovery_time: IncidentRecovery = Field(description="mean time to recovery")


Dora = Annotated[
    KtloDora | DevlakeDora | FourkeysDora | MiddlewareDora, Field(discriminator="definition")
]
DORA: TypeAdapter[Dora] = TypeAdapter(Dora, config=ConfigDict(strict=True))

# incidents (ktlo.metrics.incidents)


class IncidentCount(Figure):
    """Incidents opened per window."""

    by_severity: dict[str, list[int]] = Field(
        description="per severity (`sev1`, ...), its count per window, oldest first"
    )
    open: int | None = Field(description="incidents still open")


class ServiceDowntime(HealthPart):
    """One service's downtime in the window."""

    service: str = Field(description="the service")
    minutes: Num = Field(description="minutes down")


class Downtime(Figure):
    """Minutes of downtime, and what they cost."""

    by_service: list[ServiceDowntime] = Field(description="per service, most first")
    cost: Num | None = Field(
        description="the downtime's cost (`cost_per_minute` of its services); `null` when no "
        "service has one"
    )
    cost_series: list[Num | None] | None = Field(
        description="the cost per window, oldest first; `null` when no service has a cost"
    )


class PersonHours(Figure):
    """Person-hours spent in incidents."""

    incidents_without_people: int | None = Field(description="incidents nobody is recorded on")


class RepeatIncident(HealthPart):
    """An incident of a repeat group."""

    id: str = Field(description="its id at the source")
    title: str | None = Field(description="its title")
    created_at: str = Field(description="when it was opened (ISO 8601)")


class RepeatGroup(HealthPart):
    """Incidents of one service that repeat one another."""

    service: str | None = Field(description="the service")
    incidents: list[RepeatIncident] = Field(description="the group's incidents")
    why: list[str] = Field(description="why they are alike (10 at most)")
    more_reasons: int = Field(description="reasons beyond those listed")


class Repeats(Figure):
    """Incidents that repeat an earlier one of the same service."""

    window_days: int = Field(description="how far back an incident may repeat, days")
    groups: list[RepeatGroup] = Field(description="the largest groups")
    group_count: int | None = Field(description="groups in all")


class Incidents(HealthPart):
    """Incidents: how many, how fast acknowledged and resolved, downtime, repeats."""

    count: IncidentCount = Field(description="incidents opened")
    mtta: Spread = Field(description="median minutes to acknowledge")
    mttr: Spread = Field(description="median minutes to resolve")
    downtime: Downtime = Field(description="minutes of downtime")
    person_hours: PersonHours = Field(description="person-hours in incidents")
    repeats: Repeats = Field(description="repeat incidents")


# bugs (ktlo.metrics.bugs)


class Backlog(Figure):
    """Bugs open at the window's end, and how old."""

    median_age_days: Num | None = Field(description="median age of the open bugs, days")
    p90_age_days: Num | None = Field(description="90th percentile of their ages")
    oldest_days: Num | None = Field(description="the oldest's age")


class FoundInProduction(Figure):
    """Share of the bugs opened that were found in production."""

    in_production: int | None = Field(description="bugs found in production")
    before_production: int | None = Field(description="bugs found before")


class Bugs(HealthPart):
    """Bug reports: opened, closed, how fast, the backlog."""

    opened: Figure = Field(description="bugs opened")
    closed: Figure = Field(description="bugs closed")
    resolution_rate: Figure = Field(description="closed per opened")
    time_to_resolve: Spread = Field(description="median days to resolve")
    open_backlog: Backlog = Field(description="open bugs")
    found_in_production: FoundInProduction = Field(description="share found in production")


# builds (ktlo.metrics.builds)


class BuildFailures(Figure):
    """Share of completed builds that failed."""

    failed: int | None = Field(description="builds failed")
    completed: int | None = Field(description="builds completed")


class Flaky(Figure):
    """Share of commits whose build failed, then passed unchanged."""

    flaky_commits: int | None = Field(description="commits with a flaky build")
    commits: int | None = Field(description="commits built")


class RedMain(Figure):
    """Hours the main branch's build was red."""

    red_spells: int | None = Field(description="times it went red")
    developer_hours_lost: Num | None = Field(
        description="hours red × the people who pushed while it was red"
    )
    developer_hours_series: list[Num | None] = Field(description="per window, oldest first")


class Workflow(HealthPart):
    """One workflow's builds in the window."""

    workflow: str | None = Field(description="the workflow")
    runs: int = Field(description="runs completed")
    failed: int = Field(description="runs failed")
    duration_median: Num | None = Field(description="median minutes")
    duration_p90: Num | None = Field(description="90th percentile minutes")
    queue_median: Num | None = Field(description="median minutes queued")
    flaky_commits: int = Field(description="commits with a flaky build")
    failure_rate: Num | None = Field(description="failed / runs")


class Builds(HealthPart):
    """CI builds: duration, failures, flakiness, queue, red main."""

    duration: Spread = Field(description="median build minutes")
    failure_rate: BuildFailures = Field(description="build failure rate")
    flaky_rate: Flaky = Field(description="flaky rate")
    queue_time: Spread = Field(description="median minutes queued")
    red_main: RedMain = Field(description="hours the main branch was red")
    by_workflow: list[Workflow] = Field(description="per workflow")


# alerts (ktlo.metrics.alerts)


class Noise(Figure):
    """Share of alerts that were noise."""

    noisy: int | None = Field(description="noisy alerts")
    definition: str = Field(description="what counts as noise")


class PersonPages(HealthPart):
    """One person's after-hours pages."""

    person: str = Field(description="who")
    pages: int = Field(description="pages outside working hours")


class AfterHours(Figure):
    """Pages outside working hours."""

    per_person: list[PersonPages] = Field(description="per person, most first")


class NoisyAlert(HealthPart):
    """An alert (service and title) among the noisiest."""

    service: str | None = Field(description="the service")
    title: str | None = Field(description="the alert's title")
    source: str | None = Field(description="where it came from (`pagerduty`, `opsgenie`, ...)")
    alerts: int = Field(description="times it fired in the window")
    noisy: int = Field(description="of them noise")
    with_incident: int = Field(description="of them tied to an incident")
    noise_ratio: Num | None = Field(description="noisy / alerts")


class Alerts(HealthPart):
    """Alerts: how many, per incident, noise, after-hours pages."""

    count: Figure = Field(description="alerts")
    per_incident: Figure = Field(description="alerts per incident")
    noise_ratio: Noise = Field(description="noise ratio")
    after_hours_pages: AfterHours = Field(description="after-hours pages")
    noisiest: list[NoisyAlert] = Field(description="the noisiest alerts (10 at most)")


class Slo(HealthPart):
    """One service's availability against its SLO."""

    service: str = Field(description="the service")
    target: Num = Field(description="its availability target, percent")
    availability: Num | None = Field(description="availability over the SLO's window, percent")
    status: str = Field(description="`met`, `breached` or `no data`")
    downtime_minutes: Num | None = Field(description="minutes down in the window")
    error_budget_minutes: Num = Field(description="minutes of downtime the target allows")
    budget_remaining: Num | None = Field(description="share of the budget left (negative: spent)")
    burn_rate: Num | None = Field(description="downtime / budget")
    downtime_cost: Num | None = Field(description="what the downtime cost")
    window_days: int = Field(description="the SLO's window, days")
    previous_availability: Num | None = Field(description="availability in the window before")
    trend: Trend = Field(description="availability against the previous")
    improving: bool | None = Field(description="whether the trend is good news")


class HealthDocument(HealthPart):
    """`ktlo health --json`: one scorecard of DORA, incidents, bugs, builds, alerts and SLOs."""

    schema_: Literal["ktlo.health/v1"] = Field(alias="schema", description="the schema id")
    scope: Scope = Field(description="what the figures cover")
    definition: str = Field(description="the DORA definition (`--definition`)")
    period: str = Field(description="the window size: `week`, `month` or `quarter`")
    window: Window = Field(description="the report's window (the newest)")
    previous_window: Window = Field(description="the window before")
    windows: list[Window] = Field(description="every window of the series, oldest first")
    statistics: list[str] = Field(description="`median`, `p90` (and `mean` with `--mean`)")
    dora: Dora = Field(description="DORA, shaped by the definition")
    incidents: Incidents = Field(description="incidents")
    bugs: Bugs = Field(description="bug reports")
    builds: Builds = Field(description="CI builds")
    alerts: Alerts = Field(description="alerts and pages")
    slos: list[Slo] = Field(description="per service with an SLO in ktlo.toml")
    missing: dict[str, str] = Field(
        description="per section whose records were never synced, what to sync; its figures "
        "are then `null`"
    )

    def figure(self, section: str, key: str) -> Figure:
        """The figure `key` of `section` (`"dora", "lead_time"`; not the SLOs)."""
        found: Figure = getattr(getattr(self, section), key)
        return found
