"""The `ktlo` executable: start git for `ktlo analyze PATH` before the command line loads.

A first `ktlo analyze` of a repository waits on `git log --numstat`, which computes every
commit's diff. ktlo.ingest.prefetch starts that git as soon as the command knows its
repository, but the command knows it only once click and the command's module are
imported (about 40 ms). This entry point reads the arguments first, with no import but
`os` and `sys`: when they are plainly `analyze PATH` with options it knows, it starts the
prefetch at once; the command takes it over (`take_early`) if the parsed arguments name
the same repository and store, and stops it otherwise. Anything unusual (an option it does
not know, several paths, --recursive, --help) starts nothing early: the command then
starts git itself, as before. The option lists are checked against the command's own
options by tests/test_launch.py, so they cannot drift apart.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from ktlo.ingest.prefetch import Prefetch

#: `ktlo analyze`'s options that take a value, and its flags (tests/test_launch.py).
VALUE_OPTIONS = frozenset(
    {"--db", "--config", "--period", "--budget", "--top", "--since", "--until", "--jobs",
     "--executor"}
)  # fmt: skip
FLAGS = frozenset({"--json", "--csv"})

# what `main` started before parsing: (PATH, --db as written, its prefetch or None)
_started: tuple[Path, Path | None, Prefetch | None] | None = None


def main(argv: Sequence[str] | None = None) -> None:
    """Run the `ktlo` command line (`argv` defaults to the process's arguments)."""
    args = list(sys.argv[1:] if argv is None else argv)
    target = analyze_target(args)
    if target is not None:
        _start(*target)
    from ktlo.cli import main as command_line

    command_line(args)


def analyze_target(args: list[str]) -> tuple[str, str | None] | None:
    """(PATH, --db or KTLO_DB) when `args` are `analyze PATH` with known options only."""
    if args[:1] == ["--debug"]:  # the one option before a command
        args = args[1:]
    if not args or args[0] != "analyze":
        return None
    paths: list[str] = []
    db: str | None = None
    rest = iter(args[1:])
    for arg in rest:
        if arg == "--":
            paths.extend(rest)
            break
        if not arg.startswith("-") or arg == "-":
            paths.append(arg)
            continue
        name, has_value, value = arg.partition("=")
        if name in VALUE_OPTIONS:
            if not has_value:
                following = next(rest, None)
                if following is None:
                    return None
                value = following
            if name == "--db":
                db = value
        elif arg not in FLAGS:
            return None
    if len(paths) != 1:
        return None
    return paths[0], db or os.environ.get("KTLO_DB") or None


def _start(path: str, db: str | None) -> None:
    global _started
    from pathlib import Path

    from ktlo.ingest.prefetch import prefetch

    where, store = Path(path).expanduser(), Path(db).expanduser() if db else None
    try:
        _started = (where, store, prefetch(where, store))
    except OSError:  # an optimisation only: the command starts git itself, and says what failed
        _started = None


def prefetch_for(path: Path, db: Path | None) -> Prefetch | None:
    """`ktlo.ingest.prefetch.prefetch(path, db)`, started before parsing if `main` read the
    same PATH and store from the arguments; a prefetch started for others is stopped."""
    global _started
    from ktlo.ingest.prefetch import prefetch

    started, _started = _started, None
    where, store = path.expanduser(), db.expanduser() if db is not None else None
    if started is not None:
        if started[:2] == (where, store):
            return started[2]
        if started[2] is not None:
            started[2].close()
    return prefetch(where, store)
