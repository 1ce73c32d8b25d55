"""`ktlo health` through click's runner: the scorecard, its JSON and CSV, and its errors."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ktlo.choices import DEFINITIONS
from ktlo.cli import main
from ktlo.store import Store
from tests import test_health_dora


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = Path(tmp_path_factory.mktemp("cli"))
    with Store.open(tmp / "k.duckdb") as store:
        test_health_dora.write_scenario(store)
    (tmp / "ktlo.toml").write_text(
        '[[teams]]\nname = "web"\nservices = ["checkout"]\n\n'
        "[services.checkout]\nslo = 99.5\ncost_per_minute = 2.5\n"
    )
    return tmp / "k.duckdb", tmp / "ktlo.toml"


def run(files: tuple[Path, Path], *args: str) -> tuple[int, str, str]:
    db, config = files
    result = CliRunner().invoke(
        main, ["health", "--db", str(db), "--config", str(config), "--until", "2026-04-01", *args]
    )
    return result.exit_code, result.stdout, result.stderr


def _snake(value: Any) -> bool:
    if isinstance(value, dict):
        keys_ok = all(k == "by_severity" or re.fullmatch(r"[a-z][a-z0-9_]*", k) for k in value)
        # by_severity and thresholds are keyed by data, not by ktlo
        return keys_ok and all(_snake(v) for k, v in value.items() if k not in ("by_severity",))
    if isinstance(value, list):
        return all(_snake(v) for v in value)
    return True


def test_json_is_one_snake_case_document(files: tuple[Path, Path]) -> None:
    code, out, _ = run(files, "--json")
    assert code == 0
    doc = json.loads(out)
    assert (doc["schema"], doc["definition"], doc["period"]) == ("ktlo.health/v1", "ktlo", "month")
    assert doc["window"] == {"start": "2026-03-01", "end": "2026-04-01"}
    assert doc["dora"]["change_failure_rate"]["value"] == 0.8
    assert doc["slos"][0]["service"] == "checkout"
    assert _snake(doc)


def test_scorecard_shows_each_number_with_trend_and_bucket(files: tuple[Path, Path]) -> None:
    code, out, _ = run(files, "--team", "web")
    assert code == 0
    assert "ktlo health — web; 2026-03-01 … 2026-03-31" in out
    line = next(line for line in out.splitlines() if "change failure rate" in line)
    assert line.split() == ["change", "failure", "rate", "75%", "0%", "▲", "low"]
    assert "availability of checkout" in out and "99.5% breached" in out
    assert "rolled back" in out  # the failed deployments and why


def test_csv_has_one_row_per_figure(files: tuple[Path, Path]) -> None:
    code, out, _ = run(files, "--csv", "--definition", "devlake-2023")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    dora = {r["metric"]: r for r in rows if r["section"] == "dora"}
    assert dora["change_failure_rate"]["bucket"] == "low"
    assert {r["section"] for r in rows} == {"dora", "incidents", "bugs", "builds", "alerts", "slos"}


def test_period_and_mean(files: tuple[Path, Path]) -> None:
    code, out, _ = run(files, "--json", "--period", "quarter", "--mean")
    doc = json.loads(out)
    assert code == 0 and doc["window"] == {"start": "2026-01-01", "end": "2026-04-01"}
    assert doc["statistics"] == ["median", "p90", "mean"] and "mean" in doc["incidents"]["mttr"]


def test_unknown_team_is_one_line_error(files: tuple[Path, Path]) -> None:
    code, _, err = run(files, "--team", "nobody")
    assert code == 1
    assert "unknown team 'nobody'" in err and "Traceback" not in err


def test_the_definitions_offered_are_the_ones_computed() -> None:
    option = next(p for p in main.commands["health"].params if p.name == "definition")
    assert tuple(option.type.choices) == DEFINITIONS  # type: ignore[attr-defined]


def test_explain_lists_what_a_figure_counted(files: tuple[Path, Path]) -> None:
    code, out, _ = run(files, "--team", "web", "--explain", "change_failure_rate")
    assert code == 0
    assert out.splitlines()[1].startswith("change failure rate by the ktlo definition, 2026-03-01")
    failed = [line for line in out.splitlines() if " yes " in line]
    assert failed and all("checkout" in line for line in failed)
    code, out, _ = run(files, "--team", "web", "--explain", "change_failure_rate", "--json")
    doc = json.loads(out)
    assert (doc["metric"], doc["value"]) == ("change_failure_rate", 0.75)
    assert sum(item["failed"] for item in doc["items"]) == doc["failed_deployments"] == 3
    code, out, _ = run(files, "--explain", "lead_time", "--csv")
    assert code == 0 and out.splitlines()[0].startswith("change,repo,deployment,found_by")


def test_json_lists_the_items_of_every_dora_figure(files: tuple[Path, Path]) -> None:
    doc = json.loads(run(files, "--json", "--definition", "fourkeys")[1])
    assert all("items" in doc["dora"][k] for k in ("lead_time", "change_failure_rate"))
