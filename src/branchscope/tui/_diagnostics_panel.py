"""The diagnostics list of a run: coordination faults, identity mismatches first.

Choosing one posts :class:`DiagnosticsPanel.DiagnosticChosen`; the run screen moves the
timeline cursor to the diagnostic's span.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from branchscope.traces.diagnostics import Diagnostic
from branchscope.tui._theme import Ink, default_ink

__all__ = ["DiagnosticsPanel", "diagnostic_prompt", "ordered"]

_GLYPHS = {"identity_mismatch": "≠", "inferred_mismatch": "≠"}
_SEVERITY_GLYPHS = {"error": "✗", "warning": "⚠"}


def ordered(diagnostics: Sequence[Diagnostic]) -> tuple[Diagnostic, ...]:
    """Identity mismatches first, then errors, then warnings; otherwise as given."""
    return tuple(
        sorted(
            diagnostics,
            key=lambda d: (d.kind != "identity_mismatch", d.severity != "error"),
        )
    )


def diagnostic_prompt(diagnostic: Diagnostic, ink: Ink | None = None) -> Text:
    """One list entry: a glyph that says what kind of fault, then the title.

    The full explanation goes to the details panel when the entry is chosen.
    """
    ink = ink or default_ink()
    glyph = _GLYPHS.get(diagnostic.kind) or _SEVERITY_GLYPHS.get(diagnostic.severity, "•")
    style = {"error": ink.bad, "warning": ink.warn}.get(diagnostic.severity, "bold")
    return Text.assemble((f"{glyph} ", style), (diagnostic.title, style))


class DiagnosticsPanel(OptionList):
    """Diagnostics of one run; Enter on one asks to show its place in the timeline."""

    DEFAULT_CSS = """
    DiagnosticsPanel { height: auto; }
    """

    class DiagnosticChosen(Message):
        """The user picked a diagnostic to see where it happened."""

        def __init__(self, panel: DiagnosticsPanel, diagnostic: Diagnostic) -> None:
            super().__init__()
            self.panel = panel
            self.diagnostic = diagnostic

        @property
        def control(self) -> DiagnosticsPanel:
            return self.panel

    def __init__(self, diagnostics: Sequence[Diagnostic], *, id: str | None = None) -> None:
        self.diagnostics = ordered(diagnostics)
        super().__init__(*self._entries(default_ink()), id=id)

    def _entries(self, ink: Ink) -> list[Option]:
        options = [
            Option(diagnostic_prompt(d, ink), id=str(i)) for i, d in enumerate(self.diagnostics)
        ]
        if not options:
            options = [Option(Text("✓ No coordination problems found.", ink.good), disabled=True)]
        return options

    def restyle(self, ink: Ink) -> None:
        """Redraw the entries in another theme's colours, keeping the cursor."""
        highlighted = self.highlighted
        self.clear_options()
        self.add_options(self._entries(ink))
        self.highlighted = highlighted

    def show_index(self, index: int) -> None:
        """Move the list cursor to diagnostic ``index`` without choosing it."""
        if 0 <= index < len(self.diagnostics):
            self.highlighted = index

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.post_message(self.DiagnosticChosen(self, self.diagnostics[int(event.option.id)]))
