"""Trace vocabularies: how each runtime's spans map onto runs, branches, steps and barriers.

One module per vocabulary, each with ``NAME``, ``recognises(tree)`` and ``read(tree)``.
:func:`read_run` tries them most specific first; the generic one (tree and timing) always
applies. Adding a vocabulary is adding a module here and a line to ``_VOCABULARIES``:
nothing downstream (diagnostics, the viewer, ``check``) changes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .._inferred import with_inferred_identities
from .._tree import SpanTree
from ..model import RunView, SpanRecord, Vocabulary
from . import branchscope, genai, generic, marsys, openinference

__all__ = ["VocabularyReader", "read_run", "vocabularies"]


@dataclass(frozen=True, slots=True)
class VocabularyReader:
    name: Vocabulary
    recognises: Callable[[SpanTree], bool]
    read: Callable[[SpanTree], RunView]


_VOCABULARIES: tuple[VocabularyReader, ...] = tuple(
    VocabularyReader(m.NAME, m.recognises, m.read)
    for m in (branchscope, marsys, openinference, genai, generic)
)


def vocabularies() -> tuple[VocabularyReader, ...]:
    """Every vocabulary, in the order they are tried."""
    return _VOCABULARIES


def read_run(trace_id: str, spans: Sequence[SpanRecord]) -> RunView:
    """The run of one trace, read with the first vocabulary that recognises its spans."""
    tree = SpanTree(trace_id, spans)
    reader = next((v for v in _VOCABULARIES if v.recognises(tree)), _VOCABULARIES[-1])
    return with_inferred_identities(reader.read(tree))
