"""Random samples of items for people to label, and their answers (`ktlo review --sample`,
`ktlo review --answers`).

Only answers to sampled items measure how often the verdicts err (ktlo.effort.error_bars): the
review queue offers the doubtful items, so its answers say nothing about the others.

    frame    the items people spent effort on in the scope (team, since, until) that
             nobody has answered yet, sorted by id
    draw     random.Random(seed).sample(frame, n); the seed, the scope and the items drawn
             are stored (review_samples, review_sample_items), so a sample is known to be
             one and can be drawn again to check it
    answers  a CSV with the columns item_id and kind (`ktlo`, `new_work`, `bug`,
             `ktlo/security`, ...), checked whole, then stored as overrides in one
             transaction; a row with an empty kind is left unanswered
"""

from __future__ import annotations

import csv
import getpass
import json
import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from random import Random
from typing import Any

from ktlo.classify.rules import parse_category
from ktlo.config import Config
from ktlo.effort.allocation import build_allocation
from ktlo.errors import ConfigError, InputError, KtloError
from ktlo.store import Store
from ktlo.verdicts.overrides import store_overrides
from ktlo.verdicts.refs import resolve_item

ANSWER_COLUMNS = ("item_id", "kind")
BODY_CHARS = 600  # of an item's body in the spreadsheet: enough to judge, not a whole diff


@dataclass(frozen=True, slots=True)
class SampleScope:
    """Which items a sample is drawn from; None means every one."""

    team: str | None = None
    since: date | None = None
    until: date | None = None

    def as_json(self) -> dict[str, str | None]:
        return {k: v.isoformat() if isinstance(v, date) else v for k, v in asdict(self).items()}


@dataclass(frozen=True, slots=True)
class AnswerSummary:
    """What loading a file of answers did."""

    stored: int  # answers stored as overrides
    sampled: int  # of them, answers to sampled items (they measure the error)
    blank: int  # rows left without a kind
    verified: int  # sampled answers in the store now


def draw_sample(
    store: Store, config: Config, size: int, scope: SampleScope, seed: int | None = None
) -> dict[str, Any]:
    """Draw and record a simple random sample of `size` unanswered items in `scope`."""
    if size < 1:
        raise ConfigError(f"cannot draw a sample of {size}", "give --sample a positive number")
    frame = _frame(store, config, scope)
    if not frame:
        raise InputError(
            "no unanswered items to sample in this scope",
            "widen --team/--since/--until, or sync or analyze some work first",
        )
    seed = secrets.randbits(63) if seed is None else seed
    chosen = Random(seed).sample(frame, min(size, len(frame)))
    row = store.con.execute("SELECT coalesce(max(sample_id), 0) + 1 FROM review_samples").fetchone()
    sample_id = int(row[0]) if row else 1
    with store.transaction():
        store.insert(
            "review_samples",
            ["sample_id", "seed", "size", "frame", "scope", "drawn_by", "drawn_at"],
            [(sample_id, seed, len(chosen), len(frame), json.dumps(scope.as_json()), _who(),
              datetime.now(UTC).replace(tzinfo=None))],
        )  # fmt: skip
        store.insert(
            "review_sample_items",
            ["sample_id", "item_id", "position"],
            [(sample_id, item_id, k) for k, item_id in enumerate(chosen, start=1)],
        )
    return {
        "sample_id": sample_id,
        "seed": seed,
        "frame": len(frame),
        "scope": scope.as_json(),
        "items": sample_items(store, sample_id),
    }


def _frame(store: Store, config: Config, scope: SampleScope) -> list[str]:
    """The ids of the unanswered items people spent effort on in `scope`, sorted."""
    build_allocation(store, config, scope.since, scope.until)
    team = "WHERE a.team = ?" if scope.team is not None else ""
    rows = store.con.execute(
        f"""
        SELECT DISTINCT a.item_id FROM alloc a ANTI JOIN overrides o USING (item_id) {team}
        ORDER BY a.item_id
        """,
        [scope.team] if scope.team is not None else [],
    ).fetchall()
    return [r[0] for r in rows]


def sample_items(store: Store, sample_id: int) -> list[dict[str, Any]]:
    """A sample's items in the order drawn, as the rows of the spreadsheet to fill: the
    answer columns first (`kind` empty), then what a person needs to judge. The verdict is
    left out on purpose, so that it does not sway the answer."""
    rows = store.query(
        """
        SELECT s.item_id, '' AS kind, w.title, w.kind AS item_type, w.repo_id,
               strftime(w.created_at, '%Y-%m-%d') AS created, w.url,
               left(w.body, ?) AS body
        FROM review_sample_items s JOIN work_items w USING (item_id)
        WHERE s.sample_id = ? ORDER BY s.position
        """,
        [BODY_CHARS, sample_id],
    )
    return rows


