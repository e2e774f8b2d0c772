"""Flip Selected Areas (core/flip.py): the chosen areas' nearness mirrored about the level around them,
each connected part about its own; the drawn areas a selected vertex stands for; the pipeline storing
them per vertex."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from PIL import Image, ImageDraw

from depthy_blender.core import flip, images, relief
from depthy_blender.pipeline import drawing
from tests.conftest import pocket_plate_drawing

SHAPE = (20, 30)


def every_cell(shape=SHAPE):
    return np.arange(shape[0] * shape[1])


def plate_with_pocket(pocket=0.5, plate=0.2):
    """A grid whose every sample is figure: the plate at `plate`, a 4 × 6 block at `pocket`."""
    grid = np.full(SHAPE, plate, np.float32)
    grid[8:12, 10:16] = pocket
    return grid


def block(rows, cols, shape=SHAPE):
    picked = np.zeros(shape, bool)
    picked[rows, cols] = True
    return np.flatnonzero(picked)


def test_a_raised_pocket_sinks_as_far_as_it_stood_out_and_the_plate_stays():
    grid = plate_with_pocket()
    raw, count = flip.flipped(grid.ravel(), every_cell(), SHAPE, block(slice(8, 12), slice(10, 16)))
    out = raw.reshape(SHAPE)
    assert count == 1
    assert np.allclose(out[8:12, 10:16], -0.1)
    untouched = np.ones(SHAPE, bool)
    untouched[8:12, 10:16] = False
    assert np.array_equal(out[untouched], grid[untouched])
    assert raw.dtype == np.float32


def test_the_area_keeps_its_own_shape_upside_down():
    grid = plate_with_pocket()
    grid[8:12, 10:16] += np.linspace(0, 0.06, 6, dtype=np.float32)   # a sloping pocket floor
    out = flip.flipped(grid.ravel(), every_cell(), SHAPE, block(slice(8, 12), slice(10, 16)))[0].reshape(SHAPE)
    assert np.allclose(out[8:12, 10:16], 0.4 - grid[8:12, 10:16])


def test_each_part_mirrors_about_the_level_beside_it():
    """Two chosen blocks apart, on a plate with two levels: each about its own surroundings."""
    grid = np.full(SHAPE, 0.2, np.float32)
    grid[:, 15:] = 0.6
    grid[2:5, 2:5] = 0.5     # on the low half, standing 0.3 proud
    grid[10:14, 20:25] = 0.4  # on the high half, sunk 0.2
    chosen = np.union1d(block(slice(2, 5), slice(2, 5)), block(slice(10, 14), slice(20, 25)))
    out, count = flip.flipped(grid.ravel(), every_cell(), SHAPE, chosen)
    out = out.reshape(SHAPE)
    assert count == 2
    assert np.allclose(out[2:5, 2:5], -0.1) and np.allclose(out[10:14, 20:25], 0.8)


def test_the_level_is_the_median_beside_the_part_not_its_mean():
    """One sample beside the pocket reads wild (a spike on the line): the median ignores it."""
    grid = plate_with_pocket()
    grid[7, 12] = 9.0
    out = flip.flipped(grid.ravel(), every_cell(), SHAPE, block(slice(8, 12), slice(10, 16)))[0].reshape(SHAPE)
    assert np.allclose(out[8:12, 10:16], -0.1)


def test_a_part_on_the_grid_s_edge_flips_to_the_edge():
    """A part in the grid's corner: its samples on the first row and column flip too."""
    grid = np.full(SHAPE, 0.2, np.float32)
    grid[:4, :5] = 0.5
    out = flip.flipped(grid.ravel(), every_cell(), SHAPE, block(slice(0, 4), slice(0, 5)))[0].reshape(SHAPE)
    assert np.allclose(out[:4, :5], -0.1) and np.allclose(out[4:], 0.2) and np.allclose(out[:, 5:], 0.2)


