"""The built-in classifier's verdicts are pinned: a change made for speed must not move one.

Every row of eval/dev.csv is classified as a plain work item and as a dressed one (files of every
role, sizes, kinds, bodies with trailers and templates, conventional prefixes, gitmoji,
merge commits, labels, bot authors, advisory ids), and each verdict (investment,
subcategory, confidence, reasons) must equal the one recorded in
tests/fixtures/classifier/verdicts.jsonl. That file changes only when the vocabulary or the
weights are deliberately changed; then write it again with

    .venv/bin/python tests/test_classifier_snapshot.py --write

and say in the commit why the verdicts moved.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

from ktlo.classify import classify
from ktlo.classify.classifier import classify_text
from ktlo.records import Verdict, WorkText

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = ROOT / "tests" / "fixtures" / "classifier" / "verdicts.jsonl"

FILES: tuple[tuple[str, ...], ...] = (
    (),
    ("src/app/server.py",),
    ("src/app/server.py", "tests/test_server.py"),
    ("tests/test_server.py",),
    ("docs/guide.md", "src/app/cli.py"),
    ("Makefile", "configure.ac"),
    tuple(f"src/pkg/mod{k}.go" for k in range(8)),
    ("package.json", "src/index.js", "README.md"),
    ("lib/core.rb", "spec/core_spec.rb", ".github/workflows/ci.yml"),
    tuple(f"crates/core/src/part{k}.rs" for k in range(25)),
    ("CMakeLists.txt",),
)
SIZES = ((None, None), (0, 0), (3, 1), (40, 2), (5, 60), (300, 280), (2500, 10), (12, 9))
KINDS = ("commit", "pull_request", "issue", "")
AUTHOR = "Ann Lee ann@example.com"
BOT = "dependabot[bot] 49699333+dependabot[bot]@users.noreply.github.com"
# Edge cases the development set has few of: nothing to read, odd characters, long texts.
EXTRA = (
    "", "wip", "asdf", "v1.2.3", "...", "Release 2.0", "Änderungen für die Übersetzung",
    "x" * 300, "Merge pull request #1 from acme/fix-login-crash", "tweak", "stuff",
    "Fix `parse()` for --verbose in foo_bar (#12)", "Why does login fail?",
    "Bump lodash from 4.17.20 to 4.17.21", "fix typo’s in the docs", "GH-123: crash on startup",
    'Revert "Revert "add caching""', "Add retries\r\n\r\nThe client now retries 503s.",
    "Update dependency eslint to v9 [SECURITY]", "🐛 fix the null check", "Merge tag 'v2.1'",
    "WIP: [core] rewrite the scheduler " + "and more " * 60,
)  # fmt: skip


def _title(index: int, text: str) -> tuple[str, str | None]:
    """The row's text dressed as tools and conventions write subjects; (title, body to use)."""
    dressed = (
        text, f"fix: {text}", f"feat(api): {text}", f"chore: {text}", f"docs: {text}",
        f"[PROJ-12] {text}", f"{text} (#123)", "Merge pull request #5 from acme/topic-branch",
        f"net/http: {text}", f":bug: {text}", f'Revert "{text}"', f"refactor!: {text}",
        f"Draft: {text}", f"perf(core): {text}", f"✨ {text}",
    )  # fmt: skip
    title = dressed[index % len(dressed)]
    if index % 31 == 0:
        title = f"Merge branch 'main' into {text}"
    return title, text if title.startswith("Merge pull request") else None


def _body(index: int, other: str) -> str:
    bodies = (
        "", other, f"{other}\n\nSigned-off-by: Ann Lee <ann@example.com>",
        f"<!-- describe the change -->\n- [ ] Tests updated\n{other}",
        f"```\nraise ValueError()\n```\n{other}", f"> quoted reply\n{other}\n\nFixes #42",
    )  # fmt: skip
    return bodies[index % len(bodies)]


