"""Incidents, bugs, builds, alerts and SLOs on one scenario worked out by hand (March 2026).

Incidents (created, acknowledged, resolved):
    I0  checkout  02-20 00:00, -, 01:00                       (February)
    I1  checkout  sev1  03-02 10:00, 10:05, 11:00             fingerprint fp-pay
    I2  checkout  sev2  03-02 10:30, 10:50, 12:00             overlaps I1
    I3  checkout  sev2  03-10 09:00, 09:10 (an event), 09:30  "... payment page again"
    I4  payments  sev3  03-20 00:00, -, 01:00                  fingerprint fp-db
    I5  payments  sev4  03-25 00:00, 00:05, 00:30              fingerprint fp-db
MTTA 5, 20, 10, 5 min: median 7.5, p90 17. MTTR 60, 90, 30, 60, 30: median 60, p90 78.
Downtime: checkout 10:00-12:00 (merged) + 30 = 150, payments 60 + 30 = 90: 240 minutes,
costing 150 x 10 (only checkout has a cost). Person-hours: I1 ana 55 + carl 40 min, I3 bob
20, and one person for I2 (70), I4 (60), I5 (25): 270 min = 4.5 h. Repeats: I3 repeats I1
(4 of its 6 words of three letters or more), I5 repeats I4 (same fingerprint).

Bugs: B1 03-01..03-03 (label production), B2 03-05..03-15, B3 03-10 open, B4 02-01..03-04,
B5 01-15 open ("Crash in prod checkout"). Opened 3 (1 in production), closed 3 (2, 10, 31
days: median 10, p90 26.8), backlog at 04-01: B3 22 days, B5 76 days.

Builds (CI on main unless said): s1 failed 03-02 10:00-10:10 then passed on a re-run
10:20-10:32 (flaky); s2 passed 8 min; s3 cancelled; s4 failed 03-05 10:00-10:06, then s5
passed 14:00-14:06; Lint on a branch passed 2 min. Completed 6, failed 2; durations
2,6,6,8,10,12: median 7, p90 11; queues 2,0,1,0,0,0,0: median 0, p90 1.4. Red main: 22 min
+ 4 h = 4.4 h; ana and bob committed during the second spell: 8 developer-hours.

Alerts (on call 09:00-18:00 Monday to Friday, Europe/Berlin):
    A1  Mon 03-02 08:30 UTC (09:30 CET)   closed in 3 min, nothing else: noise
    A2  Mon 03-02 17:30 UTC (18:30 CET)   after hours, ana, incident I1
    A3  Sat 03-07 12:00 UTC               after hours, bob, acknowledged
    A4  Tue 03-03 10:00 UTC               incident I1, no responder
    A5  Mon 03-30 07:30 UTC (09:30 CEST, summer time began on the 29th)   noise, in hours
SLO checkout 99.9% over 30 days to 04-01: 150 minutes down of 43,200: 99.6528%.
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
from tests.health_work import alert, bug, build, commit, incident, incident_event

FP = '{{"fingerprint": "{}"}}'
CONFIG = Config.model_validate({
    "services": {"checkout": {"slo": 99.9, "cost_per_minute": 10}, "payments": {}},
    "health": {"on_call": {"time_zone": "Europe/Berlin"}},
})  # fmt: skip


def write_scenario(store: Store) -> None:
    incident(store, "I0", "2026-02-20 00:00", "2026-02-20 01:00", "checkout")
    incident(store, "I1", "2026-03-02 10:00", "2026-03-02 11:00", "checkout", "sev1",
             "Checkout errors on payment page", "2026-03-02 10:05", FP.format("fp-pay"))  # fmt: skip
    incident(store, "I2", "2026-03-02 10:30", "2026-03-02 12:00", "checkout", "sev2", "Search slow",
             "2026-03-02 10:50")  # fmt: skip
    incident(store, "I3", "2026-03-10 09:00", "2026-03-10 09:30", "checkout", "sev2",
             "Checkout errors on the payment page again")  # fmt: skip
    incident(store, "I4", "2026-03-20 00:00", "2026-03-20 01:00", "payments", "sev3", "Refunds failing",
             raw=FP.format("fp-db"))  # fmt: skip
    incident(store, "I5", "2026-03-25 00:00", "2026-03-25 00:30", "payments", "sev4", "Card declines spike",
             "2026-03-25 00:05", FP.format("fp-db"))  # fmt: skip
    incident_event(store, "I1", "2026-03-02 10:05", "acknowledged", "ana")
    incident_event(store, "I1", "2026-03-02 10:20", "note", "carl")
    incident_event(store, "I3", "2026-03-10 09:10", "acknowledged", "bob")
    bug(store, "B1", "2026-03-01 00:00", "2026-03-03 00:00", labels=["production"])
    bug(store, "B2", "2026-03-05 00:00", "2026-03-15 00:00")
    bug(store, "B3", "2026-03-10 00:00")
    bug(store, "B4", "2026-02-01 00:00", "2026-03-04 00:00")
    bug(store, "B5", "2026-01-15 00:00", title="Crash in prod checkout")
    build(
        store,
        "b1",
        "CI",
        "failure",
        "2026-03-02 10:00",
        "2026-03-02 10:10",
        "2026-03-02 09:58",
        sha="s1",
    )
    build(store, "b2", "CI", "success", "2026-03-02 10:20", "2026-03-02 10:32", sha="s1", attempt=2)
    build(
        store,
        "b3",
        "CI",
        "success",
        "2026-03-03 09:00",
        "2026-03-03 09:08",
        "2026-03-03 08:59",
        sha="s2",
    )
    build(store, "b4", "CI", "cancelled", "2026-03-04 09:00", "2026-03-04 09:01", sha="s3")
    build(store, "b5", "CI", "failure", "2026-03-05 10:00", "2026-03-05 10:06", sha="s4")
    build(store, "b6", "CI", "success", "2026-03-05 14:00", "2026-03-05 14:06", sha="s5")
    build(
        store,
        "b7",
        "Lint",
        "success",
        "2026-03-06 10:00",
        "2026-03-06 10:02",
        sha="s6",
        branch="feature",
    )
    commit(store, "ab" * 20, "Work while red", "2026-03-05 11:00", author="ana")
    commit(store, "cd" * 20, "More work while red", "2026-03-05 12:00", author="bob")
    alert(store, "A1", "2026-03-02 08:30", "2026-03-02 08:33", "Disk 90%", responders=["ana"])
    alert(store, "A2", "2026-03-02 17:30", "2026-03-02 18:00", incident="I1", responders=["ana"])
    alert(store, "A3", "2026-03-07 12:00", "2026-03-07 12:04", acknowledged="2026-03-07 12:01",
          responders=["bob"])  # fmt: skip
    alert(store, "A4", "2026-03-03 10:00", "2026-03-03 11:00", incident="I1")
    alert(store, "A5", "2026-03-30 07:30", "2026-03-30 07:31", "Disk 90%", responders=["carl"])


@pytest.fixture(scope="module")
def doc(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    with Store.open(Path(tmp_path_factory.mktemp("ops")) / "k.duckdb") as store:
        write_scenario(store)
        # the JSON as `ktlo health --json` writes it: every figure checked by hand
        return health(store, CONFIG, HealthOptions(until=date(2026, 4, 1), mean=True)).to_json()


def test_incident_counts_and_times(doc: dict[str, Any]) -> None:
    inc = doc["incidents"]
    assert (inc["count"]["value"], inc["count"]["previous"], inc["count"]["open"]) == (5, 1, 0)
    assert {k: v[-1] for k, v in inc["count"]["by_severity"].items()} == {
        "sev1": 1,
        "sev2": 2,
        "sev3": 1,
        "sev4": 1,
    }
    assert inc["count"]["by_severity"]["sev2"] == [0, 0, 0, 0, 1, 2]  # I0 is sev2 too
    assert (inc["mtta"]["value"], inc["mtta"]["p90"], inc["mtta"]["mean"]) == (7.5, 17.0, 10.0)
    assert (inc["mttr"]["value"], inc["mttr"]["p90"], inc["mttr"]["mean"]) == (60.0, 78.0, 54.0)


def test_downtime_merges_overlaps_and_costs(doc: dict[str, Any]) -> None:
    down = doc["incidents"]["downtime"]
    assert (down["value"], down["previous"], down["cost"]) == (240.0, 60.0, 1500.0)
    assert down["by_service"] == [
        {"service": "checkout", "minutes": 150.0},
        {"service": "payments", "minutes": 90.0},
    ]


def test_person_hours(doc: dict[str, Any]) -> None:
    hours = doc["incidents"]["person_hours"]
    assert (hours["value"], hours["incidents_without_people"]) == (4.5, 3)


def test_repeat_incidents_are_grouped_with_reasons(doc: dict[str, Any]) -> None:
    rep = doc["incidents"]["repeats"]
    assert (rep["value"], rep["previous"], rep["group_count"]) == (2, 0, 2)
    first, second = rep["groups"]
    assert [i["id"] for i in first["incidents"]] == ["I1", "I3"]
    assert first["why"] == ["I3 repeats I1: titles alike (0.67 of words shared)"]
    assert (second["service"], [i["id"] for i in second["incidents"]]) == ("payments", ["I4", "I5"])
    assert second["why"] == ["I5 repeats I4: same fingerprint 'fp-db'"]


def test_bugs(doc: dict[str, Any]) -> None:
    bugs = doc["bugs"]
    assert (bugs["opened"]["value"], bugs["opened"]["previous"], bugs["closed"]["value"]) == (
        3,
        1,
        3,
    )
    assert bugs["resolution_rate"]["value"] == 1.0
    ttr = bugs["time_to_resolve"]
    assert (ttr["value"], ttr["p90"], ttr["mean"]) == (10.0, 26.8, 14.33)
    backlog = bugs["open_backlog"]
    assert (backlog["value"], backlog["previous"]) == (2, 2)
    assert (backlog["median_age_days"], backlog["p90_age_days"], backlog["oldest_days"]) == (
        49.0,
        70.6,
        76.0,
    )
    prod = bugs["found_in_production"]
    assert (prod["value"], prod["in_production"], prod["before_production"]) == (0.3333, 1, 2)


def test_builds(doc: dict[str, Any]) -> None:
    builds = doc["builds"]
    assert (builds["duration"]["value"], builds["duration"]["p90"]) == (7.0, 11.0)
    fail = builds["failure_rate"]
    assert (fail["value"], fail["failed"], fail["completed"]) == (0.3333, 2, 6)
    flaky = builds["flaky_rate"]
    assert (flaky["value"], flaky["flaky_commits"], flaky["commits"]) == (0.1667, 1, 6)
    assert (builds["queue_time"]["value"], builds["queue_time"]["p90"]) == (0.0, 1.4)
    red = builds["red_main"]
    assert (red["value"], red["red_spells"], red["developer_hours_lost"]) == (4.4, 2, 8.0)
    ci = builds["by_workflow"][0]
    assert (ci["workflow"], ci["runs"], ci["failed"], ci["flaky_commits"], ci["duration_median"]) == (
        "CI", 5, 2, 1, 8.0,
    )  # fmt: skip


def test_alerts(doc: dict[str, Any]) -> None:
    alerts = doc["alerts"]
    assert (alerts["count"]["value"], alerts["per_incident"]["value"]) == (5, 2.0)
    assert (alerts["noise_ratio"]["value"], alerts["noise_ratio"]["noisy"]) == (0.4, 2)
    pages = alerts["after_hours_pages"]
    assert (pages["value"], pages["per_person"]) == (
        2,
        [{"person": "ana", "pages": 1}, {"person": "bob", "pages": 1}],
    )
    assert [(n["title"], n["alerts"], n["noisy"]) for n in alerts["noisiest"]] == [
        ("CPU high", 3, 0), ("Disk 90%", 2, 2),
    ]  # fmt: skip


def test_slo(doc: dict[str, Any]) -> None:
    (slo,) = doc["slos"]
    assert slo == {
        "service": "checkout", "target": 99.9, "availability": 99.6528, "status": "breached",
        "downtime_minutes": 150.0, "error_budget_minutes": 43.2, "budget_remaining": -2.4722,
        "burn_rate": 3.47, "downtime_cost": 1500.0, "window_days": 30,
        "previous_availability": 99.8611, "trend": "down", "improving": False,
    }  # fmt: skip


def test_a_service_without_downtime_in_the_window_is_fully_available(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Regression: DuckDB's least/greatest skip NULLs, so an unmatched window once counted as all downtime."""
    from datetime import datetime

    from ktlo.config import load_config
    from ktlo.metrics.common import HealthOptions
    from ktlo.metrics.health import health
    from ktlo.store import Store

    config_file = tmp_path / "ktlo.toml"
    config_file.write_text("[services.ci]\nslo = 99.0\n[services.api]\nslo = 99.0\n")
    with Store.open(tmp_path / "s.duckdb") as store:
        store.insert(
            "incidents", ["incident_id", "source", "external_id", "title", "service", "created_at", "resolved_at"],
            [("x:incident:1", "x", "1", "api down", "api", datetime(2026, 3, 10, 10), datetime(2026, 3, 10, 11))],
        )  # fmt: skip
        doc = health(
            store, load_config(config_file), HealthOptions(until=datetime(2026, 3, 20).date())
        )
    slos = {s.service: s for s in doc.slos}
    assert slos["ci"].availability == 100.0 and slos["ci"].downtime_minutes == 0.0
    assert slos["api"].downtime_minutes == 60.0
