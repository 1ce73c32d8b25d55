"""Where deployments come from: records, CI runs, merged pull requests, per repository."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from ktlo.config import Config
from ktlo.errors import ConfigError
from ktlo.metrics.common import HealthOptions, make_context, make_windows, shift
from ktlo.metrics.deployments import build_deployments
from ktlo.metrics.health import health
from ktlo.metrics.health_document import MiddlewareDora
from ktlo.store import Store
from tests.health_work import build, deployment, pull

API, WEB, SHOP, LEGACY = (f"github.com/acme/{n}" for n in ("api", "web", "shop", "legacy"))


def deploys(store: Store, config: Config) -> list[dict[str, Any]]:
    ctx = make_context(store, config, HealthOptions(until=date(2026, 4, 1)))
    build_deployments(ctx)
    return store.query(
        "SELECT external_id, origin, repo_id, service, status, production FROM h_deploys "
        "ORDER BY repo_id, deployed_at, external_id"
    )


def test_each_repository_takes_its_deployments_from_one_source(store: Store) -> None:
    # api: no records, so its CI runs whose workflow or job says deploy are deployments
    build(
        store,
        "r1",
        "Deploy to production",
        "success",
        "2026-03-02 10:00",
        "2026-03-02 10:05",
        repo=API,
    )
    build(
        store, "r2", "Deploy staging", "success", "2026-03-02 11:00", "2026-03-02 11:05", repo=API
    )
    build(store, "r3", "CI", "success", "2026-03-02 09:00", "2026-03-02 09:05", repo=API)
    build(
        store,
        "j1",
        "Release",
        "success",
        "2026-03-03 10:00",
        "2026-03-03 10:05",
        sha="x",
        job="deploy-prod",
        repo=API,
    )
    build(
        store,
        "j2",
        "Release",
        "failure",
        "2026-03-03 10:00",
        "2026-03-03 10:07",
        sha="x",
        job="deploy-prod-eu",
        repo=API,
    )
    # web: deployed by merging to `release`; a merge to main is no deployment, an unknown base is
    pull(store, 1, "To release", "2026-03-04 09:00", "2026-03-04 10:00", repo=WEB, base="release")
    pull(store, 2, "To main", "2026-03-04 09:00", "2026-03-04 11:00", repo=WEB, base="main")
    pull(store, 3, "Base unknown", "2026-03-04 09:00", "2026-03-04 12:00", repo=WEB)
    # shop has records: its deploy runs are not counted again
    deployment(store, "d1", "2026-03-05 10:00", "shop", "rolled_back", repo=SHOP)
    build(
        store,
        "r4",
        "Deploy to production",
        "success",
        "2026-03-05 10:00",
        "2026-03-05 10:05",
        repo=SHOP,
    )
    # legacy is told to use CI even though it has records
    deployment(store, "d2", "2026-03-06 10:00", "legacy", repo=LEGACY)
    build(
        store, "r5", "deploy-prod", "failure", "2026-03-06 10:00", "2026-03-06 10:05", repo=LEGACY
    )
    config = Config.model_validate({"health": {"repositories": {
        "acme/web": {"deployments": "pull_requests", "branch": "release"},
        "acme/legacy": {"deployments": "ci"},
    }}})  # fmt: skip
    rows = [(r["external_id"], r["origin"], r["repo_id"].rsplit("/", 1)[1], r["service"], r["status"],
             r["production"]) for r in deploys(store, config)]  # fmt: skip
    assert rows == [
        ("r1", "ci", "api", "api", "success", True),
        ("r2", "ci", "api", "api", "success", False),
        ("j1", "ci", "api", "api", "failed", True),  # the run's deploy jobs, as one deployment
        ("r5", "ci", "legacy", "legacy", "failed", True),
        ("d1", "record", "shop", "shop", "rolled_back", True),
        ("1", "pull_request", "web", "web", "success", True),
        ("3", "pull_request", "web", "web", "success", True),
    ]


def test_services_come_from_the_configuration_first(store: Store) -> None:
    deployment(store, "d1", "2026-03-05 10:00", "shop", repo=SHOP)
    deployment(store, "d2", "2026-03-05 11:00", "Checkout", repo=None)
    config = Config.model_validate({"services": {"checkout": {"repositories": ["acme/shop"]}}})
    rows = [(r["external_id"], r["repo_id"], r["service"]) for r in deploys(store, config)]
    # d2 names only its service; the service's one repository is taken as its repository
    assert rows == [("d1", SHOP, "checkout"), ("d2", SHOP, "checkout")]


def test_environment_pattern(store: Store) -> None:
    deployment(store, "d1", "2026-03-05 10:00", environment="prd-eu")
    deployment(store, "d2", "2026-03-05 11:00", environment="production")
    config = Config.model_validate({"health": {"environment": "^prd"}})
    assert [(r["external_id"], r["production"]) for r in deploys(store, config)] == [
        ("d1", True),
        ("d2", False),
    ]


def test_windows_are_whole_periods_back_from_until() -> None:
    windows = make_windows(date(2026, 3, 31), "month", 3)
    assert [w.as_json() for w in windows] == [
        {"start": "2026-02-28", "end": "2026-03-31"},
        {"start": "2026-01-31", "end": "2026-02-28"},
        {"start": "2025-12-31", "end": "2026-01-31"},
    ]
    assert shift(date(2026, 5, 15), "quarter", 2) == date(2025, 11, 15)
    assert shift(date(2026, 3, 4), "week", 1) == date(2026, 2, 25)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (HealthOptions(team="nobody"), "unknown team 'nobody'"),
        (HealthOptions(team="web", service="shop"), "give --team or --service, not both"),
        (HealthOptions(period="day"), "unknown period 'day'"),
    ],
)
def test_bad_options_are_refused(store: Store, options: HealthOptions, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        make_context(store, Config.model_validate({"teams": [{"name": "web"}]}), options)


def test_patterns_must_work_in_duckdb(store: Store) -> None:
    config = Config.model_validate({"health": {"environment": "prod(?=uction)"}})
    with pytest.raises(ConfigError, match="health.environment"):
        make_context(store, config, HealthOptions())


def test_health_settings_are_validated() -> None:
    with pytest.raises(ValueError, match="unknown failure source 'outages'"):
        Config.model_validate({"health": {"failure_sources": ["outages"]}})
    with pytest.raises(ValueError, match="unknown time zone"):
        Config.model_validate({"health": {"on_call": {"time_zone": "Mars/Olympus"}}})
    with pytest.raises(ValueError):
        Config.model_validate({"services": {"shop": {"slo": 100}}})


def test_an_empty_store_has_no_data_rather_than_zeros(store: Store) -> None:
    doc = health(store, Config(), HealthOptions(until=date(2026, 4, 1), definition="middleware"))
    assert isinstance(doc.dora, MiddlewareDora)
    frequency = doc.dora.deployment_frequency
    assert (frequency.value, frequency.bucket, frequency.label) == (None, None, "N/A")
    assert doc.dora.change_failure_rate.value is None  # middleware itself would show 0%
    # no incident was ever synced: their count is unknown too, with what to sync
    assert (doc.incidents.count.value, doc.slos) == (None, [])
    assert doc.missing["incidents"] == "no incidents synced yet — run `ktlo sync`"
