"""Solid from three views: watertight, outward, and close to the truth for typical machined parts."""
from collections import Counter

import numpy as np
import pytest

pytest.importorskip("skimage")

from depthy_blender.core import visual_hull  # noqa: E402

N = 64


def _grid():
    ax = (np.arange(N) + 0.5) / N * 2 - 1
    return np.meshgrid(ax, ax, ax, indexing="ij")   # x, y, z


def l_bracket():
    x, y, z = _grid()
    return ((z < -0.4) & (np.abs(x) < 0.9) & (np.abs(y) < 0.6)) | ((x < -0.5) & (np.abs(x) < 0.9) & (np.abs(y) < 0.6) & (z < 0.8))


def block_with_hole():
    x, y, z = _grid()
    return (np.abs(x) < 0.8) & (np.abs(y) < 0.5) & (np.abs(z) < 0.6) & (x ** 2 + z ** 2 > 0.3 ** 2)


def cylinder():
    x, y, z = _grid()
    return (x ** 2 + y ** 2 < 0.7 ** 2) & (np.abs(z) < 0.9)


def views(occ):
    """The three drawings' silhouettes, as images (row 0 at the top)."""
    front = occ.any(axis=1).T[::-1]      # [z, x]
    side = occ.any(axis=0).T[::-1]       # [z, y]
    top = occ.any(axis=2).T[::-1]        # [y, x]
    return front, side, top


def _crop3(occ):
    idx = [np.nonzero(occ.any(axis=tuple(a for a in range(3) if a != k)))[0] for k in range(3)]
    return occ[idx[0].min():idx[0].max() + 1, idx[1].min():idx[1].max() + 1, idx[2].min():idx[2].max() + 1]


@pytest.mark.parametrize("make", [l_bracket, block_with_hole, cylinder])
def test_solid_matches_truth_and_is_closed(make):
    truth = _crop3(make())
    solid = visual_hull.from_views(*views(truth), resolution=max(truth.shape))
    assert solid.occupancy.shape == truth.shape
    assert visual_hull.iou(solid.occupancy, truth) >= 0.8
    edges = np.sort(np.stack([solid.faces, np.roll(solid.faces, -1, 1)], -1).reshape(-1, 2), axis=1)
    assert set(Counter(map(tuple, edges.tolist())).values()) == {2}
    a, b, c = (solid.vertices[solid.faces[:, k]].astype(np.float64) for k in range(3))
    assert np.einsum("ij,ij->i", a, np.cross(b, c)).sum() > 0


def test_hole_through_the_front_is_carved():
    truth = _crop3(block_with_hole())
    occ = visual_hull.carve(*views(truth), resolution=max(truth.shape))
    cx, cz = occ.shape[0] // 2, occ.shape[2] // 2
    assert not occ[cx, :, cz].any() and occ[1, :, cz].all()


def test_empty_view_is_an_error():
    with pytest.raises(ValueError, match="empty"):
        visual_hull.carve(np.zeros((5, 5), bool), np.ones((5, 5), bool), np.ones((5, 5), bool))


def wall_at_the_back():
    """A base plate with a wall along its back edge: not symmetric front to back, so a side view
    taken from the wrong side builds the wall at the front."""
    x, y, z = _grid()
    plate = (z < -0.5) & (np.abs(x) < 0.9) & (np.abs(y) < 0.7)
    wall = (y > 0.3) & (np.abs(x) < 0.9) & (y < 0.7) & (z < 0.7)
    return plate | wall


@pytest.mark.parametrize("angle, side_placed_right", [("third", True), ("third", False),
                                                      ("first", True), ("first", False)])
def test_first_and_third_angle_layouts_give_the_same_solid(angle, side_placed_right):
    truth = _crop3(wall_at_the_back())
    front, right_view, top = views(truth)
    front_box = (100, 300, 200, 400)
    top_box = (100, 100, 200, 200) if angle == "third" else (100, 500, 200, 600)
    side_box = (300, 300, 400, 400) if side_placed_right else (0, 300, 80, 400)
    seen_from_right = side_placed_right == (angle == "third")
    drawn = right_view if seen_from_right else right_view[:, ::-1]   # what the sheet shows
    assert visual_hull.projection(front_box, top_box) == angle
    side = visual_hull.as_right_view(drawn, side_box, front_box, angle)
    occ = visual_hull.carve(front, side, top, resolution=max(truth.shape))
    assert visual_hull.iou(occ, truth) >= 0.95
    wrong = visual_hull.carve(front, side[:, ::-1], top, resolution=max(truth.shape))
    assert visual_hull.iou(wrong, truth) < 0.8


