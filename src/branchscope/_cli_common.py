"""Small pieces shared by the ``branchscope`` sub-commands."""

from __future__ import annotations

import argparse

import shtab

__all__ = ["complete_files"]


def complete_files(action: argparse.Action) -> argparse.Action:
    """Let shell completion offer file and directory names for *action*."""
    action.complete = shtab.FILE  # type: ignore[attr-defined]
    return action
