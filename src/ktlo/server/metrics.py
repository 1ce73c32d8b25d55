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
ktlo_snapshot_age_seconds                     how old the dashboard's copy of the store is
ktlo_flow_*, ktlo_budget_bucket_*, ktlo_initiative_*, ktlo_capitalizable_person_days ...
                                              the planning figures (ktlo.server.figure_metrics)
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ktlo.report.document import ReportDocument
from ktlo.server.figure_metrics import figure_families
from ktlo.server.snapshot import Snapshot


class ReportCollector(Collector):
    """Gauges read off one report document."""

    def __init__(self, doc: ReportDocument, snap: Snapshot) -> None:
        self.doc = doc
        self.snap = snap

    def collect(self) -> Iterator[Metric]:
        yield from _shares(self.doc)
        yield from _health(self.doc)
        yield from figure_families(self.doc)  # flow, buckets, initiatives, capitalization
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


def metrics_text(doc: ReportDocument, snap: Snapshot) -> tuple[bytes, str]:
    """The Prometheus exposition of `doc`, and its content type."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ReportCollector(doc, snap))
    return generate_latest(registry), CONTENT_TYPE_LATEST
