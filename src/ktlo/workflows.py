"""The pipelines the front ends run: open the store once, run the steps in order, close.

    analyze_repositories   `ktlo analyze`: mine → the config's rules → the analysis
    sync_all               `ktlo sync`: mine the [git] repositories → sync the sources →
                           (when it succeeded and stored something) refit or apply the model
    reclassify_store       `ktlo reclassify`: rules, inheritance, scope, the learned model refit
    dependencies           `ktlo deps`: the inventory brought up to date → release dates and
                           advisories refreshed (unless offline) → the four sections
    demo_pipeline          `ktlo demo`: the README's pipeline, each step the command's workflow

The CLI parses options, finds the store and the configuration (cli/inputs.py), calls one
of these and renders what it returns; the demo calls the same functions in the README's
order, so what the demo shows is what the commands do. Progress and messages belong to the
caller: a workflow takes them as callables (`Miner`, `SyncReporting`) and prints nothing.
Imports stay inside the functions: `ktlo analyze` starts git before DuckDB loads.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ktlo.config import Config
    from ktlo.ingest.dependency_risk import ClientFactory
    from ktlo.ingest.prefetch import Prefetch
    from ktlo.ingest.scale.executors import Engine
    from ktlo.ingest.scale.runner import RunSummary
    from ktlo.ingest.sync import SourceResult
    from ktlo.metrics.analyze_document import AnalyzeDocument
    from ktlo.metrics.dependencies import DepsDocument
    from ktlo.metrics.repository import AnalyzeOptions
    from ktlo.sources.base import Reporter, Source
    from ktlo.store import Store
    from ktlo.verdicts.reclassify import ReclassifySummary


class Miner(Protocol):
    """Mines repositories into an open store (`early`: a lone repository's `git log`,
    already started); the CLI's shows progress bars."""

    def __call__(
        self, store: Store, repos: Sequence[Path], engine: Engine, *, early: Prefetch | None = None
    ) -> RunSummary: ...


#: Opened around the sources' sync: hands each source the reporter of its progress.
SyncReporting = Callable[[], AbstractContextManager[Callable[["Source"], "Reporter"]]]


def mine_quietly(
    store: Store, repos: Sequence[Path], engine: Engine, *, early: Prefetch | None = None
) -> RunSummary:
    """A `Miner` that shows no progress (the demo, library calls)."""
    from ktlo.ingest.scale.runner import ingest_many

    return ingest_many(store, repos, engine, early=early)


@dataclass(frozen=True, slots=True)
class Analysis:
    """What `ktlo analyze` renders: the document (None when nothing was mined), the run,
    and the `ktlo explain` command its footer suggests."""

    document: AnalyzeDocument | None
    run: RunSummary
    hint: str | None


def analyze_repositories(
    store_path: Path,
    repos: Sequence[Path],
    engine: Engine,
    config: Config,
    options: AnalyzeOptions,
    *,
    mine: Miner = mine_quietly,
    early: Prefetch | None = None,
    hint: bool = True,
) -> Analysis:
    """Mine `repos` into the store, apply the config's rules, analyze what was mined.

    `options` gives the window, period, budget and top; the repositories and folders
    analyzed are those the run mined. `hint=False`: no footer to suggest `ktlo explain`
    in (JSON, CSV), none looked for."""
    from ktlo.metrics.repository import analyze
    from ktlo.store import Store

    with Store.open(store_path) as store:
        run = mine(store, repos, engine, early=early)
        if config.rules:
            from ktlo.verdicts.reclassify import reclassify

            reclassify(store, config)
        if run.new_commits or run.removed:  # the analysis writes only temporary tables
            store.checkpoint_in_background()
        if not run.repo_ids:
            return Analysis(None, run, None)
        mined = replace(options, repositories=tuple(run.repo_ids), folders=run.folders)
        document = analyze(store, mined, config)
        return Analysis(document, run, explain_hint(store, run.repo_ids) if hint else None)


def explain_hint(store: Store, repo_ids: Sequence[str]) -> str:
    """`ktlo explain <sha> ...` for the footer's "Why?", naming a real commit and, unless
    the one rule finds this store from here, its --db: a command that works as printed."""
    import os
    import shlex

    from ktlo.verdicts.refs import short_refs

    row = store.con.execute(
        """
        SELECT c.item_id FROM commits c JOIN effective_verdicts v USING (item_id)
        WHERE c.repo_id IN (SELECT unnest(?::VARCHAR[])) AND NOT c.is_merge
        ORDER BY v.investment = 'ktlo' DESC, c.authored_at DESC, c.sha LIMIT 1
        """,
        [list(repo_ids)],
    ).fetchone()
    if row is None:
        return "ktlo explain <sha>"
    ref = short_refs(store, [row[0]])[row[0]]
    found_here = Path(os.environ.get("KTLO_DB") or "ktlo.duckdb").resolve()
    db = "" if store.path.resolve() == found_here else f" --db {shlex.quote(str(store.path))}"
    return f"ktlo explain {shlex.quote(ref)}{db}"


