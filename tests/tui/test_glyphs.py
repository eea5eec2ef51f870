"""What a lane row shows: bars, joints, barrier counts, and faults marked by glyphs."""

from __future__ import annotations

from dataclasses import replace

from branchscope.tui._axis import TimeAxis
from branchscope.tui._glyphs import axis_cells, barrier_label, lane_cells, lane_label
from branchscope.tui._lanes import TimelineModel, build_timeline
from tests.tui._factory import seed_run


def _rows(model: TimelineModel, width: int, label: int = 24, margin: float = 0) -> list[str]:
    end = model.end_ns + int((model.end_ns - model.start_ns) * margin)
    axis = TimeAxis.fit(model.start_ns, end, width)
    rows = [" " * label + "".join(c.char for c in axis_cells(axis))]
    for r, lane in enumerate(model.lanes):
        rows.append(lane_label(lane, label) + "".join(c.char for c in lane_cells(model, r, axis)))
    return rows


def test_seed_topology_picture() -> None:
    assert _rows(build_timeline(seed_run()), 54) == [
        "                        └0────────┴500ms────┴1s───────┴1.5s─────┴2s───────┴───",
        "br_0000 Orchestrator    Orchest…┬──────────────────────────────────◆Orchest…─◆",
        "├ br_0001 AgentA                ├AgentA       ─────────────────────┤          ",
        "├ br_0002 AgentB                ├AgentB               ─────────────┤          ",
        "└ br_0003 AgentC→AgentD         └AgentC   AgentD                  ─┘          ",
    ]


def test_mismatch_is_marked_by_glyphs_on_the_lane_and_in_the_label() -> None:
    rows = _rows(build_timeline(seed_run(mismatch=True)), 120, margin=0.2)
    lane = rows[2]
    assert lane.startswith("├ br_0001 AgentA       ≠")
    assert "≠AgentA as AgentC" in lane
    assert "⚠ AgentA validated as AgentC" in lane
    assert rows[1].startswith("br_0000 Orchestrator   ✗")
    assert rows[1].rstrip().endswith("◆ 2✓ 1✗ ◆ 0✓ 1✗")  # two barriers, kept apart


def test_failed_arrivals_are_dotted_and_fault_cells_have_fault_roles() -> None:
    model = build_timeline(seed_run(mismatch=True))
    axis = TimeAxis.fit(model.start_ns, model.end_ns, 120)
    roles = {c.role for c in lane_cells(model, 1, axis)}
    assert {"bar_mismatch", "link_failed", "join_failed", "note"} <= roles
    healthy = {c.role for c in lane_cells(model, 2, axis)}
    assert "bar_mismatch" not in healthy and "note" not in healthy


def test_bar_cells_point_back_to_their_item_for_selection_and_clicks() -> None:
    model = build_timeline(seed_run())
    axis = TimeAxis.fit(model.start_ns, model.end_ns, 100)
    items = {c.item for c in lane_cells(model, 3, axis) if c.role == "bar"}
    assert items == {0, 1}


def test_rows_are_exactly_the_axis_width_at_any_zoom() -> None:
    model = build_timeline(seed_run(mismatch=True))
    axis = TimeAxis.fit(model.start_ns, model.end_ns, 37)
    for zoom in range(0, 12, 3):
        zoomed = axis.zoomed(zoom).panned(zoom * 5)
        for r in range(len(model.lanes)):
            assert len(lane_cells(model, r, zoomed)) == 37


def test_barrier_labels_count_arrivals_and_failures() -> None:
    run = seed_run(mismatch=True)
    fork = next(b for b in run.barriers if b.barrier_id == "bar_0001")
    assert barrier_label(fork) == "◆ 2✓ 1✗"
    healthy = next(b for b in seed_run().barriers if b.barrier_id == "bar_0001")
    assert barrier_label(healthy) == "◆ 3✓"
    still_open = replace(healthy, outcome=None, arrived=("br_0001",), arrived_count=1)
    assert barrier_label(still_open) == "◇ 1✓ 2…"


def test_barrier_counts_go_right_of_the_mark_or_not_at_all() -> None:
    rows = _rows(build_timeline(seed_run()), 54)
    # the resumed Orchestrator step leaves no room after the fork's mark: the mark alone
    assert "─◆Orchest…" in rows[1]
    assert "3✓" not in rows[1]
    zoomed = _rows(build_timeline(seed_run()), 200, margin=0.1)
    assert "◆ 1✓" in zoomed[1]


def test_long_labels_are_cut_but_keep_their_marker() -> None:
    lane = build_timeline(seed_run(mismatch=True)).lanes[1]
    assert lane_label(lane, 10) == "├ br_00… ≠"
    assert lane_label(lane, 40) == "├ br_0001 AgentA" + " " * 22 + " ≠"


def test_the_help_legend_shows_the_barrier_marks_the_timeline_draws() -> None:
    from branchscope.tui._help import _LEGEND

    legend = {glyph for glyph, _ in _LEGEND}
    fork = next(b for b in seed_run(mismatch=True).barriers if b.barrier_id == "bar_0001")
    healthy = next(b for b in seed_run().barriers if b.barrier_id == "bar_0001")
    waiting = replace(healthy, outcome=None, arrived=("br_0001",), arrived_count=1)
    drawn = {barrier_label(b) for b in (fork, healthy, waiting)}
    assert drawn == {"◆ 2✓ 1✗", "◆ 3✓", "◇ 1✓ 2…"}
    assert drawn <= legend
