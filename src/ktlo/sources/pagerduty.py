"""PagerDuty (REST API v2): incidents with their log entries and alerts.

    incidents    GET /incidents?since=…&until=…&sort_by=created_at:asc  (offset, limit, `more`)
    log entries  GET /incidents/{id}/log_entries   -> the incident's timeline (incident_events)
    alerts       GET /incidents/{id}/alerts        -> alerts, linked to their incident

PagerDuty filters incidents by creation time, in ranges of at most six months, so a sync
walks windows of `window_days` from where the previous one ended, and keeps in its cursor
the incidents still open: each run asks for those again (by their creation second, so an
incident deleted with its service simply stops being asked for) until they are resolved.
A window's cursor is written with its last batch; incidents stored unchanged cost no more
requests. Offset paging stops at 10,000 records: a window holding more continues from the
creation time of the last incident read.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field

from ktlo.errors import FatalSourceError, InputError
from ktlo.records import Alert, Incident
from ktlo.sources import pagerduty_records as pd
from ktlo.sources.api_source import ApiSource, Connection, ScopeRun
from ktlo.sources.base import Batch, Known, SourceOptions, iso, parse_time
from ktlo.sources.http import ApiClient
from ktlo.sources.jsonfile import read_values
from ktlo.sources.option_types import Concurrency, PageSize, Since, token_env

NEED = "a REST API key (read-only is enough): a general access key or a user token"
ACCEPT = "application/vnd.pagerduty+json;version=2"
MAX_OFFSET = 10_000  # PagerDuty's classic pagination ends here
FIRST_SYNC = timedelta(days=180)  # how far back a first sync reaches without `since`
OVERLAP = timedelta(minutes=10)  # each window starts a little before the last one ended
FILE_BATCH = 500
_ID = r"^[A-Z0-9]+$"


class PagerDutyOptions(SourceOptions):
    """[sources.pagerduty] in ktlo.toml; see docs/sources.md."""

    token_env: str = token_env("PAGERDUTY_TOKEN")
    base_url: str = Field("https://api.pagerduty.com", pattern=r"^https?://")
    services: list[Annotated[str, Field(pattern=_ID)]] = []  # service ids; default: every service
    teams: list[Annotated[str, Field(pattern=_ID)]] = []  # team ids; default: every team
    since: Since = None  # default: 180 days before the first sync
    window_days: int = Field(30, ge=1, le=180)
    log_entries: bool = True  # one request (or more) per changed incident, for its timeline
    alerts: bool = True  # one request (or more) per changed incident, for its alerts
    limit: PageSize = 100
    concurrency: Concurrency = 4


class PagerDutySource(ApiSource):
    """Incidents (urgency, priority, service, teams), their log entries and their alerts."""

    kind = "pagerduty"
    Options = PagerDutyOptions
    options: PagerDutyOptions

    def connection(self) -> Connection:
        credentials = self.authorization(self.options.token_env, NEED, "Token token={token}")
        return Connection(
            self.options.base_url,
            credentials,
            NEED,
            headers={"Accept": ACCEPT},
            concurrency=self.options.concurrency,
        )

    def sync(self, api: ApiClient, known: Known) -> Iterator[Batch]:
        services: list[str | None] = [*self.options.services] or [None]
        for service in services:
            yield from _Run(self, api, known, service).incidents()

    def load_file(self, path: Path, known: Known) -> Iterator[Batch]:
        """Saved answers of the list endpoints above: incidents, log entries, alerts.

        Log entries are an incident's timeline: save them in the same file as their incidents.
        """
        incidents: dict[str, tuple[int, dict[str, Any]]] = {}
        entries: dict[str, list[dict[str, Any]]] = {}
        alerts: list[Alert] = []
        for line, value in read_values(path):
            for kind, record in _saved_records(path, line, value):
                try:
                    if kind == "incidents":
                        incidents[str(record["id"])] = (line, record)
                    elif kind == "log_entries":
                        owner = str(record["incident"]["id"])
                        entries.setdefault(owner, []).append(record)
                    else:
                        alerts.append(pd.alert_record(record))
                except (KeyError, TypeError, ValueError) as exc:
                    raise InputError(
                        f"{path} line {line}: a PagerDuty record without a usable {exc}", _SAVED_FIX
                    ) from None
        orphans = sorted(set(entries) - set(incidents))
        if orphans:
            raise InputError(
                f"{path}: log entries of incident {orphans[0]}, which the file does not hold",
                "save each incident's log entries in the same file as the incident",
            )
        records = [self._saved_incident(path, *incidents[i], entries.get(i)) for i in incidents]
        for start in range(0, max(len(records), len(alerts)), FILE_BATCH):
            yield Batch(
                scope=f"file:{path.name}",
                incidents=tuple(records[start : start + FILE_BATCH]),
                alerts=tuple(alerts[start : start + FILE_BATCH]),
            )

    def _saved_incident(
        self, path: Path, line: int, record: dict[str, Any], entries: list[dict[str, Any]] | None
    ) -> Incident:
        try:
            return pd.incident_record(record, entries)
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(
                f"{path} line {line}: a PagerDuty incident without a usable {exc}", _SAVED_FIX
            ) from None


_SAVED_FIX = "save the answer of GET /incidents, /incidents/{id}/log_entries or /incidents/{id}/alerts as it came"
_LISTS = ("incidents", "log_entries", "alerts")


def _saved_records(path: Path, line: int, value: Any) -> list[tuple[str, dict[str, Any]]]:
    """The records of one saved answer (`{"incidents": [...], "more": …}`), or of one record."""
    if isinstance(value, dict):
        for name in _LISTS:
            if isinstance(value.get(name), list):
                return [(name, record) for record in value[name] if isinstance(record, dict)]
        if isinstance(value.get("incident"), dict) and "incident_number" in value["incident"]:
            return [("incidents", value["incident"])]
        kind = str(value.get("type") or "")
        if kind == "incident":
            return [("incidents", value)]
        if kind.endswith("_log_entry"):
            return [("log_entries", value)]
        if kind == "alert":
            return [("alerts", value)]
    raise InputError(
        f"{path} line {line}: not a PagerDuty incident, log entry or alert", _SAVED_FIX
    )


class _Run(ScopeRun[PagerDutySource]):
    """The incidents of one service (or of every service): windows, then the ones still open."""

    def __init__(
        self, source: PagerDutySource, api: ApiClient, known: Known, service: str | None
    ) -> None:
        super().__init__(source, api, known)
        self.options = source.options
        self.service = service
        self.scope = f"service:{service}:incidents" if service else "incidents"

    def incidents(self) -> Iterator[Batch]:
        now = self.source.ctx.now()
        cursor = self.known.cursor(self.scope) or {}
        was_open: dict[str, str] = dict(cursor.get("open") or {})
        still_open = dict(was_open)
        seen: set[str] = set()
        start = self._start(cursor, now)
        step = timedelta(days=self.options.window_days)
        self.begin()
        while start < now:
            end = min(start + step, now)
            for incidents in self._window(start, end):
                seen.update(str(i["id"]) for i in incidents)
                _track(still_open, incidents)
                yield self._stored(incidents)
            yield Batch(self.scope, self._cursor(end, still_open))
            start = end
        for incident_id, created in sorted(was_open.items(), key=lambda item: item[1]):
            if incident_id in seen:
                continue
            found = [i for i in self._created_at(created) if str(i["id"]) == incident_id]
            still_open.pop(incident_id)
            _track(still_open, found)
            yield self._stored(found)
        yield from self.retry_missing(self.scope, "incidents", self._records)
        yield Batch(self.scope, self._cursor(now, still_open))

    def _cursor(self, until: datetime, still_open: dict[str, str]) -> dict[str, Any]:
        """Read up to `until`; these incidents were open (with any details still missing)."""
        return self.cursor_for(
            self.scope, {"until": iso(until), "open": dict(sorted(still_open.items()))}
        )

    def _start(self, cursor: Mapping[str, Any], now: datetime) -> datetime:
        until = parse_time(cursor.get("until"))
        if until is not None:
            return until - OVERLAP
        if self.options.since is not None:
            return datetime.combine(self.options.since, datetime.min.time(), UTC)
        return now - FIRST_SYNC

    def _window(self, start: datetime, end: datetime) -> Iterator[list[dict[str, Any]]]:
        """The incidents created in [start, end), page by page, past PagerDuty's offset limit."""
        while True:
            last: datetime | None = None
            for page in self._pages("incidents", "incidents", self._query(start, end)):
                yield page.items
                if page.items:
                    last = parse_time(page.items[-1].get("created_at"))
                body = page.body if isinstance(page.body, dict) else {}
                reached = int(body.get("offset") or 0) + len(page.items)
                if body.get("more") and reached >= MAX_OFFSET - self.options.limit:
                    break
            else:
                return
            if last is None or last <= start:
                raise FatalSourceError(
                    f"{self.source.name}: more than {MAX_OFFSET:,} incidents created at {iso(start)}",
                    "set window_days lower, or services = [...] to sync them service by service",
                )
            start = last

    def _created_at(self, created: str) -> list[dict[str, Any]]:
        """The incidents created in the second an incident was created (to ask for it again)."""
        moment = parse_time(created)
        if moment is None:
            return []
        query = self._query(moment, moment + timedelta(seconds=1))
        return [i for page in self._pages("incidents", "incidents", query) for i in page.items]

    def _query(self, start: datetime, end: datetime) -> dict[str, Any]:
        query: dict[str, Any] = {"since": iso(start), "until": iso(end)}
        query["sort_by"] = "created_at:asc"
        if self.service:
            query["service_ids[]"] = [self.service]
        if self.options.teams:
            query["team_ids[]"] = list(self.options.teams)
        return query

    def _stored(self, incidents: list[dict[str, Any]]) -> Batch:
        """The incidents whose JSON changed, with their log entries and alerts, as one batch."""
        changed, unchanged = self.changed(
            "incidents", incidents, lambda i: pd.incident_key(str(i["id"]))
        )
        return self.batch(self.scope, unchanged=unchanged, **self._records(changed))

    def _records(self, incidents: list[dict[str, Any]]) -> dict[str, tuple[Any, ...]]:
        """Incidents and their alerts; one whose details are gone is stored without them."""
        details = self.details(
            self.scope, incidents, self._details, lambda i: pd.incident_key(str(i["id"]))
        )
        try:
            records = tuple(
                pd.incident_record(i, (d or (None, []))[0])
                for i, d in zip(incidents, details, strict=True)
            )
            alerts = tuple(
                pd.alert_record(a, str(i["id"]))
                for i, d in zip(incidents, details, strict=True)
                for a in (d or (None, []))[1]
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise FatalSourceError(
                f"{self.source.name}: a record without a usable {exc} in PagerDuty's answer",
                "check base_url in ktlo.toml (default https://api.pagerduty.com)",
            ) from None
        return {"incidents": records, "alerts": alerts}

    def _details(self, incident: dict[str, Any]) -> tuple[list[Any] | None, list[Any]]:
        base = f"incidents/{incident['id']}"
        log = (
            self._all(f"{base}/log_entries", "log_entries", {"is_overview": "false"})
            if self.options.log_entries
            else None
        )
        alerts = self._all(f"{base}/alerts", "alerts") if self.options.alerts else []
        return log, alerts

    def _all(self, path: str, key: str, params: dict[str, Any] | None = None) -> list[Any]:
        return [item for page in self._pages(path, key, params or {}) for item in page.items]

    def _pages(self, path: str, key: str, params: dict[str, Any]) -> Iterator[Any]:
        for page in self.api.pages_by_offset(
            path,
            params,
            items_key=key,
            limit=self.options.limit,
            has_more=lambda body: bool(isinstance(body, dict) and body.get("more")),
        ):
            if any(not isinstance(item, dict) or "id" not in item for item in page.items):
                raise FatalSourceError(
                    f"{self.source.name}: {path} answered with something other than {key}",
                    "check base_url in ktlo.toml (default https://api.pagerduty.com)",
                )
            yield page


def _track(still_open: dict[str, str], incidents: list[dict[str, Any]]) -> None:
    """Remember the incidents not resolved yet (with their creation time), forget resolved ones."""
    for incident in incidents:
        incident_id = str(incident["id"])
        if incident.get("status") == "resolved":
            still_open.pop(incident_id, None)
        else:
            still_open[incident_id] = str(incident.get("created_at"))