@dataclass(frozen=True, slots=True)
class SyncOutcome:
    """What `ktlo sync` reports: each source's result, the git run (if any), what learning
    did (lines to show), and whether anything failed."""

    results: list[SourceResult]
    run: RunSummary | None
    learned: list[str]
    failed: bool


def sync_all(
    store_path: Path,
    config: Config,
    repos: Sequence[Path],
    sources: Sequence[Source],
    engine: Engine,
    *,
    mine: Miner = mine_quietly,
    reporting: SyncReporting | None = None,
    from_file: Path | None = None,
) -> SyncOutcome:
    """Mine `repos`, sync `sources`; when all succeeded and something new was stored,
    refit the learned model (or apply the stored one) and say what moved."""
    from ktlo.store import Store

    with Store.open(store_path) as store:
        return sync_steps(
            store, config, repos, sources, engine,
            mine=mine, reporting=reporting, from_file=from_file,
        )  # fmt: skip


def sync_steps(
    store: Store,
    config: Config,
    repos: Sequence[Path],
    sources: Sequence[Source],
    engine: Engine,
    *,
    mine: Miner = mine_quietly,
    reporting: SyncReporting | None = None,
    from_file: Path | None = None,
    learn: bool = True,
) -> SyncOutcome:
    """`sync_all`'s steps on a store already open (the demo runs two syncs in one);
    `learn=False` leaves the learned model to a later `ktlo reclassify`."""
    from ktlo.ingest.sync import sync_sources

    run = mine(store, repos, engine) if repos else None
    with (reporting or _quiet_reporting)() as reporter:
        results = sync_sources(store, sources, reporter, from_file)
    failed = any(result.errors for result in results) or bool(run and run.failures)
    brought = sum(r.new + r.updated for r in results) + (run.new_commits if run else 0)
    learned = [] if failed or not brought or not learn else _learn(store, config)
    if brought and not failed:
        from ktlo.effort.allocation import prepare_allocations

        prepare_allocations(store, config)  # the next allocation, budget, capitalization
    return SyncOutcome(results, run, learned, failed)


def _learn(store: Store, config: Config) -> list[str]:
    """After a sync that succeeded and stored something: refit or apply the learned model."""
    from ktlo.verdicts.moves import describe_moves, measure, snapshot
    from ktlo.verdicts.refit import describe, learn_after_sync

    snapshot(store)
    learning = learn_after_sync(store)
    if learning is None:
        return []
    lines = [describe(learning)]
    if learning.fitted or learning.decided or learning.forgotten:
        lines += [
            "what moved (KTLO share before → after):",
            *describe_moves(measure(store, config)),
        ]
    return lines


class _Quiet:
    """A sync reporter that reports nothing."""

    def advance(self, items: int = 0, pages: int = 0) -> None:
        pass

    def waiting(self, seconds: float, reason: str) -> None:
        pass

    def note(self, message: str) -> None:
        pass


def _quiet_reporting() -> AbstractContextManager[Callable[[Source], Reporter]]:
    return nullcontext(lambda source: _Quiet())


def reclassify_store(
    store_path: Path, config: Config, *, dry_run: bool = False
) -> ReclassifySummary:
    """`ktlo reclassify`: every stored verdict decided again, the learned model refitted;
    with `dry_run`, the same on a copy of the store (the store is only read)."""
    if dry_run:
        from ktlo.verdicts.reclassify import dry_run as trial

        return trial(store_path, config)
    from ktlo.store import Store
    from ktlo.verdicts.reclassify import reclassify

    with Store.open(store_path) as store:
        return reclassify(store, config, refit=True)


@dataclass(frozen=True, slots=True)
class DemoInputs:
    """What the README's pipeline needs from the demo organisation written on disk."""

    repos: tuple[Path, ...]  # the [git] repositories
    exports: tuple[str, ...]  # the sources `ktlo sync` names besides git
    tracker: Path  # the saved answer `ktlo sync --from-file ... --source tracker` loads
    tracker_source: str
    sample: int  # items `ktlo review --sample N --seed SEED` draws
    seed: int
    answers: Path  # the CSV the sample is answered in
    answer: Callable[[Store, dict[str, Any], Path], None]  # fills it as a lead would


