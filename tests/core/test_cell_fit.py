"""Choosing the solid's resolution so that drawn faces fall on cell walls (core/cell_fit.py), with
places worked out by hand."""
import numpy as np
import pytest

from depthy_blender.core import cell_fit, visual_hull


def test_crossings_are_placed_between_pixels():
    field = np.tile(np.arange(20, dtype=np.float32) - 10.3, (5, 1))   # zero at 10.3 along each row
    assert cell_fit.crossings(field, axis=1) == pytest.approx([10.3] * 5)
    assert cell_fit.crossings(field.T, axis=0) == pytest.approx([10.3] * 5)


def test_a_long_edge_is_found_and_a_short_one_is_not():
    """A 60-row field whose zero runs down column 30.5 on every row, and at column 10.5 on 3 rows
    only. The view spans 100 pixels (no inset): the edge sits at (30.5 + 0.5) / 100 of it."""
    field = np.full((60, 100), -1.0, np.float32)
    field[:, 31:] = 1.0
    field[:3, 11:31] = 1.0          # a short stub on three rows
    edges = cell_fit.straight_edges(field, axis=1, inset=0.0)
    assert [share for share, _ in edges] == pytest.approx([0.31])
    assert edges[0][1] == 57


def test_the_resolution_moves_an_edge_off_the_cell_centres():
    """An edge at a quarter of x: 130 cells put it on a centre (32.5); 131 put it a quarter of a
    cell from one (32.75), out of reach; so 131, unless the budget forbids it."""
    edges = {"x": [(0.25, 100)], "y": [], "z": []}
    cube = lambda n: (n, n, n)      # noqa: E731
    assert cell_fit.risk(edges, cube(130)) == pytest.approx(100 * cell_fit.NEAR)
    assert cell_fit.risk(edges, cube(131)) == 0.0
    assert cell_fit.best_resolution(edges, cube, 130, budget=10**9) == 131
    assert cell_fit.best_resolution(edges, cube, 130, budget=130**3) == 130
    assert cell_fit.best_resolution(edges, cube, 132, budget=10**9) == 132   # already on a wall


