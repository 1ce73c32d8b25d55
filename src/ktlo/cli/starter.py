"""`ktlo init`: a starter ktlo.toml from what the store knows."""

from __future__ import annotations

from pathlib import Path

import click

from ktlo.cli.inputs import open_store, org_store
from ktlo.cli.options import ORG_STORE, db_option
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
@db_option(ORG_STORE)
def init_command(output: Path, force: bool, db: Path | None) -> None:
    """Write a commented starter ktlo.toml from what the store already knows.

    Example: ktlo init --db ktlo.duckdb
    """
    from ktlo.starter import starter_config

    if output.exists() and not force:
        raise ConfigError(
            f"{output} already exists", "pass --force to overwrite it, or --output another path"
        )
    path = org_store(db)
    if path.exists():
        with open_store(path, read_only=True) as store:
            text = starter_config(store)
    else:
        text = starter_config(None)
    output.write_text(text, encoding="utf-8")
    click.echo(f"wrote {output}; edit the teams and people, then run `ktlo reclassify`")
