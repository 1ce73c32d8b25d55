"""Release dates and advisories for the packages in the inventory, cached in the store.

`refresh` asks each registry about the packages the repositories use now, and OSV about
every package they ever used (time to patch reads the past), skipping what was asked less
than `max_age` ago. A registry or OSV that cannot be reached stops being asked for this run
(after the shared layer's retries); what it could not refresh is listed in the answer and
the metrics work from what the store already holds. An OSV export zip (`load_export`)
replaces the API for air-gapped use.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx2

from ktlo.errors import SourceError, SourceNotFoundError
from ktlo.metrics.versions import canonical_name
from ktlo.sources.http import ApiClient
from ktlo.sources.osv import OSV_URL, Advisory, fetch_advisory, query_packages, read_export
from ktlo.sources.registries import READERS, REGISTRY_URLS, Release
from ktlo.store.store import Store

Package = tuple[str, str]  # (ecosystem, package)
ClientFactory = Callable[[str, str], ApiClient]  # (source name, base URL) -> client
MAX_AGE = timedelta(days=1)


@dataclass
class Refresh:
    """What a refresh asked for, and what it could not (with why)."""

    releases_fetched: int = 0
    advisories_fetched: int = 0
    not_refreshed: list[str] = field(default_factory=list)  # "PyPI requests: <why>"


def default_client(transport: httpx2.BaseTransport | None = None) -> ClientFactory:
    """Clients on the real hosts (or through `transport`): few retries, the layer's rate limits."""

    def make(source: str, base_url: str) -> ApiClient:
        return ApiClient(source, base_url, transport=transport, attempts=3, concurrency=4)

    return make


def packages_in_use(
    store: Store, *, current_only: bool, at: datetime = datetime.max
) -> list[Package]:
    """(ecosystem, package) of every package some repository uses at `at`, or ever used."""
    if not current_only:
        sql = "SELECT DISTINCT ecosystem, package FROM dependency_changes WHERE version IS NOT NULL"
        return sorted((r["ecosystem"], r["package"]) for r in store.query(sql))
    sql = f"SELECT DISTINCT ecosystem, package FROM ({CURRENT_SQL})"
    return sorted((r["ecosystem"], r["package"]) for r in store.query(sql, [at]))


#: The version each (repository, file, ecosystem, package) held at `?` (a time): its last
#: change by then on the mainline (`step`, the inventory's order: committer times can go
#: backwards), unless that change removed it.
CURRENT_SQL = """
    SELECT * FROM (
        SELECT repo_id, path, ecosystem, package, version, direct, sha, changed_at
        FROM dependency_changes
        WHERE changed_at <= ?
        QUALIFY row_number() OVER (PARTITION BY repo_id, path, ecosystem, package
                                   ORDER BY step DESC, sha DESC) = 1)
    WHERE version IS NOT NULL
"""


def refresh(
    store: Store,
    make_client: ClientFactory,
    *,
    now: datetime | None = None,
    max_age: timedelta = MAX_AGE,
    urls: dict[str, str] | None = None,
    osv_url: str = OSV_URL,
    ask_osv: bool = True,
    in_use_at: datetime = datetime.max,
) -> Refresh:
    """Ask the registries about the packages in use at `in_use_at` (now) and OSV about every
    package ever used, for what is stale; store the answers as they come."""
    now = now or datetime.now(UTC).replace(tzinfo=None)
    outcome = Refresh()
    fetched = _fetched(store, "package_fetches", "fetched_at", now - max_age)
    by_ecosystem: dict[str, list[str]] = {}
    for ecosystem, package in packages_in_use(store, current_only=True, at=in_use_at):
        if (ecosystem, package) not in fetched:
            by_ecosystem.setdefault(ecosystem, []).append(package)
    for ecosystem, names in sorted(by_ecosystem.items()):
        _refresh_registry(
            store,
            make_client,
            ecosystem,
            names,
            now,
            outcome,
            REGISTRY_URLS if urls is None else urls,
        )
    checked = _fetched(store, "advisory_checks", "checked_at", now - max_age)
    ask = [p for p in packages_in_use(store, current_only=False) if p not in checked]
    if ask and ask_osv:
        _refresh_advisories(store, make_client(SOURCE_OSV, osv_url), ask, now, outcome)
    return outcome


SOURCE_OSV = "OSV"


def _fetched(store: Store, table: str, column: str, since: datetime) -> set[Package]:
    rows = store.query(f"SELECT ecosystem, package FROM {table} WHERE {column} >= ?", [since])
    return {(r["ecosystem"], r["package"]) for r in rows}


