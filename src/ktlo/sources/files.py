"""CSV and JSON imports of work items, incidents, alerts, deployments, builds and sprints.

For tools without a connector: export, then `ktlo sync` (configured paths) or
`ktlo sync --from-file FILE --source NAME`. The formats are documented field by field in
docs/import.md. A file is read and checked whole before anything is stored: a malformed
row stops the import with the file and line, and nothing of that file is written. A file
whose content has not changed since it was last imported is skipped.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from ktlo.errors import InputError
from ktlo.records import (
    Alert,
    Build,
    Deployment,
    Incident,
    IncidentEvent,
    Push,
    Sprint,
    WorkItem,
)
from ktlo.sources import change_parts as cp
from ktlo.sources.base import (
    Batch,
    Known,
    Reporter,
    Source,
    SourceOptions,
    canonical_json,
    parse_time,
)
from ktlo.sources.jsonfile import read_values
from ktlo.sources.standard_types import STANDARD_TYPES, standard_type

RecordKind = Literal[
    "work_items", "incidents", "alerts", "deployments", "builds", "sprints", "pushes"
]
KINDS: tuple[RecordKind, ...] = (
    "work_items", "incidents", "alerts", "deployments", "builds", "sprints", "pushes",
)  # fmt: skip
_NAME_PREFIXES: dict[str, RecordKind] = {
    "work_items": "work_items", "work-items": "work_items", "workitems": "work_items",
    "issues": "work_items", "tickets": "work_items", "incidents": "incidents",
    "alerts": "alerts", "deployments": "deployments", "builds": "builds", "sprints": "sprints",
    "cycles": "sprints", "pushes": "pushes",
}  # fmt: skip


class FileOptions(SourceOptions):
    """[sources.NAME] with type = "files"; see docs/import.md."""

    records: RecordKind | None = None  # default: from each file's name (incidents-2026.csv)
    paths: list[Path] = []  # relative to ktlo.toml
    tool: str | None = None  # the `source` of the records; default: the source's name
    types: dict[str, Literal["requirement", "bug", "incident", "task"]] = {}


@dataclass(frozen=True)
class _Field:
    convert: Callable[[Any], Any]
    required: bool = False


class FileSource(Source):
    """Records from CSV or JSON files exported by other tools."""

    kind = "files"
    Options = FileOptions
    options: FileOptions

    def fetch(self, known: Known, reporter: Reporter) -> Iterator[Batch]:
        """Every configured file, all checked before the first is stored."""
        base = self.ctx.config_path.parent if self.ctx.config_path else Path.cwd()
        batches = []
        for path in self.options.paths:
            full = path if path.is_absolute() else base / path
            content = _read_bytes(full)
            digest = hashlib.sha256(content).hexdigest()
            scope = f"file:{full.resolve()}"
            cursor = known.cursor(scope)
            if cursor and cursor.get("sha256") == digest:
                batches.append(Batch(scope, unchanged=int(cursor.get("records", 0))))
                continue
            batch = self._batch(full, content, scope)
            batches.append(replace(batch, cursor={"sha256": digest, "records": batch.records}))
        yield from batches

    def load_file(self, path: Path, known: Known) -> Iterator[Batch]:
        yield self._batch(path, _read_bytes(path), f"file:{path.resolve()}")

    def _batch(self, path: Path, content: bytes, scope: str) -> Batch:
        kind = self.options.records or _kind_from_name(path, self.name)
        rows = _rows(path, content)
        tool = self.options.tool or self.name
        build = _BUILDERS[kind]
        records = [build(self, tool, _check(path, line, row, kind)) for line, row in rows]
        by_kind: dict[str, Any] = {kind: tuple(records)}
        return Batch(scope, **by_kind)

    def standard(self, issue_type: str | None, labels: tuple[str, ...]) -> str | None:
        return standard_type(issue_type, labels, self.options.types)


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(
            f"{path} does not exist", "check the path in ktlo.toml or --from-file"
        ) from None
    except OSError as exc:
        raise InputError(
            f"cannot read {path}: {exc.strerror}", "check the file's permissions"
        ) from exc


def _kind_from_name(path: Path, name: str) -> RecordKind:
    stem = path.name.lower()
    for prefix, kind in _NAME_PREFIXES.items():
        if stem.startswith(prefix):
            return kind
    raise InputError(
        f"cannot tell what {path.name} holds",
        f'set records = "incidents" (or {", ".join(KINDS)}) under [sources.{name}], '
        "or name the file after them (incidents.csv)",
    )


def _rows(path: Path, content: bytes) -> list[tuple[int, dict[str, Any]]]:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _csv_rows(path, content)
    if suffix in (".json", ".jsonl", ".ndjson"):
        rows = read_values(path)
        for line, value in rows:
            if not isinstance(value, dict):
                raise InputError(
                    f"{path} line {line}: expected an object, found {type(value).__name__}", _SEE
                )
        return rows
    raise InputError(f"{path} is neither CSV nor JSON", "name it .csv, .json or .jsonl")


def _csv_rows(path: Path, content: bytes) -> list[tuple[int, dict[str, Any]]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path} is not UTF-8 text", "save the export as UTF-8") from exc
    reader = csv.DictReader(io.StringIO(text, newline=""), restkey="\0extra")
    rows: list[tuple[int, dict[str, Any]]] = []
    start = 2
    try:
        for row in reader:
            if "\0extra" in row:
                raise InputError(
                    f"{path} line {start}: more values than columns",
                    "check the quoting on that line",
                )
            rows.append((start, {k: v for k, v in row.items() if k}))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise InputError(
            f"{path} line {reader.line_num}: {exc}", "check the quoting on that line"
        ) from None
    return rows


def _check(path: Path, line: int, row: dict[str, Any], kind: RecordKind) -> dict[str, Any]:
    """The row's fields converted, or an InputError naming the file, line and field."""
    values: dict[str, Any] = {"_raw": canonical_json(row)}
    for name, spec in FIELDS[kind].items():
        value = row.get(name)
        if value is None or value == "" or value == []:
            if spec.required:
                raise InputError(
                    f"{path} line {line}: {name} is missing",
                    f"every {kind} row needs {name}; {_SEE}",
                )
            values[name] = None
            continue
        try:
            values[name] = spec.convert(value)
        except (ValueError, TypeError) as exc:
            raise InputError(f"{path} line {line}: {name} {value!r} {exc}", _SEE) from None
    return values


