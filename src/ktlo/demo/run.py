"""Build the demo organisation on disk, then run on it the pipeline the README gives users.

    ktlo sync                                             the [git] repositories and the
                                                          exports of ktlo.toml's [sources]
    ktlo sync --from-file exports/jira-issues.json --source tracker
                                                          the tracker's saved search answer
    ktlo review --sample 200 --seed 7 --csv > review-sample.csv
    ktlo review --answers review-sample.csv               answered with what each item truly
                                                          is: the verdicts' measured error
    ktlo reclassify --config ktlo.toml                    rules, inheritance, the learned model
    ktlo report --html ktlo-report.html

so that running any of those commands again on the demo's output changes nothing.
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ktlo.config import Config, load_config
from ktlo.demo.configuration import EXPORTS, TRACKER, demo_config
from ktlo.demo.exports import incidents_for, write_exports
from ktlo.demo.history import DemoCommit, commits_for, write_repositories
from ktlo.demo.jira import write_tracker
from ktlo.demo.organisation import ORG, TEAMS
from ktlo.demo.pulls import write_pulls
from ktlo.demo.work import team_year
from ktlo.errors import KtloError
from ktlo.ingest.history import ingest_repository
from ktlo.metrics.analyze_document import AnalyzeDocument
from ktlo.sources import git
from ktlo.store import Store

Step = Callable[[str], None]
SAMPLE = 200  # items a lead answers, so that the shares carry this organisation's own error
Truth = dict[tuple[str, str], str]  # (repository or "", id in its tool) → what the work is


@dataclass(frozen=True, slots=True)
class DemoResult:
    out: Path
    store: Path
    config: Path
    report: Path | None
    commits: int
    checkout: AnalyzeDocument | None  # the analysis of the checkout ktlo ran in, if any


class _Quiet:
    """A sync reporter that reports nothing (the demo prints its own steps)."""

    def advance(self, items: int = 0, pages: int = 0) -> None:
        pass

    def waiting(self, seconds: float, reason: str) -> None:
        pass

    def note(self, message: str) -> None:
        pass


def run_demo(
    out: Path, seed: int = 7, step: Step | None = None, checkout: Path | None = None
) -> DemoResult:
    """Generate, sync, reclassify and report the demo organisation into `out` (its old demo files replaced)."""
    say = step or (lambda message: None)
    _clear(out)
    say("Writing 7 git repositories with a year of commits, and the tracker, pull request, "
        "incident, alert, deploy and CI exports")  # fmt: skip
    commits, truth = build_organisation(out, seed)
    config_path = out / "ktlo.toml"
    config = load_config(config_path)
    store_path = out / "ktlo.duckdb"
    with Store.open(store_path) as store:
        say(f"ktlo sync: {len(commits):,} commits of the [git] repositories, and the exports")
        _sync(store, config, out)
        say(f"ktlo sync --from-file {TRACKER} --source tracker")
        _sync_tracker(store, config, out / TRACKER)
        say(
            f"ktlo review --sample {SAMPLE} --seed {seed}, answered; ktlo review --answers review-sample.csv"
        )
        _answer_sample(store, config, truth, out / "review-sample.csv", seed)
        say("ktlo reclassify --config ktlo.toml")
        _reclassify(store, config)
    report = _write_report(store_path, config_path, out, say)
    return DemoResult(
        out, store_path, config_path, report, len(commits), _checkout(checkout, out, say)
    )


def _clear(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for stale in ("repos", "exports", "ktlo.duckdb", "ktlo.duckdb.wal", "ktlo.duckdb.lock",
                  "ktlo.toml", "review-sample.csv"):  # fmt: skip
        target = out / stale
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()


def build_organisation(out: Path, seed: int = 7) -> tuple[list[DemoCommit], Truth]:
    """Write the repositories, the exports and ktlo.toml under `out`; the same seed, the same
    files. Returns the commits, and what each commit, issue and pull request truly is."""
    incidents = {
        t.name: incidents_for(t, random.Random(f"{seed} incidents {t.name}")) for t in TEAMS
    }
    years = [
        team_year(team, random.Random(seed * 1000 + i), incidents[team.name])
        for i, team in enumerate(TEAMS)
    ]
    commits = [
        c
        for year in years
        for c in commits_for(year, random.Random(f"{seed} messages {year.team.name}"))
    ]
    _, shas = write_repositories(out / "repos", commits)
    exports = out / "exports"
    exports.mkdir(parents=True, exist_ok=True)
    write_tracker(out / TRACKER, years)
    truth: Truth = {(f"{ORG}/{c.repo}", sha): c.sub for c, sha in zip(commits, shas, strict=True)}
    truth |= {("", i.key): i.sub for year in years for i in year.issues}
    truth |= write_pulls(out / EXPORTS[0][3], commits, shas, random.Random(f"{seed} pulls"))
    heads: dict[str, list[tuple[Any, str]]] = {}
    for commit, sha in sorted(zip(commits, shas, strict=True), key=lambda c: c[0].when):
        heads.setdefault(commit.repo, []).append((commit.when, sha))
    write_exports(exports, incidents, heads, random.Random(seed))
    (out / "ktlo.toml").write_text(demo_config(), encoding="utf-8")
    return commits, truth


def _sync(store: Store, config: Config, out: Path) -> None:
    """`ktlo sync`: the [git] repositories, then the exports (the tracker has no site to reach)."""
    from ktlo.ingest.scale import Engine, ingest_many
    from ktlo.ingest.sync import plan_sync, sync_sources

    # `ktlo sync git --jobs 1`: seven small repositories gain little from worker processes,
    # and a pool would re-run the __main__ of a script that calls run_demo unguarded
    run = ingest_many(store, config.git.paths(out), Engine(jobs=1))
    for failed in run.failures:
        raise KtloError(
            f"cannot mine {failed.path}: {failed.error}", "run `ktlo sync git` to see why"
        )
    names = [name for name, *_ in EXPORTS]
    _raise_first(sync_sources(store, plan_sync(config, names), lambda source: _Quiet()))


def _sync_tracker(store: Store, config: Config, saved: Path) -> None:
    from ktlo.ingest.sync import plan_sync, sync_sources

    sources = plan_sync(config, from_file=saved, source_name="tracker")
    _raise_first(sync_sources(store, sources, lambda source: _Quiet(), saved))


def _answer_sample(store: Store, config: Config, truth: Truth, answers: Path, seed: int) -> None:
    """A random sample, answered as a lead who knows the work would: measures the verdicts'
    error on this organisation, so every share's correction and interval are its own."""
    import csv

    from ktlo.verdicts.sampling import SampleScope, draw_sample, load_answers

    drawn = draw_sample(store, config, SAMPLE, SampleScope(), seed=seed)
    ids = {r["item_id"]: (r["repo_id"] or "", r["external_id"]) for r in store.query(
        "SELECT item_id, repo_id, external_id FROM work_items WHERE item_id IN "
        "(SELECT item_id FROM review_sample_items WHERE sample_id = ?)", [drawn["sample_id"]])}  # fmt: skip
    with answers.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["item_id", "kind", "title"])
        for item in drawn["items"]:
            writer.writerow([item["item_id"], truth[ids[item["item_id"]]], item["title"]])
    load_answers(store, answers, config)