def pocketed_block():
    """A block with a ledge along the bottom of its front, a blind pocket above the ledge and one in
    the top: no silhouette shows the pockets; the ledge gives the front and top views two depths."""
    x, y, z = _grid()
    block = (np.abs(x) < 0.8) & (y > -0.2) & (y < 0.6) & (np.abs(z) < 0.7)
    ledge = (np.abs(x) < 0.8) & (y > -0.7) & (y <= -0.2) & (z > -0.7) & (z < -0.1)
    front_pocket = (np.abs(x + 0.3) < 0.25) & (np.abs(z - 0.35) < 0.2) & (y < 0.15)
    top_pocket = (np.abs(x - 0.35) < 0.2) & (np.abs(y - 0.2) < 0.2) & (z > 0.35)
    return (block | ledge) & ~front_pocket & ~top_pocket


def nearness_maps(occ):
    """Exact nearness images (row 0 at the top, NaN off the figure) of the three views."""
    def near(o):   # o [across, depth from the viewer, up] → image [up (top row first), across]
        seen = o.any(axis=1)
        depth = np.where(seen, -np.argmax(o, axis=1).astype(float), np.nan)
        return depth.T[::-1]
    return (near(occ), near(occ[::-1].transpose(1, 0, 2)), near(occ[:, :, ::-1].transpose(0, 2, 1)))


def test_depth_refinement_carves_what_silhouettes_miss():
    truth = _crop3(pocketed_block())
    hull = visual_hull.carve(*views(truth), resolution=max(truth.shape))
    refined = visual_hull.refine(hull, *nearness_maps(truth), tolerance=1.0)
    assert visual_hull.iou(hull, truth) < 0.95
    assert visual_hull.iou(refined, truth) > 0.99
    assert not (truth & ~refined).any() or (truth & ~refined).sum() < 0.01 * truth.sum()


def test_depth_refinement_ignores_nearness_that_contradicts_the_hull():
    truth = _crop3(pocketed_block())
    hull = visual_hull.carve(*views(truth), resolution=max(truth.shape))
    backwards = [-n for n in nearness_maps(truth)]           # far and near swapped
    assert np.array_equal(visual_hull.refine(hull, *backwards), hull)
    flat = visual_hull.carve(*views(_crop3(block_with_hole())), resolution=40)   # flat fronts: no scale
    assert np.array_equal(visual_hull.refine(flat, *nearness_maps(_crop3(pocketed_block()))), flat)
    noisy = [n + np.random.default_rng(0).normal(0, 0.5, n.shape) for n in nearness_maps(truth)]
    assert visual_hull.iou(visual_hull.refine(hull, *noisy), truth) >= visual_hull.iou(hull, truth) - 0.02


def _fronted(first, near):
    """occ [a, d, b] filled from depth first[a, b] back (no cells where first is −1), and its nearness."""
    depth = np.arange(12)[None, :, None]
    occ = (depth >= first[:, None, :]) & (first[:, None, :] >= 0)
    return occ, near


def _pocket_case(scale=1.0):
    """8 × 8 rays, 12 deep. The hull's front is at depth a on row a (a sloping face); the nearness says
    8 − front there (slope −1), except on a 2 × 2 pocket (a, b in 0–1) whose surface it puts 3 deeper.
    Column 6 has no nearness (NaN) and column 7 no hull (its nearness is junk)."""
    first = np.repeat(np.arange(8)[:, None], 8, axis=1)
    first[:, 7] = -1
    near = (8.0 - first).astype(np.float64)
    near[0:2, 0:2] -= 3.0
    near[:, 6] = np.nan
    near[:, 7] = -100.0
    occ, near = _fronted(first, near)
    return occ, near * scale


