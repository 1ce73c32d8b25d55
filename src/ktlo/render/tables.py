"""The one kind of table ktlo prints: rich's, with a title that wraps at the terminal's width.

rich wraps a table's title to the table's own width, so a narrow table under a long title
("KTLO hotspots (where keeping the lights on concentrates)") printed the title over three
short lines. `Titled` prints the title first, as ordinary text, then the table.
"""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table
from rich.text import Text


class Titled(Table):
    """A rich Table whose title is printed above it at the terminal's width."""

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        title = self.title
        if title:
            text = title if isinstance(title, Text) else Text(str(title))
            text.stylize(self.title_style or "table.title")
            yield text
        self.title = None
        try:
            yield from super().__rich_console__(console, options)
        finally:
            self.title = title
