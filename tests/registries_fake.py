"""The package registries' public APIs and OSV's, as they document them, over recorded answers.

`FakeRegistries` answers every registry's path on one host (the paths do not overlap):
PyPI `GET /pypi/<name>/json`, npm `GET /<name>` (`@scope%2Fname`), crates.io
`GET /api/v1/crates/<name>`, the Go proxy `GET /<escaped module>/@v/list` and
`/@v/<version>.info`, RubyGems `GET /api/v1/versions/<name>.json`, Maven Central's
`GET /solrsearch/select` (`core=gav`, paged by `start`/`rows`) and Packagist
`GET /p2/<vendor>/<name>.json`; an unknown package is a 404, as each registry answers.

`FakeOsv` answers `POST /v1/querybatch` (results in the queries' order, `{}` for a package
with none, `page_size` advisories a page with `next_page_token`) and `GET /v1/vulns/<id>`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tests.fake_api import JSON, Answer, FakeApi

FIXTURES = Path(__file__).parent / "fixtures"
GO_MODULE = "github.com/!burnt!sushi/toml"  # github.com/BurntSushi/toml, escaped
GO_VERSIONS = {"v1.2.1": "2022-10-09T12:54:17Z", "v1.3.0": "2023-05-26T12:12:00Z",
               "v1.3.2": "2023-06-08T06:47:55Z"}  # fmt: skip
MAVEN_DOCS = [
    {"id": "com.google.guava:guava:33.2.1-jre", "g": "com.google.guava", "a": "guava",
     "v": "33.2.1-jre", "p": "bundle", "timestamp": 1717451000000, "ec": [".jar", ".pom"]},
    {"id": "com.google.guava:guava:33.0.0-jre", "g": "com.google.guava", "a": "guava",
     "v": "33.0.0-jre", "p": "bundle", "timestamp": 1703193000000, "ec": [".jar", ".pom"]},
    {"id": "com.google.guava:guava:32.1.3-jre", "g": "com.google.guava", "a": "guava",
     "v": "32.1.3-jre", "p": "bundle", "timestamp": 1696341000000, "ec": [".jar", ".pom"]},
]  # fmt: skip


def recorded(name: str) -> Any:
    return json.loads((FIXTURES / "registries" / name).read_text())


def not_found(message: str = "Not Found") -> Answer:
    return 404, JSON, {"message": message}


class FakeRegistries(FakeApi):
    """Every registry's API over a few recorded packages."""

    def __init__(self) -> None:
        super().__init__("User-Agent", "ktlo")

    def authorized(self, headers: Any) -> bool:
        return True  # public APIs; crates.io's User-Agent rule is checked in route

    def route(self, method: str, path: str, query: list[tuple[str, str]], body: Any) -> Answer:
        args = dict(query)
        if path == "/pypi/requests/json":
            return 200, JSON, recorded("pypi-requests.json")
        if path in ("/lodash",):
            return 200, JSON, recorded("npm-lodash.json")
        if path.startswith("/api/v1/crates/"):
            if not self.headers_seen[-1].get("user-agent"):
                return (
                    403,
                    JSON,
                    {
                        "errors": [
                            {
                                "detail": "We require that all requests include a `User-Agent` header."
                            }
                        ]
                    },
                )
            return (
                (200, JSON, recorded("crates-serde.json"))
                if path.endswith("/serde")
                else not_found()
            )
        if path == f"/{GO_MODULE}/@v/list":
            return (
                200,
                {"Content-Type": "text/plain; charset=utf-8"},
                "\n".join(GO_VERSIONS).encode() + b"\n",
            )
        info = re.fullmatch(rf"/{re.escape(GO_MODULE)}/@v/(v[^/]+)\.info", path)
        if info and info[1] in GO_VERSIONS:
            return 200, JSON, {"Version": info[1], "Time": GO_VERSIONS[info[1]]}
        if path == "/api/v1/versions/rack.json":
            return 200, JSON, recorded("rubygems-rack.json")
        if path == "/solrsearch/select":
            return self._maven(args)
        if path == "/p2/monolog/monolog.json":
            return 200, JSON, recorded("packagist-monolog.json")
        return not_found()

    def _maven(self, args: dict[str, str]) -> Answer:
        if args.get("core") != "gav" or args.get("q") != 'g:"com.google.guava" AND a:"guava"':
            return 200, JSON, {"response": {"numFound": 0, "start": 0, "docs": []}}
        start, rows = int(args.get("start", 0)), int(args.get("rows", 20))
        page = MAVEN_DOCS[start : start + rows]
        return (
            200,
            JSON,
            {
                "responseHeader": {"status": 0},
                "response": {"numFound": len(MAVEN_DOCS), "start": start, "docs": page},
            },
        )


def advisory(advisory_id: str) -> dict[str, Any]:
    return json.loads((FIXTURES / "osv" / f"{advisory_id}.json").read_text())


ADVISORIES = [p.stem for p in sorted((FIXTURES / "osv").glob("*.json"))]


class FakeOsv(FakeApi):
    """OSV's API: querybatch (paged) and the vulns detail, over the recorded advisories."""

    def __init__(self, page_size: int = 1) -> None:
        super().__init__("User-Agent", "ktlo")
        self.page_size = page_size
        self.records = {i: advisory(i) for i in ADVISORIES}

    def authorized(self, headers: Any) -> bool:
        return True

    def route(self, method: str, path: str, query: list[tuple[str, str]], body: Any) -> Answer:
        if method == "POST" and path == "/v1/querybatch":
            return 200, JSON, {"results": [self._one(q) for q in body["queries"]]}
        if method == "GET" and path.startswith("/v1/vulns/"):
            found = self.records.get(path.rsplit("/", 1)[1])
            return (
                (200, JSON, found)
                if found
                else (404, JSON, {"code": 5, "message": "Bug not found."})
            )
        return 404, JSON, {"code": 5, "message": "Not found"}

    def _one(self, query: dict[str, Any]) -> dict[str, Any]:
        package = query["package"]
        hits = [
            {"id": r["id"], "modified": r["modified"]}
            for r in self.records.values()
            if any(a["package"]["ecosystem"] == package["ecosystem"]
                   and a["package"]["name"] == package["name"] for a in r["affected"])
        ]  # fmt: skip
        start = int(query.get("page_token") or 0)
        page = hits[start : start + self.page_size]
        if not page:
            return {}
        result: dict[str, Any] = {"vulns": page}
        if start + self.page_size < len(hits):
            result["next_page_token"] = str(start + self.page_size)
        return result
