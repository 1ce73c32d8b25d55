"""Operational health, all SQL over the stored tables (docs/metrics.md).

common        options, scope, windows, the shape of a figure
deployments   deployments from records, CI runs or merged pull requests; changes shipped
failures      incident -> deployment links; failures from incidents, rollbacks, reverts, hotfixes
dora          the four DORA keys under ktlo's definition, per window, service and team
definitions/  the same under DevLake's (2023, 2021), fourkeys' and middleware's formulas
incidents     counts, MTTA, MTTR, downtime, person-hours, repeats
bugs          opened and closed, time to resolve, backlog, found in production
builds        duration, failure and flaky rates, queue time, red main
alerts        noise, per incident, after-hours pages, noisiest sources
slo           availability against targets, error budget, burn rate, cost
health        the `ktlo health` document
"""
