"""Re-apply rules, the classifier and inheritance to everything stored, fetching nothing.

Order for each item: a config rule (first match) → the built-in classifier. Then
inheritance: an item whose own verdict is weak takes the verdict of the issue it is
linked to (`fixes PROJ-12`, `#45`, a pull request's link), or of its parent (an issue's
epic). Then learning (ktlo.verdicts.refit): a text model fitted to the items those strong
signals and the overrides label decides the items that only had weak signals (`ktlo
reclassify` fits it again; a rule re-applied by `ktlo analyze` uses the stored one). Last,
scope (ktlo.verdicts.project_scope): new work that spans many weeks and people is a project. Overrides
are never touched: the `effective_verdicts` view lays them on top.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ktlo.classify import classify
from ktlo.classify.rules import CompiledRule, RuleSubject, compile_rules, first_match
from ktlo.config import Config
from ktlo.ingest.history import LINES_SQL, save_verdicts
from ktlo.records import Verdict, WorkText
from ktlo.store import Store
from ktlo.verdicts.moves import Move, measure, snapshot
from ktlo.verdicts.project_scope import promote_projects
from ktlo.verdicts.refit import LearningSummary, apply_stored, learn

BATCH = 5000
# A verdict at least this sure (a label, a rule, a revert, a bot, a conventional type)
# is the item's own and is not replaced by a linked issue's.
STRONG = 0.85


@dataclass(frozen=True, slots=True)
class ReclassifySummary:
    """What `ktlo reclassify` did; `changed` counts effective verdicts (overrides on top)."""

    items: int
    changed: int
    by_rule: int
    inherited: int
    overridden: int
    learning: LearningSummary | None = None
    projects_by_scope: int = 0
    moves: tuple[Move, ...] = ()  # KTLO share before → after, overall and per team


def reclassify(store: Store, config: Config, *, refit: bool = False) -> ReclassifySummary:
    """Recompute every stored verdict; return what moved.

    With `refit` (`ktlo reclassify`) the learned model is fitted again; without it (a rule
    re-applied by `ktlo analyze`) the stored model, if any, decides the weak items as before.
    """
    rules = compile_rules(config)
    snapshot(store)
    items = by_rule = 0
    for batch in _batches(store):
        ids, verdicts = [], []
        for row in batch:
            verdict = _verdict(row, rules)
            by_rule += verdict.reasons[0].signal == "rule"
            ids.append(row["item_id"])
            verdicts.append(verdict)
        with store.transaction():
            save_verdicts(store, ids, verdicts)
        items += len(ids)
    inherited = inherit(store)
    learning = learn(store) if refit else apply_stored(store)
    projects = promote_projects(store)
    moves = measure(store, config)
    overridden = store.con.execute("SELECT count(*) FROM overrides").fetchone()
    return ReclassifySummary(
        items=items,
        changed=moves[0].changed if moves else 0,
        by_rule=by_rule,
        inherited=inherited,
        overridden=int(overridden[0]) if overridden else 0,
        learning=learning,
        projects_by_scope=projects,
        moves=tuple(moves),
    )


def dry_run(path: Path, config: Config) -> ReclassifySummary:
    """What `reclassify(refit=True)` would change, computed on a copy of the store at `path`;
    the store itself is only read.

    The copy is the faithful way: reclassify commits batch by batch and fits the learned
    model on what it just wrote, so one transaction rolled back at the end would read
    differently. It lives beside the store (same file system, no tmpfs limit) when that
    folder is writable, and is removed afterwards.
    """
    with Store.open(path, read_only=True):  # DuckDB's lock keeps writers out while we copy
        scratch = _scratch_dir(path)
        try:
            copy = Path(scratch.name) / path.name
            shutil.copyfile(path, copy)
            wal = path.with_name(path.name + ".wal")
            if wal.exists():
                shutil.copyfile(wal, copy.with_name(copy.name + ".wal"))
        except BaseException:
            scratch.cleanup()
            raise
    with scratch, Store.open(copy) as trial:
        return reclassify(trial, config, refit=True)


def _scratch_dir(path: Path) -> tempfile.TemporaryDirectory[str]:
    try:
        return tempfile.TemporaryDirectory(prefix=".ktlo-dry-run-", dir=path.parent)
    except OSError:
        return tempfile.TemporaryDirectory(prefix="ktlo-dry-run-")


def inherit(store: Store) -> int:
    """Weak verdicts take the verdict of the issue they link to, or of their parent. Returns how many."""
    with store.transaction():
        store.con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE inheritance AS
            WITH refs AS (  -- (child, the key it names) from text references, links and parents
                SELECT item_id AS child, unnest(refs) AS ref, repo_id FROM work_items
                UNION ALL SELECT from_id, to_ref, NULL FROM links
                UNION ALL SELECT item_id, parent_key, NULL FROM work_items WHERE parent_key IS NOT NULL
            ),
            named AS (  -- two equi-joins: an OR in one join compares every ref with every item
                SELECT r.child, p.item_id FROM refs r JOIN work_items p ON p.external_id = r.ref
                WHERE p.kind IN ('issue', 'epic')
                UNION ALL  -- `#12` names issue 12 of the child's own repository
                SELECT r.child, p.item_id FROM refs r
                JOIN work_items p ON p.external_id = substr(r.ref, 2) AND p.repo_id = r.repo_id
                WHERE r.ref LIKE '#%' AND p.kind IN ('issue', 'epic')
            ),
            targets AS (
                SELECT n.child, p.item_id AS parent, p.external_id,
                       row_number() OVER (PARTITION BY n.child ORDER BY v.confidence DESC, p.item_id) AS pick
                FROM named n
                JOIN work_items p ON p.item_id = n.item_id
                JOIN verdicts v ON v.item_id = p.item_id
                WHERE v.confidence >= {STRONG} AND v.investment <> 'other' AND p.item_id <> n.child
            )
            SELECT t.child, t.parent, t.external_id, v.investment, v.subcategory, v.confidence
            FROM targets t JOIN verdicts v ON v.item_id = t.parent
            JOIN verdicts own ON own.item_id = t.child
            WHERE t.pick = 1 AND own.confidence < {STRONG}
            """
        )
        store.con.execute(
            """
            UPDATE verdicts SET investment = i.investment, subcategory = i.subcategory,
                   confidence = i.confidence,
                   reasons = ['inherited: from ' || i.external_id || ' (' || i.investment
                              || coalesce('/' || i.subcategory, '') || ')']
            FROM inheritance i WHERE verdicts.item_id = i.child
            """
        )
    row = store.con.execute("SELECT count(*) FROM inheritance").fetchone()
    return int(row[0]) if row else 0


