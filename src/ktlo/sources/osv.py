"""OSV's advisories: the query-batch API online, an ecosystem's export zip offline.

Online (https://google.github.io/osv.dev/api/): `POST /v1/querybatch` with one query per
package (no version: every advisory that affects any version of it, so the whole history
can be checked), answered in the queries' order with `{vulns: [{id, modified}]}` and, when a
package has more, a `next_page_token` to send back in that query's `page_token`; then
`GET /v1/vulns/<id>` for each advisory's details.

Offline: OSV publishes each ecosystem as a zip of JSON files, one advisory a file
(`https://osv-vulnerabilities.storage.googleapis.com/<ecosystem>/all.zip`), read here
from a path.

An advisory becomes an `Advisory`: its ids, summary, severity (a CVSS v3 vector's score,
else the database's own word), dates, and the stretches of versions it affects per package
(`Affects`), read from `affected[].ranges[]` (ECOSYSTEM and SEMVER; GIT ranges name commits
of the package's own repository, not versions) and `affected[].versions`.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ktlo.errors import InputError
from ktlo.metrics.severity import band, cvss3_score, named_band
from ktlo.metrics.versions import canonical_name
from ktlo.sources.http import ApiClient
from ktlo.sources.registries import parse_time

OSV_URL = "https://api.osv.dev"
BATCH = 1000  # OSV's limit of queries in one querybatch
MAX_PAGES = 100


@dataclass(frozen=True, slots=True)
class Affects:
    """A stretch of versions of one package an advisory affects (or its explicit list)."""

    ecosystem: str
    package: str
    range_type: str  # ECOSYSTEM, SEMVER or VERSIONS
    introduced: str | None = None
    fixed: str | None = None
    last_affected: str | None = None
    versions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Advisory:
    """One OSV advisory as the store keeps it."""

    advisory_id: str
    aliases: tuple[str, ...]
    summary: str | None
    severity: str | None
    score: float | None
    vector: str | None
    published: Any
    modified: Any
    withdrawn: Any
    affects: tuple[Affects, ...]


def query_packages(
    client: ApiClient, packages: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], dict[str, Any]]:
    """Every advisory OSV has for each (ecosystem, package): id -> modified, all pages read."""
    found: dict[tuple[str, str], dict[str, Any]] = {p: {} for p in packages}
    for start in range(0, len(packages), BATCH):
        pending: dict[tuple[str, str], str | None] = dict.fromkeys(packages[start : start + BATCH])
        for _ in range(MAX_PAGES):
            if not pending:
                break
            pending = _one_batch(client, pending, found)
    return found


def _one_batch(
    client: ApiClient,
    pending: dict[tuple[str, str], str | None],
    found: dict[tuple[str, str], dict[str, Any]],
) -> dict[tuple[str, str], str | None]:
    """Send one querybatch; answer the packages that have another page, with its token."""
    keys = list(pending)
    queries = []
    for ecosystem, package in keys:
        query: dict[str, Any] = {"package": {"ecosystem": ecosystem, "name": package}}
        if pending[(ecosystem, package)]:
            query["page_token"] = pending[(ecosystem, package)]
        queries.append(query)
    answer = client.post_json("v1/querybatch", {"queries": queries}) or {}
    more: dict[tuple[str, str], str | None] = {}
    for key, result in zip(keys, answer.get("results") or [], strict=False):
        found[key].update(
            (v["id"], parse_time(v.get("modified"))) for v in result.get("vulns") or []
        )
        if result.get("next_page_token"):
            more[key] = result["next_page_token"]
    return more


def fetch_advisory(client: ApiClient, advisory_id: str) -> Advisory:
    """`GET /v1/vulns/<id>`, read."""
    return read_advisory(client.get_json(f"v1/vulns/{advisory_id}"))


def read_export(path: Path) -> Iterator[Advisory]:
    """Every advisory in an OSV export zip (one JSON file each)."""
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise InputError(
            f"{path} is not an OSV export ({type(exc).__name__})",
            "pass the zip OSV publishes per ecosystem, e.g. "
            "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip",
        ) from exc
    with archive:
        for name in archive.namelist():
            if not name.endswith(".json"):
                continue
            try:
                data = json.loads(archive.read(name))
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise InputError(
                    f"{path}: {name} is not JSON", "download the export again"
                ) from exc
            yield read_advisory(data)


def read_advisory(data: dict[str, Any]) -> Advisory:
    """An OSV record (schema https://ossf.github.io/osv-schema/) as an `Advisory`."""
    score, vector = _cvss(data.get("severity") or [])
    for affected in data.get("affected") or []:
        if vector is None and score is None:
            score, vector = _cvss(affected.get("severity") or [])
    severity = band(score) if score is not None else _database_band(data)
    return Advisory(
        advisory_id=data["id"],
        aliases=tuple(data.get("aliases") or ()),
        summary=data.get("summary") or (data.get("details") or "")[:200] or None,
        severity=severity,
        score=score,
        vector=vector,
        published=parse_time(data.get("published")),
        modified=parse_time(data.get("modified")),
        withdrawn=parse_time(data.get("withdrawn")),
        affects=tuple(a for entry in data.get("affected") or [] for a in _affects(entry)),
    )


def _cvss(severities: list[dict[str, Any]]) -> tuple[float | None, str | None]:
    for entry in severities:
        if str(entry.get("type", "")).startswith("CVSS_V3"):
            score = cvss3_score(str(entry.get("score", "")))
            if score is not None:
                return score, entry["score"]
    return None, None


def _database_band(data: dict[str, Any]) -> str | None:
    found = named_band((data.get("database_specific") or {}).get("severity"))
    for entry in data.get("affected") or []:
        found = found or named_band((entry.get("ecosystem_specific") or {}).get("severity"))
        found = found or named_band((entry.get("database_specific") or {}).get("severity"))
    return found


def _affects(entry: dict[str, Any]) -> Iterator[Affects]:
    package = entry.get("package") or {}
    ecosystem, name = package.get("ecosystem"), package.get("name")
    if not ecosystem or not name:
        return
    ecosystem = ecosystem.split(":", 1)[0]  # "Debian:11" -> "Debian"; ours carry no release
    name = canonical_name(ecosystem, name)  # OSV keeps the advisory's spelling (`Jinja2`)
    for rng in entry.get("ranges") or []:
        if rng.get("type") not in ("ECOSYSTEM", "SEMVER"):
            continue
        start: str | None = None
        for event in rng.get("events") or []:
            if "introduced" in event:
                if start is not None:
                    yield Affects(ecosystem, name, rng["type"], start)
                start = event["introduced"]
            elif start is not None and ("fixed" in event or "last_affected" in event):
                yield Affects(ecosystem, name, rng["type"], start, event.get("fixed"),
                              event.get("last_affected"))  # fmt: skip
                start = None
        if start is not None:
            yield Affects(ecosystem, name, rng["type"], start)
    if entry.get("versions"):
        yield Affects(ecosystem, name, "VERSIONS", versions=tuple(entry["versions"]))
