"""Imports are checked whole against declared types before anything is written (docs/import.md)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ktlo.cli import main
from ktlo.store import Store

INCIDENTS = "id,title,created_at,acknowledged_at,resolved_at\n"
GOOD_INCIDENT = "I-1,db down,2026-01-05T10:00:00Z,2026-01-05T10:04:00Z,2026-01-05T11:00:00Z\n"


def sync_file(db: Path, path: Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        main, ["sync", "--from-file", str(path), "--source", "files", "--db", str(db)]
    )
    return result.exit_code, result.stdout, result.stderr


def error_line(err: str) -> str:
    """The `Error:` line a failed sync ends with."""
    return [line for line in err.splitlines() if line.startswith("Error: ")][-1]


def stored(db: Path, table: str) -> int:
    if not db.exists():
        return 0
    with Store.open(db, read_only=True) as store:
        row = store.con.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


IMPOSSIBLE = [
    (
        "incidents.csv",
        INCIDENTS + GOOD_INCIDENT + "I-2,api slow,2026-01-05T10:00:00Z,2026-01-05T09:00:00Z,\n",
        "line 3: acknowledged_at 2026-01-05T09:00:00Z is before created_at 2026-01-05T10:00:00Z",
    ),
    (
        "incidents.csv",
        INCIDENTS + GOOD_INCIDENT + "I-2,api slow,2026-01-05T10:00:00Z,,2026-01-04T10:00:00Z\n",
        "line 3: resolved_at 2026-01-04T10:00:00Z is before created_at 2026-01-05T10:00:00Z",
    ),
    (
        "alerts.csv",
        "id,title,created_at,count\nA-1,cpu,2026-01-05T10:00:00Z,3\nA-2,disk,2026-01-05T10:00:00Z,-5\n",
        "line 3: count '-5' is negative",
    ),
    (
        "alerts.json",
        '[{"id": "A-1", "title": "cpu", "created_at": "2026-01-05T10:00:00Z",\n'
        '  "closed_at": "2026-01-05T09:59:00Z"}]',
        "line 1: closed_at 2026-01-05T09:59:00Z is before created_at 2026-01-05T10:00:00Z",
    ),
    (
        "builds.csv",
        "id,started_at,finished_at\nB-1,2026-01-05T10:00:00Z,2026-01-05T09:00:00Z\n",
        "line 2: finished_at 2026-01-05T09:00:00Z is before started_at 2026-01-05T10:00:00Z",
    ),
    (
        "builds.csv",
        "id,queued_at,started_at\nB-1,2026-01-05T10:00:00Z,2026-01-05T09:00:00Z\n",
        "line 2: started_at 2026-01-05T09:00:00Z is before queued_at 2026-01-05T10:00:00Z",
    ),
    (
        "builds.csv",
        "id,attempt\nB-1,-1\n",
        "line 2: attempt '-1' is negative",
    ),
    (
        "deployments.csv",
        "id,created_at,finished_at\nD-1,2026-01-05T10:00:00Z,2026-01-05T09:00:00+00:00\n",
        "line 2: finished_at 2026-01-05T09:00:00Z is before created_at 2026-01-05T10:00:00Z",
    ),
    (
        "sprints.csv",
        "id,name,starts_at,ends_at\nS-1,Sprint 1,2026-01-19,2026-01-05\n",
        "line 2: ends_at 2026-01-05T00:00:00Z is before starts_at 2026-01-19T00:00:00Z",
    ),
    (
        "work_items.csv",
        "id,title,created_at,closed_at\nW-1,fix x,2026-01-05T10:00:00Z,2026-01-05T11:00:00+02:00\n",
        "line 2: closed_at 2026-01-05T11:00:00+02:00 is before created_at 2026-01-05T10:00:00Z",
    ),
    (
        "work_items.json",
        '[{"id": "W-1", "title": "fix x", "estimate": -2}]',
        "line 1: estimate -2 is negative",
    ),
    (
        "work_items.json",
        '[{"id": "W-1", "title": "fix x", "estimate": NaN}]',
        "line 1: NaN is not JSON",
    ),
    (
        "work_items.json",
        '[{"id": "W-1", "title": {"text": "fix x"}}]',
        "line 1: title {'text': 'fix x'} is not text",
    ),
]


@pytest.mark.parametrize(("name", "content", "message"), IMPOSSIBLE)
def test_impossible_values_are_refused_with_file_line_and_field(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    path, db = tmp_path / name, tmp_path / "k.duckdb"
    path.write_text(content, encoding="utf-8")
    code, _, err = sync_file(db, path)
    assert code == 1
    assert error_line(err).startswith(f"Error: {path} {message}"), err
    table = name.split(".")[0]
    assert stored(db, table) == 0  # the good rows before the bad one are not stored either


def test_a_rejected_import_changes_nothing_already_stored(tmp_path: Path) -> None:
    path, db = tmp_path / "incidents.csv", tmp_path / "k.duckdb"
    path.write_text(INCIDENTS + GOOD_INCIDENT, encoding="utf-8")
    assert sync_file(db, path)[0] == 0
    path.write_text(
        INCIDENTS
        + GOOD_INCIDENT.replace("db down", "db down again")
        + "I-2,api slow,2026-01-05T10:00:00Z,2026-01-05T09:00:00Z,\n",
        encoding="utf-8",
    )
    assert sync_file(db, path)[0] == 1
    with Store.open(db, read_only=True) as store:
        rows = store.con.execute("SELECT incident_id, title FROM incidents").fetchall()
    assert rows == [("files:incident:I-1", "db down")]


def test_a_quoted_field_of_any_size_is_read(tmp_path: Path) -> None:
    body = 'a line of an incident write-up, with a comma, and a "quote"\n' * 4000  # ~240 KiB
    path, db = tmp_path / "work_items.csv", tmp_path / "k.duckdb"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "title", "body"])
        writer.writerow(["W-1", "Write up the outage", body])
        writer.writerow(["W-2", "fix the retry loop", "short"])
    assert len(body) > 128 * 1024
    code, _, err = sync_file(db, path)
    assert code == 0, err
    with Store.open(db, read_only=True) as store:
        rows = store.con.execute("SELECT external_id, body FROM work_items ORDER BY 1").fetchall()
    assert rows == [("W-1", body), ("W-2", "short")]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("incidents.csv", "", "is empty"),
        ("incidents.csv", "\n\n", "is empty"),
        ("incidents.json", "  \n", "is empty"),
        ("incidents.jsonl", "", "is empty"),
    ],
)
def test_an_empty_file_is_an_error(tmp_path: Path, name: str, content: str, message: str) -> None:
    path, db = tmp_path / name, tmp_path / "k.duckdb"
    path.write_text(content, encoding="utf-8")
    code, _, err = sync_file(db, path)
    assert code == 1 and error_line(err).startswith(f"Error: {path} {message} — export it again")


@pytest.mark.parametrize(
    ("name", "content"),
    [("incidents.csv", INCIDENTS), ("incidents.json", "[]\n"), ("incidents.json", "[][]")],
)
def test_a_file_with_a_header_and_no_rows_says_so(tmp_path: Path, name: str, content: str) -> None:
    path, db = tmp_path / name, tmp_path / "k.duckdb"
    path.write_text(content, encoding="utf-8")
    code, _, err = sync_file(db, path)
    assert code == 0
    assert f"Warning: files: {path} holds no incidents: nothing to import" in err.splitlines()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "incidents.csv",
            'id,title,created_at,body\nI-1,db down,2026-01-05T10:00:00Z,"Pager went off.\nRolled',
            "ends inside a quoted field (line 3): it looks truncated",
        ),
        (
            "incidents.csv",
            INCIDENTS + GOOD_INCIDENT + "I-2,api slow,2026-01",
            "line 3: the file ends after 3 of the 5 columns of its last row: it looks truncated",
        ),
        (
            "incidents.json",
            '[\n{"id": "I-1", "title": "db down", "created_at": "2026-01-05T10:00:00Z"},\n{"id": "I-',
            "ends inside the value that starts on line 3: it looks truncated",
        ),
        (
            "incidents.json",
            '[\n{"id": "I-1", "title": "db down", "created_at": "2026-01-05T10:00:00Z"}\n',
            "ends inside the array that starts on line 1: it looks truncated",
        ),
    ],
)
def test_a_truncated_file_is_reported_as_truncated(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    path, db = tmp_path / name, tmp_path / "k.duckdb"
    path.write_text(content, encoding="utf-8")
    code, _, err = sync_file(db, path)
    assert code == 1
    assert (
        error_line(err)
        == f"Error: {path} {message} — export it again: the file was probably cut off while it was written or copied"
    )
    assert stored(db, "incidents") == 0


def test_bad_quoting_names_its_line(tmp_path: Path) -> None:
    path, db = tmp_path / "incidents.csv", tmp_path / "k.duckdb"
    path.write_text(
        INCIDENTS + GOOD_INCIDENT + 'I-2,"api" slow,2026-01-05T10:00:00Z,,\n' + GOOD_INCIDENT,
        encoding="utf-8",
    )
    code, _, err = sync_file(db, path)
    assert code == 1 and error_line(err).startswith(f"Error: {path} line 3: bad quoting")


def test_configured_files_are_refused_together(tmp_path: Path) -> None:
    """Two exports in one source: one impossible row in the second stores nothing of either."""
    (tmp_path / "incidents.csv").write_text(INCIDENTS + GOOD_INCIDENT, encoding="utf-8")
    (tmp_path / "alerts.csv").write_text(
        "id,title,created_at,count\nA-1,cpu,2026-01-05T10:00:00Z,-5\n", encoding="utf-8"
    )
    config = tmp_path / "ktlo.toml"
    config.write_text(
        '[sources.exports]\ntype = "files"\npaths = ["incidents.csv", "alerts.csv"]\n'
    )
    db = tmp_path / "k.duckdb"
    result = CliRunner().invoke(main, ["sync", "--config", str(config), "--db", str(db)])
    assert result.exit_code == 1
    assert "alerts.csv line 2: count '-5' is negative" in error_line(result.stderr)
    assert stored(db, "incidents") == stored(db, "alerts") == 0


def test_an_api_record_with_an_impossible_time_is_kept_without_it_and_said(
    tmp_path: Path,
) -> None:
    """A saved GitHub answer whose issue closed before it was created: the rest is stored."""
    issues = json.loads((Path(__file__).parent / "fixtures" / "github" / "issues.json").read_text())
    issues[0]["closed_at"] = "2026-01-04T16:30:00Z"  # created 2026-01-05T10:00:00Z
    saved, db = tmp_path / "issues.json", tmp_path / "k.duckdb"
    saved.write_text(json.dumps(issues), encoding="utf-8")
    result = CliRunner().invoke(
        main, ["sync", "--from-file", str(saved), "--source", "github", "--db", str(db)]
    )
    assert result.exit_code == 0, result.output
    assert (
        "Warning: github: 1 impossible value left out: github:issue:github.com/acme/shop:1: "
        "closed_at 2026-01-04T16:30:00Z is before created_at 2026-01-05T10:00:00Z; stored "
        "without it"
    ) in result.stderr.splitlines()
    with Store.open(db, read_only=True) as store:
        rows = store.con.execute(
            "SELECT external_id, closed_at FROM work_items ORDER BY external_id::INT"
        ).fetchall()
    assert len(rows) == 5 and rows[0] == ("1", None)
    assert sum(closed is not None for _, closed in rows) == 2  # the other closed issues keep theirs
