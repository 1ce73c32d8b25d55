"""What a command writes: one JSON document or CSV rows to stdout, tables to the terminal."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

import click

if TYPE_CHECKING:
    from rich.console import Console


#: The width tables are laid out for when stdout is not a terminal (a pipe, a file).
PIPED_WIDTH = 100


def console() -> Console:
    """stdout for tables: the terminal's width, or, piped to a file, COLUMNS when it is set
    and else PIPED_WIDTH; never wider than that (docs/report.md, "In a terminal").

    Text from sources is printed as it is, never read as rich markup, and without hidden
    controls (ktlo.render.display)."""
    return make_console(None if sys.stdout.isatty() else piped_width())


def piped_width() -> int:
    """The width output piped to a file is laid out for: COLUMNS, else PIPED_WIDTH."""
    import os

    columns = os.environ.get("COLUMNS", "")
    return int(columns) if columns.isdigit() and int(columns) > 0 else PIPED_WIDTH


def make_console(width: int | None = None, file: TextIO | None = None) -> Console:
    """A console as ktlo prints with: no markup read in data, no hidden controls; `width`
    None is the terminal's own."""
    from rich.console import Console

    from ktlo.render.display import VisibleText

    out = Console(width=width, file=file, markup=False)
    out.push_render_hook(VisibleText())
    return out


def stderr_may_be_terminal() -> bool:
    """Whether rich could find stderr to be a terminal (and draw progress bars on it): it
    is a tty, or TTY_COMPATIBLE or FORCE_COLOR (which rich reads) say so. When not, a
    command need not import rich at all (`ktlo analyze ... --json 2>log`)."""
    import os

    if os.environ.get("TTY_COMPATIBLE") is not None or os.environ.get("FORCE_COLOR") is not None:
        return True
    try:
        return sys.stderr.isatty()
    except ValueError:  # closed
        return False


def err_console() -> Console:
    """stderr, for progress bars (text as `console` prints it)."""
    from rich.console import Console

    from ktlo.render.display import VisibleText

    err = Console(stderr=True, markup=False)
    err.push_render_hook(VisibleText())
    return err


def emit(
    doc: Any,
    as_json: bool,
    as_csv: bool,
    render: Callable[[Any, Console], None],
    rows: Callable[[Any], list[dict[str, Any]]] | None = None,
    drop: tuple[str, ...] = (),
) -> None:
    """A command's answer: the document as JSON (--json; a typed document, or a list of
    them, as `to_json()`), as CSV rows (--csv: `rows(doc)`, or the document itself when it
    is a list of rows), or rendered for the terminal."""
    if as_json:
        print_json(doc)
    elif as_csv:
        print_csv(rows(doc) if rows else doc, drop)
    else:
        render(doc, console())


def print_json(doc: Any) -> None:
    """`doc` as indented JSON; a typed document (ktlo.documents), or a list of them, as
    `to_json()`."""
    click.echo(json_text(doc))


# Where pydantic-core writes a float otherwise than Python's json module: below 1e-4 it
# writes `0.00001` for `1e-05` and `1.5e-7` for `1.5e-07` (one exponent digit, not two).
_TINY_DECIMAL = re.compile(r"(?<![\d.])0\.0000\d")
_DIGITS = frozenset("0123456789")


def _floats_written_apart(text: str) -> bool:
    """Whether `text` (JSON from pydantic-core) may hold a float the json module writes
    otherwise; a string that only looks like one answers True too, which costs only time.
    Substring searches, not one regular expression: 0.02 s, not 0.5 s, over 21 MB."""
    if "0.0000" in text and _TINY_DECIMAL.search(text):
        return True
    at = text.find("e-")
    while at != -1:  # `<digit>e-<one digit>`, not followed by a second digit
        if at and text[at - 1] in _DIGITS and text[at + 2 : at + 3] in _DIGITS:
            if text[at + 3 : at + 4] not in _DIGITS:
                return True
        at = text.find("e-", at + 2)
    return False


def json_text(doc: Any) -> str:
    """`doc` as indented JSON, byte for byte as `json.dumps(plain(doc), indent=2,
    ensure_ascii=False)`. A typed document, or a list of them, is written by pydantic-core
    from the models (ten times faster than building dicts for the json module: 0.35 s, not
    3.5 s, for a 21 MB allocation by initiative); the json module writes the rest, and the
    rare document with a float the two write differently."""
    from ktlo.documents import Document

    typed = isinstance(doc, Document) or (
        isinstance(doc, list) and all(isinstance(d, Document) for d in doc)
    )
    if typed:
        import pydantic_core

        try:
            text = pydantic_core.to_json(doc, indent=2, by_alias=True).decode("utf-8")
        except pydantic_core.PydanticSerializationError:
            text = None  # e.g. a lone surrogate: the json module says what is wrong
        if text is not None and not _floats_written_apart(text):
            return text
    return json.dumps(plain(doc), indent=2, ensure_ascii=False, default=str)


def plain(doc: Any) -> Any:
    """`doc` as JSON values: a typed document as its `to_json()`, a list item by item."""
    from ktlo.documents import Document

    if isinstance(doc, Document):
        return doc.to_json()
    if isinstance(doc, list):
        return [plain(d) for d in doc]
    return doc


def print_csv(rows: list[Any], drop: tuple[str, ...] = ()) -> None:
    """One row per dict or typed document (ktlo.documents)."""
    write_csv(plain(rows), sys.stdout, drop)


def write_csv(rows: list[dict[str, Any]], out: TextIO, drop: tuple[str, ...] = ()) -> None:
    """One row per dict, columns of the first row but `drop`; lists and dicts as JSON."""
    import csv

    if not rows:
        return
    columns = [c for c in rows[0] if c not in drop]
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {k: json.dumps(v) if isinstance(v, list | dict) else v for k, v in row.items()}
        )