def test_a_drawn_step_is_kept_off_the_cell_centres(tmp_path):
    """The stepped block of test_cavities (step 47 of 120 px up, pen 2): asked for 130 cells, the step
    would lie 0.05 of a cell from a centre (0.6 × 130 = 78 cells up: 30.55); the chosen grid keeps it
    at least NEAR away, and its layers are those the drawing gives."""
    from PIL import Image
    from tests.core.test_cavities import stepped_block_sheet
    from depthy_blender.core import images, sheets
    path = tmp_path / "step.png"
    Image.fromarray(np.stack([stepped_block_sheet(2)] * 3, -1)).save(path)
    found = {v.role: v for v in sheets.find_views(images.load_image(path).rgba[..., :3])}
    views = [found[r] for r in ("front", "side", "top")]
    occ = visual_hull.from_sheet_views([v.mask for v in views], [v.box for v in views], 130,
                                       inks=[v.ink for v in views]).occupancy
    nx, ny, nz = occ.shape
    assert nx > 130
    edge = 47 / 120 * nz
    assert abs(edge % 1.0 - 0.5) >= cell_fit.NEAR - 0.02
    assert occ[int(0.85 * nx), ny // 2].sum() == int(np.floor(edge + 0.5))


def _edge_field(rows, width, at_by_row):
    """A field whose zero lies at the given place (pixels, between two columns) on each listed row,
    and nowhere on the others (all inside)."""
    field = np.ones((rows, width), np.float32)
    cols = np.arange(width, dtype=np.float32)
    for r, at in at_by_row.items():
        field[r] = at - cols     # ≥ 0 left of `at`, < 0 right of it: one crossing, at `at`
    return field


def test_the_inset_sets_the_edges_share_of_the_view():
    """An edge at 20.3 on all 40 rows, a view 60 px wide with 1.5 px trimmed each side: the drawn
    extent runs from pixel centre 1.0 over 57 px, so the edge sits at 19.3 / 57 of it."""
    field = _edge_field(40, 60, {r: 20.3 for r in range(40)})
    (share, length), = cell_fit.straight_edges(field, axis=1, inset=1.5)
    assert share == pytest.approx(19.3 / 57) and length == 40
    # a view with no inset given is taken whole
    edges = cell_fit.edges_by_axis({"front": [field]}, {})
    assert edges["x"] == [(pytest.approx(20.8 / 60), 40)] and edges["y"] == []


def test_edges_half_a_pixel_apart_are_two_edges():
    field = _edge_field(40, 60, {r: 20.3 if r < 20 else 20.7 for r in range(40)})   # bins 40 and 41
    edges = cell_fit.straight_edges(field, axis=1, inset=0.0)
    assert [s * 60 for s, _ in edges] == pytest.approx([20.8, 21.2], abs=1e-4) and [n for _, n in edges] == [20, 20]


def test_an_edge_counts_from_eight_rows_or_a_twentieth_of_the_view():
    short = _edge_field(40, 60, {r: 20.3 for r in range(8)})          # 8 rows: enough in a short view
    assert [n for _, n in cell_fit.straight_edges(short, axis=1, inset=0.0)] == [8]
    shorter = _edge_field(40, 60, {r: 20.3 for r in range(7)})
    assert cell_fit.straight_edges(shorter, axis=1, inset=0.0) == []
    tall = _edge_field(400, 60, {r: 20.3 for r in range(19)})         # a tall view needs 400 / 20 = 20
    assert cell_fit.straight_edges(tall, axis=1, inset=0.0) == []
    tall = _edge_field(400, 60, {r: 20.3 for r in range(20)})
    assert [n for _, n in cell_fit.straight_edges(tall, axis=1, inset=0.0)] == [20]


def test_a_view_trimmed_to_nothing_has_no_edges_and_a_one_pixel_one_has():
    field = _edge_field(40, 3, {r: 1.4 for r in range(40)})
    assert cell_fit.straight_edges(field, axis=1, inset=1.5) == []    # extent 0
    field = _edge_field(40, 4, {r: 1.4 for r in range(40)})
    (share, _), = cell_fit.straight_edges(field, axis=1, inset=1.5)   # extent 1 px, from pixel 1.0
    assert share == pytest.approx(0.4)
    assert cell_fit.straight_edges(np.ones((40, 60), np.float32), axis=1, inset=0.0) == []


def test_a_zero_on_a_pixel_is_one_crossing_there():
    """Pen centre exactly on pixel 1 of the row 1, 0, −1: one crossing, at 1.0 (not none, not two)."""
    field = np.array([[1.0, 0.0, -1.0]] * 3, np.float32)
    assert cell_fit.crossings(field, axis=1).tolist() == [1.0, 1.0, 1.0]
    assert cell_fit.crossings(field.T, axis=0).tolist() == [1.0, 1.0, 1.0]


def _free_only_at(target, least):
    """Edges all on cell walls at `target` cells (shares j / target), one for each other resolution from
    `least` to target + 1 that puts that resolution's edge within a tenth of a cell of a centre: every
    resolution but `target` is at risk."""
    edges = []
    for n in range(least, target + 2):
        if n == target:
            continue
        j = next(j for j in range(1, target) if 0.4 <= (j * n / target) % 1.0 <= 0.6)
        edges.append((j / target, 10))
    return {"x": edges, "y": [], "z": []}


@pytest.mark.parametrize("least", [40, 120])
def test_the_search_reaches_a_tenth_above_the_least_or_four_and_no_further(least):
    """The search tries least + 1 … least + max(4, least // 10): an edge set free of risk only at the
    last of those is found; free only at the one after, it is not."""
    cube = lambda n: (n, n, n)      # noqa: E731
    last = least + max(4, least // 10)
    edges = _free_only_at(last, least)
    assert all(cell_fit.risk(edges, cube(n)) > 0 for n in range(least, last + 2) if n != last)
    assert cell_fit.risk(edges, cube(last)) == 0.0
    assert cell_fit.best_resolution(edges, cube, least, budget=10**12) == last
    beyond = _free_only_at(last + 1, least)
    assert cell_fit.best_resolution(beyond, cube, least, budget=10**12) <= last


def test_a_budget_met_exactly_is_within_it_and_small_gains_count():
    edges = {"x": [(0.25, 100)], "y": [], "z": []}
    cube = lambda n: (n, n, n)      # noqa: E731
    assert cell_fit.best_resolution(edges, cube, 130, budget=131 ** 3) == 131
    assert cell_fit.best_resolution(edges, cube, 130, budget=131 ** 3 - 1) == 130
    short = {"x": [(0.25, 1)], "y": [], "z": []}      # a 1-pixel edge: a risk of 0.2 at 130, 0 at 131
    assert cell_fit.best_resolution(short, cube, 130, budget=10**9) == 131
