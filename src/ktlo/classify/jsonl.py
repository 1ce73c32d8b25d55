"""`ktlo classify --jsonl`: each line validated by a declared model, classified, written back.

A line is one JSON object; only `title` is required:

    {"id": 7, "title": "fix x", "body": "...", "files": ["a.py"], "labels": ["bug"],
     "author": "dependabot[bot]", "issue_type": "Bug", "kind": "pull_request"}

Types are strict: `"files": "a.py"` is refused (it is not a list), as is `"labels": [1]`.
An `id` is echoed as it came and must be a string or a finite number: `NaN` and `Infinity`
are not JSON, so a line carrying one is refused rather than echoed as invalid output.
Other keys are ignored. The first bad line stops the stream with an `InputError` naming
its number and field; every line written before it is a complete JSON line.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from math import isfinite
from typing import TYPE_CHECKING, Any, NamedTuple, TextIO

from ktlo.classify.classifier import Item, classify
from ktlo.classify.taxonomy import INVESTMENTS, SUBCATEGORIES
from ktlo.errors import InputError
from ktlo.records import Reason, Verdict

if TYPE_CHECKING:  # pydantic is imported only when a stream is read, not for one TEXT
    from pydantic import ValidationError


EXPECTED = {
    "id": "a string or a finite number",
    "files": "a list of strings",
    "labels": "a list of strings",
}
FIX = 'send one JSON object per line, e.g. {"id": 1, "title": "fix crash", "files": ["a.py"]}'


def line_error(exc: ValidationError, number: int) -> InputError:
    """One sentence for the first thing wrong with input line `number`."""
    first = exc.errors(include_url=False)[0]
    loc = first["loc"]
    if first["type"] == "json_invalid":
        return InputError(f"input line {number} is not JSON ({first['msg']})", FIX)
    if not loc:
        return InputError(f"input line {number} is not a JSON object", FIX)
    field = str(loc[0])
    if first["type"] == "missing":
        return InputError(f'input line {number} has no "{field}"', FIX)
    expected = EXPECTED.get(field, "a string")
    found = _shown(first.get("input"))
    where = f" ({field}[{loc[1]}] is {found})" if len(loc) > 1 and isinstance(loc[1], int) else ""
    if not where:
        where = f", found {found}"
    return InputError(f'input line {number}: "{field}" must be {expected}{where}', FIX)


def _shown(value: Any) -> str:
    """The offending value as the user wrote it, shortened."""
    if isinstance(value, float) and value != value:
        return "NaN"
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "..."


def verdict_json(item_id: Any, verdict: Verdict) -> dict[str, Any]:
    """A verdict as `ktlo classify --json` prints it."""
    return {
        "id": item_id,
        "investment": verdict.investment,
        "subcategory": verdict.subcategory,
        "confidence": verdict.confidence,
        "reasons": [str(r) for r in verdict.reasons],
    }


def verdict_line(item_id: Any, verdict: Verdict) -> str:
    """`verdict_json` as one JSON text, exactly as `json.dumps(..., ensure_ascii=False)`
    writes it, without building the dict and the encoder for every line."""
    reasons = ", ".join(map(_reason_json, verdict.reasons))
    investment, sub = verdict.investment, verdict.subcategory
    return (
        f'{{"id": {repr(item_id) if type(item_id) is int else _scalar(item_id)}, '
        f'"investment": {_NAMES.get(investment) or _string(investment)}, '
        f'"subcategory": {_NAMES.get(sub) or _string(sub)}, '
        f'"confidence": {_scalar(verdict.confidence)}, "reasons": [{reasons}]}}'
    )


_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False)
_string = _ENCODER.encode  # a str is encoded directly, without the generic machinery
# The investments and subcategories as JSON, encoded once rather than on every line.
_NAMES: dict[str | None, str] = {
    None: "null",
    **{name: _string(name) for name in (*INVESTMENTS, *SUBCATEGORIES)},
}


def _reason_json(reason: Reason) -> str:
    """`str(reason)` as a JSON string, remembered for each reason object: the classifier
    hands out the same few thousand (signals.shared_reason, classifier._reason), and a
    reason is immutable. Keyed by identity, the object kept beside its text so that its
    id cannot be reused by another while remembered; bounded like those caches."""
    seen = _REASON_JSON.get(id(reason))
    if seen is not None and seen[0] is reason:
        return seen[1]
    if len(_REASON_JSON) >= 1 << 16:
        _REASON_JSON.clear()
    text = _string(str(reason))
    _REASON_JSON[id(reason)] = (reason, text)
    return text


_REASON_JSON: dict[int, tuple[Reason, str]] = {}


def _scalar(value: Any) -> str:
    """A JSON scalar as the encoder writes it: ints and finite floats by their repr, the
    rest (strings, booleans, NaN refused) by the encoder itself."""
    if value is None:
        return "null"
    kind = type(value)
    if kind is int or (kind is float and isfinite(value)):
        return repr(value)
    return _ENCODER.encode(value)


def classify_lines(lines: Iterable[str], out: TextIO) -> int:
    """Classify each non-blank JSON line and write its verdict line; returns how many."""
    from pydantic_core import from_json

    # From a file the whole input is there already, so verdicts are written in blocks, one
    # write for many lines (with PYTHONUNBUFFERED, as in many containers, every write is a
    # system call); from a pipe or a terminal each is written as its line is read, for
    # whoever waits for it. Whatever was read before a bad line is written before its error.
    block = _BLOCK if _is_a_file(lines) else 1
    pending: list[str] = []
    count = 0
    try:
        for number, line in _numbered(lines):
            if not line or line.isspace():  # blank (`not line.strip()`, without a copy)
                continue
            read: tuple[Any, Item] | None = _read_plain(line, from_json)
            if read is None:  # not plainly valid: the declared model decides, and says why
                read = _read_declared(line, number)
            pending.append(verdict_line(read[0], classify(read[1])))
            count += 1
            if len(pending) >= block:
                out.write("\n".join(pending) + "\n")
                pending.clear()
    finally:
        if pending:
            out.write("\n".join(pending) + "\n")
    return count


_BLOCK = 256  # verdict lines per write when the input is a file


def _is_a_file(lines: Iterable[str]) -> bool:
    """Whether `lines` are read from a regular file (not a pipe, a terminal or a list)."""
    fileno = getattr(lines, "fileno", None)
    try:
        return fileno is not None and stat.S_ISREG(os.fstat(fileno()).st_mode)
    except (OSError, ValueError):  # closed, or no descriptor (io.UnsupportedOperation)
        return False


def _read_declared(line: str, number: int) -> tuple[Any, Item]:
    """Input line `number` read by the declared model `JsonlItem`, or refused with its
    message. Imported here, at the first line that needs it: pydantic and the model take
    ≈ 0.085 s of CPU to load, which a stream of plainly valid lines never needs."""
    from pydantic import ValidationError

    from ktlo.classify.jsonl_item import JsonlItem

    try:
        item = JsonlItem.model_validate_json(line)
    except ValidationError as exc:
        raise line_error(exc, number) from None
    return item.id, item.work_text()


class _Line(NamedTuple):
    """What the classifier reads of a plainly valid line (the fields of `WorkText`, without
    building one: a frozen dataclass costs more to make than the line costs to parse)."""

    title: str
    body: str
    files: tuple[str, ...]
    labels: tuple[str, ...]
    author: str
    issue_type: str
    kind: str
    lines_added: None = None
    lines_deleted: None = None


def _read_plain(line: str, from_json: Callable[[str], Any]) -> tuple[Any, _Line] | None:
    """A line that plainly satisfies `JsonlItem` (every field of its declared type), read
    by the same JSON parser without building the model; None for anything else, which
    `JsonlItem` then reads (and refuses with its own message)."""
    try:
        data = from_json(line)
    except (ValueError, TypeError):  # TypeError: a str with lone surrogates, not UTF-8
        return None
    if type(data) is not dict or type(data.get("title")) is not str:
        return None
    item_id = data.get("id")
    kind = type(item_id)
    if not (item_id is None or kind is str or kind is int or (kind is float and isfinite(item_id))):
        return None
    get = data.get
    texts = (get("body"), get("author"), get("issue_type"), get("kind"))
    if not {*map(type, texts)} <= _STR_OR_NONE:  # each a str or absent, read in C
        return None
    files, labels = get("files"), get("labels")
    for names in (files, labels):
        # every name a str, read in C (the parser makes exact types: no subclass of str)
        if names is not None and (type(names) is not list or not {*map(type, names)} <= _STR):
            return None
    body, author, issue_type, item_kind = texts
    # `_Line(...)` made by tuple.__new__ in C: a named tuple's own constructor is a Python
    # function, a call per line for nothing (every field is given, in order)
    return item_id, _new_line(_Line, (
        data["title"], body or "", tuple(files or ()), tuple(labels or ()), author or "",
        issue_type or "", item_kind or "", None, None,
    ))  # fmt: skip


_new_line = tuple.__new__


_STR = {str}
_STR_OR_NONE = {str, type(None)}


def _numbered(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    """The lines with their numbers; text that is not UTF-8 is an InputError at its line."""
    number = 0
    try:
        for line in lines:
            number += 1
            yield number, line
    except UnicodeDecodeError:  # reading line `number + 1` failed
        raise InputError(
            f"the input is not UTF-8 text (at or after line {number + 1})", "save it as UTF-8"
        ) from None
