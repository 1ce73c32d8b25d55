"""The declared types of an imported row, one pydantic model per kind of record (docs/import.md).

A CSV cell is text and a JSON value may be anything, so each type says what it accepts:
text (a number becomes its digits; an object or array is refused), a date-time in ISO 8601
(no offset: UTC), a list (a JSON array, or text separated by semicolons), a whole number
or a number (finite, not negative where a count is meant). An empty cell is a missing
value. Beyond types, each row obeys ktlo.ingest.record_rules: nothing acknowledged, resolved,
closed or finished before it was created or started. `parse_row` turns the first problem
into an InputError naming the file, the line and the field.
"""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from ktlo.errors import InputError
from ktlo.ingest.record_rules import first_problem
from ktlo.records import CommitRef, IncidentEvent
from ktlo.sources import change_parts as cp
from ktlo.sources.base import parse_time
from ktlo.sources.standard_types import STANDARD_TYPES

RecordKind = Literal[
    "work_items", "incidents", "alerts", "deployments", "builds", "sprints", "pushes"
]
SEE = "see docs/import.md"


def _blank(value: Any) -> bool:
    return (
        value is None
        or value == ""
        or value == []
        or (isinstance(value, str) and not value.strip())
    )


def _text(value: Any) -> str | None:
    if _blank(value):
        return None
    if isinstance(value, dict | list) or isinstance(value, bool):
        raise ValueError("is not text")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("is not text")
    return value if isinstance(value, str) else str(value)


