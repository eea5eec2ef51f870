"""A two-column key/value grid for the details panel, drawn without Rich's table machinery.

The details follow the cursor, so they are drawn on every key: a ``rich.table.Table`` measures
every cell twice and pads each through several renderables, most of a cursor key's cost.
Here the keys form one column as wide as the longest key, and each value wraps (folding long
words) in the width left.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

__all__ = ["KeyValueGrid"]


class KeyValueGrid:
    """Rows of ``key  value``; rows whose value is ``None`` or empty are left out."""

    def __init__(
        self, rows: Iterable[tuple[str, Text | str | None]], *, key_style: Style | str = ""
    ) -> None:
        self.rows: Sequence[tuple[str, Text]] = [
            (key, value if isinstance(value, Text) else Text(value))
            for key, value in rows
            if value is not None and value != ""
        ]
        self.key_style = key_style

    @property
    def key_width(self) -> int:
        return max((cell_len(key) for key, _ in self.rows), default=0)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        keys = self.key_width
        widest = max((value.cell_len for _, value in self.rows), default=0)
        most = options.max_width
        return Measurement(min(keys + 2, most), min(keys + 1 + widest, most))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        keys = min(self.key_width, max(1, width // 2))
        value_width = max(1, width - keys - 1)
        key_style = console.get_style(self.key_style) if self.key_style else Style()
        blank = Segment(" " * (keys + 1), key_style)
        new_line = Segment.line()
        for key, value in self.rows:
            head = Segment(key[:keys].ljust(keys + 1), key_style)  # the key and the gap
            fits = value.cell_len <= value_width and "\n" not in value.plain
            lines = [value] if fits else value.wrap(console, value_width, overflow="fold")
            for number, line in enumerate(lines):
                yield head if number == 0 else blank
                yield from line.render(console)
                yield new_line
