"""Small pieces shared by the ``branchscope`` sub-commands."""

from __future__ import annotations

import argparse

import shtab

__all__ = ["complete_files", "positive_int"]


def complete_files(action: argparse.Action) -> argparse.Action:
    """Let shell completion offer file and directory names for *action*."""
    action.complete = shtab.FILE  # type: ignore[attr-defined]
    return action


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1, else a usage error naming the value."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value
