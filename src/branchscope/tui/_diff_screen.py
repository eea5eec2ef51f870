"""Two runs side by side (``d`` on two runs in the list, or ``branchscope diff A B --view``).

Both timelines one above the other, the differences below in the order they happened; the
first divergence is selected, and choosing a difference shows its place in both runs.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from branchscope.traces.diff import Difference, RunDiff
from branchscope.traces.model import RunView
from branchscope.tui._format import format_duration
from branchscope.tui._run_screen import run_outcome
from branchscope.tui._theme import ink_of
from branchscope.tui._timeline import Timeline

__all__ = ["DiffScreen"]


class DiffScreen(Screen[None]):
    """Run A above run B; Escape goes back."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("a", "app.focus('left')", "Run A", show=False),
        Binding("b", "app.focus('right')", "Run B", show=False),
    ]

    DEFAULT_CSS = """
    DiffScreen .run-title {
        height: 1; padding: 0 1; background: $panel; text-wrap: nowrap; text-overflow: ellipsis;
    }
    DiffScreen Timeline { height: auto; max-height: 35%; min-height: 2; }
    DiffScreen #below { height: 1fr; min-height: 4; }
    DiffScreen #differences {
        height: auto; max-height: 100%;
        border: round $primary-background-lighten-2;
        border-title-color: $text-muted;
    }
    DiffScreen #differences:focus-within { border: round $primary; }
    """

    def __init__(self, diff: RunDiff) -> None:
        super().__init__()
        self.diff = diff
        self.left = Timeline(diff.left, id="left")
        self.right = Timeline(diff.right, id="right")

    def _title(self, name: str, run: RunView) -> Text:
        ink = ink_of(self.app)
        text = Text.assemble((f"{name} ", "bold"), (run.label, "bold"), "  ")
        text.append_text(run_outcome(run, ink=ink))
        text.append(f"  {format_duration(run.duration_ns)}  ")
        text.append(run.run_id or run.trace_id, style=ink.muted)
        return text

    def compose(self) -> ComposeResult:
        yield Static(self._title("A", self.diff.left), classes="run-title")
        yield self.left
        yield Static(self._title("B", self.diff.right), classes="run-title")
        yield self.right
        ink = ink_of(self.app)
        options = [
            Option(
                Text.assemble(
                    (f"+{format_duration(d.offset_ns)}  ", ink.muted),
                    (str(d), "bold" if i == 0 else ""),
                ),
                id=str(i),
            )
            for i, d in enumerate(self.diff.differences)
        ] or [Option(Text("No difference in branches, agents, actions, validation or outcomes."))]
        with Vertical(id="below"):
            yield OptionList(*options, id="differences")
        yield Footer()

    def on_mount(self) -> None:
        panel = self.query_one("#differences", OptionList)
        count = len(self.diff.differences)
        outcome = "outcomes differ" if self.diff.outcomes_differ else "same outcome"
        panel.border_title = f"Differences ({count}) · {outcome} · in the order they happened"
        first = self.diff.first_divergence
        if first is not None:
            self.show(first)
        panel.focus()

    def show(self, difference: Difference) -> None:
        """Select the difference's place in both timelines."""
        for timeline, span in (
            (self.left, difference.left_span),
            (self.right, difference.right_span),
        ):
            place = timeline.model.place(span)
            if place is not None:
                timeline.select(place)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id is not None:
            self.show(self.diff.differences[int(event.option.id)])

    def on_timeline_selection_changed(self, event: Timeline.SelectionChanged) -> None:
        event.stop()  # no details panel here; the cursor itself is the answer

    def action_back(self) -> None:
        self.dismiss()
