"""Time `ktlo sync` of GitHub issues and pull requests from a local server.

    python bench/sync.py [--issues 50000] [--pulls 20000] [--concurrency 4] [--no-details]

A separate process serves GitHub-shaped JSON on 127.0.0.1 (HTTP/1.1 keep-alive, 100 per
page, Link headers, `since`, sorting; the issues list holds the pull requests too, as
GitHub's does), with each issue's timeline and each pull request's commits, reviews and
review comments. The bench times a full sync into a fresh store, then changes 1% of the
issues and pull requests and times the incremental sync. It prints items per second and
where the time went: the store's share (reads and writes, on the syncing thread) and
classification are wall-clock; HTTP and parsing are also given as seconds summed over the
request threads. Targets: store < 20% of the time, incremental < 5% of the full sync.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import json
import multiprocessing
import os
import random
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

REPO = "acme/shop"
API = "https://api.github.com"
TITLES = (
    "Checkout crashes when the cart is empty",
    "Add gift cards to the shop",
    "Bump lodash from 4.17.20 to 4.17.21",
    "Payments API returns 502 under load",
    "Refactor the order service",
    "Speed up search indexing",
    "Rotate staging certificates",
    "Export invoices as CSV ✨",
)
LABELS = ("bug", "enhancement", "dependencies", "incident", "tech debt", "performance", "chore")


# -- the server (its own process) ---------------------------------------------------------------


def _user(n: int) -> dict[str, Any]:
    login = f"dev{n % 40}"
    return {"login": login, "id": 1000 + n % 40, "node_id": f"U_{n % 40}", "type": "User",
            "url": f"{API}/users/{login}", "html_url": f"https://github.com/{login}", "site_admin": False}  # fmt: skip


def _stamp(minutes: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(1_735_689_600 + minutes * 60))


class Data:
    """Issues and pull requests as GitHub's list endpoints return them, pre-serialised."""

    def __init__(self, issues: int, pulls: int) -> None:
        rng = random.Random(7)
        self.issues: dict[int, dict[str, Any]] = {}
        self.pulls: dict[int, dict[str, Any]] = {}
        for number in range(1, issues + pulls + 1):
            created = number * 7
            updated = created + rng.randint(0, 60 * 24 * 30)
            label = LABELS[number % len(LABELS)]
            doc = {
                "id": 10_000_000 + number, "node_id": f"I_{number}", "number": number,
                "url": f"{API}/repos/{REPO}/issues/{number}", "repository_url": f"{API}/repos/{REPO}",
                "html_url": f"https://github.com/{REPO}/issues/{number}",
                "title": f"{TITLES[number % len(TITLES)]} ({number})",
                "body": "Steps to reproduce:\n1. open the page\n2. see the error\n" * 3,
                "user": _user(number), "labels": [{"id": 1, "name": label, "color": "d73a4a", "default": False}],
                "state": "closed" if number % 3 else "open", "state_reason": None,
                "assignee": _user(number + 1), "assignees": [_user(number + 1)], "milestone": None,
                "locked": False, "comments": 2, "created_at": _stamp(created), "updated_at": _stamp(updated),
                "closed_at": _stamp(updated) if number % 3 else None, "author_association": "MEMBER",
                "type": None, "reactions": {"total_count": 0, "+1": 0, "-1": 0},
            }  # fmt: skip
            if number > issues:
                doc["pull_request"] = {
                    "url": f"{API}/repos/{REPO}/pulls/{number}",
                    "merged_at": None,
                }
                self.pulls[number] = self._pull(doc, number)
            self.issues[number] = doc
        self.touched = 0
        self._index()

    @staticmethod
    def _pull(issue: dict[str, Any], number: int) -> dict[str, Any]:
        sha = f"{number:040x}"
        merged = issue["closed_at"] if number % 2 else None
        pull = {
            k: v
            for k, v in issue.items()
            if k not in ("pull_request", "reactions", "type", "state_reason")
        }
        return {**pull, "id": 20_000_000 + number, "merged_at": merged, "merge_commit_sha": sha if merged else None,
                "html_url": f"https://github.com/{REPO}/pull/{number}", "draft": False,
                "head": {"ref": f"topic/{number}", "sha": sha, "label": f"acme:topic/{number}"},
                "base": {"ref": "main", "sha": "0" * 40, "label": "acme:main"}, "requested_reviewers": []}  # fmt: skip

    def _index(self) -> None:
        def order(items: dict[int, dict[str, Any]]) -> tuple[list[bytes], list[str]]:
            ranked = sorted(
                items.values(), key=lambda d: (d["updated_at"], d["number"]), reverse=True
            )
            return [json.dumps(d).encode() for d in ranked], [d["updated_at"] for d in ranked]

        self.issue_pages, self.issue_times = order(self.issues)
        self.pull_pages, _ = order(self.pulls)

    def touch(self, fraction: float) -> int:
        """Change `fraction` of the issues and pull requests (a new title, a later updated_at)."""
        rng = random.Random(11 + self.touched)
        numbers = rng.sample(sorted(self.issues), int(len(self.issues) * fraction))
        self.touched += 1
        for i, number in enumerate(numbers):
            stamp = _stamp(10_000_000 + self.touched * 10_000 + i)
            self.issues[number].update(
                title=self.issues[number]["title"] + " (edited)", updated_at=stamp
            )
            if number in self.pulls:
                self.pulls[number].update(title=self.issues[number]["title"], updated_at=stamp)
        self._index()
        return len(numbers)

    def answer(self, target: str) -> tuple[bytes, str | None]:
        parts = urlsplit(target)
        query = dict(parse_qsl(parts.query))
        path = parts.path.removeprefix(f"/repos/{REPO}/")
        if path == "issues":
            ranked = self.issue_pages
            if "since" in query:  # newest first: keep those updated at or after `since`
                ranked = ranked[
                    : len(ranked) - bisect.bisect_left(self.issue_times[::-1], query["since"])
                ]
            return self._page(parts.path, query, ranked)
        if path == "pulls":
            return self._page(parts.path, query, self.pull_pages)
        number = int(path.split("/")[1]) if path.count("/") >= 2 else 0
        who = _user(number)
        if path.endswith("/timeline"):
            events = [
                {"event": "labeled", "actor": who, "created_at": self.issues[number]["created_at"], "label": {"name": "bug"}},
                {"event": "commented", "actor": who, "user": who, "id": number, "body": "Looking", "created_at": self.issues[number]["created_at"]},
                {"event": "closed", "actor": who, "created_at": self.issues[number]["updated_at"], "commit_id": None, "state_reason": "completed"},
            ]  # fmt: skip
            return json.dumps(events).encode(), None
        if path.endswith("/commits"):
            commit = {
                "name": "Dev",
                "email": "dev@example.com",
                "date": self.issues[number]["created_at"],
            }
            return json.dumps(
                [
                    {
                        "sha": f"{number:040x}",
                        "author": who,
                        "commit": {"author": commit, "message": "work"},
                    }
                ]
            ).encode(), None
        if path.endswith("/reviews"):
            return json.dumps(
                [
                    {
                        "id": number,
                        "user": _user(number + 3),
                        "state": "APPROVED",
                        "submitted_at": self.issues[number]["updated_at"],
                    }
                ]
            ).encode(), None
        if path.endswith("/comments"):
            return json.dumps(
                [
                    {
                        "id": number,
                        "user": _user(number + 3),
                        "path": "src/app.py",
                        "created_at": self.issues[number]["updated_at"],
                    }
                ]
            ).encode(), None
        return b'{"message": "Not Found"}', None

    def _page(
        self, path: str, query: dict[str, str], ranked: list[bytes]
    ) -> tuple[bytes, str | None]:
        per_page, page = int(query.get("per_page", 30)), int(query.get("page", 1))
        chunk = ranked[(page - 1) * per_page : page * per_page]
        link = None
        if page * per_page < len(ranked):
            link = f'<{self.base}{path}?{urlencode({**query, "page": page + 1})}>; rel="next"'
        return b"[" + b",".join(chunk) + b"]", link

    base = ""


