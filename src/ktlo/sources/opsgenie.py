"""Opsgenie (api.opsgenie.com, or api.eu.opsgenie.com): alerts, and incidents with their timelines.

    alerts     GET /v2/alerts?sort=updatedAt&order=desc&offset=…&limit=…
    incidents  GET /v1/incidents?sort=createdAt&order=desc&offset=…&limit=…
               + GET /v2/incident-timelines/{id}/entries (offset from `nextOffset`)
    names      GET /v2/teams, /v2/users, /v1/services: responders, teams and services by name

Lists are read newest first back to the window's start, paging with `offset`/`limit` for
as long as the answer's `paging.next` says there is more. The alerts' window starts at the
newest `updatedAt` the previous run stored. Incidents can only be sorted by creation, so
their window starts at the oldest incident still open (unless it has been open for more than
`STUCK_AFTER`), so that their resolution arrives. Cursors are written once a window is
stored; records stored unchanged cost no more requests.

Opsgenie's REST API ends on 2027-04-05. Until then this source reads it; afterwards, export
from its successor and import the files with the `files` source (docs/import.md), or load
saved answers of the endpoints above with `ktlo sync --from-file`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from ktlo.errors import FatalSourceError, InputError
from ktlo.records import Alert, Incident
from ktlo.sources import opsgenie_records as og
from ktlo.sources.api_source import ApiSource, Connection, ScopeRun, window_start
from ktlo.sources.base import Batch, Known, SourceOptions, file_batches, iso_ms, latest, parse_time
from ktlo.sources.http import ApiClient
from ktlo.sources.jsonfile import read_values
from ktlo.sources.option_types import Concurrency, PageSize, Since, token_env

NEED = "an API key of an API integration with read access"
NAMES_NEED = (
    "a key allowed configuration access to read team, user and service names, or names = false"
)
BASE_URLS = {"us": "https://api.opsgenie.com", "eu": "https://api.eu.opsgenie.com"}
STUCK_AFTER = timedelta(days=30)  # an incident open longer stops holding the incidents' window

Section = Literal["alerts", "incidents"]


class OpsgenieOptions(SourceOptions):
    """[sources.opsgenie] in ktlo.toml; see docs/sources.md."""

    token_env: str = token_env("OPSGENIE_API_KEY")
    region: Literal["us", "eu"] = "us"
    base_url: str | None = Field(None, pattern=r"^https?://")  # overrides region
    include: list[Section] = ["alerts", "incidents"]
    since: Since = None  # how far back the first sync reaches (default: everything)
    timeline: bool = True  # one request (or more) per changed incident, for its timeline
    names: bool = True  # look up team, user and service names (three lists per run)
    limit: PageSize = 100
    concurrency: Concurrency = 4


class OpsgenieSource(ApiSource):
    """Alerts (acknowledged, closed, count, tags, responders) and incidents with their timelines."""

    kind = "opsgenie"
    Options = OpsgenieOptions
    options: OpsgenieOptions

    def connection(self) -> Connection:
        credentials = self.authorization(self.options.token_env, NEED, "GenieKey {token}")
        return Connection(
            self.options.base_url or BASE_URLS[self.options.region],
            credentials,
            NEED,
            concurrency=self.options.concurrency,
        )

    def sync(self, api: ApiClient, known: Known) -> Iterator[Batch]:
        yield from _Run(self, api, known).sections(self.options.include)

    def load_file(self, path: Path, known: Known) -> Iterator[Batch]:
        """Saved answers of the alert and incident lists (`{"data": [...], "paging": …}`)."""
        records: list[Alert | Incident] = []
        for line, value in read_values(path):
            items = value["data"] if isinstance(value, dict) and "data" in value else value
            for item in items if isinstance(items, list) else [items]:
                records.append(self._from_saved(path, line, item))
        yield from file_batches(path, records)

    def _from_saved(self, path: Path, line: int, item: Any) -> Alert | Incident:
        if not isinstance(item, dict) or "message" not in item or "createdAt" not in item:
            raise InputError(f"{path} line {line}: not an Opsgenie alert or incident", _SAVED_FIX)
        try:
            if "alias" in item or "count" in item or "acknowledged" in item:
                return og.alert_record(item)
            return og.incident_record(item)
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(
                f"{path} line {line}: an Opsgenie record without a usable {exc}", _SAVED_FIX
            ) from None


_SAVED_FIX = "save the answer of GET /v2/alerts or GET /v1/incidents as it came"


class _Run(ScopeRun[OpsgenieSource]):
    """One sync of the account: alerts, incidents, and the names both need."""

    def __init__(self, source: OpsgenieSource, api: ApiClient, known: Known) -> None:
        super().__init__(source, api, known)
        self.options = source.options
        self._names: og.Names | None = None

    # -- alerts: a window of updatedAt ------------------------------------------------------------

    def alerts(self) -> Iterator[Batch]:
        scope = "alerts"
        since = self.since(scope, self.options.since)
        newest = since
        self.begin()
        query = {"sort": "updatedAt", "order": "desc"}
        for items in self._newest_first("v2/alerts", query, "updatedAt", since):
            newest = latest(newest, [a.get("updatedAt") for a in items])
            changed, unchanged = self.changed("alerts", items, lambda a: og.alert_key(str(a["id"])))
            names = self._lookup() if changed else og.Names()
            with self._usable():
                records = tuple(og.alert_record(a, names) for a in changed)
            yield self.batch(scope, alerts=records, unchanged=unchanged)
        yield from self.close_window(scope, newest, since, iso_ms)

    # -- incidents: a window of createdAt, held open by unresolved incidents -----------------------

    def incidents(self) -> Iterator[Batch]:
        scope = "incidents"
        since = self.since(scope, self.options.since)
        newest: datetime | None = parse_time((self.known.cursor(scope) or {}).get("newest"))
        unfinished: list[datetime] = []
        self.begin()
        query = {"sort": "createdAt", "order": "desc"}
        for items in self._newest_first("v1/incidents", query, "createdAt", since):
            newest = latest(newest, [i.get("createdAt") for i in items])
            unfinished += [
                moment
                for i in items
                if i.get("status") == "open" and (moment := parse_time(i.get("createdAt")))
            ]
            changed, unchanged = self.changed(
                "incidents", items, lambda i: og.incident_key(str(i["id"]))
            )
            yield self.batch(scope, unchanged=unchanged, **self._incidents(changed))
        yield from self.retry_missing(scope, "incidents", self._incidents)
        if newest is not None:
            start = window_start(newest, unfinished, STUCK_AFTER)
            if start != since or self.unsaved(scope):
                cursor = {"since": iso_ms(start), "newest": iso_ms(newest)}
                yield Batch(scope, self.cursor_for(scope, cursor))

    def _incidents(self, incidents: list[dict[str, Any]]) -> dict[str, tuple[Any, ...]]:
        """Incidents with their timelines (without, when a timeline is gone)."""
        timelines = (
            self.details(
                "incidents", incidents, self._timeline, lambda i: og.incident_key(str(i["id"]))
            )
            if self.options.timeline
            else [None] * len(incidents)
        )
        names = self._lookup() if incidents else og.Names()
        with self._usable():
            made = tuple(
                og.incident_record(i, t, names) for i, t in zip(incidents, timelines, strict=True)
            )
        return {"incidents": made}

    def _timeline(self, incident: dict[str, Any]) -> list[Any]:
        """Every entry of an incident's timeline, following `nextOffset`."""
        path = f"v2/incident-timelines/{incident['id']}/entries"
        query: dict[str, Any] = {"limit": self.options.limit}
        entries: list[Any] = []
        while True:
            body = self.api.get_json(path, query)
            data = body.get("data") if isinstance(body, dict) else None
            if not isinstance(data, dict) or not isinstance(data.get("entries", []), list):
                raise FatalSourceError(
                    f"{self.source.name}: {path} answered without data.entries",
                    _BASE_URL_FIX,
                )
            entries += [e for e in data.get("entries") or () if isinstance(e, dict)]
            offset = data.get("nextOffset")
            if not offset or offset == query.get("offset"):
                return entries
            query["offset"] = offset

    # -- shared -------------------------------------------------------------------------------------

    def _newest_first(
        self, path: str, query: dict[str, Any], field: str, since: datetime | None
    ) -> Iterator[list[dict[str, Any]]]:
        """Pages of a list sorted newest first, down to `since` (records at `since` included)."""
        for page in self.api.pages_by_offset(
            path,
            query,
            items_key="data",
            limit=self.options.limit,
            has_more=_has_next,
        ):
            if any(not isinstance(i, dict) or "id" not in i for i in page.items):
                raise FatalSourceError(
                    f"{self.source.name}: {path} answered with something other than records",
                    _BASE_URL_FIX,
                )
            kept = [i for i in page.items if since is None or _time(i, field) >= since]
            yield kept
            if len(kept) < len(page.items):
                return  # the rest is older than the window

    def _lookup(self) -> og.Names:
        """Team, user and service names, read once per run (when `names` is on)."""
        if self._names is None:
            if not self.options.names:
                self._names = og.Names()
            else:
                teams = self._list("v2/teams", paged=False)
                users = self._list("v2/users")
                services = self._list("v1/services")
                self._names = og.Names(
                    teams={str(t["id"]): str(t.get("name") or t["id"]) for t in teams},
                    users={
                        str(u["id"]): str(u.get("fullName") or u.get("username") or u["id"])
                        for u in users
                    },
                    services={str(s["id"]): str(s.get("name") or s["id"]) for s in services},
                )
        return self._names

    def _list(self, path: str, paged: bool = True) -> list[dict[str, Any]]:
        if not paged:
            body = self.api.get_json(path, need=NAMES_NEED)
            data = body.get("data") if isinstance(body, dict) else None
            return [d for d in data or () if isinstance(d, dict) and "id" in d]
        return [
            item
            for page in self.api.pages_by_offset(
                path, {}, items_key="data", limit=100, has_more=_has_next, need=NAMES_NEED
            )
            for item in page.items
            if isinstance(item, dict) and "id" in item
        ]

    @contextmanager
    def _usable(self) -> Iterator[None]:
        """Records without the fields ktlo needs stop the source with one clear line."""
        try:
            yield
        except (KeyError, TypeError, ValueError) as exc:
            raise FatalSourceError(
                f"{self.source.name}: a record without a usable {exc} in Opsgenie's answer",
                _BASE_URL_FIX,
            ) from None


_BASE_URL_FIX = (
    "check region or base_url in ktlo.toml (https://api.opsgenie.com, or api.eu.opsgenie.com)"
)


def _has_next(body: Any) -> bool:
    """Opsgenie says there is more with a `paging.next` link."""
    paging = body.get("paging") if isinstance(body, dict) else None
    return bool(isinstance(paging, dict) and paging.get("next"))


def _time(record: dict[str, Any], name: str) -> datetime:
    moment = parse_time(record.get(name))
    if moment is None:
        raise FatalSourceError(f"opsgenie: a record without {name}", _BASE_URL_FIX)
    return moment
