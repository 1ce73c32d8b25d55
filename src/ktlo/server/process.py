"""Running the dashboard in this process with uvicorn, and stopping it promptly.

ktlo handles SIGTERM and Ctrl-C itself, from the start (while the first copy of the store
is taken) to the end: a signal interrupts the store work in flight at once
(`Snapshots.interrupt`: a request may be in the middle of a long DuckDB query) and asks
uvicorn to shut down gracefully, with at most STOP_GRACE seconds for requests in flight.
Nothing is raised from inside the signal handler; the command exits afterwards, as the
signal asks (Ctrl-C: status 130, SIGTERM: 143), with the copy of the store removed.
"""

from __future__ import annotations

import os
import signal
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

import uvicorn
from fastapi import FastAPI

from ktlo.errors import ConfigError, StoreError
from ktlo.server.snapshot import Snapshots

STOP_GRACE = 3  # seconds a request in flight may take to finish once the server stops
SIGNALS = (signal.SIGINT, signal.SIGTERM)


class _Server(uvicorn.Server):
    """uvicorn's server, which says where it listens once it does, and leaves the signals
    to `run`."""

    def __init__(self, config: uvicorn.Config, on_ready: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_ready = on_ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            self._on_ready()

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # `run` has installed its own handlers


def run(app: FastAPI, host: str, port: int, on_ready: Callable[[], None]) -> None:
    """Serve `app` (made by create_app) until SIGTERM or Ctrl-C.

    The first copy of the store is taken before uvicorn starts, so a store damaged inside
    is an error before the address is shown, and the address answers at once."""
    snapshots = app.state.snapshots
    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", access_log=False,
        timeout_graceful_shutdown=STOP_GRACE,
    )  # fmt: skip
    server = _Server(config, on_ready)
    received: list[int] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        snapshots.interrupt()
        server.handle_exit(signum, frame)  # a second Ctrl-C forces it

    previous = {sig: signal.signal(sig, on_signal) for sig in SIGNALS}
    listening: socket.socket | None = None
    try:
        listening = _listen(host, port)
        _first_copy(snapshots, received)
        if not received:
            server.run(sockets=[listening])
    finally:
        if listening is not None:
            listening.close()
        snapshots.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if signal.SIGINT in received:
        raise KeyboardInterrupt
    if received:
        raise SystemExit(128 + received[0])


def _first_copy(snapshots: Snapshots, received: list[int]) -> None:
    """Take the first copy of the store; a signal meanwhile ends the wait, not in error."""
    try:
        snapshots.start()
        snapshots.wait_first()
    except StoreError:
        if not received:
            raise


def _listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound before anything else, so a port in use is one line."""
    address = host.strip("[]")
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    try:
        return socket.create_server((address, port), family=family)
    except OSError as exc:
        raise ConfigError(
            f"cannot listen on {host}:{port} ({os.strerror(exc.errno) if exc.errno else exc})",
            "pass another --port, or stop the program that uses this one",
        ) from exc
