"""`ktlo serve` as a process: it stops on SIGTERM and Ctrl-C whatever it is doing, and only
the dashboard's own pages may change anything (checked against the real server, and with
a page on another origin in headless Chromium)."""

from __future__ import annotations

import http.client
import http.server
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from ktlo.config import Config
from ktlo.errors import StoreError
from ktlo.server.app import ServerSettings, create_app
from ktlo.server.snapshot import Snapshots
from ktlo.store import Store
from tests.browser import chromium, free_port
from tests.report_work import add_doubts, build_org, write_config


@dataclass
class Served:
    process: subprocess.Popen[str]
    port: int
    db: Path
    tmp: Path  # the server's TMPDIR, where it keeps its copy of the store

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def org(tmp_path: Path) -> tuple[Path, Config]:
    config = write_config(tmp_path)
    with Store.open(tmp_path / "ktlo.duckdb") as store:
        build_org(store)
        add_doubts(store)
    return tmp_path / "ktlo.duckdb", config


@contextmanager
def serving(db: Path, config: Path, *extra: str) -> Iterator[Served]:
    """`ktlo serve` in its own process; yields once it has shown its address."""
    port = free_port()
    tmp = db.parent / "server-tmp"
    tmp.mkdir(exist_ok=True)
    command = [sys.executable, "-m", "ktlo", "serve", "--db", str(db), "--config", str(config),
               "--port", str(port), *extra]  # fmt: skip
    env = {**os.environ, "TMPDIR": str(tmp)}
    with subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env) as process:
        assert process.stderr is not None
        first = process.stderr.readline()
        assert first.startswith("ktlo dashboard: http://127.0.0.1:"), first
        try:
            yield Served(process, port, db, tmp)
        finally:
            if process.poll() is None:
                process.kill()