def read_answers(
    path: Path, store: Store, config: Config
) -> tuple[list[tuple[str, str, str | None]], int]:
    """The answers in a CSV file, checked: ([(item_id, investment, subcategory)], blank rows).
    Any bad row is an InputError naming its line; nothing is stored then."""
    custom = {c.name: c.investment for c in config.categories.add}
    try:
        handle = path.open(newline="", encoding="utf-8-sig")  # a spreadsheet's BOM is fine
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}", "check the path") from exc
    answers: dict[str, tuple[str, str, str | None]] = {}
    blank = 0
    with handle:
        reader = csv.DictReader(handle)
        missing = [c for c in ANSWER_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise InputError(
                f"{path} has no {' and no '.join(missing)} column",
                "the first row must name the columns item_id,kind (ktlo review --sample N --csv writes one)",
            )
        try:
            for row in reader:
                item_id, kind = (row.get("item_id") or "").strip(), (row.get("kind") or "").strip()
                if not kind:
                    blank += 1
                    continue
                answer = _answer(path, reader.line_num, item_id, kind, custom)
                if answers.get(item_id, answer) != answer:
                    raise InputError(
                        f"{path} line {reader.line_num}: {item_id!r} is answered twice, differently",
                        "keep one answer per item",
                    )
                answers[item_id] = answer
        except csv.Error as exc:
            raise InputError(
                f"{path} line {reader.line_num}: {exc}", "fix the CSV quoting"
            ) from exc
    return _resolved(store, path, answers), blank


def _answer(
    path: Path, line: int, item_id: str, kind: str, custom: dict[str, str]
) -> tuple[str, str, str | None]:
    if not item_id:
        raise InputError(
            f"{path} line {line}: no item_id", "copy the ids `ktlo review --sample` wrote"
        )
    try:  # `new work`, `tech-debt`: as a person types them in a spreadsheet
        investment, subcategory = parse_category(_spelled(kind), custom)
    except KtloError as exc:
        raise InputError(f"{path} line {line}: {exc.what}", exc.fix) from exc
    return item_id, investment, subcategory


def _spelled(kind: str) -> str:
    """`New work` -> `new_work`, `ktlo / tech-debt` -> `ktlo/tech_debt`."""
    parts = [p.strip().replace(" ", "_").replace("-", "_") for p in kind.strip().split("/")]
    return "/".join(parts)


def _resolved(
    store: Store, path: Path, answers: dict[str, tuple[str, str, str | None]]
) -> list[tuple[str, str, str | None]]:
    """The answers keyed by stored item ids: a row may name its item by any ref
    (ktlo.verdicts.refs: a sha prefix, a tracker key); a ref no item answers to refuses the file."""
    if not answers:
        return []
    stored = {
        r[0]
        for r in store.con.execute(
            "SELECT item_id FROM work_items WHERE item_id IN (SELECT unnest($1::VARCHAR[]))",
            [list(answers)],
        ).fetchall()
    }
    resolved: dict[str, tuple[str, str, str | None]] = {}
    unknown = []
    for ref, (_, investment, subcategory) in answers.items():
        try:
            item_id = ref if ref in stored else resolve_item(store, ref)
        except KtloError:
            unknown.append(ref)
            continue
        resolved[item_id] = (item_id, investment, subcategory)
    if unknown:
        shown = ", ".join(repr(r) for r in sorted(unknown)[:3])
        raise InputError(
            f"{path}: {len(unknown)} item{'' if len(unknown) == 1 else 's'} not in this store, "
            f"e.g. {shown}",
            "answer the items of a sample drawn from this store (check --db)",
        )
    return list(resolved.values())


def load_answers(store: Store, path: Path, config: Config) -> AnswerSummary:
    """Store a file of answers as overrides, all or none."""
    answers, blank = read_answers(path, store, config)
    sampled = _sampled(store, [a[0] for a in answers])
    rows = [
        (
            item_id,
            investment,
            subcategory,
            _note(store, item_id, investment, subcategory, item_id in sampled),
        )
        for item_id, investment, subcategory in answers
    ]
    with store.transaction():
        store_overrides(store, rows)
    return AnswerSummary(len(rows), len(sampled), blank, verified_answers(store))


def answer_sampled(store: Store, item_id: str, kind: str, config: Config) -> tuple[str, str | None]:
    """Store one person's answer to a sampled item (asked without showing the verdict)."""
    custom = {c.name: c.investment for c in config.categories.add}
    investment, subcategory = parse_category(_spelled(kind), custom)
    note = _note(store, item_id, investment, subcategory, True)
    with store.transaction():
        store_overrides(store, [(item_id, investment, subcategory, note)])
    return investment, subcategory


def _sampled(store: Store, item_ids: list[str]) -> set[str]:
    rows = store.con.execute(
        "SELECT DISTINCT item_id FROM review_sample_items WHERE item_id IN (SELECT unnest($1::VARCHAR[]))",
        [item_ids],
    ).fetchall()
    return {r[0] for r in rows}


def _note(
    store: Store, item_id: str, investment: str, subcategory: str | None, sampled: bool
) -> str:
    """`sampled answer: confirmed` or `answer: corrected from ktlo/bug`, against the verdict."""
    row = store.con.execute(
        "SELECT investment, subcategory FROM verdicts WHERE item_id = ?", [item_id]
    ).fetchone()
    head = "sampled answer" if sampled else "answer"
    if row is None:
        return head
    agrees = row[0] == investment and (subcategory is None or subcategory == row[1])
    was = f"{row[0]}/{row[1]}" if row[1] else row[0]
    return f"{head}: confirmed" if agrees else f"{head}: corrected from {was}"


def verified_answers(store: Store) -> int:
    """How many sampled items have an answer: what the error rates rest on."""
    row = store.con.execute(
        "SELECT count(DISTINCT item_id) FROM review_sample_items SEMI JOIN overrides USING (item_id)"
    ).fetchone()
    return int(row[0]) if row else 0


def _who() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