def items() -> list[tuple[str, WorkText, WorkText]]:
    """eval/dev.csv's rows, each as a plain item and as a dressed one, in file order."""
    with (ROOT / "eval" / "dev.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    out = []
    for index, row in enumerate(rows):
        other = rows[(index * 7 + 3) % len(rows)]["text"]
        added, deleted = SIZES[index % len(SIZES)]
        plain = WorkText(
            title=row["text"],
            body=_body(index, other),
            files=FILES[(index // 2) % len(FILES)],
            author=AUTHOR,
            kind=KINDS[index % len(KINDS)],
            lines_added=added,
            lines_deleted=deleted,
        )
        out.append((row["id"], plain, _dressed(index, row["text"], other)))
    for index, text in enumerate(EXTRA):
        body = _body(index, "Long explanation. " * 40) if index % 2 else ""
        plain = WorkText(title=text, body=body, files=FILES[index % len(FILES)], kind="commit")
        out.append((f"extra{index}", plain, _dressed(index, text, "fix the crash")))
    return out


def _dressed(index: int, text: str, other: str) -> WorkText:
    """The text with a prefix, label, bot author, advisory id or file set that may decide it."""
    title, inner = _title(index, text)
    body = _body(index + 1, other)
    if inner is not None:
        body = f"{inner}\n\n{body}"
    if index % 23 == 0:
        body += "\nThis closes CVE-2024-12345."
    files = FILES[index % len(FILES)]
    if index % 37 == 0:
        files = ("yarn.lock",)
    elif index % 41 == 0:
        files = (".github/workflows/ci.yml",)
    elif index % 43 == 0:
        files = ("docs/index.rst", "CHANGELOG.md")
    added, deleted = SIZES[(index + 3) % len(SIZES)]
    return WorkText(
        title=title,
        body=body,
        files=files,
        labels=("bug",) if index % 13 == 0 else ("type: feature",) if index % 17 == 0 else (),
        author=BOT if index % 19 == 0 else AUTHOR,
        issue_type="Bug" if index % 29 == 0 else "",
        kind=KINDS[(index + 1) % len(KINDS)],
        lines_added=added,
        lines_deleted=deleted,
    )


def as_row(verdict: Verdict) -> list[object]:
    return [
        verdict.investment,
        verdict.subcategory,
        verdict.confidence,
        [str(reason) for reason in verdict.reasons],
    ]


def current() -> list[dict[str, object]]:
    """Each row's verdicts, plain and dressed, and every third row's words-only verdict."""
    lines: list[dict[str, object]] = []
    for number, (item_id, plain, dressed) in enumerate(items()):
        line: dict[str, object] = {
            "id": item_id,
            "plain": as_row(classify(plain)),
            "dressed": as_row(classify(dressed)),
        }
        if number % 3 == 0:
            line["text"] = as_row(classify_text(dressed))
        lines.append(line)
    return lines


def recorded() -> list[dict[str, object]]:
    return [json.loads(line) for line in SNAPSHOT.read_text(encoding="utf-8").splitlines()]


def test_verdicts_equal_the_recorded_ones() -> None:
    expected = recorded()
    assert len(expected) >= 700
    got = current()
    moved = [(e["id"], e, g) for e, g in zip(expected, got, strict=True) if e != g]
    assert not moved, f"{len(moved)} verdicts moved, first: {moved[0]}"


def test_the_recorded_items_exercise_every_kind_of_signal() -> None:
    """A snapshot that never reaches a path proves nothing about it."""
    signals = {
        reason.split(":", 1)[0]
        for line in recorded()
        for row in (line["plain"], line["dressed"], line.get("text"))
        if isinstance(row, list)
        for reason in row[3]
    }
    assert {
        "label", "issue_type", "revert", "bot_author", "security_advisory", "files",
        "conventional_type", "conventional_commit", "gitmoji", "merge", "verb", "keyword",
        "shape", "size", "kind", "no_signal",
    } <= signals  # fmt: skip


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
    SNAPSHOT.write_text(
        "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in current()),
        encoding="utf-8",
    )
    print(f"wrote {SNAPSHOT}")
