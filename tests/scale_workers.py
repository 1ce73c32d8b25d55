"""Worker functions for the scale-out tests: importable, so worker processes can run them."""

from __future__ import annotations

import os
from pathlib import Path

from ktlo.ingest.scale.mining import MinedChunk, MineTask, mine


def die_once(marker: str, task: MineTask) -> MinedChunk:
    """Kill the worker process the first time any task runs (the marker file says it has)."""
    try:
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return mine(task)
    os.close(fd)
    os._exit(1)  # like the OOM killer: no exception, no clean-up


def never_called(task: MineTask) -> MinedChunk:
    """A run that should dispatch nothing uses this: any call fails the repository."""
    raise AssertionError(f"{task.path} was dispatched")


def touched(marker: Path) -> bool:
    return marker.exists()
