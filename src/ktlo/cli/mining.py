"""Mining git repositories with progress bars, for `ktlo analyze` and `ktlo sync`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ktlo.cli.output import err_console, stderr_may_be_terminal

if TYPE_CHECKING:
    from ktlo.ingest.prefetch import Prefetch
    from ktlo.ingest.scale.executors import Engine
    from ktlo.ingest.scale.runner import RunSummary
    from ktlo.store import Store


def mine(
    store: Store,
    repos: Sequence[Path],
    engine: Engine,
    *,
    early: Prefetch | None = None,
    quiet: bool = False,
) -> RunSummary:
    """Mine `repos` with progress bars; say how it went on stderr (a lone repository: only
    failures and notes). `early`: a lone repository's `git log`, already started."""
    from ktlo.ingest.scale.executors import settle_for_mining
    from ktlo.ingest.scale.runner import NoProgress, ingest_many
    from ktlo.render.mining import ScaleProgress, describe_run, failure_lines

    settle_for_mining()
    if not stderr_may_be_terminal():  # no bars to draw: rich is not even imported
        run = ingest_many(store, repos, engine, NoProgress(), early=early)
    else:
        with ScaleProgress(err_console()) as progress:
            run = ingest_many(store, repos, engine, progress, early=early)
    if not quiet:
        click.echo(describe_run(run), err=True)
    for line in failure_lines(run):
        click.echo(line, err=True)
    return run
