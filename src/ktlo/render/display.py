"""Text from sources as people see it: no hidden controls, and names of a bounded length.

Names (authors, people, teams) and titles come from git, trackers and configuration, so
anyone can choose them. A right-to-left override (U+202E) makes "gnp.exe" read
"exe.png"; a terminal escape sequence rewrites what the rest of the screen shows; rich
markup in a name (`[/bold]`) would be read as styling. So every view shows text through
one place:

- the terminal: `VisibleText`, a render hook on ktlo's consoles (cli/output.py), removes
  bidirectional and control characters from everything printed, and the consoles read
  no markup in data;
- HTML (report and dashboard): Jinja's `finalize` removes bidirectional controls from
  everything a template writes (render/html.py), and the chart script from every label;
- names are shortened to NAME_WIDTH characters, with an ellipsis, where a view shows one
  (`display_name`; the `name` filter in templates), never where it is used as a key.

JSON and CSV are data for programs: they keep names exactly as recorded.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from rich.console import Console, ConsoleOptions, ConsoleRenderable, RenderHook, RenderResult
from rich.segment import Segment

#: The characters that reorder text: embeddings, overrides, isolates and marks.
BIDI_CONTROLS = (
    "\u202a\u202b\u202c\u202d\u202e"  # LRE RLE PDF LRO RLO
    "\u2066\u2067\u2068\u2069"  # LRI RLI FSI PDI
    "\u200e\u200f\u061c"  # LRM RLM ALM
)
NAME_WIDTH = 60
_NO_BIDI = dict.fromkeys(map(ord, BIDI_CONTROLS))
_CONTROLS = [*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F, *range(0x80, 0xA0)]  # not \t, \n
_NO_CONTROLS = {**_NO_BIDI, **dict.fromkeys(_CONTROLS)}


def visible(text: str) -> str:
    """`text` without bidirectional controls."""
    return text.translate(_NO_BIDI)


def printable(text: str) -> str:
    """`text` without bidirectional controls nor control characters (tab and newline stay):
    what may reach a terminal."""
    return text.translate(_NO_CONTROLS)


def display_name(name: object, width: int = NAME_WIDTH) -> str:
    """A name as shown: no hidden controls, one line, at most `width` characters."""
    text = " ".join(printable(str(name)).split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


class VisibleText(RenderHook):
    """A rich render hook: what is printed reaches the terminal without bidirectional or
    control characters (rich's own styling is added after, so it is kept)."""

    def process_renderables(self, renderables: list[ConsoleRenderable]) -> list[ConsoleRenderable]:
        return [_Printable(r) for r in renderables]


class _Printable:
    """A renderable whose text segments are cleaned on their way out."""

    def __init__(self, inner: ConsoleRenderable) -> None:
        self.inner = inner

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        return _clean(console.render(self.inner, options))


def _clean(segments: Iterable[Segment]) -> Iterator[Segment]:
    for segment in segments:
        if segment.control:
            yield segment
        else:
            yield Segment(printable(segment.text), segment.style)
