"""`ktlo serve`: a local dashboard over the store (see app.py)."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from pathlib import Path

from ktlo.config import Config
from ktlo.errors import ConfigError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve(
    store: Path, config: Config, host: str, port: int, token: str | None,
    announce: Callable[[str], None] = print,
) -> None:  # fmt: skip
    """Run the dashboard until SIGTERM or Ctrl-C; another address than loopback needs a token.

    The store is checked (create_app) before the address is announced, so a file that
    cannot be served is one error line, never a dashboard that does not answer.
    """
    from ktlo.store import Store

    loopback = is_loopback(host)
    if not loopback and not token:
        raise ConfigError(
            f"binding to {host} would show the store to the network without a token",
            "pass --token (or set KTLO_TOKEN), or keep --host 127.0.0.1",
        )
    Store.check(store)  # before loading the web stack: a file that cannot be served fails fast

    from ktlo.server.app import ServerSettings, create_app
    from ktlo.server.process import run

    app = create_app(ServerSettings(store=store, config=config, token=token, loopback=loopback))
    run(app, host, port, on_ready=lambda: announce(f"http://{host}:{port}/"))
