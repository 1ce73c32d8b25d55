"""Does a GitHub sync stop when GitHub says so? Requests sent inside rate-limit windows.

    python bench/rate_limits.py [--issues 1500] [--every 400] [--window 2] [--concurrency 4]
                                [--bare] [--enforce]

A separate process serves GitHub-shaped issues and their timelines on 127.0.0.1 and plays
GitHub's secondary rate limit: after every `--every` requests it answers one request 429
(with `Retry-After: WINDOW`, or under `--bare` with neither `Retry-After` nor
`X-RateLimit-Remaining: 0`, when GitHub asks for at least a minute: the window is then 60 s)
and counts the requests that arrive inside that window. By default it answers those
normally, so a client that ignores the limit shows how much it would have sent; with
`--enforce` it answers them 429 too. Up to `concurrency - 1` per window may already have
been in flight when the limit was answered; anything beyond that was sent by a client that
had been told to stop. ktlo syncs the issues (with timelines) into a fresh store, in real
time; the bench prints requests, windows, requests inside windows and the time.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

REPO = "acme/shop"
TOKEN = "bench-token"


def _issue(number: int) -> dict[str, Any]:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(1_735_689_600 + number * 3600))
    return {
        "id": 10_000_000 + number, "number": number, "title": f"Fix flaky test {number}",
        "body": "", "user": {"login": f"dev{number % 9}", "type": "User"}, "labels": [],
        "state": "closed", "assignees": [], "created_at": stamp, "updated_at": stamp,
        "closed_at": stamp, "html_url": f"https://github.com/{REPO}/issues/{number}",
    }  # fmt: skip


class Limiter:
    """GitHub's secondary limit as the bench plays it: a window every `every` requests."""

    def __init__(self, every: int, window: float, bare: bool, enforce: bool) -> None:
        self.every, self.window, self.bare, self.enforce = every, window, bare, enforce
        self.lock = threading.Lock()
        self.requests = self.windows = self.inside = 0
        self.closed_until = 0.0

    def admit(self) -> float | None:
        """None to answer, or the seconds left in the window to answer 429 with."""
        with self.lock:
            self.requests += 1
            now = time.monotonic()
            if now < self.closed_until:
                self.inside += 1
                return self.closed_until - now if self.enforce else None
            if self.requests % self.every == 0:
                self.windows += 1
                self.closed_until = now + self.window
                return self.window
            return None


def serve(
    issues: int, every: int, window: float, bare: bool, enforce: bool, port: Any, done: Any
) -> None:
    limiter = Limiter(every, 60.0 if bare else window, bare, enforce)
    listed = [_issue(n) for n in range(issues, 0, -1)]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            return None

        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            url = urlsplit(self.path)
            if url.path == "/stats":
                stats = {"requests": limiter.requests - 1, "windows": limiter.windows,
                         "inside": limiter.inside}  # fmt: skip
                return self._answer(200, stats, {})
            left = limiter.admit()
            if left is not None:
                extra = {} if limiter.bare else {"Retry-After": str(max(1, round(left)))}
                return self._answer(
                    429, {"message": "You have exceeded a secondary rate limit."}, extra
                )
            query = dict(parse_qsl(url.query))
            if url.path.endswith("/timeline"):
                return self._answer(200, [], {})
            per_page, page = int(query.get("per_page", 30)), int(query.get("page", 1))
            chunk = listed[(page - 1) * per_page : page * per_page]
            extra = {}
            if page * per_page < len(listed):
                rest = "&".join(f"{k}={v}" for k, v in {**query, "page": page + 1}.items())
                extra["Link"] = (
                    f'<http://127.0.0.1:{self.server.server_port}{url.path}?{rest}>; rel="next"'
                )
            return self._answer(200, chunk, extra)

        def _answer(self, status: int, body: Any, extra: dict[str, str]) -> None:
            content = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(content)))
            self.send_header("X-RateLimit-Remaining", "4000")
            self.send_header("X-RateLimit-Reset", str(int(time.time()) + 3600))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(content)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port.value = server.server_port
    threading.Thread(target=server.serve_forever, daemon=True).start()
    done.wait()
    server.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=1500)
    parser.add_argument("--every", type=int, default=400)
    parser.add_argument("--window", type=float, default=2.0)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--bare", action="store_true")
    parser.add_argument("--enforce", action="store_true")
    args = parser.parse_args()

    from ktlo.ingest.sync import sync_source
    from ktlo.sources import make_source
    from ktlo.sources.base import NullReporter, SourceContext
    from ktlo.store import Store

    port, done = multiprocessing.Value("i", 0), multiprocessing.Event()
    server = multiprocessing.Process(
        target=serve,
        args=(args.issues, args.every, args.window, args.bare, args.enforce, port, done),
    )
    server.start()
    while not port.value:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port.value}"
    options = {"repos": [REPO], "include": ["issues"], "base_url": base, "per_page": 100,
               "concurrency": args.concurrency}  # fmt: skip
    source = make_source(SourceContext("github", {"GITHUB_TOKEN": TOKEN}), options)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder, Store.open(Path(folder) / "b.duckdb") as store:
        result = sync_source(store, source, NullReporter())
    elapsed = time.perf_counter() - started
    import urllib.request

    with urllib.request.urlopen(f"{base}/stats") as answer:
        stats = json.loads(answer.read())
    done.set()
    server.join()
    bound = stats["windows"] * (args.concurrency - 1)
    print(f"ktlo from {Path(sys.modules['ktlo'].__file__ or '').parent}, pid {os.getpid()}")
    print(f"stored {result.new:,} issues, errors {result.errors} {result.error or ''}")
    print(f"requests {stats['requests']:,}, windows {stats['windows']}, "
          f"inside windows {stats['inside']:,} (in flight at most {bound}), {elapsed:.1f} s")  # fmt: skip


if __name__ == "__main__":
    main()
