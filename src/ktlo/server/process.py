"""Running the dashboard in this process with uvicorn, and stopping it promptly.

uvicorn turns SIGTERM and Ctrl-C into a graceful shutdown: it stops accepting, waits for
the requests in flight, then tells the application. A request can be in the middle of a
long DuckDB query, so the store work in flight is interrupted as soon as the signal
arrives (`Snapshots.interrupt`), and requests get at most STOP_GRACE seconds.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from types import FrameType

import uvicorn
from fastapi import FastAPI

STOP_GRACE = 3  # seconds a request in flight may take to finish once the server stops


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, on_exit: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_exit = on_exit

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self._on_exit()
        super().handle_exit(sig, frame)


def run(app: FastAPI, host: str, port: int, on_ready: Callable[[], None]) -> None:
    """Serve `app` (made by create_app) until SIGTERM or Ctrl-C.

    The first copy of the store is taken before `on_ready` (which shows the address), so
    a store damaged inside is an error here too, and the address answers at once. The
    copy is removed however the process stops (SIGTERM included)."""
    snapshots = app.state.snapshots
    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", access_log=False,
        timeout_graceful_shutdown=STOP_GRACE,
    )  # fmt: skip
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        snapshots.start()
        snapshots.wait_first()
        on_ready()
        _Server(config, on_exit=snapshots.interrupt).run()
    finally:
        snapshots.stop()
        signal.signal(signal.SIGTERM, previous)


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through `finally`, unlike the default action
