"""Build the demo organisation on disk, ingest it through ktlo's own paths, and summarise it."""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ktlo.config import load_config
from ktlo.demo.exports import write_exports
from ktlo.demo.history import commits_for, write_repositories
from ktlo.demo.organisation import ORG, TEAMS
from ktlo.errors import KtloError
from ktlo.ingest import ingest_repository
from ktlo.sources import git
from ktlo.store import Store

Step = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class DemoResult:
    out: Path
    store: Path
    config: Path
    report: Path | None
    commits: int
    checkout: dict[str, Any] | None  # the analysis of the checkout ktlo ran in, if any


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
    """Generate, ingest and report the demo organisation into `out` (its old demo files replaced)."""
    say = step or (lambda message: None)
    out.mkdir(parents=True, exist_ok=True)
    for stale in (
        "repos",
        "exports",
        "ktlo.duckdb",
        "ktlo.duckdb.wal",
        "ktlo.duckdb.lock",
        "ktlo.toml",
    ):
        target = out / stale
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    say("Writing 7 git repositories with a year of commits")
    commits = [
        c for i, team in enumerate(TEAMS) for c in commits_for(team, random.Random(seed * 1000 + i))
    ]
    repos = write_repositories(out / "repos", commits)
    say("Writing tracker (issues and sprints), incident, alert, deploy and CI exports")
    write_exports(out / "exports", random.Random(seed))
    config_path = out / "ktlo.toml"
    config_path.write_text(demo_config(), encoding="utf-8")
    config = load_config(config_path)
    store_path = out / "ktlo.duckdb"
    with Store.open(store_path) as store:
        say(f"Ingesting {len(commits):,} commits")
        for path in repos.values():
            ingest_repository(store, git.open_repository(path))
        say("Syncing the exports through the file-import source")
        _sync_files(store, config)
    report = _write_report(store_path, config_path, out, say)
    return DemoResult(
        out, store_path, config_path, report, len(commits), _checkout(checkout, out, say)
    )


def _sync_files(store: Store, config: Any) -> None:
    from ktlo.sync import plan_sync, sync_sources

    results = sync_sources(store, plan_sync(config), lambda source: _Quiet())
    failed = [r for r in results if r.error is not None]
    if failed:
        raise failed[0].error  # type: ignore[misc]


def _write_report(store_path: Path, config_path: Path, out: Path, say: Step) -> Path | None:
    """The HTML report, when this ktlo has the report module."""
    try:
        from ktlo.report import html
    except ImportError:
        return None
    writer = getattr(html, "write_report", None)
    if writer is None:
        return None
    say("Writing the HTML report")
    target = out / "ktlo-report.html"
    writer(store_path, load_config(config_path), target)
    return target


def _checkout(path: Path | None, out: Path, say: Step) -> dict[str, Any] | None:
    """`ktlo analyze` of the checkout the demo runs in, into a store of its own."""
    if path is None:
        return None
    from ktlo.analysis import AnalyzeOptions, analyze

    try:
        repo = git.open_repository(path)
    except KtloError:
        return None
    say(f"Analyzing this checkout ({repo.name})")
    with Store.open(out / "checkout.duckdb") as store:
        ingest_repository(store, repo)
        return analyze(store, AnalyzeOptions(repo.repo_id))


def demo_config() -> str:
    """The demo's ktlo.toml: its teams, people, and the exports as file sources."""
    top = ['bots = ["deploy-bot@acme.example"]', ""]
    teams, people = [], []
    for team in TEAMS:
        members = ", ".join(f'"{p.key}"' for p in team.people)
        repos = ", ".join(f'"{ORG.split("/", 1)[1]}/{r}"' for r in team.repos)
        services = ", ".join(f'"{s}"' for s in team.services)
        teams.append(
            f'[[teams]]\nname = "{team.name}"\nmembers = [{members}]\nrepositories = [{repos}]\n'
            f"services = [{services}]\nbudget = {{ low = {team.budget[0]}, high = {team.budget[1]} }}\n"
            f"cost_per_fte_month = 15000\n"
        )
        for person in team.people:
            people.append(
                f'[people.{person.key}]\nname = "{person.name}"\naliases = ["{person.email}"]\n'
                f'timezone = "{person.timezone}"\n'
            )
    people[0] += "time_off = [{ start = 2026-08-03, end = 2026-08-14 }]\n"
    service_tables = [
        f'[services.{name}]\nrepositories = ["{ORG.split("/", 1)[1]}/{repo}"]\nslo = {slo}\ncost_per_minute = {cost}\n'
        for name, repo, slo, cost in (
            ("payments-api", "payments-api", 99.9, 200), ("checkout", "checkout-web", 99.5, 120),
            ("search-api", "search-service", 99.9, 40), ("indexer", "indexer", 99.0, 10),
            ("kubernetes", "infra", 99.95, 80), ("ci", "ci-tools", 99.0, 5), ("mobile-api", "mobile-app", 99.5, 30),
        )
    ]  # fmt: skip
    sources = []
    for name, kind, tool, path in (
        ("tracker", "work_items", "jira", "exports/work_items.csv"),
        ("sprints", "sprints", "jira", "exports/sprints.csv"),
        ("incidents", "incidents", "pagerduty", "exports/incidents.json"),
        ("alerts", "alerts", "opsgenie", "exports/alerts.jsonl"),
        ("deployments", "deployments", "deployer", "exports/deployments.csv"),
        ("builds", "builds", "github-actions", "exports/builds.jsonl"),
    ):
        sources.append(
            f'[sources.{name}]\ntype = "files"\nrecords = "{kind}"\ntool = "{tool}"\npaths = ["{path}"]\n'
        )
    return "\n".join(
        [
            "# The demo organisation (generated by `ktlo demo`)",
            *top,
            *teams,
            *people,
            *service_tables,
            *sources,
        ]
    )