@pytest.mark.parametrize("scale", [1.0, 0.1])
def test_carving_in_front_removes_what_lies_before_the_fitted_surface_and_nothing_else(scale):
    """Refitted without the pocket's rays, the line is depth = 8 − nearness; with a tolerance of half a
    voxel a pocket ray on row a keeps depth ≥ a + 2.5, so its depths a, a + 1 and a + 2 go. Nothing else
    is cut: not the rays without nearness, not those without hull. The nearness' scale does not matter."""
    occ, near = _pocket_case(scale)
    expected = occ.copy()
    expected[0, 0:3, 0:2] = False
    expected[1, 1:4, 0:2] = False
    assert np.array_equal(visual_hull._carve_in_front(occ, near, 0.5), expected)


def test_carving_needs_sixteen_rays_a_front_with_depth_and_nearness_that_falls_with_it():
    occ, near = _pocket_case()
    few = near.copy()
    few[:, 2:] = np.nan
    few[7, 0] = np.nan                                   # 15 rays with nearness: too few to trust
    assert np.array_equal(visual_hull._carve_in_front(occ, few, 1.0), occ)
    rising = np.where(np.isfinite(near), (8.0 - near) * 10.0, np.nan)   # nearness rising with depth
    assert np.array_equal(visual_hull._carve_in_front(occ, rising, 1.0), occ)
    gentle = np.where(np.isfinite(near), (8.0 - near) * 0.1, np.nan)    # … however gently (slope 10)
    assert np.array_equal(visual_hull._carve_in_front(occ, gentle, 1.0), occ)


def test_one_height_read_back_a_few_ulps_apart_carves_nothing():
    """A view of one flat face (Flat Faces' one height, stored in float32 on the relief and read back
    with rounding) says nothing of depth; a spread just above FLAT_SPREAD of its size is read."""
    occ, near = _pocket_case()
    valid = np.isfinite(near) & occ.any(axis=1)
    level = np.where(np.isfinite(near), 66.16796, np.nan)
    level[0, 0] += 66.16796 * visual_hull.FLAT_SPREAD * 0.99      # rounding: under the share
    assert np.array_equal(visual_hull._carve_in_front(occ, level, 0.5), occ)
    scaled = np.where(valid, near * 1e-4 / np.ptp(near[valid]) * 1.01 + 1.0, np.nan)   # just over it
    assert np.ptp(scaled[valid]) > visual_hull.FLAT_SPREAD * np.abs(scaled[valid]).max()
    assert not np.array_equal(visual_hull._carve_in_front(occ, scaled, 0.5), occ)


