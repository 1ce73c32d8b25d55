"""The named DORA definitions, each against a result worked out from its project's own formula.

One scenario holds the traps those projects' users report. Window: March 2026.

    D1  03-02 10:00  success  sha c1   the first deployment of the repository
    D2  03-04 10:00  success  sha c3
    S1  03-05 10:00  success  staging  (fourkeys counts every environment)
    D3  03-09 10:00  success  sha c4
    D4  03-11 10:00  failure  sha c5

    commits c0 02-25 (before any deployment), c1 "Add cart (#1)", c2 03-03 08:00, c3 authored
    at D2's minute (lead 0), c3n authored 20 min after D2 (negative), c3b 03-04 12:00,
    c4 "Add coupons (#2)" authored 03-07 10:00, c5 03-10
    PR #1 first commit 02-27 09:00, opened 03-01 08:00, merged 03-02 09:00 (shipped by D1)
    PR #2 first commit 03-07 12:00, after it was opened at 10:00; reviewed 03-07 16:00,
          approved 03-08 08:00, merged 03-08 10:00 (shipped by D3)
    PR #3 merged 03-09 12:00, never deployed
    I0 03-01 12:00-14:00, before any deployment
    I1 03-02 12:00-13:00 and I2 14:00-18:00, both "root cause: <c1>"
    I3 03-10 11:00-12:00 of another service, "search"

Worked results (the formulas are in each module's docstring and in docs/metrics.md):

    devlake   weeks 0,2,1,0,0,0 -> lower median 0; month 3. Lead: #1 dropped (first
              deployment), #2 = 0 (negative coding time) + 1440 + 1440 min = 48 h. Incidents
              link to the latest deployment before them: I1, I2 -> D1, I3 -> D3 (another
              service's!), I0 -> none: CFR 2/3. 2023 recovery: D1->I1 180, D1->I2 480,
              D3->I3 1560 min: lower median 480 = 8 h. 2021 restore: 60,60,120,240: 60 = 1 h.
    fourkeys  no push is stored, so each deployment's push is the stand-in: the deployed
              commit (no pull request is merged as one): D1 {c1}, D2 {c3}, S1 {c3b}, D3 {c4};
              days after 03-01, Sunday weeks: days deployed 3,1,0,0,0 (median 0), weeks
              1,1,0,0,0 (median 0), months 2 -> Monthly. Lead: 1500, 1320, 2880 min (c3's 0
              ignored): median 1500 = 25 h. Restore (from D1 for I1, I2): 3, 8, 2, 1 h: 2.5.
              CFR: I1 and I2 both name c1: 2 incidents / 4 deployments = 0.5.
    middleware  3 deployments: daily 3 // 31 = 0, weekly 3 // 6 = 0, monthly 3 -> "3 per
              month", high. Lead: #1 169200 + 3600 s (02-27 09:00 to 03-01 08:00 is 47 h), #2
              0 + 21600 + 57600 + 7200 + 86400 s: both 172800 s, mean 48 h. CFR: D1 owns I1, I2; D3 owns I3; I0 precedes all: 2/4.
              MTTR: 7200, 3600, 14400, 3600 s: mean 2 h.
    ktlo      I3 links to nothing (no search deployment), I0 neither: CFR 1/3. Lead:
              c3 0 h, c2 26 h, #2 48 h (from its opening), c3b 118 h: median 37 h.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ktlo.choices import DEFINITIONS
from ktlo.config import Config
from ktlo.metrics.common import HealthOptions, make_context
from ktlo.metrics.definitions import dora_section
from ktlo.metrics.health import health, prepare
from ktlo.metrics.health_document import DevlakeDeploymentFrequency
from ktlo.store import Store
from tests.health_work import commit, deployment, incident, pull, review

SHA = {name: name.ljust(40, "0") for name in ("c0", "c1", "c2", "c3", "c3a", "c3b", "c4", "c5")}


def write_scenario(store: Store) -> None:
    for ident, when, status, env, sha in (
        ("D1", "2026-03-02 10:00", "success", "production", "c1"),
        ("D2", "2026-03-04 10:00", "success", "production", "c3"),
        ("S1", "2026-03-05 10:00", "success", "staging", "c3b"),
        ("D3", "2026-03-09 10:00", "success", "production", "c4"),
        ("D4", "2026-03-11 10:00", "failure", "production", "c5"),
    ):
        deployment(store, ident, when, "shop", status, env, SHA[sha])
    commit(store, SHA["c0"], "Initial", "2026-02-25 09:00")
    commit(store, SHA["c1"], "Add cart (#1)", "2026-03-01 09:00", "2026-03-02 09:00", refs=["#1"])
    commit(store, SHA["c2"], "Direct fix", "2026-03-03 08:00")
    commit(store, SHA["c3"], "Same minute", "2026-03-04 10:00", "2026-03-04 09:59")
    commit(store, SHA["c3a"], "Clock ahead", "2026-03-04 10:20", "2026-03-04 09:50")
    commit(store, SHA["c3b"], "Staging only", "2026-03-04 12:00")
    commit(
        store, SHA["c4"], "Add coupons (#2)", "2026-03-07 10:00", "2026-03-08 10:00", refs=["#2"]
    )
    commit(store, SHA["c5"], "Later", "2026-03-10 10:00")
    pull(
        store,
        1,
        "Add cart",
        "2026-03-01 08:00",
        "2026-03-02 09:00",
        first_commit="2026-02-27 09:00",
    )
    two = pull(
        store,
        2,
        "Add coupons",
        "2026-03-07 10:00",
        "2026-03-08 10:00",
        first_commit="2026-03-07 12:00",
    )
    review(store, two, "2026-03-07 16:00", "commented")
    review(store, two, "2026-03-08 08:00", "approved")
    pull(
        store,
        3,
        "Fix typo",
        "2026-03-09 11:30",
        "2026-03-09 12:00",
        first_commit="2026-03-09 11:00",
    )
    cause = f"root cause: {SHA['c1']}"
    incident(store, "I0", "2026-03-01 12:00", "2026-03-01 14:00", "shop")
    incident(
        store, "I1", "2026-03-02 12:00", "2026-03-02 13:00", "shop", title=f"Cart broken, {cause}"
    )
    incident(
        store, "I2", "2026-03-02 14:00", "2026-03-02 18:00", "shop", title=f"Totals wrong, {cause}"
    )
    incident(store, "I3", "2026-03-10 11:00", "2026-03-10 12:00", "search")


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    with Store.open(Path(tmp_path_factory.mktemp("definitions")) / "k.duckdb") as store:
        write_scenario(store)
        ctx = make_context(store, Config(), HealthOptions(until=date(2026, 4, 1)))
        prepare(ctx)
        # each section's JSON, as `ktlo health --json` writes it: checked by hand
        return {name: dora_section(ctx, name).to_json() for name in DEFINITIONS}


def figures(dora: dict[str, Any]) -> dict[str, tuple[Any, Any, Any]]:
    keys = ("deployment_frequency", "lead_time", "change_failure_rate", "recovery_time")
    return {k: (dora[k]["value"], dora[k]["bucket"], dora[k].get("label")) for k in keys}


def test_devlake_2023(docs: dict[str, dict[str, Any]]) -> None:
    assert figures(docs["devlake-2023"]) == {
        "deployment_frequency": (0, "medium", "Between once per week and once per month(medium)"),
        "lead_time": (48.0, "high", "Between one day and one week(high)"),
        "change_failure_rate": (0.6667, "low", "> 15%(low)"),
        "recovery_time": (8.0, "high", "Less than one day(high)"),
    }
    assert (
        docs["devlake-2023"]["lead_time"]["pull_requests"] == 1
    )  # #1 shipped by the first deployment
    assert docs["devlake-2023"]["deployment_frequency"]["median_deployment_days_per_month"] == 3


def test_devlake_2021(docs: dict[str, dict[str, Any]]) -> None:
    assert figures(docs["devlake-2021"]) == {
        "deployment_frequency": (0, "high", "Between once per day and once per month(high)"),
        "lead_time": (48.0, "high", "Less than one week(high)"),
        "change_failure_rate": (0.6667, "low", "> 30%(low)"),
        "recovery_time": (1.0, "high", "Less than one day(high)"),
    }
    assert docs["devlake-2021"]["recovery_time"]["name"] == "time to restore service"


def test_fourkeys(docs: dict[str, dict[str, Any]]) -> None:
    assert figures(docs["fourkeys"]) == {
        "deployment_frequency": (0.0, "medium", "Monthly"),
        "lead_time": (25.0, "high", "One week"),
        "change_failure_rate": (0.5, "low", "46-60%"),
        "recovery_time": (2.5, "high", "One day"),
    }
    lead, cfr = docs["fourkeys"]["lead_time"], docs["fourkeys"]["change_failure_rate"]
    assert (lead["changes"], lead["ignored_non_positive"]) == (3, 1)
    assert (cfr["failures"], cfr["deployments"]) == (2, 4)  # two incidents, one failed deployment


def test_middleware(docs: dict[str, dict[str, Any]]) -> None:
    assert figures(docs["middleware"]) == {
        "deployment_frequency": (0, "high", "3 per month"),
        "lead_time": (48.0, "high", "high"),
        "change_failure_rate": (0.5, "low", "low"),
        "recovery_time": (2.0, "high", "high"),
    }
    df = docs["middleware"]["deployment_frequency"]
    assert (df["deployments"], df["per_day"], df["per_month"], df["duration"]) == (3, 0, 3, "month")


def test_ktlo_on_the_same_scenario(docs: dict[str, dict[str, Any]]) -> None:
    dora = docs["ktlo"]
    cfr, lead = dora["change_failure_rate"], dora["lead_time"]
    assert (cfr["value"], cfr["failed_deployments"], cfr["deployments"]) == (0.3333, 1, 3)
    assert (lead["value"], lead["changes"], lead["excluded_negative"], lead["excluded_first_deployment"]) == (
        37.0, 4, 1, 2,
    )  # fmt: skip
    assert dora["incident_links"]["unlinked_without_deployment"] == 2  # I0 and I3


def test_definition_from_config(tmp_path: Path) -> None:
    config = Config.model_validate({"health": {"definition": "fourkeys"}})
    with Store.open(tmp_path / "k.duckdb") as store:
        write_scenario(store)
        doc = health(store, config, HealthOptions(until=date(2026, 4, 1)))
    assert (doc.definition, doc.dora.definition) == ("fourkeys", "fourkeys")


def test_devlake_frequency_is_na_for_a_sparse_quarter(store: Store) -> None:
    """Deployments on two days of February only, a quarter to April: DevLake's median month
    has none, and its "is collected" check reads the six-month medians, of which a window
    under seven months has one row and so no upper median: N/A rather than low."""
    deployment(store, "D1", "2026-02-10 10:00", "shop")
    deployment(store, "D2", "2026-02-11 10:00", "shop")
    ctx = make_context(store, Config(), HealthOptions(period="quarter", until=date(2026, 4, 1)))
    prepare(ctx)
    for name in ("devlake-2023", "devlake-2021"):
        frequency = dora_section(ctx, name).deployment_frequency
        assert isinstance(frequency, DevlakeDeploymentFrequency)
        assert (frequency.value, frequency.median_deployment_days_per_month) == (0, 0)
        assert (frequency.bucket, frequency.label) == (None, "N/A")
    assert dora_section(ctx, "ktlo").deployment_frequency.bucket == "low"