_SEE = "see docs/import.md"


def _text(value: Any) -> str:
    if isinstance(value, dict | list):
        raise TypeError("is not text")
    return str(value).strip() if not isinstance(value, str) else value


def _time(value: Any) -> datetime:
    try:
        moment = parse_time(value)
    except ValueError:
        moment = None
    if moment is None:
        raise ValueError("is not a date-time: use ISO 8601, e.g. 2026-01-05T10:00:00Z")
    return moment


def _int(value: Any) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        raise ValueError("is not a whole number") from None


def _float(value: Any) -> float:
    try:
        return float(str(value).strip())
    except ValueError:
        raise ValueError("is not a number") from None


def _list(value: Any) -> tuple[str, ...]:
    """A JSON array, or text separated by semicolons (`bug; ui`)."""
    if isinstance(value, list):
        return tuple(str(v).strip() for v in value if str(v).strip())
    return tuple(part.strip() for part in str(value).split(";") if part.strip())


def _standard(value: Any) -> str:
    text = str(value).strip().lower()
    if text not in STANDARD_TYPES:
        raise ValueError(f"is not one of {', '.join(STANDARD_TYPES)}")
    return text


def _events(value: Any) -> tuple[IncidentEvent, ...]:
    if not isinstance(value, list) or not all(isinstance(e, dict) for e in value):
        raise TypeError("is not a list of objects")
    try:
        return tuple(
            IncidentEvent(
                _time(e["occurred_at"]), _text(e["kind"]), e.get("person"), e.get("detail")
            )
            for e in value
        )
    except KeyError as exc:
        raise ValueError(f"has an event without {exc}") from None


