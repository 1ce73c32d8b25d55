"""What a command reads: its ktlo.toml and its store, found as the options' help says."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ktlo.errors import KtloError

if TYPE_CHECKING:
    from ktlo.config import Config
    from ktlo.store import Store


_WARNED: set[str] = set()  # a command may read its config twice; each warning is said once


def read_config(config_path: Path | None) -> Config:
    """--config, else ./ktlo.toml when present, else the defaults; its warnings go to stderr."""
    from ktlo.config import find_config, load_config

    config = load_config(find_config(config_path))
    if config.teams:
        _warn(config)
    return config


def _warn(config: Config) -> None:
    import click

    from ktlo.config import where_in
    from ktlo.config_checks import config_warnings

    warnings = config_warnings(config)
    if not warnings or config.path is None:
        return
    text = config.path.read_text(encoding="utf-8")
    for loc, message in warnings:
        line = f"Warning: {where_in(config.path, text, loc)}: {message}"
        if line not in _WARNED:
            _WARNED.add(line)
            click.echo(line, err=True)


def config_dir(config: Config) -> Path | None:
    """The folder relative paths in ktlo.toml are read from."""
    return config.path.parent if config.path else None


def org_store(db: Path | None) -> Path:
    """--db, else ./ktlo.duckdb, else the cache store `ktlo analyze .` made for this repository."""
    if db is not None:
        return db
    local = Path("ktlo.duckdb")
    if local.exists():
        return local
    from ktlo.sources import git
    from ktlo.store import default_store_path

    try:
        cached = default_store_path(git.open_repository(Path.cwd()).path)
    except KtloError:
        return local
    return cached if cached.exists() else local


def open_store(path: Path, *, read_only: bool = False) -> Store:
    """Open the store at `path` (a context manager); importing DuckDB only now."""
    from ktlo.store import Store

    return Store.open(path, read_only=read_only)
