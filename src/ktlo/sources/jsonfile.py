"""Reading saved JSON: one document, an array, concatenated pages or JSON lines, with line numbers.

`gh api --paginate` writes one array per page back to back (`[...][...]`), exports often
write JSON lines, and a saved single answer is one array or object. All of them come out
as a flat sequence of (line, value): the elements of top-level arrays, or the top-level
values themselves, each with the line it starts on, so errors can point at it. An empty
file, `NaN` or `Infinity` (not JSON, though Python's json reads them) and a file that ends
in the middle of a value (truncated) are errors that say so.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ktlo.errors import InputError

_SPACE = " \t\r\n"
TRUNCATED = "export it again: the file was probably cut off while it was written or copied"


class _NotJson(ValueError):
    """NaN, Infinity or -Infinity, which Python's json accepts and JSON does not."""


def _refuse(constant: str) -> Any:
    raise _NotJson(constant)


_DECODER = json.JSONDecoder(parse_constant=_refuse)


def read_values(path: Path) -> list[tuple[int, Any]]:
    """Every record of a saved JSON file with its line number; InputError names file and line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path} does not exist", "check the file name") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}", "save the file as UTF-8 JSON") from exc
    if not text.strip():
        raise InputError(f"{path} is empty", "export it again: a JSON array or JSON lines")
    return _Reader(text, path).read()


class _Reader:
    """Walks the text once, keeping the line count as it goes (files can be large)."""

    def __init__(self, text: str, path: Path) -> None:
        self.text = text
        self.path = path
        self.values: list[tuple[int, Any]] = []
        self._counted = 0
        self._lines = 1

    def read(self) -> list[tuple[int, Any]]:
        index = self._skip(0)
        while index < len(self.text):
            if self.text[index] == "[":
                index = self._array(index)
            else:
                index = self._value(index)
            index = self._skip(index)
        return self.values

    def _array(self, start: int) -> int:
        index = self._skip(start + 1)
        if index < len(self.text) and self.text[index] == "]":
            return index + 1
        while True:
            index = self._skip(self._value(index))
            if index < len(self.text) and self.text[index] == ",":
                index = self._skip(index + 1)
            elif index < len(self.text) and self.text[index] == "]":
                return index + 1
            elif index >= len(self.text):
                raise InputError(
                    f"{self.path} ends inside the array that starts on line {self.line(start)}: "
                    "it looks truncated",
                    TRUNCATED,
                )
            else:
                raise InputError(
                    f"{self.path} line {self.line(index)}: expected ',' or ']' in an array",
                    "check the JSON syntax at that line",
                )

    def _value(self, index: int) -> int:
        try:
            value, end = _DECODER.raw_decode(self.text, index)
        except _NotJson as exc:
            raise InputError(
                f"{self.path} line {self.line(index)}: {exc} is not JSON",
                "write null, or a finite number, instead",
            ) from None
        except json.JSONDecodeError as exc:
            if self._cut_off(exc.pos):
                raise InputError(
                    f"{self.path} ends inside the value that starts on line {self.line(index)}: "
                    "it looks truncated",
                    TRUNCATED,
                ) from None
            raise InputError(
                f"{self.path} line {exc.lineno}: not valid JSON ({exc.msg})",
                "check the JSON syntax at that line",
            ) from None
        self.values.append((self.line(index), value))
        return int(end)

    def _cut_off(self, error_at: int) -> bool:
        """Whether a syntax error at `error_at` is the file ending mid-value: it is on the
        last line, and that line does not close an object or array as a whole file does."""
        end = self.text.rstrip()
        return error_at >= end.rfind("\n") and not end.endswith(("]", "}"))

    def _skip(self, index: int) -> int:
        while index < len(self.text) and self.text[index] in _SPACE:
            index += 1
        return index

    def line(self, index: int) -> int:
        if index < self._counted:
            return self.text.count("\n", 0, index) + 1
        self._lines += self.text.count("\n", self._counted, index)
        self._counted = index
        return self._lines
