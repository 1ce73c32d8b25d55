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

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from ktlo.errors import FatalSourceError, InputError
from ktlo.records import Alert, Incident
from ktlo.sources import opsgenie_records as og
from ktlo.sources.base import (
    Batch,
    Known,
    Reporter,
    Source,
    SourceOptions,
    canonical_json,
    parse_time,
)
from ktlo.sources.http import ApiClient, Credentials, HttpStats
from ktlo.sources.jsonfile import read_values

NEED = "an API key of an API integration with read access"
NAMES_NEED = (
    "a key allowed configuration access to read team, user and service names, or names = false"
)
BASE_URLS = {"us": "https://api.opsgenie.com", "eu": "https://api.eu.opsgenie.com"}
STUCK_AFTER = timedelta(days=30)  # an incident open longer stops holding the incidents' window
FILE_BATCH = 500

Section = Literal["alerts", "incidents"]


class OpsgenieOptions(SourceOptions):
    """[sources.opsgenie] in ktlo.toml; see docs/sources.md."""

    token_env: str = Field("OPSGENIE_API_KEY", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    region: Literal["us", "eu"] = "us"
    base_url: str | None = Field(None, pattern=r"^https?://")  # overrides region
    include: list[Section] = ["alerts", "incidents"]
    since: date | None = None  # how far back the first sync reaches (default: everything)
    timeline: bool = True  # one request (or more) per changed incident, for its timeline
    names: bool = True  # look up team, user and service names (three lists per run)
    limit: int = Field(100, ge=1, le=100)
    concurrency: int = Field(4, ge=1, le=16)


class OpsgenieSource(Source):
    """Alerts (acknowledged, closed, count, tags, responders) and incidents with their timelines."""

    kind = "opsgenie"
    Options = OpsgenieOptions
    options: OpsgenieOptions

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stats = HttpStats()

    def fetch(self, known: Known, reporter: Reporter) -> Iterator[Batch]:
        env = self.options.token_env
        credentials = Credentials.in_header(
            env, self.token(env, NEED), "Authorization", "GenieKey {token}"
        )
        with ApiClient(
            self.name,
            self.options.base_url or BASE_URLS[self.options.region],
            credentials,
            transport=self.ctx.transport,
            sleep=self.ctx.sleep,
            on_wait=reporter.waiting,
            need=NEED,
            concurrency=self.options.concurrency,
        ) as api:
            self.stats = api.stats
            run = _Run(self, api, known)
            for section in self.options.include:
                yield from getattr(run, section)()

    def load_file(self, path: Path, known: Known) -> Iterator[Batch]:
        """Saved answers of the alert and incident lists (`{"data": [...], "paging": …}`)."""
        records: list[Alert | Incident] = []
        for line, value in read_values(path):
            items = value["data"] if isinstance(value, dict) and "data" in value else value
            for item in items if isinstance(items, list) else [items]:
                records.append(self._from_saved(path, line, item))
        for start in range(0, len(records), FILE_BATCH):
            chunk = records[start : start + FILE_BATCH]
            yield Batch(
                scope=f"file:{path.name}",
                alerts=tuple(r for r in chunk if isinstance(r, Alert)),
                incidents=tuple(r for r in chunk if isinstance(r, Incident)),
            )

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


class _Run:
    """One sync of the account: alerts, incidents, and the names both need."""

    def __init__(self, source: OpsgenieSource, api: ApiClient, known: Known) -> None:
        self.source = source
        self.options = source.options
        self.api = api
        self.known = known
        self._names: og.Names | None = None
        self._requests = 0

    # -- alerts: a window of updatedAt ------------------------------------------------------------

    def alerts(self) -> Iterator[Batch]:
        scope = "alerts"
        cursor = self.known.cursor(scope) or {}
        since = parse_time(cursor.get("since")) or self._first_since()
        newest = since
        self._requests = self.api.stats.requests
        query = {"sort": "updatedAt", "order": "desc"}
        for items in self._newest_first("v2/alerts", query, "updatedAt", since):
            newest = _latest(newest, [a.get("updatedAt") for a in items])
            changed, unchanged = self._changed("alerts", items, og.alert_key)
            names = self._lookup() if changed else og.Names()
            with self._parsing():
                records = tuple(og.alert_record(a, names) for a in changed)
            yield self._batch(scope, alerts=records, unchanged=unchanged)
        if newest is not None and newest != since:
            yield Batch(scope, {"since": _iso_ms(newest)})

    # -- incidents: a window of createdAt, held open by unresolved incidents -----------------------

    def incidents(self) -> Iterator[Batch]:
        scope = "incidents"
        cursor = self.known.cursor(scope) or {}
        since = parse_time(cursor.get("since")) or self._first_since()
        newest: datetime | None = parse_time(cursor.get("newest"))
        unfinished: list[datetime] = []
        self._requests = self.api.stats.requests
        query = {"sort": "createdAt", "order": "desc"}
        for items in self._newest_first("v1/incidents", query, "createdAt", since):
            newest = _latest(newest, [i.get("createdAt") for i in items])
            unfinished += [
                moment
                for i in items
                if i.get("status") == "open" and (moment := parse_time(i.get("createdAt")))
            ]
            changed, unchanged = self._changed("incidents", items, og.incident_key)
            timelines = self.api.map(self._timeline, changed) if self.options.timeline else None
            names = self._lookup() if changed else og.Names()
            with self._parsing():
                incidents = tuple(
                    og.incident_record(i, timelines[n] if timelines else None, names)
                    for n, i in enumerate(changed)
                )
            yield self._batch(scope, incidents=incidents, unchanged=unchanged)
        if newest is not None:
            start = _window_start(newest, unfinished)
            if start != since:
                yield Batch(scope, {"since": _iso_ms(start), "newest": _iso_ms(newest)})

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

    def _changed(
        self, table: str, records: list[dict[str, Any]], key: Callable[[str], str]
    ) -> tuple[list[dict[str, Any]], int]:
        stored = self.known.raw(table, [key(str(r["id"])) for r in records])
        changed = [r for r in records if stored.get(key(str(r["id"]))) != canonical_json(r)]
        return changed, len(records) - len(changed)

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
    def _parsing(self) -> Iterator[None]:
        """Records without the fields ktlo needs stop the source with one clear line."""
        try:
            yield
        except (KeyError, TypeError, ValueError) as exc:
            raise FatalSourceError(
                f"{self.source.name}: a record without a usable {exc} in Opsgenie's answer",
                _BASE_URL_FIX,
            ) from None

    def _first_since(self) -> datetime | None:
        first = self.options.since
        return parse_time(first.isoformat()) if first else None

    def _batch(self, scope: str, **records: Any) -> Batch:
        pages = self.api.stats.requests - self._requests
        self._requests = self.api.stats.requests
        return Batch(scope, None, pages=pages, **records)


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


def _latest(current: datetime | None, values: list[Any]) -> datetime | None:
    moments = [m for v in values if (m := parse_time(v)) is not None]
    if current is not None:
        moments.append(current)
    return max(moments, default=None)


def _window_start(newest: datetime, unfinished: list[datetime]) -> datetime:
    """The oldest incident still open (unless open for too long), else the newest one read."""
    recent = [moment for moment in unfinished if newest - moment <= STUCK_AFTER]
    return min(recent, default=newest)


def _iso_ms(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
