"""`ktlo classify --jsonl`: every line checked against its declared types before it is classified."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ktlo.classify import classify
from ktlo.cli import main
from ktlo.records import WorkText


def classify_jsonl(text: str | bytes) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["classify", "--jsonl", "-"], input=text)
    return result.exit_code, result.stdout, result.stderr


def strict_json(line: str) -> object:
    """Parse as JSON proper: NaN and Infinity are not JSON."""

    def refuse(constant: str) -> object:
        raise ValueError(f"{constant} is not JSON")

    return json.loads(line, parse_constant=refuse)


GOOD = '{"id": 1, "title": "Bump lodash from 4.17.20 to 4.17.21"}\n'


@pytest.mark.parametrize(
    ("line", "field", "says"),
    [
        ('{"title": "fix x", "labels": [1]}', "labels", "(labels[0] is 1)"),
        ('{"title": "fix x", "files": [1, null]}', "files", "(files[0] is 1)"),
        ('{"title": "fix x", "files": ["a.py", null]}', "files", "(files[1] is null)"),
        ('{"title": "fix x", "body": 5}', "body", "must be a string, found 5"),
        ('{"title": "fix x", "author": 7}', "author", "must be a string, found 7"),
        ('{"title": 3}', "title", "must be a string, found 3"),
        ('{"id": NaN, "title": "fix x"}', "id", "found NaN"),
        ('{"id": Infinity, "title": "fix x"}', "id", "found Infinity"),
        ('{"id": [1], "title": "fix x"}', "id", "must be a string or a finite number"),
        ('{"title": "fix x", "files": "a.py"}', "files", 'must be a list of strings, found "a.py"'),
    ],
)
def test_a_mistyped_field_is_one_line_naming_line_and_field(
    line: str, field: str, says: str
) -> None:
    code, out, err = classify_jsonl(GOOD + line + "\n" + GOOD)
    assert code == 1
    assert err.count("\n") == 1 and err.startswith("Error: input line 2: ")
    assert f'"{field}"' in err and says in err
    assert "Traceback" not in err
    # what was written before the bad line is whole, valid JSON lines; nothing after it
    assert [strict_json(x) for x in out.splitlines()] == [
        {
            "id": 1,
            "investment": "ktlo",
            "subcategory": "dependency",
            "confidence": json.loads(out.splitlines()[0])["confidence"],
            "reasons": json.loads(out.splitlines()[0])["reasons"],
        }
    ]


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("[1, 2]", "input line 1 is not a JSON object"),
        ('{"body": "no title"}', 'input line 1 has no "title"'),
        ('{"title": "x"', "input line 1 is not JSON"),
        ('{"title": "x"} trailing', "input line 1 is not JSON"),
    ],
)
def test_a_line_that_is_not_an_item_is_named(line: str, says: str) -> None:
    code, out, err = classify_jsonl(line + "\n")
    assert (code, out) == (1, "")
    assert err.startswith(f"Error: {says}") and err.count("\n") == 1


def test_input_that_is_not_utf8_is_one_line() -> None:
    code, _, err = classify_jsonl(GOOD.encode() + b'{"title": "\xff\xfe"}\n')
    assert code == 1 and err.startswith("Error: the input is not UTF-8 text")


def test_ids_of_every_json_kind_that_is_valid_come_back_unchanged() -> None:
    lines = [
        {"id": "PAY-12", "title": "feat: dark mode"},
        {"id": 12, "title": "feat: dark mode"},
        {"id": 1.5, "title": "feat: dark mode"},
        {"title": "feat: dark mode", "extra": {"ignored": True}},
    ]
    code, out, _ = classify_jsonl("\n\n".join(json.dumps(x) for x in lines) + "\n")
    assert code == 0
    assert [strict_json(x)["id"] for x in out.splitlines()] == ["PAY-12", 12, 1.5, None]  # type: ignore[index]


@pytest.mark.parametrize(
    "item_id", [None, "PAY-12", 'ä"\\\n\u2028', 12, -3, 10**30, 1.5, 0.1, 1e300]
)
def test_a_verdict_line_is_what_json_dumps_writes(item_id: object) -> None:
    # classify_lines writes lines without json.dumps; they must stay byte-identical to it
    from ktlo.classify.jsonl import verdict_json, verdict_line
    from ktlo.records import Reason, Verdict

    for verdict in (
        Verdict(
            "ktlo", "bug", 0.8, (Reason("verb", 'verb: "fix" → bug (+3.6)'), Reason("x", "“y”"))
        ),
        Verdict("other", None, 0.2, ()),
    ):
        expected = json.dumps(verdict_json(item_id, verdict), ensure_ascii=False, allow_nan=False)
        assert verdict_line(item_id, verdict) == expected


def test_files_are_paths_not_characters() -> None:
    """`"files": ["package-lock.json"]` is one lockfile; the same as a bare string is refused."""
    code, out, _ = classify_jsonl('{"title": "Update", "files": ["package-lock.json"]}\n')
    assert code == 0 and json.loads(out)["subcategory"] == "dependency"
    code, _, err = classify_jsonl('{"title": "Update", "files": "package-lock.json"}\n')
    assert code == 1 and '"files" must be a list of strings' in err


@pytest.mark.parametrize("kind", ["issue", "commit", "pull_request"])
def test_kind_reaches_the_classifier(kind: str) -> None:
    """A lowercase noun phrase names a capability in an issue, not in a commit (README: `kind`)."""
    line = {"title": "tags on bookmarks", "kind": kind}
    code, out, _ = classify_jsonl(json.dumps(line) + "\n")
    expected = classify(WorkText(title="tags on bookmarks", kind=kind))
    assert code == 0
    assert (json.loads(out)["subcategory"], json.loads(out)["reasons"]) == (
        expected.subcategory,
        [str(r) for r in expected.reasons],
    )


def test_a_real_process_prints_one_line_and_no_traceback() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ktlo", "classify", "--jsonl", "-"],
        input='{"title": "fix x", "labels": [1]}\n',
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.splitlines() == [
        'Error: input line 1: "labels" must be a list of strings (labels[0] is 1) — send one '
        'JSON object per line, e.g. {"id": 1, "title": "fix crash", "files": ["a.py"]}'
    ]


# Lines at the edges of what the declared model accepts: a plainly valid line is read
# without building the model, and must read exactly as the model reads it; a line the
# model refuses must be refused with the model's message, never classified.
EDGE_LINES = [
    '{"id": 10000000000000000000000000000000, "title": "x"}',
    '{"id": -0, "title": "fix x"}',
    '{"id": 1.0, "title": "fix x"}',
    '{"id": -0.0, "title": "fix x"}',
    '{"id": 1e400, "title": "fix x"}',
    '{"id": true, "title": "fix x"}',
    '{"id": null, "title": "fix x", "body": null, "files": null, "labels": null}',
    '{"title": "fix x", "title": "add y"}',
    '{"title": "fix x", "extra": NaN, "more": [Infinity, {"a": -Infinity}]}',
    '{"title": "a\\ud800b"}',
    '{"title": "fix \\ud83d\\ude00 crash", "body": "\\u00e9t\\u00e9"}',
    '{"title": "fix x", "files": [], "labels": []}',
    '{"title": "fix x", "files": ["a.py", "b.md"], "labels": ["bug", ""]}',
    '{"title": "fix x", "kind": null, "issue_type": "Bug", "author": "dependabot[bot]"}',
    '{"title": "fix x", "kind": 1}',
    '{"title": ""}',
    '{"title": "x\\u0000y", "body": "C:\\\\udp"}',
    '  {"title": "padded"}  ',
    '{"title": "fix x"} {"title": "y"}',
    '"fix x"',
    "null",
]


@pytest.mark.parametrize("line", EDGE_LINES)
def test_a_line_reads_as_the_declared_model_reads_it(line: str) -> None:
    from pydantic import ValidationError

    from ktlo.classify.jsonl_item import JsonlItem

    code, out, err = classify_jsonl(line + "\n")
    try:
        item = JsonlItem.model_validate_json(line)
    except ValidationError:
        assert (code, out) == (1, "") and err.startswith("Error: input line 1")
        return
    expected = classify(item.work_text())
    assert code == 0, err
    assert json.loads(out) == {
        "id": item.id,
        "investment": expected.investment,
        "subcategory": expected.subcategory,
        "confidence": expected.confidence,
        "reasons": [str(r) for r in expected.reasons],
    }


def test_a_lone_surrogate_is_refused_not_written() -> None:
    """Python's JSON reader accepts `\\ud800`; the declared model does not, and neither does
    the stream (it could not be written as UTF-8)."""
    code, out, err = classify_jsonl(GOOD + '{"title": "a\\ud800b"}\n')
    assert code == 1 and len(out.splitlines()) == 1
    assert err.startswith("Error: input line 2 is not JSON")


def test_a_line_with_a_raw_surrogate_is_refused_by_the_declared_model() -> None:
    """A str from a caller (not the CLI, which decodes UTF-8 strictly) may hold a lone
    surrogate; it is refused with the model's message, not classified or written."""
    from ktlo.classify.jsonl import classify_lines
    from ktlo.errors import InputError

    out = io.StringIO()
    with pytest.raises(InputError, match="input line 2"):
        classify_lines([GOOD, '{"title": "a\ud800b"}\n'], out)
    assert len(out.getvalue().splitlines()) == 1


