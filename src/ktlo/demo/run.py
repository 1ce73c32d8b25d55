"""Build the demo organisation on disk, then run on it the pipeline the README gives users.

    ktlo sync git pulls incidents alerts deployments builds
                                                          the [git] repositories and the
                                                          exports of ktlo.toml's [sources]
    ktlo sync --from-file exports/jira-issues.json --source tracker
                                                          the tracker's saved search answer
    ktlo review --sample 200 --seed 7 --csv > review-sample.csv
    ktlo review --answers review-sample.csv               answered with what each item truly
                                                          is: the verdicts' measured error
    ktlo reclassify --config ktlo.toml                    rules, inheritance, the learned model
    ktlo report --html ktlo-report.html

so that running any of those commands again on the demo's output changes nothing. The
steps are `ktlo.workflows.demo_pipeline`: the commands' own workflows, in this order.
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from ktlo.config import Config, load_config
from ktlo.demo.configuration import EXPORTS, TRACKER, demo_config
from ktlo.demo.dependencies import OSV_EXPORT, with_lockfiles, write_osv_export
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
from ktlo.workflows import DemoInputs, demo_pipeline

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
    inputs = DemoInputs(
        tuple(config.git.paths(out)), tuple(name for name, *_ in EXPORTS), out / TRACKER,
        "tracker", SAMPLE, seed, out / "review-sample.csv", partial(_answer_sample, truth),
    )  # fmt: skip
    demo_pipeline(store_path, config, inputs, say)
    _dependencies(store_path, config, out, say)
    report = _write_report(store_path, config_path, out, say)
    return DemoResult(
        out, store_path, config_path, report, len(commits), _checkout(checkout, out, say)
    )


def _dependencies(store_path: Path, config: Config, out: Path, say: Step) -> None:
    """`ktlo deps --offline --osv-export exports/osv-demo.zip`, the registry cache first
    seeded with the demo libraries' release dates: no network (ktlo.demo.dependencies)."""
    from ktlo.demo.dependencies import seed_registry_cache
    from ktlo.workflows import DepsOptions, dependencies

    say("ktlo deps --offline --osv-export exports/osv-demo.zip (the registry cache seeded "
        "with the demo libraries' release dates)")  # fmt: skip
    export = out / "exports" / OSV_EXPORT
    with Store.open(store_path) as store:
        seed_registry_cache(store)
        dependencies(store, config, DepsOptions(offline=True, osv_export=export))


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
    commits = with_lockfiles([
        c
        for year in years
        for c in commits_for(year, random.Random(f"{seed} messages {year.team.name}"))
    ])  # fmt: skip
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
    write_osv_export(exports / OSV_EXPORT)
    (out / "ktlo.toml").write_text(demo_config(), encoding="utf-8")
    return commits, truth


def _answer_sample(truth: Truth, store: Store, drawn: dict[str, Any], answers: Path) -> None:
    """The drawn sample answered as a lead who knows the work would: measures the verdicts'
    error on this organisation, so every share's correction and interval are its own."""
    import csv

    ids = {r["item_id"]: (r["repo_id"] or "", r["external_id"]) for r in store.query(
        "SELECT item_id, repo_id, external_id FROM work_items WHERE item_id IN "
        "(SELECT item_id FROM review_sample_items WHERE sample_id = ?)", [drawn["sample_id"]])}  # fmt: skip
    with answers.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["item_id", "kind", "title"])
        for item in drawn["items"]:
            writer.writerow([item["item_id"], truth[ids[item["item_id"]]], item["title"]])


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