def demo_pipeline(
    store_path: Path, config: Config, inputs: DemoInputs, say: Callable[[str], None]
) -> None:
    """The README's pipeline on the demo organisation, each step the command's own
    workflow in one store: `ktlo sync git EXPORTS...`, `ktlo sync --from-file TRACKER
    --source tracker`, `ktlo review --sample N --seed S --csv` answered, `ktlo review
    --answers`, `ktlo reclassify`, exactly as a user types them (the syncs refit the
    learned model as `ktlo sync` does). Any step that fails stops it (a KtloError)."""
    from ktlo.ingest.scale.executors import Engine
    from ktlo.ingest.sync import plan_sync
    from ktlo.store import Store
    from ktlo.verdicts.reclassify import reclassify
    from ktlo.verdicts.sampling import SampleScope, draw_sample, load_answers

    # `--jobs 1`: seven small repositories gain little from worker processes, and a pool
    # would re-run the __main__ of a script that calls run_demo unguarded
    engine = Engine(jobs=1)
    tracker = plan_sync(config, from_file=inputs.tracker, source_name=inputs.tracker_source)
    with Store.open(store_path) as store:
        say(f"ktlo sync git {' '.join(inputs.exports)}")
        exports = plan_sync(config, inputs.exports)
        _succeeded(sync_steps(store, config, inputs.repos, exports, engine))
        shown = inputs.tracker.relative_to(store_path.parent).as_posix()
        say(f"ktlo sync --from-file {shown} --source {inputs.tracker_source}")
        tracked = sync_steps(store, config, [], tracker, engine, from_file=inputs.tracker)
        _succeeded(tracked)
        say(f"ktlo review --sample {inputs.sample} --seed {inputs.seed} --csv > "
            f"{inputs.answers.name}, answered; ktlo review --answers {inputs.answers.name}")  # fmt: skip
        drawn = draw_sample(store, config, inputs.sample, SampleScope(), seed=inputs.seed)
        inputs.answer(store, drawn, inputs.answers)
        load_answers(store, inputs.answers, config)
        say("ktlo reclassify --config ktlo.toml")
        reclassify(store, config, refit=True)


def _succeeded(outcome: SyncOutcome) -> None:
    """Raise the first failure of a sync: a repository that could not be mined, a source's error."""
    from ktlo.errors import KtloError

    for failed in outcome.run.failures if outcome.run else []:
        raise KtloError(
            f"cannot mine {failed.path}: {failed.error}", "run `ktlo sync git` to see why"
        )
    for result in outcome.results:
        if result.error is not None:
            raise result.error


@dataclass(frozen=True, slots=True)
class DepsOptions:
    """`ktlo deps`' options: the team, whether to ask the network, an OSV export to read,
    how long cached answers stay fresh, and the day the figures are for (today)."""

    team: str | None = None
    offline: bool = False
    osv_export: Path | None = None
    max_age_hours: int = 24
    as_of: date | None = None


def dependencies(
    store: Store, config: Config, options: DepsOptions, clients: ClientFactory | None = None
) -> DepsDocument:
    """`ktlo deps`: bring the inventory up to date, refresh release dates and advisories
    (unless offline; `clients` makes the HTTP clients), then every section from the store."""
    from datetime import timedelta

    from ktlo.ingest.dependencies import update_known_repositories
    from ktlo.ingest.dependency_risk import default_client, load_export, refresh
    from ktlo.metrics.dependencies import DepsDocument, Refresh, inventory, unreadable_note
    from ktlo.metrics.dependency_risk import dependency_risk

    results, notes = update_known_repositories(store)
    notes += [unreadable_note(r.repo_id, r.unreadable) for r in results if r.unreadable]
    (inventoried,) = store.con.execute("SELECT count(*) FROM dependency_changes").fetchone() or (0,)
    if not inventoried:  # no figure below may read as a measured zero
        notes.append(
            "no manifest or lockfile in the history of the repositories the store knows "
            "(`ktlo analyze` or `ktlo sync` records them): every section is empty, not zero"
        )
    if options.osv_export is not None:
        load_export(store, options.osv_export)
    not_refreshed = ["offline: no registry nor OSV was asked"] if options.offline else []
    if not options.offline and inventoried:
        not_refreshed += refresh(
            store, clients or default_client(), max_age=timedelta(hours=options.max_age_hours),
            ask_osv=options.osv_export is None,
        ).not_refreshed  # fmt: skip
    risk = dependency_risk(store, config, team=options.team, as_of=options.as_of, with_effort=True)
    return DepsDocument(
        schema="ktlo.deps/v1",
        team=options.team,
        inventory=inventory(store, config, options.team),
        freshness=risk.freshness,
        vulnerabilities=risk.vulnerabilities,
        time_to_patch=risk.time_to_patch,
        refreshed=[
            Refresh(
                repo_id=r.repo_id,
                commits=r.commits,
                revisions=r.revisions,
                changes=r.changes,
                malformed=len(r.malformed),
            )
            for r in results
        ],  # fmt: skip
        not_refreshed=not_refreshed,
        notes=notes,
    )
