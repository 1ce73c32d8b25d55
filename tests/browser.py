"""Driving Debian's Chromium with Playwright, and running `ktlo serve` for it to look at.

Playwright's own browser download does not work on these machines; it drives
/usr/bin/chromium (installed by `make test`) with the flags that keep a headless Chromium
from reaching for the network on its own.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import BrowserContext, Page, Route, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
LOCAL = {"127.0.0.1", "localhost", "[::1]", ""}


@dataclass
class Watch:
    """What a page did: console errors, uncaught exceptions, requests that left the machine."""

    errors: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> Page:
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        return page


@contextmanager
def chromium() -> Iterator[tuple[BrowserContext, Watch]]:
    """A fresh headless Chromium whose requests outside this machine are recorded and refused."""
    if not CHROMIUM.exists():
        raise RuntimeError(
            "Debian's chromium is missing: `make test` installs it (apt-get install chromium)"
        )
    watch = Watch()

    def guard(route: Route) -> None:
        url = route.request.url
        if url.startswith(("data:", "blob:", "file:")) or urlsplit(url).hostname in LOCAL:
            route.continue_()
        else:
            watch.outside.append(url)
            route.abort()

    with tempfile.TemporaryDirectory() as profile, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), headless=True, args=FLAGS,
            viewport={"width": 1366, "height": 900},
        )  # fmt: skip
        context.route("**/*", guard)
        try:
            yield context, watch
        finally:
            context.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serve(db: Path, config: Path) -> Iterator[str]:
    """`ktlo serve` in its own process on a free port; yields its base URL once it answers."""
    port = free_port()
    command = [sys.executable, "-m", "ktlo", "serve", "--db", str(db), "--config", str(config),
               "--port", str(port)]  # fmt: skip
    with subprocess.Popen(command, stderr=subprocess.PIPE, text=True) as server:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/index.json", timeout=5) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"ktlo serve did not start: {server.stderr.read() if server.stderr else ''}"
                    ) from None
                time.sleep(0.2)
        try:
            yield base
        finally:
            server.terminate()
            server.wait(timeout=30)


def wait_for_charts(page: Page) -> int:
    """Wait until every chart on the page is drawn; the number of charts."""
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-chart]')].every(e => e.dataset.drawn)",
        timeout=15_000,
    )
    return page.locator("[data-chart]").count()
