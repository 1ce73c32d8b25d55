"""`ktlo classify --jsonl`: every line checked against its declared types before it is classified."""

from __future__ import annotations

import json
import subprocess
import sys

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
