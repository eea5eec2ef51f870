"""The ``?`` screen: every key, grouped by where it works."""

from __future__ import annotations

from typing import ClassVar, Final

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from branchscope.tui._theme import Ink, default_ink, ink_of

__all__ = ["KEYS", "HelpScreen", "help_table"]

KEYS: Final[tuple[tuple[str, tuple[tuple[str, str], ...]], ...]] = (
    (
        "Run list",
        (
            ("↑ ↓  j k", "move between runs"),
            ("Enter / click", "open the run"),
            ("/", "filter by workflow, run id or agent"),
            ("Esc", "clear the filter"),
            ("d  then d", "mark a run, then compare it with another, side by side"),
        ),
    ),
    (
        "Run",
        (
            ("↑ ↓  j k", "previous / next lane (branch)"),
            ("← →  h l", "previous / next step or barrier on the lane"),
            ("Shift+← →  H L", "pan the time axis (when zoomed in)"),
            ("Enter / click", "select the lane's first step or barrier in view"),
            ("Esc", "leave item selection, then back to the run list"),
            ("+  -  0", "zoom in / out / fit the whole run"),
            ("p", "highlight the critical path (what the run waited for)"),
            ("r", "raw view: every attribute, event, link and status of the span"),
            ("c", "fold / unfold the step's conversation"),
            ("f", "details full screen (and back)"),
            ("e  E", "next / previous error or identity mismatch"),
            ("Tab  d  t", "focus the next panel / diagnostics / timeline"),
            ("Enter on a diagnostic", "show where it happened"),
            ("PgUp PgDn  g G", "page / first / last lane"),
        ),
    ),
    (
        "Everywhere",
        (
            ("?", "this help"),
            ("Ctrl+P", "command palette (jump to next error, zoom…)"),
            ("q", "quit"),
        ),
    ),
)

_LEGEND: Final = (
    ("┬ ├ └", "a branch forks children"),
    ("┤ ┘", "children arrive at a barrier on the branch that waits"),
    ("◆ 3✓", "barrier fired: 3 branches arrived"),
    ("◆ 2✓ 1✗", "barrier fired with failure: 2 arrived, 1 failed"),
    ("◇ 1✓ 2…", "barrier still open (or cancelled): 2 never arrived"),
    ("✗", "failed step or branch"),
    ("≠", "identity mismatch: the step was validated as another agent"),
    ("┄ …", "branch still open when the trace ended"),
)


def help_table(ink: Ink | None = None) -> Table:
    """Keys and timeline glyphs, as one table."""
    ink = ink or default_ink()
    table = Table.grid(padding=(0, 2))
    table.add_column(style=ink.accent, no_wrap=True)
    table.add_column()
    for section, keys in KEYS:
        table.add_row(Text(section, style="bold underline"), "")
        for key, what in keys:
            table.add_row(key, what)
        table.add_row("", "")
    table.add_row(Text("Timeline glyphs", style="bold underline"), "")
    for glyph, what in _LEGEND:
        table.add_row(glyph, what)
    return table


class HelpScreen(ModalScreen[None]):
    """Lists the keys; any of Esc, ``?`` or ``q`` closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "dismiss", "Close"),
    ]

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 90%;
        max-width: 84;
        height: auto;
        max-height: 90%;
        border: round $primary;
        background: $surface;
        padding: 0 1;
    }
    HelpScreen Static { width: 1fr; }
    """

    def compose(self) -> ComposeResult:
        with VerticalScroll() as body:
            body.border_title = "Keys"
            yield Static(help_table(ink_of(self.app)))
