"""The run filter: words match the workflow, ids and agent names, case-insensitively."""

from __future__ import annotations

import pytest

from branchscope.tui._run_list import matches, search_text
from tests.tui._factory import seed_run


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("", True),
        ("SEED", True),
        ("run_0007", True),
        ("agentd orchestrator", True),
        ("5eed0000", True),
        ("agentd worker", False),
        ("swarm", False),
    ],
)
def test_filter_words(query: str, found: bool) -> None:
    run = seed_run(mismatch=True, run_id="run_0007")
    assert matches(search_text(run), query) is found
