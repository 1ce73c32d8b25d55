"""CSV and JSON imports of work items, incidents, alerts, deployments, builds and sprints.

For tools without a connector: export, then `ktlo sync` (configured paths) or
`ktlo sync --from-file FILE --source NAME`. The formats are documented field by field in
docs/import.md. A file is read and checked whole before anything is stored: a malformed
row stops the import with the file and line, and nothing of that file is written. A file
whose content has not changed since it was last imported is skipped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from ktlo.errors import InputError
from ktlo.records import Alert, Build, Deployment, Incident, Push, Sprint, WorkItem
from ktlo.sources import change_parts as cp
from ktlo.sources.base import Batch, Known, Reporter, Source, SourceOptions, canonical_json
from ktlo.sources.csvfile import read_csv
from ktlo.sources.file_rows import SEE, RecordKind, parse_row
from ktlo.sources.jsonfile import read_values
from ktlo.sources.option_types import StandardTypes
from ktlo.sources.standard_types import standard_type

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
    types: StandardTypes = {}


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
        records = [
            build(self, tool, parse_row(path, line, row, kind), canonical_json(row))
            for line, row in rows
        ]
        by_kind: dict[str, Any] = {kind: tuple(records)}
        notes = () if rows else (f"{path} holds no {kind.replace('_', ' ')}: nothing to import",)
        return Batch(scope, notes=notes, **by_kind)

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
        return read_csv(path, content)
    if suffix in (".json", ".jsonl", ".ndjson"):
        rows = read_values(path)
        for line, value in rows:
            if not isinstance(value, dict):
                raise InputError(
                    f"{path} line {line}: expected an object, found {type(value).__name__}", SEE
                )
        return rows
    raise InputError(f"{path} is neither CSV nor JSON", "name it .csv, .json or .jsonl")


def _work_item(source: FileSource, tool: str, v: Any, raw: str) -> WorkItem:
    kind = v.kind or "issue"
    labels = v.labels or ()
    commits = v.commits or ()
    links, committed = cp.commit_parts(commits, v.merge_sha if v.merged_at else None)
    reviewed, reviews = cp.review_parts(v.reviews or ())
    return WorkItem(
        key=f"{tool}:{kind}:{v.id}", source=tool, kind=kind, external_id=v.number or v.id,
        title=v.title, body=v.body or "", repo_id=v.repo, project=v.project,
        author=v.author, author_email=v.author_email, state=v.state,
        created_at=v.created_at, updated_at=v.updated_at, closed_at=v.closed_at,
        merged_at=v.merged_at, labels=labels, issue_type=v.issue_type,
        standard_type=v.standard_type or source.standard(v.issue_type, labels),
        assignees=v.assignees or (), components=v.components or (),
        parent_key=v.parent, initiative=v.initiative,
        estimate=v.estimate, sprint=v.sprint, branch=v.branch, url=v.url, raw=raw,
        base_branch=v.base_branch, commits=commits, links=tuple(links),
        activities=tuple(committed + reviewed), state_changes=tuple(reviews),
    )  # fmt: skip


def _incident(source: FileSource, tool: str, v: Any, raw: str) -> Incident:
    return Incident(
        key=f"{tool}:incident:{v.id}", source=tool, external_id=v.id, title=v.title,
        created_at=v.created_at, service=v.service, teams=v.teams or (),
        severity=v.severity, urgency=v.urgency, priority=v.priority, status=v.status,
        acknowledged_at=v.acknowledged_at, resolved_at=v.resolved_at, url=v.url,
        events=v.events or (), raw=raw,
    )  # fmt: skip


def _alert(source: FileSource, tool: str, v: Any, raw: str) -> Alert:
    incident = v.incident_id
    return Alert(
        key=f"{tool}:alert:{v.id}", source=tool, external_id=v.id, title=v.title,
        created_at=v.created_at, incident_key=f"{tool}:incident:{incident}" if incident else None,
        service=v.service, severity=v.severity, acknowledged_at=v.acknowledged_at,
        closed_at=v.closed_at, count=v.count, tags=v.tags or (),
        responders=v.responders or (), raw=raw,
    )  # fmt: skip


def _deployment(source: FileSource, tool: str, v: Any, raw: str) -> Deployment:
    return Deployment(
        key=f"{tool}:deployment:{v.id}", source=tool, external_id=v.id,
        created_at=v.created_at, repo_id=v.repo, service=v.service,
        environment=v.environment, sha=v.sha, ref=v.ref, status=v.status,
        finished_at=v.finished_at, url=v.url, raw=raw,
        previous_key=f"{tool}:deployment:{v.previous}" if v.previous else None,
        commits=v.commits or (),
    )  # fmt: skip


def _push(source: FileSource, tool: str, v: Any, raw: str) -> Push:
    after = v.after.strip().lower()
    ident = v.id or f"{v.repo or ''}:{v.ref or ''}:{after}"
    return Push(
        key=f"{tool}:push:{ident}", source=tool, after=after, repo_id=v.repo, ref=v.ref,
        before=(v.before or "").strip().lower() or None, pushed_at=v.pushed_at,
        commits=v.commits or (), raw=raw,
    )  # fmt: skip


def _build(source: FileSource, tool: str, v: Any, raw: str) -> Build:
    return Build(
        key=f"{tool}:build:{v.id}", source=tool, external_id=v.id, repo_id=v.repo,
        workflow=v.workflow, job=v.job, sha=v.sha, branch=v.branch, event=v.event,
        status=v.status, conclusion=v.conclusion, attempt=v.attempt,
        queued_at=v.queued_at, started_at=v.started_at, finished_at=v.finished_at,
        url=v.url, raw=raw,
    )  # fmt: skip


def _sprint(source: FileSource, tool: str, v: Any, raw: str) -> Sprint:
    return Sprint(
        key=f"{tool}:sprint:{v.id}", source=tool, name=v.name, team=v.team,
        state=v.state, starts_at=v.starts_at, ends_at=v.ends_at, raw=raw,
    )  # fmt: skip


_BUILDERS: dict[RecordKind, Callable[[FileSource, str, Any, str], Any]] = {
    "work_items": _work_item,
    "incidents": _incident,
    "alerts": _alert,
    "deployments": _deployment,
    "builds": _build,
    "sprints": _sprint,
    "pushes": _push,
}