def test_the_level_is_read_past_a_blurred_line():
    """A one-sample ring half way between the pocket and the plate (the grid's blur of the line) is not
    the level: it is read up to BESIDE samples out, where the plate is."""
    grid = plate_with_pocket()
    grid[7:13, 9:17] = 0.35
    grid[8:12, 10:16] = 0.5
    out = flip.flipped(grid.ravel(), every_cell(), SHAPE, block(slice(8, 12), slice(10, 16)))[0].reshape(SHAPE)
    assert flip.BESIDE == 3 and np.allclose(out[8:12, 10:16], -0.1)


def test_a_piece_apart_from_the_rest_mirrors_about_the_rest():
    """A separate piece of the figure has nothing beside it: the rest's median is its level."""
    figure = np.zeros(SHAPE, bool)
    figure[:, :10] = True
    figure[5:9, 20:24] = True
    grid = np.where(figure, 0.3, 0).astype(np.float32)
    grid[5:9, 20:24] = 0.7
    cells = np.flatnonzero(figure)
    raw, count = flip.flipped(grid.ravel()[cells], cells, SHAPE, block(slice(5, 9), slice(20, 24)))
    assert count == 1
    piece = np.isin(cells, block(slice(5, 9), slice(20, 24)))
    assert np.allclose(raw[piece], -0.1) and np.allclose(raw[~piece], 0.3)


def test_vertices_sharing_a_cell_change_together():
    """A closed back repeats the figure's cells: a back vertex takes its front's mirrored nearness."""
    grid = plate_with_pocket()
    pocket = block(slice(8, 12), slice(10, 16))
    cells = np.concatenate([every_cell(), pocket])   # the pocket's back vertices after the front ones
    out, _ = flip.flipped(grid.ravel()[cells], cells, SHAPE, pocket)
    back = slice(SHAPE[0] * SHAPE[1], None)
    assert np.allclose(out[back], -0.1)
    assert np.array_equal(out[back], out[pocket])


@pytest.mark.parametrize("chosen, says", [
    (np.zeros(0, int), "Select part of the relief first"),
    (every_cell(), "The whole relief is selected: use Invert"),
])
def test_nothing_or_everything_chosen_is_one_line_saying_what_to_do(chosen, says):
    with pytest.raises(flip.FlipError) as info:
        flip.flipped(plate_with_pocket().ravel(), every_cell(), SHAPE, chosen)
    assert str(info.value).startswith(says) and "\n" not in str(info.value)