def serve(port_queue: Any, issues: int, pulls: int) -> None:
    """The server process: a minimal HTTP/1.1 server with keep-alive, on asyncio."""
    data = Data(issues, pulls)

    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                target = head.split(b" ", 2)[1].decode()
                if target.startswith("/_bench/touch"):
                    body, link = str(data.touch(0.01)).encode(), None
                else:
                    body, link = data.answer(target)
                lines = [b"HTTP/1.1 200 OK", b"Content-Type: application/json; charset=utf-8",
                         b"Content-Length: " + str(len(body)).encode(), b"X-RateLimit-Remaining: 4999"]  # fmt: skip
                if link:
                    lines.append(b"Link: " + link.encode())
                writer.write(b"\r\n".join(lines) + b"\r\n\r\n" + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(client, "127.0.0.1", 0, backlog=256)
        port = server.sockets[0].getsockname()[1]
        data.base = f"http://127.0.0.1:{port}"
        port_queue.put(port)
        await server.serve_forever()

    asyncio.run(main())


# -- the bench (this process) -------------------------------------------------------------------


def run_sync(db: Path, base: str, concurrency: int, details: bool = True) -> Any:
    from ktlo.ingest.sync import sync_source
    from ktlo.sources import make_source
    from ktlo.sources.base import NullReporter, SourceContext
    from ktlo.store import Store

    ctx = SourceContext("github", {"GITHUB_TOKEN": "bench-token"})
    options = {
        "repos": [REPO],
        "base_url": base,
        "include": ["issues", "pull_requests"],
        "concurrency": concurrency,
        "timeline": details,
        "pull_request_details": details,
    }
    with Store.open(db) as store:
        result = sync_source(store, make_source(ctx, options), NullReporter())
    if result.error:
        raise SystemExit(f"sync failed: {result.error}")
    return result


def report(label: str, result: Any) -> None:
    t = result.timings
    items = result.new + result.updated + result.unchanged
    fetch = t.fetch - t.lookup  # the source's store lookups are counted under store
    other = t.total - fetch - t.store - t.classify
    print(
        f"{label}: {t.total:6.1f} s  {items:,} items ({result.new:,} new, {result.updated:,} updated, "
        f"{result.unchanged:,} unchanged), {result.pages:,} requests, {items / t.total:,.0f} items/s"
    )
    print(
        f"    wall clock: store {t.store:5.1f} s ({t.store / t.total:4.0%})  classify {t.classify:5.1f} s "
        f"({t.classify / t.total:4.0%})  fetch {fetch:5.1f} s ({fetch / t.total:4.0%})"
        f"  other {other:4.1f} s"
    )
    print(
        f"    summed over request threads: HTTP {t.http:5.1f} s, parsing (JSON + records) {t.parse:5.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--issues", type=int, default=50_000)
    parser.add_argument("--pulls", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument(
        "--no-details",
        dest="details",
        action="store_false",
        help="lists only: no timelines, commits, reviews or review comments",
    )
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

    ports: Any = multiprocessing.get_context("spawn").Queue()
    server = multiprocessing.get_context("spawn").Process(
        target=serve, args=(ports, args.issues, args.pulls), daemon=True
    )
    server.start()
    base = f"http://127.0.0.1:{ports.get(timeout=120)}"
    print(f"serving {args.issues:,} issues and {args.pulls:,} pull requests at {base}, 100 per page; "
          f"{os.cpu_count()} CPUs, concurrency {args.concurrency}, details {args.details}")  # fmt: skip
    try:
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "bench.duckdb"
            full = run_sync(db, base, args.concurrency, args.details)
            report("full sync       ", full)
            touched = urllib.request.urlopen(f"{base}/_bench/touch").read().decode()  # noqa: S310
            incremental = run_sync(db, base, args.concurrency, args.details)
            report(f"incremental ({touched} changed)", incremental)
            share = incremental.timings.total / full.timings.total
            store_share = full.timings.store / full.timings.total
            print(f"incremental / full: {share:.1%} (target < 5%); store share of the full sync: "
                  f"{store_share:.0%} (target < 20%)")  # fmt: skip
    finally:
        server.terminate()


if __name__ == "__main__":
    main()