_T, _R = _Field(_text), _Field(_text, required=True)
FIELDS: dict[RecordKind, dict[str, _Field]] = {
    "work_items": {
        "id": _R, "title": _R, "kind": _T, "body": _T, "state": _T, "author": _T,
        "author_email": _T, "assignees": _Field(_list), "labels": _Field(_list), "issue_type": _T,
        "standard_type": _Field(_standard), "project": _T, "repo": _T, "parent": _T,
        "components": _Field(_list), "estimate": _Field(_float), "sprint": _T, "branch": _T,
        "url": _T, "created_at": _Field(_time), "updated_at": _Field(_time),
        "closed_at": _Field(_time), "merged_at": _Field(_time),
        "number": _T, "base_branch": _T, "merge_sha": _T, "commits": _Field(cp.commit_list),
        "reviews": _Field(cp.review_list),
    },
    "incidents": {
        "id": _R, "title": _R, "created_at": _Field(_time, required=True), "service": _T,
        "teams": _Field(_list), "severity": _T, "urgency": _T, "priority": _T, "status": _T,
        "acknowledged_at": _Field(_time), "resolved_at": _Field(_time), "url": _T,
        "events": _Field(_events),
    },
    "alerts": {
        "id": _R, "title": _R, "created_at": _Field(_time, required=True), "incident_id": _T,
        "service": _T, "severity": _T, "acknowledged_at": _Field(_time),
        "closed_at": _Field(_time), "count": _Field(_int), "tags": _Field(_list),
        "responders": _Field(_list),
    },
    "deployments": {
        "id": _R, "created_at": _Field(_time, required=True), "repo": _T, "service": _T,
        "environment": _T, "sha": _T, "ref": _T, "status": _T, "finished_at": _Field(_time),
        "url": _T, "previous": _T, "commits": _Field(cp.commit_list),
    },
    "builds": {
        "id": _R, "repo": _T, "workflow": _T, "job": _T, "sha": _T, "branch": _T, "event": _T,
        "status": _T, "conclusion": _T, "attempt": _Field(_int), "queued_at": _Field(_time),
        "started_at": _Field(_time), "finished_at": _Field(_time), "url": _T,
    },
    "sprints": {
        "id": _R, "name": _R, "team": _T, "state": _T, "starts_at": _Field(_time),
        "ends_at": _Field(_time),
    },
    "pushes": {
        "after": _R, "repo": _T, "ref": _T, "before": _T, "pushed_at": _Field(_time),
        "commits": _Field(cp.commit_list), "id": _T,
    },
}  # fmt: skip


def _work_item(source: FileSource, tool: str, v: Mapping[str, Any]) -> WorkItem:
    kind = v["kind"] or "issue"
    labels = v["labels"] or ()
    commits = v["commits"] or ()
    links, committed = cp.commit_parts(commits, v["merge_sha"] if v["merged_at"] else None)
    reviewed, reviews = cp.review_parts(v["reviews"] or ())
    return WorkItem(
        key=f"{tool}:{kind}:{v['id']}", source=tool, kind=kind, external_id=v["number"] or v["id"],
        title=v["title"], body=v["body"] or "", repo_id=v["repo"], project=v["project"],
        author=v["author"], author_email=v["author_email"], state=v["state"],
        created_at=v["created_at"], updated_at=v["updated_at"], closed_at=v["closed_at"],
        merged_at=v["merged_at"], labels=labels, issue_type=v["issue_type"],
        standard_type=v["standard_type"] or source.standard(v["issue_type"], labels),
        assignees=v["assignees"] or (), components=v["components"] or (),
        parent_key=v["parent"],
        estimate=v["estimate"], sprint=v["sprint"], branch=v["branch"], url=v["url"], raw=v["_raw"],
        base_branch=v["base_branch"], commits=commits, links=tuple(links),
        activities=tuple(committed + reviewed), state_changes=tuple(reviews),
    )  # fmt: skip


