"""The command line, through click's runner and once through a real subprocess."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from ktlo.cli import main
from tests.conftest import GitRepo


def run(*args: str, input: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=input)
    return result.exit_code, result.stdout, result.stderr


def test_analyze_prints_the_share_report(shop: GitRepo, tmp_path: Path) -> None:
    code, out, _ = run("analyze", str(shop.path), "--db", str(tmp_path / "s.duckdb"))
    assert code == 0
    assert "KTLO share" in out and "OVER" in out
    assert "Carrying the KTLO" in out and "Bob Chen" in out
    assert re.search(r"^src +\d", out, re.M)  # the hotspot, a row of its table


def test_analyze_json_is_one_snake_case_document(shop: GitRepo, tmp_path: Path) -> None:
    code, out, _ = run("analyze", str(shop.path), "--db", str(tmp_path / "s.duckdb"), "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["schema"] == "ktlo.analyze/v2"
    assert doc["totals"]["commits"] == 9
    assert doc["budget"]["status"] == "over"  # 68% corrected, the interval above the band
    assert _keys_are_snake_case(doc)


def test_analyze_budget_and_since(shop: GitRepo, tmp_path: Path) -> None:
    args = ["analyze", str(shop.path), "--db", str(tmp_path / "s.duckdb"), "--json"]
    doc = json.loads(run(*args, "--budget", "50-80", "--since", "2026-02-01")[1])
    assert (doc["budget"]["low"], doc["budget"]["high"], doc["budget"]["status"]) == (
        0.5,
        0.8,
        "inside",
    )
    assert doc["since"] == "2026-02-01" and doc["totals"]["commits"] == 7


def test_analyze_without_db_uses_a_cache_and_is_incremental(
    shop: GitRepo, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("KTLO_DB", raising=False)
    assert run("analyze", str(shop.path), "--json")[0] == 0
    stores = list((tmp_path / "cache" / "ktlo").glob("shop-*.duckdb"))
    assert len(stores) == 1
    assert json.loads(run("analyze", str(shop.path), "--json")[1])["totals"]["commits"] == 9


def test_bad_values_get_one_clear_line(tmp_path: Path) -> None:
    code, _, err = run("analyze", str(tmp_path), "--db", str(tmp_path / "s.duckdb"))
    assert code == 1
    assert err.strip().startswith("Error: ") and "is not a git repository" in err
    assert len(err.strip().splitlines()) == 1
    code, _, err = run("analyze", ".", "--budget", "60-20")
    assert code == 2 and "is not a band" in err
    code, _, err = run("analyze", ".", "--since", "last tuesday")
    assert code == 2 and "is not a date" in err


def test_classify_text_explains_itself() -> None:
    code, out, _ = run("classify", "fix(api): handle empty cart")
    assert code == 0
    assert "ktlo/bug" in out and 'because conventional_commit: "fix(api):" → bug' in out


def test_classify_json() -> None:
    out = json.loads(run("classify", "--json", "Bump lodash from 4.17.20 to 4.17.21")[1])
    assert (out["investment"], out["subcategory"]) == ("ktlo", "dependency")


def test_classify_jsonl_keeps_order_and_ids() -> None:
    lines = [
        {"id": 1, "title": "feat: dark mode"},
        {"id": "b", "title": "Update things", "files": ["yarn.lock"]},
        {"title": "Something", "labels": ["security"]},
    ]
    code, out, _ = run("classify", "--jsonl", "-", input="\n".join(json.dumps(x) for x in lines))
    assert code == 0
    results = [json.loads(line) for line in out.splitlines()]
    assert [(r["id"], r["subcategory"]) for r in results] == [
        (1, "feature"),
        ("b", "dependency"),
        (None, "security"),
    ]
    assert set(results[0]) == {"id", "investment", "subcategory", "confidence", "reasons"}


def test_classify_jsonl_names_the_bad_line() -> None:
    code, _, err = run("classify", "--jsonl", "-", input='{"title": "ok"}\n{"body": "no title"}\n')
    assert code == 1 and "input line 2" in err


def test_eval_reports_metrics_and_errors(tmp_path: Path) -> None:
    sample = tmp_path / "sample.csv"
    sample.write_text(
        "id,text,label\n1,fix crash on login,bug\n2,Add dark mode,feature\n3,Bump x from 1.0 to 2.0,ktlo/dependency\n"
    )
    code, out, _ = run("eval", str(sample), "--json")
    report = json.loads(out)
    assert code == 0 and report["items"] == 3 and report["accuracy"] == 1.0
    assert report["binary"]["macro_f1"] == 1.0
    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\nfix crash,bug\nsomething,nonsense\n")
    code, _, err = run("eval", str(bad))
    assert code == 1 and "line 3" in err and "unknown label 'nonsense'" in err


def test_explain_shows_a_stored_verdict(shop: GitRepo, tmp_path: Path) -> None:
    db = str(tmp_path / "s.duckdb")
    run("analyze", str(shop.path), "--db", db)
    code, out, _ = run("explain", shop.shas["revert"][:8], "--db", db)
    assert code == 0 and "ktlo/incident" in out and "because revert" in out
    code, _, err = run("explain", "deadbeef", "--db", db)
    assert code == 1 and "no stored item is 'deadbeef'" in err


def test_real_subprocess(shop: GitRepo, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ktlo", "analyze", str(shop.path), "--db", str(tmp_path / "s.duckdb"), "--json"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["totals"]["commits"] == 9


def test_second_writer_gets_a_clear_error(shop: GitRepo, tmp_path: Path) -> None:
    from ktlo.store import Store

    db = tmp_path / "busy.duckdb"
    with Store.open(db):
        code, _, err = run("analyze", str(shop.path), "--db", str(db))
    assert code == 1 and "being written by another ktlo process" in err


def test_newer_store_gets_a_clear_error(shop: GitRepo, tmp_path: Path) -> None:
    from ktlo.store import Store

    db = tmp_path / "future.duckdb"
    with Store.open(db) as store:
        store.con.execute("UPDATE ktlo_meta SET value = '99' WHERE key = 'schema_version'")
    code, _, err = run("analyze", str(shop.path), "--db", str(db))
    assert code == 1 and "newer ktlo" in err and "upgrade ktlo" in err


def _keys_are_snake_case(value: object) -> bool:
    if isinstance(value, dict):
        return all(
            re.fullmatch(r"[a-z][a-z0-9_]*", k) and _keys_are_snake_case(v)
            for k, v in value.items()
        )
    if isinstance(value, list):
        return all(_keys_are_snake_case(v) for v in value)
    return True


def test_ctrl_c_says_what_is_kept(shop: GitRepo, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import ktlo.ingest.scale.runner

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(ktlo.ingest.scale.runner, "ingest_many", interrupted)
    code, _, err = run("analyze", str(shop.path), "--db", str(tmp_path / "s.duckdb"))
    assert code == 130
    assert "Interrupted" in err and "run the same command again to resume" in err
