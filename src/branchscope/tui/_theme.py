"""Text colours taken from the app's theme, so every built-in theme (light ones too) reads well.

Widgets drawn with CSS use theme variables directly; panels that build Rich renderables
(details, run header, run list cells) take an :class:`Ink` resolved from the same variables
and rebuild when the theme changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from rich.color import Color as RichColor
from rich.style import Style
from textual.app import App
from textual.color import Color
from textual.theme import BUILTIN_THEMES

__all__ = ["Ink", "contrast_ratio", "default_ink", "ink_of", "readable"]

_MIN_CONTRAST = 3.5
"""Contrast ratio (WCAG) that text must reach against its background; a theme colour that
falls short is darkened (light themes) or lightened (dark themes) until it does."""


def _luminance(color: Color) -> float:
    def channel(value: int) -> float:
        v = value / 255
        return v / 12.92 if v <= 0.03928 else float(((v + 0.055) / 1.055) ** 2.4)

    return 0.2126 * channel(color.r) + 0.7152 * channel(color.g) + 0.0722 * channel(color.b)


def contrast_ratio(a: Color, b: Color) -> float:
    """WCAG contrast ratio of two opaque colours, 1 (same) to 21 (black on white)."""
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def readable(color: Color, background: Color, minimum: float = _MIN_CONTRAST) -> Color:
    """``color``, moved away from ``background`` just enough to be read on it. ANSI colours
    are left alone: the terminal decides what they look like."""
    if color.ansi is not None or background.ansi is not None:
        return color
    dark_background = background.brightness < 0.5
    for _ in range(20):
        if contrast_ratio(color, background) >= minimum:
            break
        color = color.lighten(0.05) if dark_background else color.darken(0.05)
    return color


def _color(variables: Mapping[str, str], name: str, fallback: str = "foreground") -> Color:
    """A theme colour made opaque over the background (Rich has no alpha)."""
    background = Color.parse(variables.get("background", "#000000"))
    raw = variables.get(name) or variables.get(fallback, "#808080")
    try:
        color = Color.parse(raw)
    except Exception:  # e.g. "auto 60%": fall back to the plain foreground
        color = Color.parse(variables.get(fallback, "#808080"))
    if color.a < 1 and color.ansi is None and background.ansi is None:
        return background + color
    return color


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
        background = _color(variables, "surface", "background")

        def rich(name: str, minimum: float = _MIN_CONTRAST) -> RichColor:
            # ANSI themes give ANSI colours, which the terminal draws
            return readable(_color(variables, name), background, minimum).rich_color

        return cls(
            text=Style(color=rich("foreground")),
            muted=Style(color=rich("foreground-muted", 3.0)),
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