def _incident(source: FileSource, tool: str, v: Mapping[str, Any]) -> Incident:
    return Incident(
        key=f"{tool}:incident:{v['id']}", source=tool, external_id=v["id"], title=v["title"],
        created_at=v["created_at"], service=v["service"], teams=v["teams"] or (),
        severity=v["severity"], urgency=v["urgency"], priority=v["priority"], status=v["status"],
        acknowledged_at=v["acknowledged_at"], resolved_at=v["resolved_at"], url=v["url"],
        events=v["events"] or (), raw=v["_raw"],
    )  # fmt: skip


def _alert(source: FileSource, tool: str, v: Mapping[str, Any]) -> Alert:
    incident = v["incident_id"]
    return Alert(
        key=f"{tool}:alert:{v['id']}", source=tool, external_id=v["id"], title=v["title"],
        created_at=v["created_at"], incident_key=f"{tool}:incident:{incident}" if incident else None,
        service=v["service"], severity=v["severity"], acknowledged_at=v["acknowledged_at"],
        closed_at=v["closed_at"], count=v["count"], tags=v["tags"] or (),
        responders=v["responders"] or (), raw=v["_raw"],
    )  # fmt: skip


def _deployment(source: FileSource, tool: str, v: Mapping[str, Any]) -> Deployment:
    return Deployment(
        key=f"{tool}:deployment:{v['id']}", source=tool, external_id=v["id"],
        created_at=v["created_at"], repo_id=v["repo"], service=v["service"],
        environment=v["environment"], sha=v["sha"], ref=v["ref"], status=v["status"],
        finished_at=v["finished_at"], url=v["url"], raw=v["_raw"],
        previous_key=f"{tool}:deployment:{v['previous']}" if v["previous"] else None,
        commits=v["commits"] or (),
    )  # fmt: skip


def _push(source: FileSource, tool: str, v: Mapping[str, Any]) -> Push:
    after = v["after"].strip().lower()
    ident = v["id"] or f"{v['repo'] or ''}:{v['ref'] or ''}:{after}"
    return Push(
        key=f"{tool}:push:{ident}", source=tool, after=after, repo_id=v["repo"], ref=v["ref"],
        before=(v["before"] or "").strip().lower() or None, pushed_at=v["pushed_at"],
        commits=v["commits"] or (), raw=v["_raw"],
    )  # fmt: skip


def _build(source: FileSource, tool: str, v: Mapping[str, Any]) -> Build:
    return Build(
        key=f"{tool}:build:{v['id']}", source=tool, external_id=v["id"], repo_id=v["repo"],
        workflow=v["workflow"], job=v["job"], sha=v["sha"], branch=v["branch"], event=v["event"],
        status=v["status"], conclusion=v["conclusion"], attempt=v["attempt"],
        queued_at=v["queued_at"], started_at=v["started_at"], finished_at=v["finished_at"],
        url=v["url"], raw=v["_raw"],
    )  # fmt: skip


def _sprint(source: FileSource, tool: str, v: Mapping[str, Any]) -> Sprint:
    return Sprint(
        key=f"{tool}:sprint:{v['id']}", source=tool, name=v["name"], team=v["team"],
        state=v["state"], starts_at=v["starts_at"], ends_at=v["ends_at"], raw=v["_raw"],
    )  # fmt: skip


_BUILDERS: dict[RecordKind, Callable[[FileSource, str, Mapping[str, Any]], Any]] = {
    "work_items": _work_item,
    "incidents": _incident,
    "alerts": _alert,
    "deployments": _deployment,
    "builds": _build,
    "sprints": _sprint,
    "pushes": _push,
}
