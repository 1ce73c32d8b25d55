"""Release dates from the package registries' public APIs, one reader per ecosystem.

Each reader takes an `ApiClient` on the registry's host (retries, rate limits and errors
come from the shared layer) and a package name as the ecosystem spells it, and answers every
release it lists with its date:

- PyPI `GET /pypi/<name>/json`: `releases` maps a version to its files; the first file's
  `upload_time_iso_8601` dates it; a release whose files are all `yanked` is yanked.
- npm `GET /<name>` (a scope's `/` escaped): `time` maps each version to its publication
  (`created` and `modified` are not versions); one missing from `versions` was unpublished.
- crates.io `GET /api/v1/crates/<name>`: `versions[]` with `num`, `created_at`, `yanked`
  (crates.io refuses requests without a User-Agent; the shared layer sends `ktlo`).
- Go `GET /<module>/@v/list` (tagged versions, one a line), then `/<module>/@v/<v>.info`
  (`Time`); upper-case letters of the path are escaped as `!` + lower case.
- RubyGems `GET /api/v1/versions/<name>.json`: `[{number, created_at, platform}]` (a
  version built for several platforms is dated by its first).
- Maven Central `GET /solrsearch/select?q=g:"G" AND a:"A"&core=gav&rows=N&start=S&wt=json`:
  `response.docs[]` with `v` and `timestamp` (ms), paged by `start` up to `numFound`.
- Packagist `GET /p2/<vendor>/<name>.json`: `packages[name]`, minified (`composer/2.0`: each
  entry only what changed from the one before), with `version` and `time`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from ktlo.sources.http import ApiClient

#: The registry host each ecosystem's reader talks to (tests point them at a local server).
REGISTRY_URLS = {
    "PyPI": "https://pypi.org",
    "npm": "https://registry.npmjs.org",
    "crates.io": "https://crates.io",
    "Go": "https://proxy.golang.org",
    "RubyGems": "https://rubygems.org",
    "Maven": "https://search.maven.org",
    "Packagist": "https://repo.packagist.org",
}
MAVEN_ROWS = 200


@dataclass(frozen=True, slots=True)
class Release:
    """One release of a package: its version, when it was published, whether it was withdrawn."""

    version: str
    released_at: datetime | None
    yanked: bool = False


def parse_time(text: Any) -> datetime | None:
    """An ISO 8601 time (`Z` or an offset, or none: UTC) as naive UTC; None if absent or unreadable."""
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def pypi_releases(client: ApiClient, name: str) -> list[Release]:
    """PyPI's releases of `name`, each dated by its first uploaded file."""
    data = client.get_json(f"pypi/{quote(name)}/json")
    out = []
    for version, files in (data.get("releases") or {}).items():
        times = [parse_time(f.get("upload_time_iso_8601") or f.get("upload_time")) for f in files]
        dated = [t for t in times if t is not None]
        yanked = bool(files) and all(f.get("yanked") for f in files)
        out.append(Release(version, min(dated) if dated else None, yanked))
    return out


def npm_releases(client: ApiClient, name: str) -> list[Release]:
    """npm's versions of `name` from the packument's `time` map."""
    data = client.get_json(quote(name, safe="@"))
    listed = data.get("versions")
    out = []
    for version, when in (data.get("time") or {}).items():
        if version in ("created", "modified"):
            continue
        unpublished = isinstance(listed, dict) and version not in listed
        out.append(Release(version, parse_time(when), unpublished))
    return out


def crates_releases(client: ApiClient, name: str) -> list[Release]:
    """crates.io's versions of `name`."""
    data = client.get_json(f"api/v1/crates/{quote(name)}")
    return [
        Release(v["num"], parse_time(v.get("created_at")), bool(v.get("yanked")))
        for v in data.get("versions") or []
    ]


def go_escape(path: str) -> str:
    """A module path as the Go proxy protocol spells it: `A` becomes `!a`."""
    return "".join(f"!{c.lower()}" if c.isupper() else c for c in path)


def go_releases(client: ApiClient, module: str) -> list[Release]:
    """The Go proxy's tagged versions of `module`, each dated by its `.info`."""
    base = go_escape(module)
    listed = client.get(f"{base}/@v/list").text.split()

    def info(version: str) -> Release:
        data = client.get_json(f"{base}/@v/{go_escape(version)}.info")
        return Release(data.get("Version") or version, parse_time(data.get("Time")))

    return client.map(info, listed)


def rubygems_releases(client: ApiClient, name: str) -> list[Release]:
    """RubyGems' versions of `name` (the first platform's date for each number)."""
    data = client.get_json(f"api/v1/versions/{quote(name)}.json")
    first: dict[str, datetime | None] = {}
    for entry in data or []:
        when = parse_time(entry.get("created_at"))
        known = first.get(entry["number"])
        if entry["number"] not in first or (when and (known is None or when < known)):
            first[entry["number"]] = when
    return [Release(version, when) for version, when in first.items()]


def maven_releases(client: ApiClient, coordinates: str) -> list[Release]:
    """Maven Central's versions of `group:artifact`, paged by `start`."""
    group, _, artifact = coordinates.partition(":")
    out: list[Release] = []
    start = 0
    while True:
        query = {"q": f'g:"{group}" AND a:"{artifact}"', "core": "gav", "rows": MAVEN_ROWS,
                 "start": start, "wt": "json"}  # fmt: skip
        response = client.get_json("solrsearch/select", query).get("response") or {}
        docs = response.get("docs") or []
        for doc in docs:
            stamp = doc.get("timestamp")
            when = (
                datetime.fromtimestamp(stamp / 1000, UTC).replace(tzinfo=None)
                if isinstance(stamp, int | float)
                else None
            )
            out.append(Release(doc["v"], when))
        start += len(docs)
        if not docs or start >= int(response.get("numFound") or 0):
            return out


def packagist_releases(client: ApiClient, name: str) -> list[Release]:
    """Packagist's tagged versions of `vendor/name`, its minified list expanded."""
    data = client.get_json(f"p2/{name}.json")
    entries = (data.get("packages") or {}).get(name) or []
    out = []
    current: dict[str, Any] = {}
    for entry in entries:
        if data.get("minified") == "composer/2.0":
            current = {**current, **entry}
            current = {k: v for k, v in current.items() if v != "__unset"}
        else:
            current = entry
        out.append(Release(current["version"], parse_time(current.get("time"))))
    return out


READERS: dict[str, Callable[[ApiClient, str], list[Release]]] = {
    "PyPI": pypi_releases,
    "npm": npm_releases,
    "crates.io": crates_releases,
    "Go": go_releases,
    "RubyGems": rubygems_releases,
    "Maven": maven_releases,
    "Packagist": packagist_releases,
}