def request(
    served: Served, method: str, path: str, headers: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> http.client.HTTPResponse:  # fmt: skip
    con = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
    body = urlencode(form) if form is not None else None
    sent = {"Content-Type": "application/x-www-form-urlencoded"} if form is not None else {}
    con.request(method, path, body=body, headers={**sent, **(headers or {})})
    answer = con.getresponse()
    answer.read()
    con.close()
    return answer


def overrides(db: Path) -> dict[str, str]:
    with Store.open(db, read_only=True) as store:
        return dict(store.con.execute("SELECT item_id, investment FROM overrides").fetchall())


# -- stopping --------------------------------------------------------------------------------


@pytest.mark.parametrize("when", ["just started", "answering"])
@pytest.mark.parametrize(("sig", "status"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_serve_stops_promptly_on_sigterm_and_ctrl_c(
    org: tuple[Path, Config], tmp_path: Path, when: str, sig: int, status: int
) -> None:
    """Stopped right after its address shows (pages still being prepared in the background)
    or after answering: it exits within seconds, without a traceback, and removes its copy."""
    with serving(org[0], tmp_path / "ktlo.toml") as served:
        if when == "answering":
            assert request(served, "GET", "/index.json").status == 200
        served.process.send_signal(sig)
        assert served.process.wait(timeout=10) == status
        assert served.process.stderr is not None
        rest = served.process.stderr.read()
    assert "Traceback" not in rest
    assert list(served.tmp.iterdir()) == []


def test_a_port_in_use_is_one_line(org: tuple[Path, Config], tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "ktlo", "serve", "--db", str(org[0]), "--port", str(port)],
            capture_output=True, text=True, timeout=60, env={**os.environ, "TMPDIR": str(tmp_path)},
        )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr == (
        f"Error: cannot listen on 127.0.0.1:{port} (Address already in use) — pass another "
        "--port, or stop the program that uses this one\n"
    )
    assert not list(tmp_path.glob("ktlo-serve-*"))  # no copy of the store left behind


def test_stopping_interrupts_a_query_in_flight(org: tuple[Path, Config]) -> None:
    """A request in the middle of a long query ends at once when the dashboard stops."""
    snapshots = Snapshots(org[0], org[1])
    snapshots.start()
    snapshots.wait_first()
    running = threading.Event()
    outcome: list[str] = []

    def long_request() -> None:
        try:
            with snapshots.current() as snap, snap.reader() as store:
                running.set()
                store.con.execute(
                    "SELECT count(*) FROM range(10_000_000_000_000) a(x) WHERE x % 7 = 3"
                )
                outcome.append("finished")
        except StoreError as exc:
            outcome.append(str(exc))

    thread = threading.Thread(target=long_request, daemon=True)
    thread.start()
    assert running.wait(10)
    snapshots.stop()
    thread.join(10)
    assert not thread.is_alive(), "the query kept running after the dashboard stopped"
    assert outcome == ["the dashboard is stopping — start `ktlo serve` again"]


# -- who may change anything ------------------------------------------------------------------


def test_only_the_dashboards_own_pages_may_change_anything(
    org: tuple[Path, Config], tmp_path: Path
) -> None:
    with serving(org[0], tmp_path / "ktlo.toml") as served:
        refused = [
            {"Origin": "null"},  # a sandboxed frame on any site
            {"Origin": "http://evil.example"},
            {"Origin": f"http://127.0.0.1:{served.port + 1}"},  # another port: same site
            {"Origin": f"https://127.0.0.1:{served.port}"},  # another scheme
            {"Sec-Fetch-Site": "cross-site"},
            {"Sec-Fetch-Site": "same-site"},
        ]
        for headers in refused:
            for path in ("/items/raj2/override", "/review/raj3/answer"):
                answer = request(served, "POST", path, headers, {"label": "ktlo/security"})
                assert answer.status == 403, (headers, path)
        assert overrides(served.db) == {}
        own = request(served, "POST", "/items/raj2/override", {"Origin": served.origin},
                      {"label": "ktlo/security"})  # fmt: skip
        fetched = request(served, "POST", "/review/raj3/answer",
                          {"Sec-Fetch-Site": "same-origin"}, {})  # fmt: skip
        program = request(served, "POST", "/items/ana1/override", {}, {"label": "ktlo/bug"})
        assert (own.status, fetched.status, program.status) == (303, 303, 303)
        assert overrides(served.db) == {"raj2": "ktlo", "raj3": "new_work", "ana1": "ktlo"}


def test_a_token_does_not_let_another_site_change_anything(org: tuple[Path, Config]) -> None:
    """The token's cookie travels with a form another site submits; the Origin check holds."""
    app = create_app(ServerSettings(org[0], org[1], token="s3cret", loopback=True))
    with TestClient(app, base_url="http://127.0.0.1:8765") as client:
        assert client.get("/?token=s3cret").status_code == 200  # the cookie is set
        for headers in ({"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"}):
            answer = client.post("/items/raj2/override", data={"label": "ktlo/bug"},
                                 headers=headers)  # fmt: skip
            assert answer.status_code == 403
        mine = client.post("/items/raj2/override", data={"label": "ktlo/bug"},
                           headers={"Origin": "http://127.0.0.1:8765"}, follow_redirects=False)  # fmt: skip
        assert mine.status_code == 303
    assert overrides(org[0]) == {"raj2": "ktlo"}


SANDBOXED = """<!doctype html>
<title>cat pictures</title>
<iframe sandbox="allow-forms allow-scripts" srcdoc="
  <form method='post' action='{target}/items/raj2/override'>
    <input type='hidden' name='label' value='ktlo/security'>
    <button>See the cats</button>
  </form>"></iframe>
"""
PLAIN = """<!doctype html>
<title>cat pictures</title>
<form method="post" action="{target}/review/raj3/answer"><button>See the cats</button></form>
"""


@contextmanager
def another_site(page: str) -> Iterator[str]:
    """A web server on another port of this machine serving `page` at /."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = page.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.browser
def test_a_page_on_another_origin_cannot_store_an_override(
    org: tuple[Path, Config], tmp_path: Path
) -> None:
    """In headless Chromium: a sandboxed frame (it sends `Origin: null`) and a plain form on
    another origin post to the dashboard; both are refused and nothing is stored."""
    with serving(org[0], tmp_path / "ktlo.toml") as served, chromium() as (context, _):
        page = context.new_page()
        for attack, path in ((SANDBOXED, "/items/raj2/override"), (PLAIN, "/review/raj3/answer")):
            with another_site(attack.format(target=served.origin)) as url:
                page.goto(url)
                frame = page.frame_locator("iframe") if attack is SANDBOXED else page
                with page.expect_response(served.origin + path) as posted:
                    frame.locator("button").click()  # the visitor clicks the cats
            sent = posted.value.request
            assert (sent.method, posted.value.status) == ("POST", 403)
            assert (sent.header_value("origin") == "null") == (attack is SANDBOXED)
        assert overrides(served.db) == {}
