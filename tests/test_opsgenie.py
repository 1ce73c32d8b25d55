"""The Opsgenie source against a fake Opsgenie REST API (tests/opsgenie_fake.py) via httpx2.MockTransport."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx2
import pytest
from click.testing import CliRunner

from ktlo.cli import main
from ktlo.errors import ConfigError
from ktlo.ingest.sync import SourceResult, sync_source
from ktlo.sources import make_source
from ktlo.sources.base import NullReporter, SourceContext
from ktlo.store import Store
from tests.fake_api import JSON, FakeTime, snapshot
from tests.opsgenie_fake import API_KEY, FIXTURES, FakeOpsgenie, error, fixture

A = "70413a06-38d6-4c85-92b8-5ebc900d420"  # + 1 … 5
I1, I2, I3 = (f"5a9a1b7c-b5d2-4ecb-b82c-e3b52868290{n}" for n in (1, 2, 3))
PAYMENTS, PLATFORM = "8a3b1c2d-4e5f-4a6b-9c7d-0e1f2a3b4c01", "8a3b1c2d-4e5f-4a6b-9c7d-0e1f2a3b4c02"


def sync(
    store: Store,
    fake: FakeOpsgenie,
    sleeps: list[float] | None = None,
    env: dict[str, str] | None = None,
    **options: Any,
) -> SourceResult:
    ctx = SourceContext(
        "opsgenie",
        {"OPSGENIE_API_KEY": API_KEY} if env is None else env,
        httpx2.MockTransport(fake.handle),
        **FakeTime(sleeps=sleeps).seams(),
    )
    return sync_source(store, make_source(ctx, {"limit": 2, **options}), NullReporter())


def rows(store: Store, sql: str) -> list[tuple[Any, ...]]:
    return store.con.execute(sql).fetchall()


def test_first_sync_stores_alerts_and_incidents_with_their_timelines(store: Store) -> None:
    result = sync(store, FakeOpsgenie())
    assert (result.new, result.updated, result.unchanged, result.errors) == (8, 0, 0, 0)
    assert rows(store, "SELECT external_id, title, severity, created_at, acknowledged_at, closed_at, count, tags, responders, incident_id FROM alerts ORDER BY created_at") == [
        (f"{A}1", "p99 latency > 2s on checkout", "P2", datetime(2026, 1, 5, 7, 59, 30, 120000),
         datetime(2026, 1, 5, 8, 4, 0, 120000), datetime(2026, 1, 5, 8, 55, 10, 120000), 12, ["latency", "checkout"], ["Payments", "Ana Lima"], None),
        (f"{A}2", "5xx rate > 5% on checkout 💥", "P1", datetime(2026, 1, 5, 8, 0),
         datetime(2026, 1, 5, 8, 4), datetime(2026, 1, 5, 8, 55), 3, ["checkout"], ["Payments"], None),
        (f"{A}3", "Disk usage 91% on db-3 — 日本語", "P3", datetime(2026, 1, 7, 2, 10),
         datetime(2026, 1, 7, 2, 20), None, 40, ["disk", "postgres"], ["Platform SRE 🛠", "escalation:6c5b4a39-2817-4f6e-8d5c-4b3a29181706"], None),
        (f"{A}4", "Heartbeat expired: batch-nightly", "P4", datetime(2026, 1, 8, 3, 0),
         None, None, 1, ["heartbeat"], ["schedule:7d6c5b4a-3928-4170-9e6d-5c4b3a291807"], None),
        (f"{A}5", "Certificate for shop.acme.dev expires in 7 days ✨", "P5", datetime(2026, 1, 9, 9, 0),
         None, datetime(2026, 1, 10, 9, 0), 1, ["tls"], [], None),
    ]  # fmt: skip
    assert rows(store, "SELECT external_id, title, service, teams, severity, priority, status, created_at, acknowledged_at, resolved_at FROM incidents ORDER BY created_at") == [
        (I3, "Checkout latency regression", "Checkout API", ["Payments"], "P2", "P2", "closed",
         datetime(2026, 1, 2, 10, 0), None, datetime(2026, 1, 2, 11, 0)),
        (I1, "Checkout API down 🔥", "Checkout API", ["Payments"], "P1", "P1", "resolved",
         datetime(2026, 1, 5, 8, 1), datetime(2026, 1, 5, 8, 5), datetime(2026, 1, 5, 8, 56)),
        (I2, "Database replica lag — レプリカ", "Postgres", ["Platform SRE 🛠"], "P3", "P3", "open",
         datetime(2026, 1, 7, 2, 30), datetime(2026, 1, 7, 2, 40), None),
    ]  # fmt: skip
    assert rows(store, f"SELECT occurred_at, kind, person, detail FROM incident_events WHERE incident_id = 'opsgenie:incident:{I1}' ORDER BY occurred_at") == [
        (datetime(2026, 1, 5, 8, 1), "triggered", "Ana Lima", "Incident opened"),
        (datetime(2026, 1, 5, 8, 2), "assigned", "Ana Lima", "Raj Patel was added as a responder"),
        (datetime(2026, 1, 5, 8, 5), "acknowledged", "Raj Patel", "Responder alert acknowledged"),
        (datetime(2026, 1, 5, 8, 30), "note", "Raj Patel", "Rolled back v1.2.1 — 日本語 ✨"),  # a hidden entry left out
        (datetime(2026, 1, 5, 8, 56), "resolved", "Raj Patel", "Incident resolved"),
    ]  # fmt: skip
    assert rows(store, f"SELECT kind, person FROM incident_events WHERE incident_id = 'opsgenie:incident:{I3}' ORDER BY occurred_at") == [
        ("triggered", None), ("resolved", "Ana Lima"), ("closed", "Ana Lima"),
    ]  # fmt: skip
    raw = rows(store, f"SELECT raw FROM alerts WHERE external_id = '{A}3'")[0][0]
    assert json.loads(raw) == fixture("alerts.json")["data"][2]


def test_lists_page_by_offset_and_names_are_read_once(store: Store) -> None:
    fake = FakeOpsgenie()
    sync(store, fake)
    assert [r for r in fake.requests if "/v2/alerts" in r or "/v1/incidents" in r] == [
        "GET /v2/alerts?sort=updatedAt&order=desc&offset=0&limit=2",
        "GET /v2/alerts?sort=updatedAt&order=desc&offset=2&limit=2",
        "GET /v2/alerts?sort=updatedAt&order=desc&offset=4&limit=2",
        "GET /v1/incidents?sort=createdAt&order=desc&offset=0&limit=2",
        "GET /v1/incidents?sort=createdAt&order=desc&offset=2&limit=2",
    ]
    assert [r for r in fake.requests if f"/{I1}/" in r] == [
        f"GET /v2/incident-timelines/{I1}/entries?limit=2",
        f"GET /v2/incident-timelines/{I1}/entries?limit=2&offset=2",
        f"GET /v2/incident-timelines/{I1}/entries?limit=2&offset=4",
    ]
    names = [
        r
        for r in fake.requests
        if r.startswith(("GET /v2/teams", "GET /v2/users", "GET /v1/services"))
    ]
    assert names == [
        "GET /v2/teams",
        "GET /v2/users?offset=0&limit=100",
        "GET /v1/services?offset=0&limit=100",
    ]
    assert fake.headers_seen[0]["authorization"] == f"GenieKey {API_KEY}"
    assert fake.headers_seen[0]["host"] == "api.opsgenie.com"
    assert rows(store, "SELECT scope, cursor FROM sync_state ORDER BY scope") == [
        ("alerts", '{"since": "2026-01-10T09:00:00.000Z"}'),
        (
            "incidents",
            '{"since": "2026-01-07T02:30:00.000Z", "newest": "2026-01-07T02:30:00.000Z"}',
        ),
    ]


def test_the_eu_region_is_asked_at_its_own_host(store: Store) -> None:
    fake = FakeOpsgenie(base="https://api.eu.opsgenie.com")
    assert sync(store, fake, region="eu", include=["alerts"], names=False).new == 5
    assert {h["host"] for h in fake.headers_seen} == {"api.eu.opsgenie.com"}


def test_second_run_reads_what_changed_and_the_incidents_still_open(store: Store) -> None:
    fake = FakeOpsgenie()
    sync(store, fake)
    alert = next(a for a in fake.alerts if a["id"] == f"{A}3")
    alert.update(status="closed", updatedAt="2026-01-11T08:00:00.000Z",
                 report={**alert["report"], "closeTime": 3600000, "closedBy": "bo@acme.dev"})  # fmt: skip
    fake.alerts.append({**fake.alerts[3], "id": f"{A}6", "tinyId": "1796", "alias": "queue-backlog",
                        "message": "Queue backlog above 10k 📈", "createdAt": "2026-01-12T10:00:00.000Z",
                        "updatedAt": "2026-01-12T10:00:00.000Z"})  # fmt: skip
    incident = next(i for i in fake.incidents if i["id"] == I2)
    incident.update(status="resolved", updatedAt="2026-01-11T09:00:00.000Z")
    fake.timelines[I2].append({**fake.timelines[I2][0], "id": "e2-4", "type": "IncidentResolved",
                               "eventTime": "2026-01-11T09:00:00.000Z", "title": {"type": "plain_text", "content": "Incident resolved"}})  # fmt: skip
    fake.requests.clear()

    result = sync(store, fake)
    assert (result.new, result.updated, result.errors) == (1, 2, 0)
    assert (
        [r for r in fake.requests if "/v2/alerts" in r or "/v1/incidents" in r]
        == [
            "GET /v2/alerts?sort=updatedAt&order=desc&offset=0&limit=2",  # the new alert and the closed one
            "GET /v2/alerts?sort=updatedAt&order=desc&offset=2&limit=2",  # reaches the window's start
            "GET /v1/incidents?sort=createdAt&order=desc&offset=0&limit=2",  # back to the open incident
        ]
    )
    assert rows(store, f"SELECT status, resolved_at FROM incidents WHERE external_id = '{I2}'") == [
        ("resolved", datetime(2026, 1, 11, 9, 0))
    ]
    assert rows(store, f"SELECT closed_at FROM alerts WHERE external_id = '{A}3'") == [
        (datetime(2026, 1, 7, 3, 10),)
    ]
    assert rows(store, "SELECT scope, cursor FROM sync_state ORDER BY scope") == [
        ("alerts", '{"since": "2026-01-12T10:00:00.000Z"}'),
        (
            "incidents",
            '{"since": "2026-01-07T02:30:00.000Z", "newest": "2026-01-07T02:30:00.000Z"}',
        ),
    ]
    third = sync(store, fake)
    assert (third.new, third.updated, third.unchanged) == (0, 0, 2)


def test_an_incident_open_for_too_long_stops_holding_the_window(store: Store) -> None:
    fake = FakeOpsgenie()
    next(i for i in fake.incidents if i["id"] == I2)["createdAt"] = "2025-11-20T02:30:00.000Z"
    sync(store, fake, include=["incidents"])
    assert rows(store, "SELECT cursor FROM sync_state") == [
        ('{"since": "2026-01-05T08:01:00.000Z", "newest": "2026-01-05T08:01:00.000Z"}',)
    ]


def test_names_and_timelines_can_be_left_out(store: Store) -> None:
    fake = FakeOpsgenie()
    sync(store, fake, names=False, timeline=False)
    assert all(r.startswith(("GET /v2/alerts?", "GET /v1/incidents?")) for r in fake.requests)
    assert rows(store, f"SELECT responders FROM alerts WHERE external_id = '{A}2'") == [
        ([f"team:{PAYMENTS}"],)
    ]
    assert rows(store, f"SELECT service, teams FROM incidents WHERE external_id = '{I2}'") == [
        ("b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d02", [PLATFORM])
    ]
    assert rows(store, "SELECT count(*) FROM incident_events") == [(0,)]


@pytest.mark.parametrize(
    ("path", "answer", "expected"),
    [
        (
            f"/v2/incident-timelines/{I1}/entries",
            error(403, "You are not authorized for this operation."),
            f"opsgenie: 403 Forbidden for https://api.opsgenie.com/v2/incident-timelines/{I1}/entries: the token in $OPSGENIE_API_KEY is not allowed to read it",
        ),
        (
            "/v2/users",
            error(403, "You are not authorized for this operation."),
            "opsgenie: 403 Forbidden for https://api.opsgenie.com/v2/users: the token in $OPSGENIE_API_KEY is not allowed to read it — opsgenie needs a key allowed configuration access to read team, user and service names, or names = false",
        ),
        (
            "/v2/alerts",
            error(404, "Not found"),
            "opsgenie: https://api.opsgenie.com/v2/alerts was not found (404)",
        ),
        (
            "/v2/alerts",
            error(422, "Offset plus limit cannot be greater than 20000"),
            "opsgenie: HTTP 422 for https://api.opsgenie.com/v2/alerts: Offset plus limit cannot be greater than 20000",
        ),
    ],
)
def test_client_errors_stop_the_source_with_one_line(
    store: Store, path: str, answer: Any, expected: str
) -> None:
    fake = FakeOpsgenie()
    fake.fail(path, answer)
    result = sync(store, fake)
    assert result.errors == 1 and str(result.error).startswith(expected)


def test_rate_limits_server_errors_and_timeouts_are_retried(store: Store, tmp_path: Path) -> None:
    fake = FakeOpsgenie()
    throttled = error(
        429,
        "You are making too many requests! To avoid errors, we recommend you limit requests.",
        Retry_After="5",
        X_RateLimit_State="THROTTLED",
        X_RateLimit_Reason="INTEGRATION",
        X_RateLimit_Period_In_Sec="60",
    )
    fake.fail("/v2/alerts", throttled, error(503, "Service Unavailable"))
    fake.fail(f"/v2/incident-timelines/{I2}/entries", httpx2.ReadTimeout("timed out"))
    sleeps: list[float] = []
    result = sync(store, fake, sleeps)
    assert result.errors == 0, result.error
    assert sleeps[0] == 5.0 and len(sleeps) == 3
    with Store.open(tmp_path / "clean.duckdb") as clean:
        sync(clean, FakeOpsgenie())
        assert snapshot(store) == snapshot(clean)


def test_a_malformed_body_stops_the_source_and_keeps_earlier_cursors(store: Store) -> None:
    fake = FakeOpsgenie()
    fake.fail("/v1/incidents", (200, JSON, b'{"data": [{"id": "5a9a'))
    result = sync(store, fake)
    assert "answered with a body that is not JSON" in str(result.error)
    assert rows(store, "SELECT scope FROM sync_state") == [("alerts",)]
    assert rows(store, "SELECT count(*) FROM alerts") == [(5,)]


def test_an_empty_account_syncs_to_nothing(store: Store) -> None:
    fake = FakeOpsgenie()
    fake.alerts, fake.incidents = [], []
    result = sync(store, fake)
    assert (result.new, result.errors, result.pages) == (0, 0, 2)
    assert rows(store, "SELECT count(*) FROM sync_state") == [(0,)]


def test_options_are_validated() -> None:
    with pytest.raises(ConfigError, match="sources.opsgenie.region: Input should be 'us' or 'eu'"):
        make_source(SourceContext("opsgenie", {}), {"region": "asia"})
    with pytest.raises(
        ConfigError, match="sources.og.limit: Input should be less than or equal to 100"
    ):
        make_source(SourceContext("og", {}), {"type": "opsgenie", "limit": 500})


def test_saved_answers_load_without_a_key(store: Store, tmp_path: Path) -> None:
    source = make_source(SourceContext("opsgenie", {}), {})
    for name, count in (("alerts.json", 5), ("incidents.json", 3)):
        result = sync_source(store, source, NullReporter(), FIXTURES / name)
        assert (result.new, result.errors) == (count, 0)
    assert rows(store, f"SELECT responders FROM alerts WHERE external_id = '{A}2'") == [
        ([f"team:{PAYMENTS}"],)
    ]
    wrong = tmp_path / "wrong.json"
    wrong.write_text('{"data": [\n  {"id": "x"}\n]}\n')
    assert str(sync_source(store, source, NullReporter(), wrong).error).startswith(
        f"{wrong} line 1: not an Opsgenie alert or incident"
    )


def test_ktlo_sync_from_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPSGENIE_API_KEY", raising=False)
    for name in ("alerts.json", "incidents.json"):
        result = CliRunner().invoke(
            main, ["sync", "--from-file", str(FIXTURES / name), "--source", "opsgenie"]
        )
        assert result.exit_code == 0, result.output
    with Store.open(tmp_path / "ktlo.duckdb", read_only=True) as store:
        assert rows(store, "SELECT count(*) FROM alerts WHERE source = 'opsgenie'") == [(5,)]
        assert rows(store, "SELECT count(*) FROM incidents WHERE source = 'opsgenie'") == [(3,)]
