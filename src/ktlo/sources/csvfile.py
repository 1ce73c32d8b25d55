"""Reading an exported CSV file: rows as dicts with the line each starts on.

A correctly quoted field of any size is read (Python's csv module stops at 128 KiB by
default; a field can be no longer than its file, so the limit is raised to that). Quoting
is read strictly, so a file that ends inside a quoted field, or whose last row stops short
of the header's columns without a final line break, is reported as truncated instead of
loading a cut-off value or reporting a missing column. An empty file is an error; a file
with a header and no rows gives no rows (the caller says so).
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ktlo.errors import InputError

_LARGEST_LIMIT = min(sys.maxsize, 2**31 - 1)  # what csv.field_size_limit accepts everywhere
TRUNCATED = "export it again: the file was probably cut off while it was written or copied"


def read_csv(path: Path, content: bytes) -> list[tuple[int, dict[str, Any]]]:
    """Every row of a UTF-8 CSV file as (line, {column: value}); InputError names file and line."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path} is not UTF-8 text", "save the export as UTF-8") from exc
    if not text.strip():
        raise InputError(f"{path} is empty", "export it again, with a header row and its rows")
    if len(text) >= csv.field_size_limit():
        csv.field_size_limit(min(len(text) + 1, _LARGEST_LIMIT))
    lines = _Lines(text)
    reader = csv.reader(lines, strict=True)
    try:
        header = next(reader)
        _check_header(path, header)
        return list(_records(path, text, header, reader, lines))
    except csv.Error as exc:
        if lines.exhausted:
            raise InputError(
                f"{path} ends inside a quoted field (line {reader.line_num}): it looks truncated",
                TRUNCATED,
            ) from None
        raise InputError(
            f"{path} line {reader.line_num}: bad quoting ({exc})",
            'quote a field that holds commas, quotes or line breaks, and double its quotes ("")',
        ) from None


def _records(
    path: Path, text: str, header: list[str], reader: Any, lines: _Lines
) -> Iterator[tuple[int, dict[str, Any]]]:
    start = reader.line_num + 1
    for values in reader:
        line, start = start, reader.line_num + 1
        if not values:
            continue  # a blank line
        if len(values) > len(header):
            raise InputError(
                f"{path} line {line}: more values than columns ({len(values)} for {len(header)})",
                "check the quoting on that line",
            )
        if len(values) < len(header) and lines.at_end and not text.endswith(("\n", "\r")):
            raise InputError(
                f"{path} line {line}: the file ends after {len(values)} of the "
                f"{len(header)} columns of its last row: it looks truncated",
                TRUNCATED,
            )
        row = dict(zip(header, values, strict=False))
        yield line, {name: value for name, value in row.items() if name}


def _check_header(path: Path, header: list[str]) -> None:
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            raise InputError(
                f"{path} line 1: the column {name!r} appears twice", "keep one of them"
            )
        seen.add(name)


class _Lines:
    """The file's lines (split as csv expects), one read ahead so the last one is known."""

    def __init__(self, text: str) -> None:
        self._lines = iter(io.StringIO(text, newline=""))
        self._next = next(self._lines, None)
        self.exhausted = False  # the reader asked for a line after the last

    @property
    def at_end(self) -> bool:
        """Whether every line has been handed out."""
        return self._next is None

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self._next
        if line is None:
            self.exhausted = True
            raise StopIteration
        self._next = next(self._lines, None)
        return line
