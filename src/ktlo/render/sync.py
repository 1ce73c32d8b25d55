"""`ktlo sync` on the terminal: a progress line per source on stderr, a summary table at the end."""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from ktlo.ingest.sync import SourceResult
from ktlo.sources.base import Reporter, Source


class SyncProgress:
    """Progress bars on a terminal; elsewhere, one line per wait so logs show why a sync paused."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._live = console.is_terminal
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description:<14}"),
            TextColumn("{task.completed:>9,.0f} items"),
            TextColumn("{task.fields[pages]:>7,} pages"),
            TimeElapsedColumn(),
            TextColumn("[yellow]{task.fields[note]}"),
            console=console,
            disable=not self._live,
        )

    def __enter__(self) -> SyncProgress:
        self._progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._progress.stop()

    def reporter(self, source: Source) -> Reporter:
        task = self._progress.add_task(source.name, total=None, pages=0, note="")
        return _TaskReporter(self, task, source.name)

    def advance(self, task: TaskID, items: int, pages: int) -> None:
        self._progress.update(task, advance=items, pages=pages, note="")

    def waiting(self, task: TaskID, name: str, seconds: float, reason: str) -> None:
        note = f"waiting {seconds:.0f}s: {reason}"
        if self._live:
            self._progress.update(task, note=note)
        else:
            self.console.print(f"{name}: {note}", highlight=False, soft_wrap=True)

    def note(self, name: str, message: str) -> None:
        """A line that stays (above the bars on a terminal): what the user should know."""
        self.console.print(f"{name}: {message}", highlight=False, soft_wrap=True, markup=False)


class _TaskReporter:
    def __init__(self, progress: SyncProgress, task: TaskID, name: str) -> None:
        self._progress = progress
        self._task = task
        self._name = name
        self._pages = 0

    def advance(self, items: int = 0, pages: int = 0) -> None:
        self._pages += pages
        self._progress.advance(self._task, items, self._pages)

    def waiting(self, seconds: float, reason: str) -> None:
        self._progress.waiting(self._task, self._name, seconds, reason)

    def note(self, message: str) -> None:
        self._progress.note(self._name, message)


def render_sync_summary(results: Sequence[SourceResult], console: Console) -> None:
    """One row per source: new, updated, unchanged, errors, pages (requests) and time."""
    table = Table(title="ktlo sync", title_justify="left", show_edge=False)
    table.add_column("source")
    table.add_column("type")
    for name in ("new", "updated", "unchanged", "errors", "pages"):
        table.add_column(name, justify="right")
    table.add_column("time", justify="right")
    for r in results:
        table.add_row(
            r.name,
            r.kind,
            f"{r.new:,}",
            f"{r.updated:,}",
            f"{r.unchanged:,}",
            Text(str(r.errors), style="red") if r.errors else "0",
            f"{r.pages:,}",
            f"{r.timings.total:.1f}s",
        )
    console.print(table)
