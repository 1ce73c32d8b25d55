"""What a command reads: its store and its ktlo.toml, found by one rule for every command.

    store    --db, else KTLO_DB, else ./ktlo.duckdb. Only a bare `ktlo analyze PATH` (one
             repository given, no --db) keeps a store of its own in ~/.cache/ktlo.
    config   --config, else KTLO_CONFIG, else ./ktlo.toml when present, else none (no
             teams, rules or budgets of the organisation's own).

When either was not given on the command line, the command says on stderr which it used
(docs/configuration.md#which-store-and-which-configuration), so that an answer drawn from
an unexpected store, or from no configuration, is never taken for the intended one. It
says so once the command has answered (`flush_using`, called by the `main` group), so an
error stays one line; an error caused by the choice names it itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click
from click.core import ParameterSource

from ktlo.cli import USING
from ktlo.errors import ConfigError, StoreError

if TYPE_CHECKING:
    from ktlo.config import Config
    from ktlo.store import Store

#: The store every command uses when neither --db nor KTLO_DB names one.
DEFAULT_STORE = Path("ktlo.duckdb")
TEAMS_DOC = "docs/configuration.md#teams"

_SAID: set[str] = set()  # outside a command (a library call): each line is said once


def command_inputs(
    config_path: Path | None, db: Path | None, *, reading: bool = True
) -> tuple[Config, Path]:
    """The command's configuration and store path, and one line on stderr naming whichever
    was not given on the command line. `reading`: the store must exist already."""
    config = read_config(config_path, announce=False)
    path = db if db is not None else DEFAULT_STORE
    parts = []
    if _implicit("db"):
        parts.append(f"the store {_shown(path)} ({_why('db', 'KTLO_DB', '--db')})")
    if _implicit("config_path"):
        parts.append(_config_words(config))
    if parts:
        _using(f"Using {' and '.join(parts)}.")
    if reading:
        check_exists(path, given=db is not None)
    return config, path


def store_path(db: Path | None, *, reading: bool = True) -> Path:
    """--db or KTLO_DB, else ./ktlo.duckdb, said on stderr when not on the command line."""
    path = db if db is not None else DEFAULT_STORE
    if _implicit("db"):
        _using(f"Using the store {_shown(path)} ({_why('db', 'KTLO_DB', '--db')}).")
    if reading:
        check_exists(path, given=db is not None)
    return path


def read_config(config_path: Path | None, *, announce: bool = True) -> Config:
    """--config or KTLO_CONFIG, else ./ktlo.toml when present, else the defaults; its
    warnings (and, when not on the command line, which file it is) go to stderr."""
    from ktlo.config import find_config, load_config

    config = load_config(find_config(config_path))
    if announce and _implicit("config_path"):
        _using(f"Using {_config_words(config)}.")
    if config.teams:
        _warn(config)
    return config


def require_teams(config: Config, command: str, why: str) -> None:
    """Refuse, saying how to define them, when `command` needs teams and there are none."""
    if config.teams:
        return
    where = (
        f"in {config.path}"
        if config.path is not None
        else "(no ktlo.toml here, and no --config or KTLO_CONFIG)"
    )
    raise ConfigError(
        f"no teams defined {where}, and `ktlo {command}` {why}",
        "add [[teams]] to ktlo.toml (`ktlo init` writes them, guessed from what the store "
        f"holds; {TEAMS_DOC})",
    )


def check_exists(path: Path, *, given: bool) -> None:
    """A StoreError saying where stores are, and how to make one, when `path` is missing."""
    if path.exists():
        return
    if given:
        raise StoreError(
            f"no store at {path}",
            "check the --db path (or KTLO_DB), or create it with `ktlo sync` or "
            "`ktlo analyze PATH --db` first",
        )
    cached = _analyze_store_here()
    hint = (
        f"; `ktlo analyze` keeps this repository's own store at {cached}: pass --db {cached}"
        if cached is not None
        else ""
    )
    raise StoreError(
        f"no store at ./{path} (the default: no --db or KTLO_DB given)",
        "run `ktlo sync` here (the [git] repositories and sources of ktlo.toml), or "
        f"`ktlo analyze PATH... --db {path}`, or pass --db{hint}",
    )


def config_dir(config: Config) -> Path | None:
    """The folder relative paths in ktlo.toml are read from."""
    return config.path.parent if config.path else None


def open_store(path: Path, *, read_only: bool = False) -> Store:
    """Open the store at `path` (a context manager); importing DuckDB only now."""
    from ktlo.store import Store

    return Store.open(path, read_only=read_only)


def analyze_store_of(repository: Path) -> Path | None:
    """The store a bare `ktlo analyze` keeps for the repository at or above `repository`,
    when it exists."""
    from ktlo.errors import KtloError
    from ktlo.sources import git
    from ktlo.store import default_store_path

    try:
        cached = default_store_path(git.open_repository(repository).path)
    except KtloError:
        return None
    return cached if cached.exists() else None


def _analyze_store_here() -> Path | None:
    return analyze_store_of(Path.cwd())


def _implicit(param: str) -> bool:
    """Whether the running command's option `param` was not given on the command line
    (outside a command, e.g. a library call: never)."""
    ctx = click.get_current_context(silent=True)
    if ctx is None or param not in ctx.params:
        return False
    return ctx.get_parameter_source(param) is not ParameterSource.COMMANDLINE


def _why(param: str, env: str, option: str) -> str:
    ctx = click.get_current_context()
    if ctx.get_parameter_source(param) is ParameterSource.ENVIRONMENT:
        return f"from {env}"
    return f"the default: no {option} given"


def _config_words(config: Config) -> str:
    if config.path is None:
        return (
            "no configuration (no ./ktlo.toml here, no --config or KTLO_CONFIG): no teams, "
            "people, rules or budgets of your own — `ktlo init` writes one"
        )
    return f"the configuration {_shown(config.path)} ({_why('config_path', 'KTLO_CONFIG', '--config')})"


def _shown(path: Path) -> str:
    """A path as the user would type it: ./ktlo.duckdb for a bare name in this folder."""
    if path.is_absolute():
        try:
            return f"./{path.relative_to(Path.cwd())}"
        except ValueError:
            return str(path)
    return str(path) if str(path).startswith((".", "~")) else f"./{path}"


def say_using(line: str) -> None:
    """Say which store or configuration the command used, once it has answered."""
    _using(line)


def _using(line: str) -> None:
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return
    pending: list[str] = ctx.find_root().meta.setdefault(_PENDING, [])
    if line not in pending:
        pending.append(line)


def flush_using(ctx: click.Context | None = None) -> None:
    """Print the pending `Using ...` lines on stderr (the group calls it after a command)."""
    ctx = ctx or click.get_current_context(silent=True)
    if ctx is None:
        return
    for line in ctx.find_root().meta.pop(_PENDING, []):
        click.echo(line, err=True)


_PENDING = USING


def _say(line: str) -> None:
    """`line` on stderr, once per command run (a command may read its config twice)."""
    ctx = click.get_current_context(silent=True)
    said: set[str] = ctx.find_root().meta.setdefault("ktlo.said", set()) if ctx else _SAID
    if line not in said:
        said.add(line)
        click.echo(line, err=True)


def _warn(config: Config) -> None:
    from ktlo.config import where_in
    from ktlo.config.checks import config_warnings

    warnings = config_warnings(config)
    if not warnings or config.path is None:
        return
    text = config.path.read_text(encoding="utf-8")
    for loc, message in warnings:
        _say(f"Warning: {where_in(config.path, text, loc)}: {message}")