def test_chosen_cells_off_the_figure_choose_nothing():
    figure = np.zeros(SHAPE, bool)
    figure[:10] = True
    cells = np.flatnonzero(figure)
    with pytest.raises(flip.FlipError, match="Select part"):
        flip.flipped(np.ones(cells.size, np.float32), cells, SHAPE, block(slice(15, 18), slice(0, 5)))


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2 ** 31 - 1), share=st.floats(0.02, 0.9))
def test_flipping_the_same_cells_twice_gives_the_nearness_back(seed, share):
    """What is beside each part does not change when the part flips, so a second flip undoes the first,
    whatever the nearness and however scattered the choice."""
    rng = np.random.default_rng(seed)
    raw = rng.random(SHAPE[0] * SHAPE[1]).astype(np.float32)
    chosen = np.flatnonzero(rng.random(raw.size) < share)
    if chosen.size in (0, raw.size):
        chosen = np.arange(1, raw.size // 2)
    once, count = flip.flipped(raw, every_cell(), SHAPE, chosen)
    twice, again = flip.flipped(once, every_cell(), SHAPE, chosen)
    assert again == count >= 1
    assert np.allclose(twice, raw, atol=1e-6)
    assert not np.allclose(once[chosen], raw[chosen]) or np.ptp(raw) == 0


def test_chosen_cells_take_the_whole_drawn_area_of_a_selected_vertex():
    cells = np.arange(8)
    vertex_areas = np.array([1, 1, 2, 2, 2, 0, 0, 3])
    selected = np.zeros(8, bool)
    selected[[2, 5]] = True   # one vertex on area 2, one on no area
    assert np.array_equal(flip.chosen_cells(cells, selected, vertex_areas), [2, 3, 4, 5])
    assert np.array_equal(flip.chosen_cells(cells, np.arange(8) == 0, vertex_areas), [0, 1])   # area 1 too
    assert np.array_equal(flip.chosen_cells(cells, selected, vertex_areas, whole=False), [2, 5])
    assert np.array_equal(flip.chosen_cells(cells, selected, None), [2, 5])
    shared = np.array([0, 1, 2, 3, 4, 5, 6, 2])   # vertex 7 shares cell 2 (a closed back)
    assert np.array_equal(flip.chosen_cells(shared, selected, vertex_areas), [2, 3, 4, 5])


def drawing_of_plate(lines=True) -> np.ndarray:
    """tests/conftest.py's plate with a pocket; the plate's outline alone, filled grey, when not `lines`."""
    if lines:
        return images.pil_to_rgba(pocket_plate_drawing())
    img = Image.new("RGB", (160, 120), "white")
    ImageDraw.Draw(img).rectangle((20, 20, 139, 99), outline="black", width=2, fill=(128, 128, 128))
    return images.pil_to_rgba(img)


def test_areas_on_the_grid_are_the_drawn_areas_with_lines_going_to_the_nearest():
    rgba = drawing_of_plate()
    mask = images.figure_mask(rgba)
    full = flip.areas(rgba, mask, (120, 160))
    plate, pocket = full[30, 30], full[60, 80]
    assert plate != pocket and {plate, pocket} == {1, 2}
    assert full[50, 60] == plate and full[50, 61] == pocket   # the pocket's 2-px line, split between them
    assert full[40, 80] == plate and full[41, 80] == pocket   # its top line likewise
    assert full[50, 20] == plate                               # the outline itself
    half = flip.areas(rgba, mask, (60, 80))    # sample (r, c) reads the pixel (2r + 1, 2c + 1)
    assert half.shape == (60, 80) and half.dtype == np.int32
    assert np.array_equal(half, full[1::2, 1::2])


def test_a_drawing_whose_lines_do_not_divide_the_figure_has_no_areas():
    """A bare outline filled grey is one area, all of the figure: no area to stand for a vertex."""
    rgba = drawing_of_plate(lines=False)
    grid = flip.areas(rgba, images.figure_mask(rgba), (30, 40))
    assert grid.shape == (30, 40) and grid.dtype == np.int32 and not grid.any()
    blank = np.zeros((120, 160, 4), np.float32)
    assert not flip.areas(blank, np.zeros((120, 160), bool), (30, 40)).any()


def test_span_scale_is_how_much_the_nearness_range_grew():
    assert flip.span_scale(np.array([0.2, 0.5]), np.array([-0.1, 0.2])) == pytest.approx(1.0)
    assert flip.span_scale(np.array([0.2, 0.5]), np.array([-0.4, 0.2])) == pytest.approx(2.0)
    assert flip.span_scale(np.array([0.3, 0.3]), np.array([0.3, 0.1])) == 1.0
    assert flip.span_scale(np.zeros(0), np.zeros(0)) == 1.0


def test_the_pipeline_stores_each_vertex_s_drawn_area():
    rgba = drawing_of_plate()
    req = drawing.Request(name="plate", engine="inflate", rgba=rgba, resolution=80, back="flat")
    built = drawing.compute(req, lambda f, s: None, lambda: False).relief
    assert built.areas.shape == built.raw.shape and built.areas.dtype == np.int32
    assert set(np.unique(built.areas)) == {1, 2}
    grid = np.zeros(built.grid_shape, np.int32)
    grid.ravel()[built.cells] = built.areas
    assert grid[30, 40] != grid[15, 15]
    shaded = drawing.compute(drawing.Request(name="s", engine="inflate", rgba=drawing_of_plate(lines=False),
                                             resolution=80), lambda f, s: None, lambda: False).relief
    assert not shaded.areas.any()


def test_a_point_names_its_sample_and_area_on_any_grid():
    grid = np.zeros((6, 8), np.int32)
    grid[2:4, 4:] = 2
    assert flip.point_of(2 * 8 + 5, (6, 8)) == (5.5 / 8, 2.5 / 6)
    assert flip.area_at(flip.point_of(2 * 8 + 5, (6, 8)), grid) == 2
    assert flip.area_at((5.5 / 8, 2.5 / 6), np.kron(grid, np.ones((3, 3), np.int32))) == 2   # a finer grid
    assert flip.area_at((0.0, 0.0), grid) == 0 and flip.area_at((1.0, 1.0), grid) == 0       # the edges clamp
    assert flip.area_at((1.0, 0.5), grid) == 2
    edges = np.zeros((6, 8), np.int32)
    edges[:, 0], edges[:, -1], edges[0, 1:-1], edges[-1, 1:-1] = 5, 7, 8, 9
    assert [flip.area_at(p, edges) for p in ((0.0, 0.5), (1.0, 0.5), (0.5, 0.0), (0.5, 1.0))] == [5, 7, 8, 9]
    assert [flip.area_at(p, edges) for p in ((-0.2, 0.5), (1.3, 0.5), (0.5, -1.0), (0.5, 2.0))] == [5, 7, 8, 9]
    assert [flip.area_at(p, edges) for p in ((np.nan, 0.5), (0.5, np.inf))] == [0, 0]   # a garbled point
    cells = np.array([0, 21, 40])
    assert flip.area_grid(cells, np.array([1, 2, 3]), (6, 8)).dtype == np.int32
    assert np.array_equal(flip.area_grid(cells, np.array([1, 2, 3]), (6, 8)).ravel()[cells], [1, 2, 3])
    assert flip.area_grid(cells, np.array([1, 2, 3]), (6, 8)).sum() == 6


def test_flipped_areas_are_remembered_once_each_and_forgotten_when_flipped_back():
    grid = np.array([[1, 1, 2, 2], [1, 1, 3, 3]], np.int32)
    cells = np.arange(8)
    areas = grid.ravel()
    selected = np.isin(cells, [2, 3, 6])      # two samples of area 2, one of area 3
    points = flip.remember([], grid, cells, selected, areas)
    assert points == [flip.point_of(2, grid.shape), flip.point_of(6, grid.shape)]
    assert flip.remember(points, grid, cells, cells == 3, areas) == [flip.point_of(6, grid.shape)]
    assert flip.remember(points, grid, cells, np.zeros(8, bool), areas) == points
    no_area = np.zeros(8, np.int32)
    assert flip.remember([], grid * 0, cells, selected, no_area) == []
    some = np.array([0, 1, 2, 2, 0, 0, 3, 3], np.int32)      # a vertex on no area selected with others
    assert flip.remember([], grid, cells, np.isin(cells, [0, 1, 3]), some) == [flip.point_of(1, grid.shape),
                                                                              flip.point_of(3, grid.shape)]


def test_replayed_areas_cancel_in_pairs_and_points_off_every_area_are_counted():
    grid = np.array([[1, 1, 2, 2], [0, 0, 3, 3]], np.int32)
    labels, lost = flip.replayed([(0.6, 0.2), (0.9, 0.2), (0.6, 0.8), (0.1, 0.8)], grid)
    assert np.array_equal(labels, [3]) and lost == 1            # area 2 twice cancels; (0.1, 0.8) is on 0
    assert np.array_equal(flip.replayed([(0.6, 0.2)] * 3 + [(0.1, 0.2)] * 4, grid)[0], [2])   # odd counts flip
    assert flip.replayed([], grid)[0].size == 0 and flip.replayed([], grid)[1] == 0


def test_the_pipeline_flips_the_areas_under_the_requests_points_and_grows_the_ratio():
    """Request.flips: the drawn area under each point flipped in the relief it builds, its heights made
    again at the ratio grown with the nearness range (what Regenerate asks for, and `mesh --flip`)."""
    rgba = drawing_of_plate()
    common = dict(name="plate", engine="inflate", rgba=rgba, resolution=80, faces="flat", smoothing=0.0,
                  auto_ratio=False, ratio=0.2)
    plain = drawing.compute(drawing.Request(**common), lambda f, s: None, lambda: False)
    out = drawing.compute(drawing.Request(**common, flips=((0.5, 0.5),)), lambda f, s: None, lambda: False)
    assert out.flipped == 1 and out.flip_scale > 1 and out.ratio == pytest.approx(0.2 * out.flip_scale)
    assert out.notes == []
    pocket = out.relief.areas == out.relief.areas[np.argmin(np.abs(out.relief.cells - (30 * 80 + 40)))]
    before, after = plain.relief.verts[:, 2], out.relief.verts[:, 2]
    assert np.median(before[pocket]) > np.median(before[~pocket])     # in front as read
    assert np.median(after[pocket]) < np.median(after[~pocket])       # behind once flipped
    assert np.allclose(after[~pocket] - after[~pocket].min(), before[~pocket] - before[~pocket].min(), atol=1e-5)
    expected = relief.vertex_z(out.relief.raw, out.relief.cells, out.relief.sides, out.relief.grid_shape,
                               out.relief.width, out.ratio, 0.0, base=common.get("base", relief.BASE))
    assert np.allclose(after, expected, atol=1e-6)


@pytest.mark.parametrize("back, smoothing", [("flat", 1.5), ("mirror", 0.0), ("none", 2.0)])
def test_the_flipped_heights_are_the_sliders_heights_for_every_back_and_smoothing(back, smoothing):
    rgba = drawing_of_plate()
    out = drawing.compute(drawing.Request(name="plate", engine="inflate", rgba=rgba, resolution=60, faces="flat",
                                          smoothing=smoothing, back=back, auto_ratio=False, ratio=0.3,
                                          flips=((0.5, 0.5),)), lambda f, s: None, lambda: False)
    built = out.relief
    assert out.flipped == 1
    expected = relief.vertex_z(built.raw, built.cells, built.sides, built.grid_shape, built.width, out.ratio,
                               smoothing, base=relief.BASE)
    assert np.allclose(built.verts[:, 2], expected, atol=1e-6)


def test_the_as_drawn_ratio_grows_with_the_flip_within_the_sliders_range():
    common = dict(name="plate", engine="inflate", rgba=drawing_of_plate(), resolution=60, faces="flat")
    plain = drawing.compute(drawing.Request(**common), lambda f, s: None, lambda: False)
    out = drawing.compute(drawing.Request(**common, flips=((0.5, 0.5),)), lambda f, s: None, lambda: False)
    assert out.drawn_ratio == pytest.approx(min(plain.drawn_ratio * out.flip_scale, 2.0))
    assert out.ratio == pytest.approx(plain.ratio * out.flip_scale)     # Auto depth: built at the as-drawn one


def test_a_flip_at_depth_ratio_zero_leaves_the_ratio_and_its_scale_alone():
    out = drawing.compute(drawing.Request(name="plate", engine="inflate", rgba=drawing_of_plate(), resolution=60,
                                          faces="flat", auto_ratio=False, ratio=0.0, flips=((0.5, 0.5),)),
                          lambda f, s: None, lambda: False)
    assert out.flipped == 1 and out.ratio == 0.0 and out.flip_scale == 1.0
    assert not out.relief.verts[:, 2].any()


@pytest.mark.parametrize("points, says", [
    (((0.02, 0.02),), "1 of the points to flip is on no drawn area"),
    (((0.02, 0.02), (0.98, 0.98)), "2 of the points to flip are on no drawn area"),
    (((0.5, 0.5), (0.3, 0.3)), "The areas to flip are the whole relief: not flipped (Invert flips it all)"),
])
def test_points_on_no_area_or_on_all_of_them_leave_the_relief_with_one_line(points, says):
    rgba = drawing_of_plate()
    common = dict(name="plate", engine="inflate", rgba=rgba, resolution=80, smoothing=0.0, auto_ratio=False)
    plain = drawing.compute(drawing.Request(**common), lambda f, s: None, lambda: False)
    out = drawing.compute(drawing.Request(**common, flips=points), lambda f, s: None, lambda: False)
    assert out.notes == [says] and out.flipped == 0 and out.flip_scale == 1.0 and out.ratio == plain.ratio
    assert np.array_equal(out.relief.verts, plain.relief.verts)