def _verdict(row: dict[str, Any], rules: list[CompiledRule]) -> Verdict:
    files = tuple(row["files"] or ())
    labels = tuple(row["labels"] or ())
    author = " ".join(x for x in (row["author_name"], row["author_email"]) if x)
    rule = first_match(
        rules,
        RuleSubject(
            source=row["source"], repository=row["repo_id"] or "", files=files, labels=labels,
            issue_type=row["issue_type"] or "", project=row["project"] or "",
            epic=row["parent_key"] or "", components=tuple(row["components"] or ()),
            title=row["title"], author=author,
        ),
    )  # fmt: skip
    if rule:
        return Verdict(rule.investment, rule.subcategory, 1.0, (rule.reason(),))
    return classify(
        WorkText(
            title=row["title"], body=row["body"], files=files, labels=labels,
            author=author, issue_type=row["issue_type"] or "", kind=row["kind"],
            lines_added=row["lines_added"], lines_deleted=row["lines_deleted"],
        )
    )  # fmt: skip


def _batches(store: Store) -> Iterator[list[dict[str, Any]]]:
    cursor = store.con.cursor()
    cursor.execute(
        f"""
        SELECT w.item_id, w.source, w.kind, w.repo_id, w.title, w.body, w.author_name,
               w.author_email, w.labels, w.issue_type, w.project, w.parent_key, w.components,
               (SELECT list(f.path) FROM commit_files f WHERE f.item_id = w.item_id) AS files,
               {LINES_SQL}
        FROM work_items w LEFT JOIN commits c USING (item_id) ORDER BY w.item_id
        """
    )
    names = [d[0] for d in cursor.description]
    while rows := cursor.fetchmany(BATCH):
        yield [dict(zip(names, row, strict=True)) for row in rows]
    cursor.close()