def test_a_front_one_voxel_deep_is_enough_to_fit():
    """64 × 64 rays whose hull front is at depth 0 or 1 (a step of one voxel), nearness 5 − front, and
    a 2 × 2 pocket whose surface is 3 deeper (nearness 2). One voxel of front depth is scale enough: the
    pocket's rays lose depths 0, 1 and 2 (the refitted line is depth = 5 − nearness)."""
    first = np.repeat((np.arange(64) // 32)[:, None], 64, axis=1)
    near = (5.0 - first).astype(np.float64)
    near[0:2, 0:2] = 2.0
    occ, near = _fronted(first, near)
    expected = occ.copy()
    expected[0:2, 0:3, 0:2] = False
    assert np.array_equal(visual_hull._carve_in_front(occ, near, 0.5), expected)


@pytest.mark.parametrize("rows, cols, expected", [
    (1, 300, 1 / 300),      # a hairline: not even a disk of radius 1 fits
    (7, 1000, 3 / 512),     # longer than 512 px: measured on a copy 512 long, where it is 4 px thick
])
def test_the_thinnest_wall_of_a_bar_is_its_thickness(rows, cols, expected):
    mask = np.zeros((rows + 20, cols + 20), bool)
    mask[10:10 + rows, 10:10 + cols] = True
    assert visual_hull.thinnest(mask) == pytest.approx(expected, rel=1e-9)


def test_a_frame_seven_pixels_thick_has_walls_of_seven():
    """A square frame, 500 px outside, walls 7 px: a disk of radius 3 fits along the walls (its opening
    takes off only the outer corners, far under half a percent), one of radius 4 does not: 2·4 − 1 = 7."""
    mask = np.zeros((520, 520), bool)
    mask[10:510, 10:510] = True
    mask[17:503, 17:503] = False
    assert visual_hull.thinnest(mask) == pytest.approx(7 / 500, rel=1e-9)


def test_fitting_a_value_map_crops_it_to_its_finite_part_first():
    values = np.full((6, 8), np.nan)
    values[2:4, 3:7] = [[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]
    assert np.array_equal(visual_hull._fit_values(values, 2, 4), [[1, 2, 3, 4], [5, 6, 7, 8]])
    # two columns over four: each takes the pixel under its centre, 1.0 and 3.0 → the 2nd and 4th
    assert np.array_equal(visual_hull._fit_values(values, 4, 2), [[2, 4], [2, 4], [6, 8], [6, 8]])
    one = np.full((5, 5), np.nan)
    one[3, 1] = 9.0
    assert np.array_equal(visual_hull._fit_values(one, 2, 3), np.full((2, 3), 9.0))
    empty = visual_hull._fit_values(np.full((5, 5), np.nan), 3, 4)
    assert empty.shape == (3, 4) and np.isnan(empty).all()


def test_a_tall_mask_is_resampled_row_by_row():
    tall = np.zeros((6, 2), bool)
    tall[4:, 1] = True
    assert np.array_equal(visual_hull._fit(tall, 6, 2), tall)
    assert np.array_equal(visual_hull._fit(tall, 3, 1), [[False], [False], [True]])


def test_iou_of_single_cells_and_the_defaults_of_carving():
    one = np.zeros((3, 3, 3), bool)
    one[1, 1, 1] = True
    assert visual_hull.iou(one, one) == 1.0 and visual_hull.iou(one, np.zeros_like(one)) == 0.0
    square = np.ones((40, 40), bool)
    assert visual_hull.carve(square, square, square).shape == (128, 128, 128)
    solid = visual_hull.from_views(square, square, square)
    assert np.ptp(solid.vertices, axis=0).max() == pytest.approx(1.0, rel=0.02)


def test_resize_gives_exactly_the_asked_shape_by_nearest_pixels():
    image = np.arange(12, dtype=float).reshape(3, 4)
    assert np.array_equal(visual_hull.resize(image, 3, 2), [[1, 3], [5, 7], [9, 11]])
    assert np.array_equal(visual_hull.resize(image, 6, 4), np.repeat(image, 2, axis=0))


def test_sixteen_rays_are_enough_to_fit_and_a_refit_needs_sixteen():
    """Columns 0–1 of the pocket case: 16 rays, 4 of them the pocket's. Fitted through all 16, the line
    is depth = (211 − 32·nearness) / 26 (by hand: mean nearness 3.75, mean depth 3.5, Sxy −24, Sxx 19.5);
    it keeps only the 12 clean rays, under 16, so that first line stands: with half a voxel of tolerance
    the pocket's row 0 keeps depth ≥ 1.46 and row 1 depth ≥ 2.69. Four more clean rays (column 2, rows
    2–5) make 20: the first line (≈ 8.01 − 1.157·nearness) keeps exactly the 16 clean ones, enough to
    refit on them alone, and the refit is the true depth = 8 − nearness."""
    occ, near = _pocket_case()
    sixteen = near.copy()
    sixteen[:, 2:] = np.nan
    expected = occ.copy()
    expected[0, 0:2, 0:2] = False
    expected[1, 1:3, 0:2] = False
    assert np.array_equal(visual_hull._carve_in_front(occ, sixteen, 0.5), expected)
    twenty = sixteen.copy()
    twenty[2:6, 2] = near[2:6, 2]
    expected = occ.copy()
    expected[0, 0:3, 0:2] = False
    expected[1, 1:4, 0:2] = False
    assert np.array_equal(visual_hull._carve_in_front(occ, twenty, 0.5), expected)


@pytest.mark.parametrize("fit_error", [0.0, -1e-12, 1e-12])
def test_refine_reads_the_side_view_alone_at_the_default_tolerance(fit_error, monkeypatch):
    """The side view looks along −x from x = 11: its rays run across y (8) and up z (8), depth 11 − x.
    The hull's front on ray (y, z) is at depth y; the nearness is 8 − depth, except a 2 × 2 pocket
    (y, z in 0–1) put 3 deeper. Every ray has a finite nearness, so the 56 rays with hull fit the line
    depth = 8 − nearness once the pocket's are left out. At the default tolerance of 2 voxels the pocket
    keeps depth ≥ 1 on y = 0 and ≥ 2 on y = 1: the cells at x = 11 and x = 10 go, nothing else.
    Those boundaries are exact, so the result must not change when the line's fit is a rounding error off
    (numpy builds differ in polyfit's last bits: 2.5.5 carved x = 10 on y = 0)."""
    fit = np.polyfit
    monkeypatch.setattr(visual_hull.np, "polyfit", lambda *a: fit(*a) + np.array([0.0, fit_error]))
    y, z = np.meshgrid(np.arange(8), np.arange(8), indexing="ij")
    front_depth = y.copy()
    front_depth[:, 7] = -1                                 # no hull on the top row
    near = (8.0 - front_depth).astype(np.float64)
    near[0:2, 0:2] -= 3.0
    near[:, 7] = -100.0                                    # junk where there is no hull
    x = np.arange(12)[:, None, None]
    occ = ((11 - x) >= front_depth[None]) & (front_depth[None] >= 0)
    image = near.T[::-1]                                   # [up, across] with the top row first
    expected = occ.copy()
    expected[11, 0, 0:2] = False
    expected[10, 1, 0:2] = False
    assert np.array_equal(visual_hull.refine(occ, None, image), expected)


def test_the_resolution_follows_the_thinnest_wall_within_the_budget():
    """Views 500 px across. The front is a frame with 7 px walls, so WALL_CELLS (3) across it needs
    ceil(3 × 500 / 7) = 215 voxels. The plan sits 300 px into its image. Thick views need only the least,
    128. With least 64 the grid is 64³, so a budget of 1,000,001 voxels allows 100 along a side."""
    frame = np.zeros((520, 520), bool)
    frame[10:510, 10:510] = True
    frame[17:503, 17:503] = False
    square = np.zeros((520, 520), bool)
    square[10:510, 10:510] = True
    plan = np.zeros((900, 900), bool)
    plan[300:800, 300:800] = True
    assert visual_hull.resolution_for((frame, square, plan)) == 215
    assert visual_hull.resolution_for((square, square, plan)) == 128
    assert visual_hull.resolution_for((frame, square, plan), least=64, budget=1_000_001) == 100


def test_projection_and_side_placement_read_each_box_by_its_own_coordinates():
    """Boxes are (x0, y0, x1, y1), y down. The plan is above the front when its rows' middle is higher,
    wherever it sits across; the side view is right of the front when its columns' middle is, however
    close."""
    assert visual_hull.projection((100, 300, 200, 400), (900, 100, 1000, 200)) == "third"
    assert visual_hull.projection((0, 600, 100, 700), (0, 400, 100, 500)) == "third"
    assert visual_hull.projection((0, 100, 100, 200), (0, 400, 100, 500)) == "first"
    side = np.arange(6).reshape(2, 3)
    assert np.array_equal(visual_hull.as_right_view(side, (220, 300, 260, 400), (100, 300, 200, 400), "third"), side)
    assert np.array_equal(visual_hull.as_right_view(side, (20, 300, 60, 400), (100, 300, 200, 400), "third"),
                          side[:, ::-1])


def three_pockets():
    """A block on a ledge that stands out at its front, right and top (so each view's hull front has
    two depths to scale its nearness by), with a blind pocket in its front face, one in its right face
    and one in its top: no silhouette shows any of them, each view's nearness shows its own."""
    x, y, z = _grid()
    block = (np.abs(x) < 0.8) & (np.abs(y) < 0.6) & (np.abs(z) < 0.7)
    ledge = (x > -0.8) & (x < 0.95) & (y > -0.85) & (y < 0.6) & (z > -0.7) & (z < -0.3)
    front = (np.abs(x + 0.3) < 0.2) & (np.abs(z - 0.2) < 0.2) & (y < -0.3)
    right = (x > 0.5) & (np.abs(y) < 0.2) & (np.abs(z - 0.3) < 0.2)
    top = (np.abs(x - 0.3) < 0.2) & (np.abs(y - 0.2) < 0.2) & (z > 0.4)
    return (block | ledge) & ~front & ~right & ~top


def test_a_sheets_nearness_carves_each_views_own_pocket():
    """Drawn third-angle (plan above, right view to the right), with each view's exact nearness: the
    solid has all three pockets; without one view's nearness, that view's pocket stays filled."""
    truth = _crop3(three_pockets())
    masks = views(truth)
    boxes = [(100, 300, 200, 400), (300, 300, 400, 400), (100, 100, 200, 200)]
    n = max(truth.shape)
    hull = visual_hull.from_sheet_views(masks, boxes, n, adapt=False).occupancy
    near = nearness_maps(truth)
    solid = visual_hull.from_sheet_views(masks, boxes, n, nearness=near, adapt=False).occupancy
    assert solid.shape == truth.shape
    assert visual_hull.iou(hull, truth) < 0.97 and visual_hull.iou(solid, truth) > 0.99
    # adapting, the resolution asked for is only the least: the thinnest wall here (beside a pocket) is
    # 3 px of the 56 px front view, so WALL_CELLS (3) across it needs 56 voxels, more than 40
    assert max(visual_hull.from_sheet_views(masks, boxes, 40).occupancy.shape) == 56
    for k in range(3):
        partial = [m if j != k else None for j, m in enumerate(near)]
        missing = visual_hull.from_sheet_views(masks, boxes, n, nearness=partial, adapt=False).occupancy
        assert visual_hull.iou(missing, truth) < visual_hull.iou(solid, truth) - 0.005


def test_the_resolution_stops_at_512_however_thin_the_wall():
    """A flat square tray 500 px across and 10 px high whose plan shows 2 px walls: three voxels across
    them would need 1,500 along the side, and the budget allows about 1,000 for so flat a grid (128 ×
    128 × 3 at the least); 512 is the most."""
    edge = np.zeros((30, 520), bool)
    edge[10:20, 10:510] = True
    plan = np.zeros((520, 520), bool)
    plan[10:510, 10:510] = True
    plan[12:508, 12:508] = False
    assert visual_hull.resolution_for((edge, edge, plan)) == 512


def test_a_mesh_is_centred_on_the_origin_and_its_longest_side_is_the_size():
    """A solid 8 × 6 × 4 voxel block: its surface (at the half level of the smoothed voxels) lies on the
    block's faces, so the mesh spans 8 × 6 × 4 voxels about the origin, scaled so the longest is
    `size` (1 by default); cells 3 long along z make that axis 12 long, the longest. Faces wind
    outward (a positive signed volume) however small the mesh."""
    block = np.ones((8, 6, 4), bool)
    solid = visual_hull.mesh(block)
    lo, hi = solid.vertices.min(0), solid.vertices.max(0)
    assert np.allclose((lo + hi) / 2, 0.0, atol=1e-5)
    assert np.allclose(hi - lo, [1.0, 0.75, 0.5], atol=0.02)
    tall = visual_hull.mesh(block, size=2.0, cell=(1.0, 1.0, 3.0))
    assert np.allclose(np.ptp(tall.vertices, axis=0), [4 / 3, 1.0, 2.0], atol=0.04)
    for size in (1.0, 0.1):
        small = visual_hull.mesh(block, size=size)
        a, b, c = (small.vertices[small.faces[:, k]].astype(np.float64) for k in range(3))
        assert np.einsum("ij,ij->i", a, np.cross(b, c)).sum() > 0


def test_an_edge_lands_where_it_is_drawn_when_the_grid_is_finer_than_the_drawing():
    """Views 10 px square; the front lacks its first 3 columns in its top half (a step). At 40 voxels a
    side, each pixel spans 4 cells, and the step's edge, 3 px from the figure's left edge, lands 12
    cells in (3 / 10 of 40): in the upper half, columns 0–11 are empty and 12 on are solid."""
    square = np.ones((10, 10), bool)
    front = square.copy()
    front[:5, :3] = False
    occ = visual_hull.carve(front, square, square, resolution=40)
    upper = occ[:, :, 30]                            # z 30 of 40: in the top half
    assert not upper[:12].any() and upper[12:].all()
