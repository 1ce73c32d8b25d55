"""DORA under ktlo's own definition, on one scenario worked out by hand.

Window: March 2026 (until 2026-04-01, a month); the previous window is February.

Deployments (production unless said):
    D0  02-20 10:00  checkout  success      the first deployment of acme/shop
    D1  03-02 10:00  checkout  success
    D2  03-03 10:00  checkout  success      sha b2b2...
    D3  03-04 10:00  checkout  rolled_back
    D4  03-05 10:00  checkout  success
    D5  03-05 12:00  checkout  success      staging: not production
    D6  03-06 10:00  checkout  failure      a failed attempt: not counted (failed is off)
    P1  03-10 09:00  payments  success      the first deployment of acme/pay

Failures:
    D1  incidents I1 (03-02 15:00-17:00) and I2 (16:00-18:00), within 24 h: recovered 18:00, 8 h
    D2  incident I5 ("root cause: b2b2b2b", resolved 03-08 02:00) and the revert #7 of #5:
        with an incident, recovery is the incident's resolution: 112 h
    D3  rolled back; the next checkout deployment D4 recovers it: 24 h
    P1  hotfix #8 (opened 03-10 12:00) and incident I6 ("deployment: P1", resolved 03-25
        02:00): 353 h
    I3 (payments, 48 h after P1) and I4 (no service) are linked to nothing.

CFR = 4 failed / 5 deployments (D1-D4, P1) = 0.8. Recovery [8, 24, 112, 353]: median 68,
p90 112 + 0.7 x 241 = 280.7. Lead times: #4 24 h (D1), #5 26 h (D2), commit c2 22 h (D3):
median 24, p90 25.6; commit c3 (-1.5 h) is excluded, #9 shipped by P1 (the first of its
repository) too; the squash commit of #4 and the rebased commit of #5 are not changes.
Frequency: 5 deployments on 5 days in 31 days = 1.13 a week; weeks (Monday) 0,4,1,0,0,0:
median 0; the month: 5 days, so medium.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ktlo.config import Config
from ktlo.metrics.common import HealthOptions
from ktlo.metrics.health import health
from ktlo.store import Store
from tests.health_work import commit, deployment, incident, pull

SHOP, PAY = "github.com/acme/shop", "github.com/acme/pay"
UNTIL = date(2026, 4, 1)
CONFIG = Config.model_validate(
    {"teams": [{"name": "web", "services": ["checkout"]},
               {"name": "money", "services": ["payments"], "repositories": ["acme/pay"]}]}
)  # fmt: skip


def write_scenario(store: Store) -> None:
    for ident, when, status, env, sha in (
        ("D0", "2026-02-20 10:00", "success", "production", "e0"),
        ("D1", "2026-03-02 10:00", "success", "production", "a1"),
        ("D2", "2026-03-03 10:00", "success", "production", "b2"),
        ("D3", "2026-03-04 10:00", "rolled_back", "production", "c3"),
        ("D4", "2026-03-05 10:00", "success", "production", "d4"),
        ("D5", "2026-03-05 12:00", "success", "staging", "f5"),
        ("D6", "2026-03-06 10:00", "failure", "production", "f6"),
    ):
        deployment(store, ident, when, "checkout", status, env, sha * 20, SHOP)
    deployment(store, "P1", "2026-03-10 09:00", "payments", repo=PAY)
    incident(store, "I1", "2026-03-02 15:00", "2026-03-02 17:00", "checkout")
    incident(store, "I2", "2026-03-02 16:00", "2026-03-02 18:00", "checkout")
    incident(store, "I3", "2026-03-12 09:00", "2026-03-12 10:00", "payments", title="Payments slow")
    incident(store, "I4", "2026-03-20 09:00", "2026-03-20 10:00", None)
    incident(store, "I5", "2026-03-08 00:00", "2026-03-08 02:00", "checkout",
             title="Latency up, root cause: b2b2b2b")  # fmt: skip
    incident(store, "I6", "2026-03-25 00:00", "2026-03-25 02:00", "payments",
             title="Refund errors after deployment: P1")  # fmt: skip
    pull(store, 6, "Tidy", "2026-02-09 10:00", "2026-02-10 10:00", repo=SHOP)
    pull(
        store,
        4,
        "Add search",
        "2026-03-01 12:00",
        "2026-03-01 14:00",
        first_commit="2026-03-01 10:00",
    )
    pull(
        store,
        5,
        "Add coupons",
        "2026-03-02 09:00",
        "2026-03-02 20:00",
        first_commit="2026-03-02 08:00",
    )
    pull(
        store,
        7,
        'Revert "Add coupons"',
        "2026-03-05 10:00",
        "2026-03-05 11:00",
        body="Reverts acme/shop#5",
    )
    pull(store, 9, "Add refunds", "2026-03-08 10:00", "2026-03-09 10:00", repo=PAY)
    pull(store, 8, "Hotfix: payment rounding", "2026-03-10 12:00", "2026-03-10 13:00", repo=PAY)
    commit(store, "c1" * 20, "Add search (#4)", "2026-03-01 14:00", refs=["#4"])
    commit(store, "c4" * 20, "Coupon model", "2026-03-02 07:00", "2026-03-02 20:00:30")
    commit(store, "c2" * 20, "Bump version", "2026-03-03 12:00")
    commit(store, "c3" * 20, "Clock skew", "2026-03-05 11:30", "2026-03-05 09:00")


@pytest.fixture(scope="module")
def doc(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    with Store.open(Path(tmp_path_factory.mktemp("dora")) / "k.duckdb") as store:
        write_scenario(store)
        # the JSON as `ktlo health --json` writes it: every figure checked by hand
        return health(store, CONFIG, HealthOptions(until=UNTIL)).to_json()


def test_deployment_frequency(doc: dict[str, Any]) -> None:
    df = doc["dora"]["deployment_frequency"]
    assert (df["value"], df["previous"], df["trend"], df["improving"]) == (1.13, 0.25, "up", True)
    assert (df["deployments"], df["deployment_days"], df["bucket"]) == (5, 5, "medium")
    assert (df["median_deployment_days_per_week"], df["median_deployment_days_per_month"]) == (
        0.0,
        5.0,
    )


def test_lead_time_follows_squash_and_rebase_merges(doc: dict[str, Any]) -> None:
    lt = doc["dora"]["lead_time"]
    assert (lt["value"], lt["p90"], lt["bucket"]) == (24.0, 25.6, "high")
    assert (lt["changes"], lt["excluded_negative"], lt["excluded_first_deployment"]) == (3, 1, 1)
    assert lt["previous"] is None  # February's only change was D0's, the first deployment


def test_change_failure_rate_counts_each_deployment_once(doc: dict[str, Any]) -> None:
    cfr = doc["dora"]["change_failure_rate"]
    assert (cfr["value"], cfr["failed_deployments"], cfr["deployments"], cfr["bucket"]) == (
        0.8,
        4,
        5,
        "low",
    )
    assert cfr["by_source"] == {
        "incident": 3,
        "rollback": 1,
        "revert": 1,
        "hotfix": 1,
        "failed_deployment": 0,
    }
    assert (cfr["previous"], cfr["improving"]) == (0.0, False)


def test_recovery_time(doc: dict[str, Any]) -> None:
    rec = doc["dora"]["recovery_time"]
    assert (rec["value"], rec["p90"], rec["bucket"]) == (68.0, 280.7, "medium")
    assert (rec["recovered"], rec["unrecovered"]) == (4, 0)


def test_failures_say_why(doc: dict[str, Any]) -> None:
    failures = {f["deploy_id"].rsplit(":", 1)[1]: f for f in doc["dora"]["failures"]}
    assert list(failures) == ["D1", "D2", "D3", "P1"]
    assert failures["D1"]["reasons"] == [
        "incident I1: last production deployment of checkout within 24 h",
        "incident I2: last production deployment of checkout within 24 h",
    ]
    assert failures["D2"]["reasons"] == [
        "incident I5: root cause b2b2b2b deployed",
        "reverted by #7",
    ]
    assert failures["D3"] == {
        **failures["D3"],
        "reasons": ["rolled back"],
        "recovered_at": "2026-03-05T10:00:00",
    }
    assert failures["P1"]["reasons"] == [
        "hotfix #8",
        "incident I6: deployment P1 named in the incident",
    ]


def test_incidents_link_by_reference_or_own_service_only(doc: dict[str, Any]) -> None:
    assert doc["dora"]["incident_links"] == {
        "incidents": 6, "linked": 4, "unlinked_without_service": 1, "unlinked_without_deployment": 1,
        "by_reference": 2, "by_service_window": 2, "references_to_later_deployments": 0,
    }  # fmt: skip


def test_breakdowns_by_service_and_team(doc: dict[str, Any]) -> None:
    by_service = {r["service"]: r for r in doc["dora"]["by_service"]}
    assert by_service["checkout"] | {} == {
        "service": "checkout", "deployments": 4, "per_week": 0.9, "deployment_frequency_bucket": "medium",
        "lead_time_hours": 24.0, "lead_time_bucket": "high", "change_failure_rate": 0.75,
        "change_failure_rate_bucket": "low", "recovery_hours": 24.0, "recovery_bucket": "medium",
    }  # fmt: skip
    assert (
        by_service["payments"]["deployments"],
        by_service["payments"]["change_failure_rate"],
    ) == (1, 1.0)
    by_team = {r["team"]: r for r in doc["dora"]["by_team"]}
    assert (by_team["web"]["deployments"], by_team["money"]["deployments"]) == (4, 1)


def test_team_scope(tmp_path: Path) -> None:
    with Store.open(tmp_path / "k.duckdb") as store:
        write_scenario(store)
        dora = health(store, CONFIG, HealthOptions(team="web", until=UNTIL)).to_json()["dora"]
    assert (dora["change_failure_rate"]["value"], dora["deployment_frequency"]["deployments"]) == (
        0.75,
        4,
    )
    assert dora["incident_links"]["incidents"] == 3  # I1, I2, I5: checkout's
    assert dora["by_team"] == []


def test_failed_attempts_count_when_enabled(tmp_path: Path) -> None:
    config = Config.model_validate({"health": {"failure_sources": ["failed"]}})
    with Store.open(tmp_path / "k.duckdb") as store:
        write_scenario(store)
        cfr = health(store, config, HealthOptions(until=UNTIL)).dora.change_failure_rate.to_json()
    assert (cfr["failed_deployments"], cfr["deployments"], cfr["value"]) == (1, 6, 0.1667)