def jsonl_in_a_process(text: str) -> tuple[set[str], subprocess.CompletedProcess[str]]:
    """`ktlo classify --jsonl -` in a fresh process reading `text`: the modules it imported
    (from `-X importtime`) and how it ended."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "ktlo", "classify", "--jsonl", "-"],
        input=text, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    modules = {
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    return modules, done


def test_a_stream_of_valid_lines_starts_without_pydantic() -> None:
    """pydantic and the declared line model load only for a line that is not plainly valid
    (≈ 0.085 s of start-up that a well-formed stream does not need)."""
    modules, done = jsonl_in_a_process(
        GOOD + '{"id": "b", "title": "fix crash", "files": ["a.py"]}\n'
    )
    assert done.returncode == 0 and len(done.stdout.splitlines()) == 2
    assert "pydantic" not in modules and "ktlo.classify.jsonl_item" not in modules
    modules, done = jsonl_in_a_process(GOOD + '{"id": 2, "title": "fix x", "files": "a.py"}\n')
    assert done.returncode == 1 and len(done.stdout.splitlines()) == 1
    assert 'input line 2: "files" must be a list of strings' in done.stderr
    assert "ktlo.classify.jsonl_item" in modules


def test_from_a_file_verdicts_are_the_same_and_all_written_before_a_bad_line(
    tmp_path: Path,
) -> None:
    """Read from a file, verdicts are written in blocks of lines; the bytes are those a pipe
    gets line by line, and every verdict before a bad line is out before its error."""
    good = [json.dumps({"id": n, "title": f"fix crash number {n}"}) for n in range(300)]
    source = tmp_path / "items.jsonl"
    source.write_text("\n".join([*good, '{"id": 300, "files": "a.py", "title": "x"}']) + "\n")
    command = [sys.executable, "-m", "ktlo", "classify", "--jsonl", "-"]
    with source.open("rb") as stdin:
        from_file = subprocess.run(command, stdin=stdin, capture_output=True, timeout=60)
    from_pipe = subprocess.run(command, input=source.read_bytes(), capture_output=True, timeout=60)
    assert from_file.returncode == from_pipe.returncode == 1
    assert from_file.stdout == from_pipe.stdout
    assert len(from_file.stdout.decode().splitlines()) == 300
    assert [json.loads(x)["id"] for x in from_file.stdout.decode().splitlines()] == list(range(300))
    assert b'input line 301: "files" must be a list of strings' in from_file.stderr
