"""Text colours taken from the app's theme, so every built-in theme (light ones too) reads well.

Widgets drawn with CSS use theme variables directly; panels that build Rich renderables
(details, run header, run list cells) take an :class:`Ink` resolved from the same variables
and rebuild when the theme changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from rich.style import Style
from textual.app import App
from textual.color import Color
from textual.theme import BUILTIN_THEMES

__all__ = ["Ink", "default_ink", "ink_of"]


def _color(variables: Mapping[str, str], name: str, fallback: str = "foreground") -> Color:
    """A theme colour made opaque over the background (Rich has no alpha)."""
    background = Color.parse(variables.get("background", "#000000"))
    raw = variables.get(name) or variables.get(fallback, "#808080")
    try:
        color = Color.parse(raw)
    except Exception:  # e.g. "auto 60%": fall back to the plain foreground
        color = Color.parse(variables.get(fallback, "#808080"))
    return background + color if color.a < 1 else color


@dataclass(frozen=True, slots=True)
class Ink:
    """Rich styles for the roles text plays in the viewer, in one theme's colours."""

    text: Style
    muted: Style
    """Keys of key/value grids, ids, secondary facts."""
    bad: Style
    """Failures, mismatches, errors."""
    warn: Style
    good: Style
    accent: Style
    """Commands and keys the user can type."""
    dark: bool

    @classmethod
    def from_variables(cls, variables: Mapping[str, str], *, dark: bool) -> Ink:
        def rich(name: str) -> str:
            return _color(variables, name).hex

        return cls(
            text=Style(color=rich("foreground")),
            muted=Style(color=rich("foreground-muted")),
            bad=Style(color=rich("text-error"), bold=True),
            warn=Style(color=rich("text-warning"), bold=True),
            good=Style(color=rich("text-success")),
            accent=Style(color=rich("text-primary"), bold=True),
            dark=dark,
        )


@cache
def default_ink() -> Ink:
    """The ink of Textual's default dark theme, for renderables built outside an app."""
    theme = BUILTIN_THEMES["textual-dark"]
    return Ink.from_variables(theme.to_color_system().generate(), dark=theme.dark)


def ink_of(app: App[object]) -> Ink:
    """The ink of the app's current theme."""
    return Ink.from_variables(app.get_css_variables(), dark=app.current_theme.dark)