def _raise_first(results: list[Any]) -> None:
    failed = [r for r in results if r.error is not None]
    if failed:
        raise failed[0].error


def _reclassify(store: Store, config: Config) -> None:
    """`ktlo reclassify`: the syncs' learning is left to it, since it refits from scratch."""
    from ktlo.verdicts.reclassify import reclassify

    reclassify(store, config, refit=True)


def _write_report(store_path: Path, config_path: Path, out: Path, say: Step) -> Path | None:
    """The HTML report, when this ktlo has the report module."""
    try:
        from ktlo.render import html
    except ImportError:
        return None
    writer = getattr(html, "write_report", None)
    if writer is None:
        return None
    say("ktlo report --html ktlo-report.html")
    target = out / "ktlo-report.html"
    writer(store_path, load_config(config_path), target)
    return target


def _checkout(path: Path | None, out: Path, say: Step) -> AnalyzeDocument | None:
    """`ktlo analyze` of the checkout the demo runs in, into a store of its own."""
    if path is None:
        return None
    from ktlo.metrics.repository import AnalyzeOptions, analyze

    try:
        repo = git.open_repository(path)
    except KtloError:
        return None
    say(f"Analyzing this checkout ({repo.name})")
    with Store.open(out / "checkout.duckdb") as store:
        ingest_repository(store, repo)
        return analyze(store, AnalyzeOptions(repo.repo_id))
