"""`/metrics` for the report's planning figures (ktlo.report.figures), read off its document:

ktlo_flow_cycle_time_days{team,kind,quantile}   cycle time of the items finished in the last
                                                month, quantile 0.5 (median) and 0.85
ktlo_flow_throughput{team,kind}                 items finished in the last month
ktlo_flow_wip{team,kind}                        items in progress
ktlo_flow_past_sle{team,kind}                   of them past their service-level expectation
ktlo_flow_ktlo_wip{team}, ktlo_flow_ktlo_wip_limit{team}, ktlo_flow_over_limit{team}
                                                KTLO work in progress against the team's limit
ktlo_budget_bucket_share{team,bucket}           a bucket's share, last complete period
ktlo_budget_bucket_target{team,bucket}          its target
ktlo_initiative_person_days{initiative}         effort per initiative over the whole range
ktlo_initiative_ktlo_share{initiative}          its KTLO share, corrected
                                                (one pair per breakdown key: `ktlo_<by>_...`)
ktlo_capitalizable_person_days{team,period}     capitalizable effort per team and period
ktlo_expensed_person_days{team,period}          the rest

`kind` is a subcategory, or the investment for work with none.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric

from ktlo.report.document import ReportDocument

QUANTILES = (("0.5", "cycle_median_days"), ("0.85", "cycle_p85_days"))


def figure_families(doc: ReportDocument) -> Iterator[Metric]:
    """Every gauge family of the planning figures."""
    yield from _flow(doc)
    yield from _buckets(doc)
    yield from _breakdowns(doc)
    yield from _capitalization(doc)


def _gauge(name: str, text: str, *labels: str) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, text, labels=list(labels))


def _flow(doc: ReportDocument) -> Iterator[Metric]:
    cycle = _gauge("ktlo_flow_cycle_time_days", "Cycle time of the items finished in the "
                   "last period, days.", "team", "kind", "quantile")  # fmt: skip
    done = _gauge("ktlo_flow_throughput", "Items finished in the last period.", "team", "kind")
    wip = _gauge("ktlo_flow_wip", "Items in progress.", "team", "kind")
    late = _gauge("ktlo_flow_past_sle", "Items in progress past their service-level "
                  "expectation.", "team", "kind")  # fmt: skip
    ktlo = _gauge("ktlo_flow_ktlo_wip", "KTLO items in progress.", "team")
    limit = _gauge("ktlo_flow_ktlo_wip_limit", "The team's KTLO WIP limit.", "team")
    over = _gauge("ktlo_flow_over_limit", "1 when KTLO WIP is above the limit.", "team")
    for flow in doc.flow.teams:
        team = flow.team or "(all)"
        for group in flow.groups:
            kind = group.subcategory or group.investment
            for quantile, field in QUANTILES:
                value = getattr(group, field)
                if value is not None:
                    cycle.add_metric([team, kind, quantile], value)
            done.add_metric([team, kind], group.throughput)
            wip.add_metric([team, kind], group.wip)
            late.add_metric([team, kind], group.past_sle)
        for found in flow.teams:
            ktlo.add_metric([found.team], found.ktlo_wip)
            over.add_metric([found.team], 1.0 if found.over_limit else 0.0)
            if found.ktlo_wip_limit is not None:
                limit.add_metric([found.team], found.ktlo_wip_limit)
    yield from (cycle, done, wip, late, ktlo, limit, over)


def _buckets(doc: ReportDocument) -> Iterator[Metric]:
    share = _gauge("ktlo_budget_bucket_share", "A budget bucket's share of the team's effort, "
                   "last complete period.", "team", "bucket")  # fmt: skip
    target = _gauge("ktlo_budget_bucket_target", "A budget bucket's target.", "team", "bucket")
    for team in doc.buckets.teams:
        for bucket in team.buckets.buckets:
            target.add_metric([team.team, bucket.bucket], bucket.target)
            if bucket.share is not None:
                share.add_metric([team.team, bucket.bucket], bucket.share)
    yield from (share, target)


def _breakdowns(doc: ReportDocument) -> Iterator[Metric]:
    for breakdown in doc.breakdowns:
        by = breakdown.by
        days = _gauge(f"ktlo_{by}_person_days", f"Effort per {by}, whole range.", by)
        share = _gauge(f"ktlo_{by}_ktlo_share", f"KTLO share of each {by}'s effort.", by)
        for group in breakdown.groups:
            days.add_metric([group.key], group.person_days)
            if group.ktlo_share is not None:
                share.add_metric([group.key], group.ktlo_share)
        yield from (days, share)


def _capitalization(doc: ReportDocument) -> Iterator[Metric]:
    families = {
        "capitalizable": _gauge("ktlo_capitalizable_person_days", "Capitalizable effort "
                                "(docs/capitalization.md).", "team", "period"),
        "expensed": _gauge("ktlo_expensed_person_days", "Expensed effort.", "team", "period"),
    }  # fmt: skip
    for row in doc.capitalization.document.rows:
        families[row.cost_class].add_metric([row.team, row.period], row.person_days)
    yield from families.values()
