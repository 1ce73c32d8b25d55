"""Output of runs over many repositories: progress bars, the run's summary, the per-repository table."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING

from ktlo.ingest.scale.runner import RepoOutcome, RunSummary

if TYPE_CHECKING:  # rich's progress and tables load only when drawn (not for --json)
    from rich.console import Console
    from rich.progress import Progress, TaskID

    from ktlo.metrics.analyze_document import AnalyzeDocument

MIN_COMMITS_FOR_BAR = 500  # a run shorter than about a second gets no bar


class ScaleProgress:
    """Two bars on stderr, repositories and commits, each with the time left (a terminal only)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._bar: Progress | None = None
        self._repos: TaskID
        self._commits: TaskID
        self._total = 0
        self._count = 0

    def __enter__(self) -> ScaleProgress:
        return self

    @property
    def shows_bars(self) -> bool:
        """Bars are drawn (a terminal): worth counting commits for their totals."""
        return self.console.is_terminal

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._bar is not None:
            self._bar.stop()

    def start(self, repositories: int) -> None:
        self._count = repositories
        if repositories > 1:
            self._show()

    def planned(self, commits: int) -> None:
        self._total += commits
        if self._bar is None and self._total >= MIN_COMMITS_FOR_BAR:
            self._show()
        if self._bar is not None:
            self._bar.update(self._commits, total=self._total)

    def loaded(self, commits: int) -> None:
        if self._bar is not None:
            self._bar.advance(self._commits, commits)

    def finished(self, outcome: RepoOutcome) -> None:
        if self._bar is not None:
            self._bar.advance(self._repos, 1)

    def _show(self) -> None:
        if self._bar is not None or not self.console.is_terminal:
            return
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._bar = Progress(
            TextColumn("{task.description:<13}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("left"),
            TimeRemainingColumn(),
            TimeElapsedColumn(),
            console=self.console,
        )
        self._repos = self._bar.add_task("Repositories", total=self._count)
        self._commits = self._bar.add_task("Commits", total=self._total or None)
        self._bar.start()


def describe_run(summary: RunSummary) -> str:
    """One line: how many repositories, what became of them, how fast."""
    rate = (
        f" ({summary.new_commits / summary.seconds:,.0f} commits/s)" if summary.new_commits else ""
    )
    parts = [f"{summary.count('updated'):,} updated ({summary.new_commits:,} new commits)"]
    parts += [
        f"{summary.count(status):,} {status}"
        for status in ("unchanged", "skipped", "failed")
        if summary.count(status)
    ]
    return (
        f"Mined {len(summary.outcomes):,} repositories with {summary.engine} in "
        f"{summary.seconds:,.1f} s{rate}: {', '.join(parts)}."
    )


def failure_lines(summary: RunSummary) -> list[str]:
    """Each repository that failed or was skipped: its path and the reason; and what a run
    found in a history that it did not expect (for stderr)."""
    lines = [
        f"Error: {o.path}: {o.error}"
        if o.status == "failed"
        else f"Note: {o.path}: skipped, {o.error}"
        for o in summary.outcomes
        if o.status in ("failed", "skipped")
    ]
    for o in summary.outcomes:
        if o.boundary_moved:
            lines.append(
                f"Note: {o.path}: the clone's shallow boundary moved (deepened, unshallowed or "
                f"cut): its {o.removed:,} stored commit{'s' if o.removed != 1 else ''} were "
                "read again with the history that is there now."
            )
        elif o.removed:
            lines.append(
                f"Note: {o.path}: {o.removed:,} stored commit{'s' if o.removed != 1 else ''} "
                "no longer in the history HEAD reaches (rewritten, reset or force-pushed) "
                "removed; they no longer count."
            )
        if o.issues is not None and o.issues.total:
            lines.append(f"Note: {o.path}: {o.issues.describe()}.")
    return lines


def render_repositories(doc: AnalyzeDocument, console: Console, top: int) -> None:
    """The per-repository summary of an analysis over several repositories (most effort first)."""
    from ktlo.render.tables import Titled
    from ktlo.render.terminal import interval

    rows = doc.repositories
    if len(rows) < 2:
        return
    table = Titled(
        title=f"\nRepositories ({len(rows):,}, most effort first)", title_justify="left",
        box=None, header_style="dim", pad_edge=False,
    )  # fmt: skip
    for column, justify in (
        ("repository", "left"), ("commits", "right"), ("person-days", "right"),
        ("KTLO of effort", "right"), ("KTLO of commits", "right"), ("last commit", "left"),
    ):  # fmt: skip
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for row in rows[:top]:
        table.add_row(
            str(row.name or row.repo_id), f"{row.commits:,}", f"{row.person_days:,.1f}",
            interval(row.ktlo_share, row.ktlo_share_low, row.ktlo_share_high),
            _pct(row.ktlo_share_commits),
            (row.last_commit_at or "")[:10],
        )  # fmt: skip
    console.print(table)
    if len(rows) > top:
        console.print(f"… and {len(rows) - top:,} more (--top N, or --json for all)", style="dim")


def _pct(share: float | None) -> str:
    return "—" if share is None else f"{share:.0%}"