def _time(value: Any) -> datetime | None:
    if _blank(value):
        return None
    try:
        moment = parse_time(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None:
        raise ValueError("is not a date-time: use ISO 8601, e.g. 2026-01-05T10:00:00Z")
    return moment


def _whole(value: Any) -> int | None:
    if _blank(value):
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError("is not a whole number")
    try:
        return int(str(value).strip())
    except ValueError:
        raise ValueError("is not a whole number") from None


def _number(value: Any) -> float | None:
    if _blank(value):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError("is not a number")
    try:
        number = float(str(value).strip())
    except ValueError:
        raise ValueError("is not a number") from None
    if not math.isfinite(number):
        raise ValueError("is not a finite number")
    return number


def _list(value: Any) -> tuple[str, ...]:
    """A JSON array, or text separated by semicolons (`bug; ui`)."""
    if _blank(value):
        return ()
    if isinstance(value, list):
        return tuple(t for v in value if (t := _text(v)) and t.strip())
    if isinstance(value, dict):
        raise ValueError("is not a list")
    return tuple(part.strip() for part in str(value).split(";") if part.strip())


def _standard(value: Any) -> str | None:
    text = _text(value)
    if text is None:
        return None
    if text.strip().lower() not in STANDARD_TYPES:
        raise ValueError(f"is not one of {', '.join(STANDARD_TYPES)}")
    return text.strip().lower()


def _events(value: Any) -> tuple[IncidentEvent, ...]:
    if _blank(value):
        return ()
    if not isinstance(value, list) or not all(isinstance(e, dict) for e in value):
        raise ValueError("is not a list of objects")
    events = []
    for event in value:
        when, kind = _time(event.get("occurred_at")), _text(event.get("kind"))
        if when is None or kind is None:
            raise ValueError(f"has an event without {'kind' if when else 'occurred_at'!r}")
        events.append(
            IncidentEvent(when, kind, _text(event.get("person")), _text(event.get("detail")))
        )
    return tuple(events)


Text = Annotated[str | None, BeforeValidator(_text)]
Required = Annotated[str, BeforeValidator(_text)]
Time = Annotated[datetime | None, BeforeValidator(_time)]
RequiredTime = Annotated[datetime, BeforeValidator(_time)]
Texts = Annotated[tuple[str, ...], BeforeValidator(_list)]
Count = Annotated[Annotated[int, Field(ge=0)] | None, BeforeValidator(_whole)]
Amount = Annotated[Annotated[float, Field(ge=0)] | None, BeforeValidator(_number)]


def _commits(value: Any) -> tuple[CommitRef, ...]:
    return () if _blank(value) else cp.commit_list(value)


def _reviews(value: Any) -> tuple[tuple[datetime, str, str | None], ...]:
    if _blank(value):
        return ()
    try:
        return cp.review_list(value)
    except TypeError as exc:  # pydantic reports ValueErrors, with the field named
        raise ValueError(str(exc)) from None


Commits = Annotated[tuple[CommitRef, ...], BeforeValidator(_commits)]
Reviews = Annotated[tuple[tuple[datetime, str, str | None], ...], BeforeValidator(_reviews)]


class Row(BaseModel):
    """Fields every imported row has; the subclasses add their kind's."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: Required

    @model_validator(mode="after")
    def _in_order(self) -> Row:
        problem = first_problem(self._kind(), self)
        if problem:
            raise _Misfit(*problem)
        return self

    @classmethod
    def _kind(cls) -> str:
        return KIND_OF[cls]


class WorkItemRow(Row):
    title: Required
    kind: Text = None
    body: Text = None
    state: Text = None
    author: Text = None
    author_email: Text = None
    assignees: Texts = ()
    labels: Texts = ()
    issue_type: Text = None
    standard_type: Annotated[str | None, BeforeValidator(_standard)] = None
    project: Text = None
    repo: Text = None
    parent: Text = None
    initiative: Text = None
    components: Texts = ()
    estimate: Amount = None
    sprint: Text = None
    branch: Text = None
    url: Text = None
    created_at: Time = None
    updated_at: Time = None
    closed_at: Time = None
    merged_at: Time = None
    number: Text = None  # a pull request's number in its repository, when `id` is not it
    base_branch: Text = None
    merge_sha: Text = None
    commits: Commits = ()
    reviews: Reviews = ()


class IncidentRow(Row):
    title: Required
    created_at: RequiredTime
    service: Text = None
    teams: Texts = ()
    severity: Text = None
    urgency: Text = None
    priority: Text = None
    status: Text = None
    acknowledged_at: Time = None
    resolved_at: Time = None
    url: Text = None
    events: Annotated[tuple[IncidentEvent, ...], BeforeValidator(_events)] = ()


class AlertRow(Row):
    title: Required
    created_at: RequiredTime
    incident_id: Text = None
    service: Text = None
    severity: Text = None
    acknowledged_at: Time = None
    closed_at: Time = None
    count: Count = None
    tags: Texts = ()
    responders: Texts = ()


class DeploymentRow(Row):
    created_at: RequiredTime
    repo: Text = None
    service: Text = None
    environment: Text = None
    sha: Text = None
    ref: Text = None
    status: Text = None
    finished_at: Time = None
    url: Text = None
    previous: Text = None  # the id of the deployment this one followed
    commits: Commits = ()


class BuildRow(Row):
    repo: Text = None
    workflow: Text = None
    job: Text = None
    sha: Text = None
    branch: Text = None
    event: Text = None
    status: Text = None
    conclusion: Text = None
    attempt: Count = None
    queued_at: Time = None
    started_at: Time = None
    finished_at: Time = None
    url: Text = None


class SprintRow(Row):
    name: Required
    team: Text = None
    state: Text = None
    starts_at: Time = None
    ends_at: Time = None


class PushRow(Row):
    id: Text = None  # type: ignore[assignment]  # a push is named by its repo, ref and head
    after: Required
    repo: Text = None
    ref: Text = None
    before: Text = None
    pushed_at: Time = None
    commits: Commits = ()


MODELS: dict[RecordKind, type[Row]] = {
    "work_items": WorkItemRow,
    "incidents": IncidentRow,
    "alerts": AlertRow,
    "deployments": DeploymentRow,
    "builds": BuildRow,
    "sprints": SprintRow,
    "pushes": PushRow,
}
KIND_OF: dict[type[Row], str] = {model: kind for kind, model in MODELS.items()}


class _Misfit(ValueError):
    """A rule of ktlo.ingest.record_rules broken by a field of an otherwise well-typed row."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def parse_row(path: Path, line: int, row: dict[str, Any], kind: RecordKind) -> Row:
    """The row as its kind's model, or an InputError naming the file, line and field."""
    try:
        return MODELS[kind].model_validate(row)
    except ValidationError as exc:
        raise _row_error(path, line, row, kind, exc) from None


def _row_error(
    path: Path, line: int, row: dict[str, Any], kind: RecordKind, exc: ValidationError
) -> InputError:
    first = exc.errors(include_url=False)[0]
    error = first.get("ctx", {}).get("error")
    if isinstance(error, _Misfit):
        return InputError(
            f"{path} line {line}: {error.field} {error.message}",
            "fix the export: an impossible time or count would make every figure using it wrong",
        )
    field = str(first["loc"][0]) if first["loc"] else "(row)"
    if first["type"] == "missing" or (first["type"] != "value_error" and _blank(row.get(field))):
        return InputError(
            f"{path} line {line}: {field} is missing", f"every {kind} row needs {field}; {SEE}"
        )
    value = row.get(field)
    if first["type"] == "greater_than_equal":
        return InputError(f"{path} line {line}: {field} {value!r} is negative", SEE)
    message = first["msg"].removeprefix("Value error, ")
    return InputError(f"{path} line {line}: {field} {value!r} {message}", SEE)
