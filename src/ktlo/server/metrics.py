"""`/metrics`: the dashboard's figures in Prometheus' text format.

ktlo_ktlo_share{team}                         KTLO share of effort, last full period
                                              (corrected for the verdicts' measured error)
ktlo_ktlo_share_low{team}, _high{team}        its 90% interval
ktlo_subcategory_share{team,investment,subcategory}
                                              each kind's share of the team's effort,
                                              last full period
ktlo_budget_low{team}, ktlo_budget_high{team} the team's band (fractions)
ktlo_budget_over{team}                        1 when the last full period's interval is above the band
ktlo_person_days{team}                        effort in the whole range
ktlo_dora_*{...}                              DORA values, when deployments are synced
ktlo_error_budget_remaining{service,slo}      fraction of the error budget left
ktlo_dependency_packages{repo,team}           package versions in use (docs/dependencies.md)
ktlo_dependency_packages_dated{repo,team}     of them, with both release dates known
ktlo_dependency_libyears{repo,team}           libyears summed over the dated ones
ktlo_dependency_versions_behind{repo,team}    versions behind summed
ktlo_open_vulnerabilities{repo,team,severity} open advisories by CVSS band
ktlo_open_vulnerability_oldest_days{repo,team}
                                              age of the oldest open advisory
ktlo_dependency_packages_unchecked            packages in use never checked against OSV
ktlo_dependency_packages_unpinned             packages in use with a range for a version, not matched
ktlo_time_to_patch_days{team,quantile}        median (0.5) and 90th percentile (0.9) days
                                              to patch; team "" is every repository
ktlo_patches{team}                            patches counted in it
ktlo_snapshot_age_seconds                     how old the dashboard's copy of the store is
ktlo_flow_*, ktlo_budget_bucket_*, ktlo_initiative_*, ktlo_capitalizable_person_days ...
                                              the planning figures (ktlo.server.figure_metrics)

The dependency series come from what the store holds (never the network) and are left out
when the store has no dependency inventory: an absent series, not a zero. `team` is the
repository's first owning team of ktlo.toml ("" when none owns it).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ktlo.report.document import ReportDocument
from ktlo.server.figure_metrics import figure_families
from ktlo.server.snapshot import Snapshot

if TYPE_CHECKING:
    from ktlo.metrics.dependency_risk import DependencyRisk

BANDS = ("critical", "high", "medium", "low", "unknown")


class ReportCollector(Collector):
    """Gauges read off one report document."""

    def __init__(
        self, doc: ReportDocument, snap: Snapshot, deps: DependencyRisk | None = None
    ) -> None:
        self.doc = doc
        self.snap = snap
        self.deps = deps

    def collect(self) -> Iterator[Metric]:
        yield from _shares(self.doc)
        yield from _health(self.doc)
        yield from figure_families(self.doc)  # flow, buckets, initiatives, capitalization
        if self.deps is not None and self.deps.freshness.repositories:
            yield from _freshness(self.deps)
            yield from _vulnerabilities(self.deps)
            yield from _time_to_patch(self.deps)
        age = GaugeMetricFamily(
            "ktlo_snapshot_age_seconds", "Seconds since the dashboard copied the store."
        )
        age.add_metric([], (datetime.now(UTC) - self.snap.taken_at).total_seconds())
        yield age


def _shares(doc: ReportDocument) -> Iterator[Metric]:
    share = GaugeMetricFamily(
        "ktlo_ktlo_share", "KTLO share of effort in the last full period.", labels=["team"]
    )
    kinds = GaugeMetricFamily(
        "ktlo_subcategory_share",
        "Share of the team's effort in the last full period, per kind of work.",
        labels=["team", "investment", "subcategory"],
    )
    share_low = GaugeMetricFamily(
        "ktlo_ktlo_share_low", "Low end of the KTLO share's 90% interval.", labels=["team"]
    )
    share_high = GaugeMetricFamily(
        "ktlo_ktlo_share_high", "High end of the KTLO share's 90% interval.", labels=["team"]
    )
    low = GaugeMetricFamily("ktlo_budget_low", "Low end of the team's KTLO band.", labels=["team"])
    high = GaugeMetricFamily(
        "ktlo_budget_high", "High end of the team's KTLO band.", labels=["team"]
    )
    over = GaugeMetricFamily(
        "ktlo_budget_over",
        "1 when the last full period's 90% interval is above the team's band.",
        labels=["team"],
    )
    days = GaugeMetricFamily("ktlo_person_days", "Effort in person-days.", labels=["team"])
    balances = {b.team: b for b in doc.balance}
    for card in doc.teams:
        team = card.team
        for family, value in ((share, card.last_period_share),
                              (share_low, card.last_period_share_low),
                              (share_high, card.last_period_share_high)):  # fmt: skip
            if card.last_period_share is not None and value is not None:
                family.add_metric([team], value)
        low.add_metric([team], card.low)
        high.add_metric([team], card.high)
        over.add_metric([team], 1.0 if card.last_period_status == "over" else 0.0)
        days.add_metric([team], card.person_days)
        period = next((p for p in balances[team].periods if p.period == card.last_period), None)
        if period and period.person_days:
            investment = {k.key: k.investment for k in balances[team].subcategories}
            for key, value in period.by_subcategory.items():
                kinds.add_metric(
                    [team, investment.get(key, "other"), key],
                    round(value / period.person_days, 4),
                )
    yield from (share, share_low, share_high, kinds, low, high, over, days)


def _health(doc: ReportDocument) -> Iterator[Metric]:
    for family in doc.health.metrics:
        gauge = GaugeMetricFamily(family.name, family.help, labels=family.labels)
        for sample in family.samples:
            gauge.add_metric(sample.labels, sample.value)
        yield gauge


def _freshness(deps: DependencyRisk) -> Iterator[Metric]:
    labels = ["repo", "team"]
    families = {
        "packages": GaugeMetricFamily("ktlo_dependency_packages", "Package versions in use.", labels=labels),
        "dated": GaugeMetricFamily("ktlo_dependency_packages_dated", "Package versions in use with both release dates known (they make the libyears).", labels=labels),
        "libyears": GaugeMetricFamily("ktlo_dependency_libyears", "Libyears summed over the dated package versions in use.", labels=labels),
        "versions_behind": GaugeMetricFamily("ktlo_dependency_versions_behind", "Releases newer than the versions in use, summed.", labels=labels),
    }  # fmt: skip
    for repo in deps.freshness.repositories:
        for field, family in families.items():
            family.add_metric([repo.repo_id, _team(repo.teams)], getattr(repo.totals, field))
    yield from families.values()


def _vulnerabilities(deps: DependencyRisk) -> Iterator[Metric]:
    opened = GaugeMetricFamily(
        "ktlo_open_vulnerabilities",
        "Open advisories against the versions in use, by CVSS band.",
        labels=["repo", "team", "severity"],
    )
    oldest = GaugeMetricFamily(
        "ktlo_open_vulnerability_oldest_days",
        "Days since the oldest open advisory was published.",
        labels=["repo", "team"],
    )
    counts = {r.repo_id: r.open for r in deps.vulnerabilities.repositories}
    for repo in deps.freshness.repositories:  # every repository with dependencies: 0 is known
        found, team = counts.get(repo.repo_id), _team(repo.teams)
        for band in BANDS:
            opened.add_metric([repo.repo_id, team, band], getattr(found, band) if found else 0)
        if found is not None and found.oldest_days is not None:
            oldest.add_metric([repo.repo_id, team], found.oldest_days)
    unchecked = GaugeMetricFamily(
        "ktlo_dependency_packages_unchecked",
        "Packages in use never checked against OSV (their vulnerabilities are unknown).",
    )
    unchecked.add_metric([], len(deps.vulnerabilities.unchecked))
    unpinned = GaugeMetricFamily(
        "ktlo_dependency_packages_unpinned",
        "Packages in use with no exact version (a range no lockfile pins): not matched against advisories.",
    )
    unpinned.add_metric([], len(deps.vulnerabilities.unpinned))
    yield from (opened, oldest, unchecked, unpinned)


def _time_to_patch(deps: DependencyRisk) -> Iterator[Metric]:
    days = GaugeMetricFamily(
        "ktlo_time_to_patch_days",
        'Days from an advisory\'s publication to the commit that left its range (team "": all).',
        labels=["team", "quantile"],
    )
    count = GaugeMetricFamily(
        "ktlo_patches", "Patches after the advisory's publication.", labels=["team"]
    )
    scopes = [("", deps.time_to_patch.totals)]
    scopes += [(t.team, t.totals) for t in deps.time_to_patch.teams]
    for team, totals in scopes:
        count.add_metric([team], totals.patches)
        if totals.median_days is not None and totals.p90_days is not None:
            days.add_metric([team, "0.5"], totals.median_days)
            days.add_metric([team, "0.9"], totals.p90_days)
    yield from (days, count)


def _team(teams: list[str]) -> str:
    return teams[0] if teams else ""


def metrics_text(
    doc: ReportDocument, snap: Snapshot, deps: DependencyRisk | None = None
) -> tuple[bytes, str]:
    """The Prometheus exposition of `doc` (and of `deps`, the dependency risk), and its
    content type."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ReportCollector(doc, snap, deps))
    return generate_latest(registry), CONTENT_TYPE_LATEST