def _refresh_registry(
    store: Store,
    make_client: ClientFactory,
    ecosystem: str,
    names: list[str],
    now: datetime,
    outcome: Refresh,
    urls: dict[str, str],
) -> None:
    reader = READERS.get(ecosystem)
    if reader is None or ecosystem not in urls:
        outcome.not_refreshed.append(f"{ecosystem}: no registry reader ({len(names)} packages)")
        return
    with make_client(ecosystem, urls[ecosystem]) as client:
        for index, name in enumerate(names):
            try:
                releases, status = reader(client, name), "ok"
            except SourceNotFoundError:
                releases, status = [], "not_found"
            except SourceError as exc:
                rest = len(names) - index
                outcome.not_refreshed.append(f"{ecosystem}: {rest} packages not refreshed ({exc})")
                return
            store_releases(store, ecosystem, name, releases, now, status)
            outcome.releases_fetched += 1


def store_releases(
    store: Store, ecosystem: str, package: str, releases: Iterable[Release], now: datetime,
    status: str = "ok",
) -> None:  # fmt: skip
    """Make `releases` the package's releases, and note when they were asked for."""
    rows = {r.version: (ecosystem, package, r.version, r.released_at, r.yanked) for r in releases}
    with store.transaction():
        store.con.execute(
            "DELETE FROM package_releases WHERE ecosystem = ? AND package = ?", [ecosystem, package]
        )
        store.insert("package_releases", RELEASE_COLUMNS, list(rows.values()))
        store.upsert("package_fetches", ["ecosystem", "package", "fetched_at", "status"],
                     [(ecosystem, package, now, status)])  # fmt: skip


RELEASE_COLUMNS = ["ecosystem", "package", "version", "released_at", "yanked"]


def _refresh_advisories(
    store: Store, client: ApiClient, packages: list[Package], now: datetime, outcome: Refresh
) -> None:
    with client:
        try:
            found = query_packages(client, packages)
            known = _known_modified(store)
            listed = {i: m for ids in found.values() for i, m in ids.items()}
            ids = sorted(i for i, m in listed.items() if i not in known or known[i] != m)
            advisories = client.map(lambda i: fetch_advisory(client, i), ids)
        except SourceError as exc:
            outcome.not_refreshed.append(f"OSV: {len(packages)} packages not checked ({exc})")
            return
    store_advisories(store, advisories, "api", now)
    with store.transaction():
        store.upsert("advisory_checks", ["ecosystem", "package", "checked_at", "source"],
                     [(e, p, now, "api") for e, p in packages])  # fmt: skip
    outcome.advisories_fetched += len(advisories)


def _known_modified(store: Store) -> dict[str, datetime | None]:
    """Advisories stored already, with their `modified`: only changed ones are read again."""
    rows = store.query("SELECT advisory_id, modified FROM advisories")
    return {r["advisory_id"]: r["modified"] for r in rows}


def store_advisories(
    store: Store, advisories: Sequence[Advisory], source: str, now: datetime
) -> None:
    """Store advisories and the versions they affect, replacing earlier copies."""
    ids = [a.advisory_id for a in advisories]
    rows = [
        (a.advisory_id, list(a.aliases), a.summary, a.severity, a.score, a.vector, a.published,
         a.modified, a.withdrawn, source, now)
        for a in advisories
    ]  # fmt: skip
    affects = [
        (a.advisory_id, x.ecosystem, x.package, x.range_type, x.introduced, x.fixed,
         x.last_affected, list(x.versions) if x.versions else None)
        for a in advisories for x in a.affects
    ]  # fmt: skip
    with store.transaction():
        store.replace("advisories", "advisory_id", ids, ADVISORY_COLUMNS, rows)
        store.replace("advisory_affects", "advisory_id", ids, AFFECTS_COLUMNS, affects)


ADVISORY_COLUMNS = ["advisory_id", "aliases", "summary", "severity", "score", "vector",
                    "published", "modified", "withdrawn", "source", "fetched_at"]  # fmt: skip
AFFECTS_COLUMNS = ["advisory_id", "ecosystem", "package", "range_type", "introduced", "fixed",
                   "last_affected", "versions"]  # fmt: skip


def load_export(store: Store, path: Path, now: datetime | None = None) -> int:
    """Store the advisories of an OSV export zip that name a package in use; how many."""
    now = now or datetime.now(UTC).replace(tzinfo=None)
    used = {(e, canonical_name(e, p)) for e, p in packages_in_use(store, current_only=False)}
    ecosystems: set[str] = set()
    kept = []
    for advisory in read_export(path):
        ecosystems.update(x.ecosystem for x in advisory.affects)
        if any((x.ecosystem, x.package) in used for x in advisory.affects):
            kept.append(advisory)
    store_advisories(store, kept, f"export:{path.name}", now)
    checked = [
        (e, p, now, f"export:{path.name}")
        for e, p in packages_in_use(store, current_only=False)
        if e in ecosystems
    ]
    with store.transaction():
        store.upsert("advisory_checks", ["ecosystem", "package", "checked_at", "source"], checked)
    return len(kept)
