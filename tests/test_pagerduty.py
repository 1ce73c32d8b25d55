"""The PagerDuty source against a fake PagerDuty REST API (tests/pagerduty_fake.py) via httpx2.MockTransport."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2
import pytest
from click.testing import CliRunner

from ktlo.cli import main
from ktlo.errors import ConfigError
from ktlo.ingest.sync import SourceResult, sync_source
from ktlo.sources import make_source, pagerduty
from ktlo.sources.base import NullReporter, SourceContext
from ktlo.store import Store
from tests.fake_api import JSON, FakeTime, snapshot
from tests.pagerduty_fake import FIXTURES, TOKEN, FakePagerDuty, error, fixture

I1, I2, I3, I4 = "Q3CHKOUT5XXA1B", "Q3PGDISK91C2D3", "Q3CERTEXP7E4F5", "Q3HCHKAPI2G6H7"
NOW = datetime(2026, 1, 20, tzinfo=UTC)


def sync(
    store: Store,
    fake: FakePagerDuty,
    sleeps: list[float] | None = None,
    env: dict[str, str] | None = None,
    now: datetime = NOW,
    **options: Any,
) -> SourceResult:
    ctx = SourceContext(
        "pagerduty",
        {"PAGERDUTY_TOKEN": TOKEN} if env is None else env,
        httpx2.MockTransport(fake.handle),
        **FakeTime(sleeps=sleeps).seams(),
        now=lambda: now,
    )
    options = {"since": "2026-01-01", "window_days": 10, "limit": 2, **options}
    return sync_source(store, make_source(ctx, options), NullReporter())


def rows(store: Store, sql: str) -> list[tuple[Any, ...]]:
    return store.con.execute(sql).fetchall()


def key(incident_id: str) -> str:
    return f"pagerduty:incident:{incident_id}"


def test_first_sync_stores_incidents_timelines_and_alerts(store: Store) -> None:
    result = sync(store, FakePagerDuty())
    assert (result.new, result.updated, result.unchanged, result.errors) == (8, 0, 0, 0)
    assert rows(store, "SELECT external_id, title, service, teams, severity, urgency, priority, status, created_at, acknowledged_at, resolved_at, url FROM incidents ORDER BY created_at") == [
        (I1, "Checkout API 5xx above 5% 🔥", "Checkout API", ["Payments"], "P1", "high", "P1", "resolved",
         datetime(2026, 1, 5, 8, 0), datetime(2026, 1, 5, 8, 4), datetime(2026, 1, 5, 8, 55), f"https://acme.pagerduty.com/incidents/{I1}"),
        (I2, "Disk usage 91% on db-3 — 日本語", "Postgres 🐘", ["Platform"], None, "low", None, "acknowledged",
         datetime(2026, 1, 7, 2, 10), datetime(2026, 1, 7, 2, 20), None, f"https://acme.pagerduty.com/incidents/{I2}"),
        (I3, "Certificate for shop.acme.dev expires in 7 days ✨", "Checkout API", ["Payments"], None, "low", None, "triggered",
         datetime(2026, 1, 8, 9, 0), None, None, f"https://acme.pagerduty.com/incidents/{I3}"),
        (I4, "Health check failed on api-2", "Checkout API", ["Payments"], "P3", "high", "P3", "resolved",
         datetime(2026, 1, 9, 11, 0), None, datetime(2026, 1, 9, 11, 3), f"https://acme.pagerduty.com/incidents/{I4}"),
    ]  # fmt: skip
    assert rows(store, f"SELECT occurred_at, kind, person, detail FROM incident_events WHERE incident_id = '{key(I1)}' ORDER BY occurred_at") == [
        (datetime(2026, 1, 5, 8, 0), "triggered", None, "api"),
        (datetime(2026, 1, 5, 8, 0, 5), "notified", None, "Ana Lima"),
        (datetime(2026, 1, 5, 8, 4), "acknowledged", "Ana Lima", "Acknowledged by Ana Lima."),
        (datetime(2026, 1, 5, 8, 20), "escalated", "Raj Patel", "Escalated to level 2: Raj Patel."),
        (datetime(2026, 1, 5, 8, 30), "note", "Raj Patel", "Rolled back v1.2.1 — の ✨"),
        (datetime(2026, 1, 5, 8, 55), "resolved", "Raj Patel", "Resolved by Raj Patel."),
    ]  # fmt: skip
    assert rows(store, f"SELECT kind, person FROM incident_events WHERE incident_id = '{key(I2)}' ORDER BY occurred_at") == [
        ("triggered", None), ("assigned", "Bo Chen"), ("acknowledged", "Bo Chen"),
    ]  # fmt: skip
    assert rows(store, "SELECT external_id, incident_id, service, title, severity, created_at FROM alerts ORDER BY created_at") == [
        ("Q4ALRTLAT001A1", key(I1), "Checkout API", "p99 latency > 2s on checkout", "error", datetime(2026, 1, 5, 7, 59, 30)),
        ("Q4ALRT5XX002B2", key(I1), "Checkout API", "5xx rate > 5% on checkout 💥", "critical", datetime(2026, 1, 5, 8, 0)),
        ("Q4ALRTDSK003C3", key(I2), "Postgres 🐘", "Disk usage 91% on db-3", "warning", datetime(2026, 1, 7, 2, 10)),
        ("Q4ALRTHCK004D4", key(I4), "Checkout API", "Health check failed on api-2", "error", datetime(2026, 1, 9, 11, 0)),
    ]  # fmt: skip
    raw = rows(store, f"SELECT raw FROM incidents WHERE incident_id = '{key(I2)}'")[0][0]
    assert json.loads(raw) == fixture("incidents.json")["incidents"][1]


def test_windows_and_pages_are_read_with_the_token_header(store: Store) -> None:
    fake = FakePagerDuty()
    sync(store, fake)
    lists = [r for r in fake.requests if r.startswith("GET /incidents?")]
    assert lists == [
        "GET /incidents?since=2026-01-01T00%3A00%3A00Z&until=2026-01-11T00%3A00%3A00Z&sort_by=created_at%3Aasc&offset=0&limit=2",
        "GET /incidents?since=2026-01-01T00%3A00%3A00Z&until=2026-01-11T00%3A00%3A00Z&sort_by=created_at%3Aasc&offset=2&limit=2",
        "GET /incidents?since=2026-01-11T00%3A00%3A00Z&until=2026-01-20T00%3A00%3A00Z&sort_by=created_at%3Aasc&offset=0&limit=2",
    ]
    assert [r for r in fake.requests if f"/{I1}/" in r] == [
        f"GET /incidents/{I1}/log_entries?is_overview=false&offset=0&limit=2",
        f"GET /incidents/{I1}/log_entries?is_overview=false&offset=2&limit=2",
        f"GET /incidents/{I1}/log_entries?is_overview=false&offset=4&limit=2",
        f"GET /incidents/{I1}/alerts?offset=0&limit=2",
    ]
    assert fake.headers_seen[0]["authorization"] == f"Token token={TOKEN}"
    assert fake.headers_seen[0]["accept"] == "application/vnd.pagerduty+json;version=2"
    assert json.loads(rows(store, "SELECT cursor FROM sync_state")[0][0]) == {
        "until": "2026-01-20T00:00:00Z",
        "open": {I2: "2026-01-07T02:10:00Z", I3: "2026-01-08T09:00:00Z"},
    }


def test_second_run_reads_the_new_window_and_the_incidents_still_open(store: Store) -> None:
    fake = FakePagerDuty()
    sync(store, fake)
    incident = next(i for i in fake.incidents if i["id"] == I2)
    incident.update(
        status="resolved", resolved_at="2026-01-20T08:00:00Z", acknowledgements=[], assignments=[]
    )
    fake.log_entries[I2].append({**fake.log_entries[I2][-1], "id": "R2RSLV04", "type": "resolve_log_entry",
                                 "created_at": "2026-01-20T08:00:00Z", "summary": "Resolved by Bo Chen."})  # fmt: skip
    new = {**fake.incidents[2], "id": "Q3NEWONE20I9J0", "incident_number": 1205,
           "title": "Queue backlog above 10k 📈", "created_at": "2026-01-20T10:00:00Z"}  # fmt: skip
    fake.incidents.append(new)
    fake.log_entries[new["id"]], fake.alerts[new["id"]] = [], []
    fake.requests.clear()

    result = sync(store, fake, now=datetime(2026, 1, 21, tzinfo=UTC))
    assert (result.new, result.updated, result.errors) == (1, 1, 0)
    assert [r for r in fake.requests if r.startswith("GET /incidents?")] == [
        "GET /incidents?since=2026-01-19T23%3A50%3A00Z&until=2026-01-21T00%3A00%3A00Z&sort_by=created_at%3Aasc&offset=0&limit=2",
        "GET /incidents?since=2026-01-07T02%3A10%3A00Z&until=2026-01-07T02%3A10%3A01Z&sort_by=created_at%3Aasc&offset=0&limit=2",
        "GET /incidents?since=2026-01-08T09%3A00%3A00Z&until=2026-01-08T09%3A00%3A01Z&sort_by=created_at%3Aasc&offset=0&limit=2",
    ]
    assert rows(
        store, f"SELECT status, resolved_at FROM incidents WHERE incident_id = '{key(I2)}'"
    ) == [("resolved", datetime(2026, 1, 20, 8, 0))]
    assert json.loads(rows(store, "SELECT cursor FROM sync_state")[0][0]) == {
        "until": "2026-01-21T00:00:00Z",
        "open": {I3: "2026-01-08T09:00:00Z", "Q3NEWONE20I9J0": "2026-01-20T10:00:00Z"},
    }
    fake.requests.clear()
    third = sync(store, fake, now=datetime(2026, 1, 21, 1, tzinfo=UTC))
    assert (third.new, third.updated, third.unchanged) == (0, 0, 2)
    assert not [r for r in fake.requests if "/log_entries" in r or "/alerts" in r]


def test_services_and_teams_narrow_the_query(store: Store) -> None:
    fake = FakePagerDuty()
    result = sync(store, fake, services=["PPGS5Q2"], teams=["PTPLT02"], alerts=False)
    assert result.new == 1
    assert fake.requests[0] == (
        "GET /incidents?since=2026-01-01T00%3A00%3A00Z&until=2026-01-11T00%3A00%3A00Z&sort_by=created_at%3Aasc"
        "&service_ids%5B%5D=PPGS5Q2&team_ids%5B%5D=PTPLT02&offset=0&limit=2"
    )
    assert rows(store, "SELECT scope FROM sync_state") == [("service:PPGS5Q2:incidents",)]


def test_details_can_be_left_out(store: Store) -> None:
    fake = FakePagerDuty()
    sync(store, fake, log_entries=False, alerts=False)
    assert all(r.startswith("GET /incidents?") for r in fake.requests)
    assert rows(
        store,
        "SELECT external_id, acknowledged_at FROM incidents WHERE acknowledged_at IS NOT NULL",
    ) == [
        (I2, datetime(2026, 1, 7, 2, 20))  # from the incident's own acknowledgements
    ]
    assert rows(store, "SELECT count(*) FROM incident_events") == [(0,)]


def test_a_window_past_the_offset_limit_continues_from_the_last_creation_time(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pagerduty, "MAX_OFFSET", 4)
    fake = FakePagerDuty()
    result = sync(store, fake, log_entries=False, alerts=False, window_days=30)
    assert (result.new, result.errors) == (4, 0)
    assert [r.split("&until")[0] for r in fake.requests] == [
        "GET /incidents?since=2026-01-01T00%3A00%3A00Z",
        "GET /incidents?since=2026-01-07T02%3A10%3A00Z",
        "GET /incidents?since=2026-01-08T09%3A00%3A00Z",
    ]


@pytest.mark.parametrize(
    ("path", "answer", "expected"),
    [
        (
            f"/incidents/{I1}/log_entries",
            error(403, "Access Denied", 2010),
            f"pagerduty: 403 Forbidden for https://api.pagerduty.com/incidents/{I1}/log_entries: the token in $PAGERDUTY_TOKEN is not allowed to read it",
        ),
        (
            "/incidents",
            error(404, "Not Found", 2100),
            "pagerduty: https://api.pagerduty.com/incidents was not found (404)",
        ),
        (
            "/incidents",
            error(400, "Invalid Input Provided", 2001),
            "pagerduty: HTTP 400 for https://api.pagerduty.com/incidents",
        ),
    ],
)
def test_client_errors_stop_the_source_with_one_line(
    store: Store, path: str, answer: Any, expected: str
) -> None:
    fake = FakePagerDuty()
    fake.fail(path, answer)
    result = sync(store, fake)
    assert result.errors == 1 and str(result.error).startswith(expected)
    assert rows(store, "SELECT count(*) FROM sync_state") == [(0,)]


def test_rate_limits_server_errors_and_timeouts_are_retried(store: Store, tmp_path: Path) -> None:
    fake = FakePagerDuty()
    fake.fail("/incidents", error(429, "Rate Limit Exceeded", 2020, Retry_After="12"))
    fake.fail(
        f"/incidents/{I1}/alerts",
        error(500, "Internal Error", 2000),
        httpx2.ReadTimeout("timed out"),
    )
    fake.fail(f"/incidents/{I2}/log_entries", httpx2.ConnectError("connection refused"))
    sleeps: list[float] = []
    result = sync(store, fake, sleeps)
    assert result.errors == 0, result.error
    assert sleeps[0] == 12.0 and len(sleeps) == 4
    with Store.open(tmp_path / "clean.duckdb") as clean:
        sync(clean, FakePagerDuty())
        assert snapshot(store) == snapshot(clean)


def test_a_malformed_body_stops_the_source(store: Store) -> None:
    fake = FakePagerDuty()
    fake.fail(f"/incidents/{I4}/alerts", (200, JSON, b'{"alerts": [{"id": "Q4'))
    result = sync(store, fake)
    assert "answered with a body that is not JSON" in str(result.error)
    # No cursor for the unfinished window (what was read before the failure may be kept):
    # the next run reads the window again and ends with everything.
    assert rows(store, "SELECT count(*) FROM sync_state") == [(0,)]
    assert {r[0] for r in rows(store, "SELECT external_id FROM incidents")} <= {I1, I2}
    assert sync(store, FakePagerDuty()).errors == 0
    assert rows(store, "SELECT count(*), count(DISTINCT incident_id) FROM alerts") == [(4, 3)]
    assert rows(store, "SELECT count(*) FROM incidents") == [(4,)]


def test_an_empty_account_stores_only_its_cursor(store: Store) -> None:
    fake = FakePagerDuty()
    fake.incidents = []
    result = sync(store, fake)
    assert (result.new, result.errors) == (0, 0)
    assert rows(store, "SELECT cursor FROM sync_state") == [
        ('{"until": "2026-01-20T00:00:00Z", "open": {}}',)
    ]


def test_options_are_validated() -> None:
    with pytest.raises(
        ConfigError,
        match="sources.pagerduty.window_days: Input should be less than or equal to 180",
    ):
        make_source(SourceContext("pagerduty", {}), {"window_days": 365})
    with pytest.raises(ConfigError, match=r"sources.pd.services.0: String should match pattern"):
        make_source(SourceContext("pd", {}), {"type": "pagerduty", "services": ["checkout"]})


def test_saved_answers_load_without_a_token(store: Store, tmp_path: Path) -> None:
    source = make_source(SourceContext("pagerduty", {}), {})
    saved = tmp_path / "incidents-and-log.json"  # an incident list, then one incident's log entries
    saved.write_text(
        (FIXTURES / "incidents.json").read_text()
        + (FIXTURES / f"incident-{I1}-log_entries.json").read_text()
    )
    assert sync_source(store, source, NullReporter(), saved).new == 4
    alerts = sync_source(store, source, NullReporter(), FIXTURES / f"incident-{I1}-alerts.json")
    assert alerts.new == 2
    assert rows(store, f"SELECT count(*) FROM incident_events WHERE incident_id = '{key(I1)}'") == [
        (6,)
    ]
    assert rows(store, "SELECT DISTINCT incident_id FROM alerts") == [(key(I1),)]
    orphans = sync_source(
        store, source, NullReporter(), FIXTURES / f"incident-{I2}-log_entries.json"
    )
    assert str(orphans.error).startswith(
        f"{FIXTURES / f'incident-{I2}-log_entries.json'}: log entries of incident {I2}"
    )
    wrong = tmp_path / "wrong.json"
    wrong.write_text('{"incidents": []}\n{"something": "else"}\n')
    assert str(sync_source(store, source, NullReporter(), wrong).error).startswith(
        f"{wrong} line 2: not a PagerDuty incident, log entry or alert"
    )


def test_ktlo_sync_from_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PAGERDUTY_TOKEN", raising=False)
    for name in ("incidents.json", f"incident-{I2}-alerts.json"):
        result = CliRunner().invoke(
            main, ["sync", "--from-file", str(FIXTURES / name), "--source", "pagerduty"]
        )
        assert result.exit_code == 0, result.output
    with Store.open(tmp_path / "ktlo.duckdb", read_only=True) as store:
        assert rows(store, "SELECT count(*) FROM incidents WHERE source = 'pagerduty'") == [(4,)]
        assert rows(store, "SELECT incident_id FROM alerts") == [(key(I2),)]
