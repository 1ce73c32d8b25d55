"""What a command reads: its ktlo.toml and its store, found as the options' help says."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ktlo.errors import KtloError

if TYPE_CHECKING:
    from ktlo.config import Config
    from ktlo.store import Store


def read_config(config_path: Path | None) -> Config:
    """--config, else ./ktlo.toml when present, else the defaults."""
    from ktlo.config import find_config, load_config

    return load_config(find_config(config_path))


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
