"""`ktlo sync` with Linear, PagerDuty and Opsgenie configured in ktlo.toml, against a real local server."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer

from ktlo.cli import main
from ktlo.store import Store
from tests.linear_fake import API_KEY as LINEAR_KEY
from tests.linear_fake import FakeLinear
from tests.opsgenie_fake import API_KEY as OPSGENIE_KEY
from tests.opsgenie_fake import FakeOpsgenie
from tests.pagerduty_fake import TOKEN as PAGERDUTY_TOKEN
from tests.pagerduty_fake import FakePagerDuty


def serve(httpserver: HTTPServer) -> tuple[str, FakeLinear, FakePagerDuty, FakeOpsgenie]:
    """One server for the three fakes: their paths do not overlap."""
    base = httpserver.url_for("/").rstrip("/")
    linear, pagerduty, opsgenie = FakeLinear(), FakePagerDuty(), FakeOpsgenie(base=base)

    def route(request: Any) -> Any:
        if request.path == "/graphql":
            return linear.werkzeug_handler(request)
        if request.path.startswith("/incidents"):
            return pagerduty.werkzeug_handler(request)
        return opsgenie.werkzeug_handler(request)

    httpserver.expect_request(re.compile(".*")).respond_with_handler(route)
    return base, linear, pagerduty, opsgenie


def config(tmp_path: Path, base: str) -> Path:
    path = tmp_path / "ktlo.toml"
    path.write_text(
        f'[sources.linear]\nbase_url = "{base}"\npage_size = 2\n\n'
        f'[sources.pagerduty]\nbase_url = "{base}"\nsince = 2026-01-01\nwindow_days = 180\n\n'
        f'[sources.ops]\ntype = "opsgenie"\nbase_url = "{base}"\nlimit = 2\n'
    )
    return path


def test_ktlo_sync_runs_the_three_sources(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, *_ = serve(httpserver)
    monkeypatch.setenv("LINEAR_API_KEY", LINEAR_KEY)
    monkeypatch.setenv("PAGERDUTY_TOKEN", PAGERDUTY_TOKEN)
    monkeypatch.setenv("OPSGENIE_API_KEY", OPSGENIE_KEY)
    db = tmp_path / "team.duckdb"
    args = ["sync", "--config", str(config(tmp_path, base)), "--db", str(db)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert cells(result.stdout) == {
        "linear": ["linear", "8", "0", "0", "0"],
        "pagerduty": ["pagerduty", "8", "0", "0", "0"],
        "ops": ["opsgenie", "8", "0", "0", "0"],
    }
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0, again.output
    assert [row[1:3] for row in cells(again.stdout).values()] == [["0", "0"]] * 3
    with Store.open(db, read_only=True) as store:
        counts = store.con.execute(
            "SELECT source, count(*) FROM incidents GROUP BY source ORDER BY source"
        ).fetchall()
        assert counts == [("opsgenie", 3), ("pagerduty", 4)]


def test_a_rejected_key_stops_its_source_only(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, *_ = serve(httpserver)
    monkeypatch.setenv("LINEAR_API_KEY", LINEAR_KEY)
    monkeypatch.setenv("PAGERDUTY_TOKEN", "wrong")
    monkeypatch.setenv("OPSGENIE_API_KEY", OPSGENIE_KEY)
    args = ["sync", "--config", str(config(tmp_path, base)), "--db", str(tmp_path / "s.duckdb")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert (
        "pagerduty: the token in $PAGERDUTY_TOKEN was rejected (401 Unauthorized)" in result.stderr
    )
    assert "wrong" not in result.stderr
    rows = cells(result.stdout)
    assert rows["linear"][1] == rows["ops"][1] == "8" and rows["pagerduty"][4] == "1"


def cells(table: str) -> dict[str, list[str]]:
    """The summary table's rows: source -> type, new, updated, unchanged, errors."""
    found = {}
    for line in table.splitlines():
        parts = [cell.strip() for cell in line.split("│")]
        if len(parts) > 5 and parts[0] in ("linear", "pagerduty", "ops"):
            found[parts[0]] = parts[1:6]
    return found
