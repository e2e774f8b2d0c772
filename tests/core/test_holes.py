"""Fill Holes (core/holes.py): the gaps a figure encloses, the one under a point (or within reach of it),
the holes a selection's rim touches on a relief's grid, and the pipeline making the figure again with
the chosen holes in it."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from PIL import Image, ImageDraw
from scipy import ndimage

from depthy_blender.core import holes, relief
from depthy_blender.pipeline import drawing

SHAPE = (20, 30)


def plate(*gaps):
    """A 20 × 30 figure: a plate at rows 2–17, columns 2–27, with each (rows, cols) gap cut out."""
    mask = np.zeros(SHAPE, bool)
    mask[2:18, 2:28] = True
    for rows, cols in gaps:
        mask[rows, cols] = False
    return mask


LEFT, RIGHT = (slice(6, 12), slice(5, 11)), (slice(8, 11), slice(18, 22))


def uv(row, col, shape=SHAPE):
    return (col + 0.5) / shape[1], (row + 0.5) / shape[0]


def test_a_gap_the_figure_encloses_is_a_hole_and_the_background_round_it_is_not():
    labels = holes.holes(plate(LEFT, RIGHT))
    assert labels.max() == 2
    assert (labels[LEFT] > 0).all() and (labels[RIGHT] > 0).all()
    assert labels[LEFT][0, 0] != labels[RIGHT][0, 0]
    assert (labels[:2] == 0).all() and (labels[:, :2] == 0).all()   # the paper round the plate
    assert labels.dtype == np.int32


def test_a_notch_open_to_the_border_is_no_hole():
    mask = plate()
    mask[8:12, 20:] = False   # cut in from the right-hand edge
    assert holes.holes(mask).max() == 0


def test_the_hole_under_a_point_and_none_on_the_figure():
    labels = holes.holes(plate(LEFT, RIGHT))
    assert holes.hole_at(labels, uv(8, 7)) == labels[8, 7] > 0
    assert holes.hole_at(labels, uv(15, 15)) == 0


def test_a_point_just_off_its_hole_reaches_it_and_one_farther_does_not():
    labels = holes.holes(plate(LEFT))
    beside = uv(8, 12)   # one column right of the hole's last column (10) and one more
    assert holes.hole_at(labels, beside) == 0
    assert holes.hole_at(labels, beside, reach=2.0) == labels[8, 7]
    assert holes.hole_at(labels, beside, reach=1.9) == 0
    assert holes.hole_at(labels, uv(3, 18), reach=2.0) == 0


def test_a_point_off_the_drawing_is_clamped_and_a_garbled_one_is_on_no_hole():
    mask = np.zeros(SHAPE, bool)
    mask[:, 3:] = True
    mask[:5, 3:8] = False
    mask[0, 3:8] = True          # a hole touching the first row of the figure, not the image's edge
    mask[:5, 3] = True
    labels = holes.holes(mask)
    assert labels[2, 5] > 0
    assert holes.hole_at(labels, (0.2, 0.1)) == labels[2, 5]
    for garbled in [(float("nan"), 0.5), (0.5, float("inf")), ("x", 0.5), (0.5,), None]:
        assert holes.hole_at(labels, garbled) == 0
    assert holes.pixel_of((-3.0, 7.0), SHAPE) == (SHAPE[0] - 1, 0)


def test_only_the_holes_under_the_points_are_filled_each_once():
    mask = plate(LEFT, RIGHT)
    out, count, missed = holes.filled(mask, [uv(7, 6), uv(10, 9), uv(15, 15)])
    assert (count, missed) == (1, 1)
    assert out[LEFT].all() and not out[RIGHT].any()
    assert np.array_equal(out & ~mask, ~mask & np.pad(np.ones((6, 6), bool), ((6, 8), (5, 19))))
    assert np.array_equal(holes.filled(mask, [])[0], mask)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 16), st.integers(1, 26), st.integers(1, 3), st.integers(1, 3)),
                max_size=5),
       st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), max_size=6))
def test_a_fill_only_adds_enclosed_gaps_and_every_point_on_a_hole_fills_it(cuts, points):
    mask = plate(*[(slice(r, r + h), slice(c, c + w)) for r, c, h, w in cuts])
    out, count, missed = holes.filled(mask, points)
    assert (out >= mask).all()
    assert not (out & ~ndimage.binary_fill_holes(mask)).any()
    labels = holes.holes(mask)
    assert count == len({holes.hole_at(labels, p) for p in points} - {0})
    assert missed == sum(holes.hole_at(labels, p) == 0 for p in points)
    everywhere = [uv(r, c) for r, c in zip(*np.nonzero(labels))]
    assert np.array_equal(holes.filled(mask, everywhere)[0], ndimage.binary_fill_holes(mask))


def test_reach_is_two_grid_samples_in_pixels():
    assert holes.reach_for((400, 600), relief.grid_shape_for((400, 600), 150)) == 8.0


def front_cells(mask):
    return np.flatnonzero(mask.ravel())


def rims(mask, *selected, find=holes.rim_points):
    """`find` on a relief whose vertices are `mask`'s samples, the vertices on `selected` (row, column)
    selected."""
    cells = front_cells(mask)
    picked = np.zeros(mask.size, bool)
    for row, col in selected:
        picked[row * mask.shape[1] + col] = True
    return find(cells, mask.shape, picked[cells])


def test_a_vertex_on_a_hole_s_rim_picks_that_hole_at_its_deepest_sample():
    mask = plate(LEFT, RIGHT)
    points = rims(mask, (5, 7))    # on the row above the left hole
    assert len(points) == 1
    labels = holes.holes(mask)
    assert holes.hole_at(labels, points[0]) == labels[LEFT][0, 0]
    depth = ndimage.distance_transform_edt(labels > 0)
    assert depth[holes.pixel_of(points[0], SHAPE)] == depth[LEFT].max()


def test_a_corner_touch_counts_and_a_vertex_two_samples_away_does_not():
    mask = plate(LEFT)
    assert len(rims(mask, (5, 11))) == 1        # diagonal to (6, 10)
    assert rims(mask, (4, 7)) == []
    everything = np.ones(np.count_nonzero(mask), bool)
    assert len(holes.rim_points(front_cells(mask), SHAPE, everything)) == 1


def test_selecting_round_both_holes_picks_both():
    mask = plate(LEFT, RIGHT)
    points = rims(mask, (5, 7), (11, 20))
    labels = holes.holes(mask)
    assert sorted(holes.hole_at(labels, p) for p in points) == [1, 2]


def test_nothing_selected_or_no_hole_touched_is_one_line():
    mask = plate(LEFT)
    cells = front_cells(mask)
    with pytest.raises(holes.HoleError, match="Select a vertex on the rim"):
        holes.points_to_fill(cells, SHAPE, np.zeros(len(cells), bool))
    with pytest.raises(holes.HoleError, match="No hole touches the selected vertices"):
        rims(mask, (16, 25), find=holes.points_to_fill)
    assert len(rims(mask, (12, 8), find=holes.points_to_fill)) == 1


def plate_with_a_hole_cut_out() -> np.ndarray:
    """160 × 120 px: a white plate outlined in black with a round hole through it, transparent round
    about, so every engine's figure has the hole (from the transparency; white, so it is no line)."""
    img = Image.new("RGBA", (160, 120), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.rectangle((20, 20, 139, 99), fill=(255, 255, 255, 255), outline=(0, 0, 0, 255), width=2)
    draw.ellipse((60, 40, 99, 79), fill=(255, 255, 255, 0), outline=(0, 0, 0, 255), width=2)
    return np.asarray(img, np.float32) / 255


def made(engine="inflate", **settings):
    req = drawing.Request(name="plate", engine=engine, rgba=plate_with_a_hole_cut_out(), resolution=80,
                          smoothing=0.0, auto_ratio=False, **settings)
    return drawing.compute(req, lambda f, s: None, lambda: False)


CENTRE = (0.5, 0.5)   # the hole's middle on the drawing


@pytest.mark.parametrize("engine", ["inflate", "depthy"])
def test_the_pipeline_fills_the_hole_under_a_point_at_the_engine_s_depth(engine):
    if engine == "depthy":
        pytest.importorskip("torch")
    before, after = made(engine), made(engine, fills=(CENTRE,))
    assert (before.filled, after.filled, after.notes) == (0, 1, [])
    shape = before.relief.grid_shape
    grid = np.zeros(shape[0] * shape[1], bool)
    grid[before.relief.cells] = True
    hole = holes.holes(grid.reshape(shape))
    assert hole.max() == 1
    new = np.setdiff1d(after.relief.cells, before.relief.cells)
    assert np.array_equal(np.sort(new), np.flatnonzero(hole.ravel()))
    depth = drawing.estimate(plate_with_a_hole_cut_out(), engine)
    inside = depth.nearness[45:75, 65:95]   # well inside the hole, past the grid's blur of its edge
    raw = dict(zip(after.relief.cells, after.relief.raw))
    middle = shape[0] // 2 * shape[1] + shape[1] // 2
    assert inside.min() - 1e-4 <= raw[middle] <= inside.max() + 1e-4


def test_a_point_on_the_figure_fills_nothing_and_says_so():
    out = made(fills=((0.2, 0.5), CENTRE, (0.5, 0.5 + 1e-3)))
    assert out.filled == 1
    assert out.notes == ["1 of the points to fill is on no hole (the figure is there already)"]


def test_a_filled_hole_is_a_drawn_area_the_flip_can_raise():
    """With flat faces, the hole filled (at the engine's nearness there, 0: Inflate reads nothing past
    its figure) is one flat face sunk below the plate; a flip at the same point raises it."""
    sunk = made(faces="flat", fills=(CENTRE,))
    raised = made(faces="flat", fills=(CENTRE,), flips=(CENTRE,))
    assert raised.flipped == 1
    shape = sunk.relief.grid_shape
    middle = shape[0] // 2 * shape[1] + shape[1] // 2
    at = {name: dict(zip(o.relief.cells, o.relief.verts[:, 2]))[middle] for name, o in
          (("sunk", sunk), ("raised", raised))}
    plate_cell = (30 * shape[0] // 120) * shape[1] + 30 * shape[1] // 160   # pixel (30, 30), on the plate
    level = {name: dict(zip(o.relief.cells, o.relief.verts[:, 2]))[plate_cell] for name, o in
             (("sunk", sunk), ("raised", raised))}
    assert at["sunk"] < level["sunk"] and at["raised"] > level["raised"]


def test_a_point_reaches_a_hole_as_far_as_reach_on_every_side():
    """A 5 × 5 hole at rows 8–12, columns 12–16: points `reach` away above, below, left and right of
    it find it; one pixel of reach is a search too (not only a look under the point)."""
    mask = plate((slice(8, 13), slice(12, 17)))
    labels = holes.holes(mask)
    for row, col, reach in [(6, 14, 2.0), (14, 14, 2.0), (10, 10, 2.0), (10, 18, 2.0), (10, 19, 3.0),
                            (7, 14, 1.0), (13, 14, 1.0), (10, 17, 1.0)]:
        assert holes.hole_at(labels, uv(row, col), reach) == 1, (row, col, reach)
        assert holes.hole_at(labels, uv(row, col), reach - 0.5) == 0, (row, col, reach)
    low = holes.holes(plate((slice(8, 13), slice(3, 7))))    # a hole near the left: below a point whose
    assert holes.hole_at(low, uv(6, 4), 2.0) == 1              # column is less than its row
    assert holes.filled(mask, [uv(14, 14)], reach=2.0)[1:] == (1, 0)
    assert holes.filled(mask, [uv(14, 14)])[1:] == (0, 1)


def test_points_on_the_drawing_s_edges_are_clamped_to_it():
    assert holes.pixel_of((7.0, -3.0), SHAPE) == (0, SHAPE[1] - 1)
    assert holes.pixel_of((1.0, 1.0), SHAPE) == (SHAPE[0] - 1, SHAPE[1] - 1)
    assert holes.pixel_of((0.0, 0.0), SHAPE) == (0, 0)


def test_the_kept_point_is_the_centre_of_the_hole_s_deepest_sample():
    mask = plate((slice(8, 13), slice(12, 17)))
    assert rims(mask, (7, 14)) == [uv(10, 14)]
    assert holes.deepest_points(holes.holes(mask), [1]) == [uv(10, 14)]


def test_reach_takes_the_coarser_of_the_grid_s_two_steps():
    assert holes.reach_for((400, 600), (50, 150)) == 16.0
    assert holes.reach_for((600, 400), (150, 50)) == 16.0


def test_the_refusals_say_exactly_what_to_do():
    mask = plate(LEFT)
    cells = front_cells(mask)
    with pytest.raises(holes.HoleError) as nothing:
        holes.points_to_fill(cells, SHAPE, np.zeros(len(cells), bool))
    assert str(nothing.value) == "Select a vertex on the rim of each hole to fill first"
    with pytest.raises(holes.HoleError) as elsewhere:
        rims(mask, (16, 25), find=holes.points_to_fill)
    assert str(elsewhere.value) == "No hole touches the selected vertices: select vertices on a hole's rim"


def test_the_pipeline_reaches_two_grid_samples_and_names_several_points_on_no_hole():
    mask = np.kron(plate((slice(8, 13), slice(12, 17))), np.ones((2, 2), bool))   # 40 × 60, the hole's last row 25
    near = uv(28, 28, mask.shape)         # three pixels below it
    assert drawing.fill_holes(mask, [near], 30)[1:] == (1, "")    # 30 samples on 60 px: two reach 4 px
    assert drawing.fill_holes(mask, [near], 60)[1] == 0          # 60 samples: two reach 2 px
    out = drawing.fill_holes(mask, [uv(6, 6, mask.shape), uv(32, 52, mask.shape)], 30)
    assert out[1:] == (0, "2 of the points to fill are on no hole (the figure is there already)")


# ---- cutting drawn areas out --------------------------------------------------------------------------

def pocket_plate():
    """The pocket plate drawing (tests/conftest) with its figure: every pixel inside the plate's outline."""
    from tests.conftest import pocket_plate_drawing
    rgba = np.asarray(pocket_plate_drawing().convert("RGBA"), np.float32) / 255
    mask = np.zeros(rgba.shape[:2], bool)
    mask[20:100, 20:140] = True
    return rgba, mask


def test_a_point_on_an_area_cuts_it_out_and_the_lines_round_it_stay():
    rgba, mask = pocket_plate()
    out, count, missed = holes.cut(mask, rgba, [(0.5, 0.5), (0.45, 0.55)])   # twice on the pocket
    assert (count, missed) == (1, 0)
    assert not out[43:77, 63:97].any()                 # the pocket, inside its line
    assert out[40:42, 60:100].all() and out[20:38, 20:140].all()   # its line and the plate stay
    assert np.array_equal(out, mask & ~(out != mask))  # only taken away
    assert holes.holes(out).max() == 1


def test_a_point_on_a_line_cuts_its_nearest_area_and_one_off_the_figure_nothing():
    rgba, mask = pocket_plate()
    on_line = ((61 + 0.5) / 160, (48 + 0.5) / 120)     # the pocket's left line, nearer the pocket's inside
    out, count, missed = holes.cut(mask, rgba, [on_line, (0.05, 0.05), (float("nan"), 0.5)])
    assert (count, missed) == (1, 2) and not out[60, 80]
    assert holes.cut(mask, rgba, [(0.05, 0.05)])[1:] == (0, 1)


def test_cutting_every_area_or_a_figure_with_no_areas_is_refused_or_does_nothing():
    rgba, mask = pocket_plate()
    with pytest.raises(holes.HoleError) as every:
        holes.cut(mask, rgba, [(0.5, 0.5), (0.2, 0.2)])
    assert str(every.value) == "Cutting every drawn area would leave no figure"
    with pytest.raises(holes.HoleError):               # a bare plate: its one area is all of it
        holes.cut(mask, np.ones_like(rgba), [(0.5, 0.5)])
    shaded = np.random.default_rng(0).uniform(0, 0.4, rgba.shape).astype(np.float32)
    shaded[..., 3] = 1.0
    out, count, missed = holes.cut(mask, shaded, [(0.5, 0.5)])   # dark, no one colour: all ink, no area
    assert (count, missed) == (0, 1) and np.array_equal(out, mask)


def test_the_areas_of_the_selected_vertices_give_one_point_deep_in_each():
    grid = np.ones((10, 18), np.int32)
    grid[2:7, 3:8] = 2
    grid[2:9, 10:17] = 3
    assert holes.area_points(grid, np.array([2, 2, 0])) == [uv(4, 5, grid.shape)]
    assert holes.area_points(grid, np.array([3, 2])) == [uv(4, 5, grid.shape), uv(5, 13, grid.shape)]
    assert len(holes.area_points(grid, np.array([1, 0]))) == 1       # area 1 is an area too
    with pytest.raises(holes.HoleError) as nothing:
        holes.area_points(grid, np.zeros(0, np.int32))
    assert str(nothing.value) == "Select a vertex on each area to cut first"
    with pytest.raises(holes.HoleError) as no_area:
        holes.area_points(grid, np.array([0, 0]))
    assert str(no_area.value) == "The drawing's lines close no area at the selected vertices to cut"


def test_a_new_point_on_what_an_earlier_one_undid_forgets_that_one_instead():
    grid = np.zeros((10, 10), np.int32)
    grid[1:4, 1:4], grid[6:9, 6:9] = 1, 2
    a, b, c = uv(2, 2, grid.shape), uv(7, 7, grid.shape), uv(2, 3, grid.shape)
    assert holes.toggled([], [], [a], grid) == ([a], [])
    assert holes.toggled([b], [a], [c], grid) == ([b], [])          # c is on a's label: a is forgotten
    assert holes.toggled([], [a, b], [c, b], grid) == ([], [])
    off = uv(5, 5, grid.shape)
    assert holes.toggled([], [off], [off], grid) == ([off], [off])  # on no label: nothing undone
    assert holes.label_at(grid, a) == 1 and holes.label_at(grid, "garbled") == 0


def test_the_pipeline_cuts_before_it_fills_and_names_points_on_no_area():
    rgba, _ = pocket_plate()
    notes = []
    req = drawing.Request(name="plate", engine="inflate", cuts=((0.5, 0.5), (0.02, 0.02), (0.01, 0.01)),
                          fills=((0.5, 0.5),), resolution=80)
    _, mask = pocket_plate()
    out, cut, filled = drawing.mend_figure(mask, rgba, req, notes)
    assert (cut, filled) == (1, 1) and np.array_equal(out, mask)      # cut, then filled back
    assert notes == ["2 of the points to cut are on no drawn area"]
    notes.clear()
    out, cut, filled = drawing.mend_figure(mask, rgba, drawing.Request(name="p", engine="inflate",
                                                                      cuts=((0.02, 0.5),)), notes)
    assert (cut, filled) == (0, 0) and notes == ["1 of the points to cut is on no drawn area"]
    made = drawing.compute(drawing.Request(name="p", engine="inflate", rgba=rgba, resolution=80, cuts=((0.5, 0.5),)),
                           lambda f, s: None, lambda: False)
    assert made.cut == 1 and made.filled == 0 and made.notes == []
