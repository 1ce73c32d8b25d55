"""`ktlo init`: a ktlo.toml from what the store holds."""

from __future__ import annotations

from pathlib import Path

import click

from ktlo.cli.inputs import DEFAULT_STORE, analyze_store_of, open_store, say_using, store_path
from ktlo.cli.options import store_option
from ktlo.errors import ConfigError


@click.command(name="init")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("ktlo.toml"),
    show_default=True,
    help="Where to write.",
)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@store_option
def init_command(output: Path, force: bool, db: Path | None) -> None:
    """Write a ktlo.toml from what the store holds: [git], people, teams, source examples.

    Its repositories become [git] (so `ktlo sync` mines them again into the same store),
    people are merged by email and name (merges that would be guesses are comments to
    decide), teams are guessed from who works where, and sources are commented examples.
    With no ./ktlo.duckdb, it reads the store `ktlo analyze` made for the repository you
    are in.

    Example: ktlo init
    """
    from ktlo.config.starter import Seen, read_store, starter_config

    if output.exists() and not force:
        raise ConfigError(
            f"{output} already exists", "pass --force to overwrite it, or --output another path"
        )
    path = _store(db)
    if path is not None:
        with open_store(path, read_only=True) as store:
            seen = read_store(store)
    else:
        seen = Seen()
        click.echo(
            f"Note: no store at ./{DEFAULT_STORE}: wrote a file of commented examples; run "
            "`ktlo analyze PATH... --db ktlo.duckdb` (or `ktlo sync`) and `ktlo init --force` "
            "to fill in repositories, people and teams",
            err=True,
        )
    output.write_text(starter_config(seen, output.resolve().parent), encoding="utf-8")
    click.echo(
        f"wrote {output}: {_count(len(seen.repositories), 'repository', 'repositories')} under "
        f"[git], {_count(len(seen.teams), 'team')} guessed, {_count(len(seen.people), 'person', 'people')}; "
        "check the teams, then `ktlo sync` and `ktlo budget`"
    )


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else many or one + 's'}"


def _store(db: Path | None) -> Path | None:
    """--db, ./ktlo.duckdb, else the store `ktlo analyze` made for this repository; None
    when there is none (the starter is then examples only)."""
    if db is not None or DEFAULT_STORE.exists():
        return store_path(db)
    cached = analyze_store_of(Path.cwd())
    if cached is not None:
        say_using(
            f"Using the store {cached} (the one `ktlo analyze` made for this repository: "
            f"no ./{DEFAULT_STORE} here and no --db given)."
        )
    return cached
