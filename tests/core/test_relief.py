"""Relief geometry: counts, exact ratio scaling, smoothing, masks, watertight backs, UVs."""
from collections import Counter

import numpy as np
import pytest

from depthy_blender.core import relief
from tests.conftest import disk


def _edges(faces):
    return np.stack([faces, np.roll(faces, -1, axis=1)], -1).reshape(-1, 2)


def _signed_volume(verts, faces):
    tris = np.concatenate([faces[:, [0, i, i + 1]] for i in range(1, faces.shape[1] - 1)])
    a, b, c = (verts[tris[:, k]].astype(np.float64) for k in range(3))
    return np.einsum("ij,ij->i", a, np.cross(b, c)).sum() / 6.0


def test_full_grid_counts():
    near = np.random.default_rng(0).random((20, 30)).astype(np.float32)
    r = relief.build(near, np.ones_like(near, bool), resolution=30)
    assert r.grid_shape == (20, 30)
    assert len(r.verts) == 20 * 30 and len(r.faces) == 19 * 29 and r.faces.shape[1] == 4
    assert r.uvs.shape == (19 * 29 * 4, 2)
    assert r.width == pytest.approx(1.0) and r.height == pytest.approx(20 / 30)


def test_ratio_scales_thickness_exactly():
    near, mask = disk()
    a = relief.build(near, mask, ratio=0.2, sigma=2.0, resolution=80)
    b = relief.build(near, mask, ratio=0.4, sigma=2.0, resolution=80)
    assert np.array_equal(b.verts[:, 2], 2 * a.verts[:, 2])
    assert np.ptp(b.verts[:, 2]) == 2 * np.ptp(a.verts[:, 2])
    assert np.array_equal(a.verts[:, :2], b.verts[:, :2])


def test_thickness_is_ratio_times_width():
    near, mask = disk()
    r = relief.build(near, mask, ratio=0.3, resolution=80, size=2.0)
    assert r.verts[:, 2].max() == pytest.approx(0.3 * r.width, rel=1e-6)
    assert r.verts[:, 2].min() == pytest.approx(0.0, abs=1e-7)


def test_no_smoothing_gives_normalised_nearness():
    near, mask = disk(shape=(40, 50))
    r = relief.build(near, mask, ratio=0.5, sigma=0.0, resolution=50)   # grid = image, no resampling
    v = near[mask]
    expected = ((near - v.min()) / (v.max() - v.min())).ravel()[r.cells]   # by hand, not relief.normalise
    assert np.allclose(r.verts[:, 2] / (0.5 * r.width), expected, atol=1e-6)
    assert np.allclose(r.raw, near.ravel()[r.cells])


def test_smoothing_keeps_masked_mean_and_changes_shape():
    near, mask = disk(shape=(60, 60), radius=25)
    rough = relief.normalise(near + np.random.default_rng(1).random(near.shape) * mask, mask)
    smoothed = relief.smooth(rough, mask, 3.0)
    assert smoothed[mask].mean() == pytest.approx(rough[mask].mean(), abs=1e-12)
    assert np.abs(np.diff(smoothed[mask])).mean() < np.abs(np.diff(rough[mask])).mean()
    assert (smoothed[~mask] == 0).all()


def test_smoothing_does_not_pull_the_edge_to_zero():
    mask = np.zeros((40, 40), bool)
    mask[10:30, 10:30] = True
    flat = relief.normalise(np.ones((40, 40)), mask)   # a constant field is all ones
    smoothed = relief.smooth(flat, mask, 4.0)
    assert np.allclose(smoothed[mask], 1.0)


def test_unmasked_pixels_make_no_faces():
    near, mask = disk(shape=(50, 70), radius=18)
    r = relief.build(near, mask, resolution=70)
    masked_cells = set(np.flatnonzero(mask))
    assert set(r.cells.tolist()) <= masked_cells
    face_cells = r.cells[r.faces]
    assert all(int(c) in masked_cells for c in np.unique(face_cells))
    # and every fully masked 2×2 block is a face
    full = mask[:-1, :-1] & mask[1:, :-1] & mask[1:, 1:] & mask[:-1, 1:]
    assert len(r.faces) == full.sum()


@pytest.mark.parametrize("back", ["flat", "mirror"])
@pytest.mark.parametrize("triangles", [False, True])
def test_closed_backs_are_watertight_and_outward(back, triangles):
    near, mask = disk(shape=(50, 60), radius=18)
    mask[20:25, 5:55] = True                                   # a bar sticking out: non-convex outline
    mask[24:27, 28:31] = False                                 # and a hole
    r = relief.build(near, mask, resolution=60, back=back, triangles=triangles, ratio=0.3)
    undirected = Counter(tuple(sorted(e)) for e in _edges(r.faces).tolist())
    assert set(undirected.values()) == {2}                     # every edge in exactly two faces
    directed = Counter(map(tuple, _edges(r.faces).tolist()))
    assert set(directed.values()) == {1}                       # consistent winding
    assert _signed_volume(r.verts, r.faces) > 0                # normals point outward


def test_open_relief_faces_the_viewer():
    near, mask = disk()
    r = relief.build(near, mask, resolution=80)
    v = r.verts[r.faces]
    normals = np.cross(v[:, 1] - v[:, 0], v[:, 2] - v[:, 0])
    assert (normals[:, 2] > 0).mean() > 0.99


@pytest.mark.parametrize("triangles", [False, True])
def test_pinched_and_speckled_masks_still_close(triangles):
    mask = np.random.default_rng(3).random((40, 40)) > 0.35      # many corner-only contacts
    r = relief.build(np.ones((40, 40), np.float32), mask, resolution=40, back="flat", triangles=triangles)
    undirected = Counter(tuple(sorted(e)) for e in _edges(r.faces).tolist())
    assert set(undirected.values()) == {2}


@pytest.mark.parametrize("back", ["none", "flat", "mirror"])
@pytest.mark.parametrize("triangles", [False, True])
def test_edges_and_corner_edges_match_the_faces(back, triangles):
    mask = np.random.default_rng(4).random((30, 30)) > 0.3
    r = relief.build(np.ones((30, 30), np.float32), mask, resolution=30, back=back, triangles=triangles)
    from_faces = {tuple(sorted(e)) for e in _edges(r.faces).tolist()}
    listed = [tuple(sorted(e)) for e in r.edges.tolist()]
    assert len(listed) == len(set(listed)) and set(listed) == from_faces
    corner_pairs = _edges(r.faces)
    looked_up = np.sort(r.edges[r.corner_edges.ravel()], axis=1)
    assert np.array_equal(looked_up, np.sort(corner_pairs, axis=1))


def test_mirror_back_is_symmetric_and_flat_back_is_flat():
    near, mask = disk()
    mirror = relief.build(near, mask, resolution=80, back="mirror")
    n = len(mirror.verts) // 2
    assert np.array_equal(mirror.verts[n:, 2], -mirror.verts[:n, 2])
    flat = relief.build(near, mask, resolution=80, back="flat")
    assert (flat.verts[n:, 2] == 0).all()


def test_uvs_follow_positions():
    near, mask = disk()
    r = relief.build(near, mask, resolution=80)
    corner_verts = r.verts[r.faces.ravel()]
    assert r.uvs.min() >= 0 and r.uvs.max() <= 1
    assert np.allclose(corner_verts[:, 0], (r.uvs[:, 0] - 0.5) * r.width, atol=1e-6)
    assert np.allclose(corner_verts[:, 1], (r.uvs[:, 1] - 0.5) * r.height, atol=1e-6)


def test_slider_path_against_a_brute_force_oracle():
    """The slider path (vertex_z) on a closed, inverted relief, against loops written out by hand: the
    inverted normalised nearness, smoothed with an explicit Gaussian over the figure, times the
    thickness, mirrored on the back."""
    from tests.core.test_oracles import brute_force_smooth
    near, mask = disk(shape=(24, 30), radius=9)
    r = relief.build(near, mask, ratio=0.7, sigma=1.5, resolution=30, back="mirror", invert=True)
    z = relief.vertex_z(r.raw, r.cells, r.sides, r.grid_shape, r.width, 0.7, 1.5, invert=True)
    grid = np.zeros(r.grid_shape)
    on = np.zeros(r.grid_shape, bool)
    grid.ravel()[r.cells] = r.raw
    on.ravel()[r.cells] = True
    v = grid[on]
    heights = brute_force_smooth(np.where(on, 1 - (grid - v.min()) / (v.max() - v.min()), 0), on, 1.5)
    expected = r.sides * 0.7 * r.width * heights.ravel()[r.cells]
    assert np.abs(z - expected).max() < 1e-5
    assert np.array_equal(z, r.verts[:, 2])   # and build wrote exactly what the sliders write


def test_invert_swaps_near_and_far():
    near, mask = disk(shape=(40, 50))
    a = relief.build(near, mask, resolution=50)
    b = relief.build(near, mask, resolution=50, invert=True)
    assert np.allclose(a.verts[:, 2] + b.verts[:, 2], 0.2 * a.width, atol=1e-6)


def test_resampling_keeps_aspect_and_resolution():
    near, mask = disk(shape=(300, 600), radius=100)
    r = relief.build(near, mask, resolution=128)
    assert r.grid_shape == (64, 128)


@pytest.mark.parametrize("bad, message", [
    (dict(resolution=15), "Resolution must be between 16 and 2048, not 15"),
    (dict(resolution=2049), "Resolution must be between 16 and 2048, not 2049"),
    (dict(back="round"), "Back must be one of none, flat, mirror, not 'round'"),
    (dict(mask=np.ones((3, 3), bool)), "Nearness and mask must have the same shape")])
def test_bad_options_are_one_clear_line(bad, message):
    near, mask = disk()
    options = dict(mask=mask) | bad
    with pytest.raises(relief.ReliefError) as error:
        relief.build(near, **options)
    assert str(error.value) == message


def test_the_grid_by_hand():
    """The longer side gets the resolution, 16 and 2048 included; the other side is rounded, but at
    least 2; an image's channels are not a side."""
    assert relief.grid_shape_for((30, 60, 4), 16) == (8, 16)
    assert relief.grid_shape_for((900, 300), 2048) == (2048, 683)
    assert relief.grid_shape_for((5, 100), 40) == (2, 40) and relief.grid_shape_for((100, 5), 40) == (40, 2)
    assert relief.grid_shape_for((1, 100), 40) == (2, 40) and relief.grid_shape_for((100, 1), 40) == (40, 2)
    near, mask = disk(shape=(256, 512), radius=100)
    assert relief.build(near, mask).grid_shape == (128, 256)         # the default resolution, 256


def test_too_thin_figure_is_reported():
    mask = np.zeros((100, 100), bool)
    mask[50, :] = True
    with pytest.raises(relief.ReliefError) as error:
        relief.build(np.ones((100, 100), np.float32), mask, resolution=100)
    assert str(error.value) == "The figure is too small or thin for this resolution: no faces to build"


@pytest.mark.parametrize("back", ["flat", "mirror"])
def test_side_walls_show_the_figure_not_the_outline_ink(back):
    """A closed relief of an outline drawing: the walls' texture comes from inside the figure (paper
    white here), not from the black outline stretched over them."""
    from tests.conftest import outline_drawing
    rgba = np.asarray(outline_drawing().convert("RGBA"), np.float32) / 255
    mask = np.zeros(rgba.shape[:2], bool)
    mask[25:96, 30:131] = True                              # the rectangle with its outline (box 30,25–130,95)
    nearness = mask.astype(np.float32)
    built = relief.build(nearness, mask, 0.2, 0.0, 64, 1.0, back)
    k = built.faces.shape[1]
    sides = built.sides[built.faces]                        # front / back / wall by their corners' sides
    walls = (sides > 0).any(1) & (sides <= 0).any(1)
    wall_uvs = built.uvs.reshape(-1, k, 2)[walls].reshape(-1, 2)
    assert ((wall_uvs >= 0) & (wall_uvs <= 1)).all()                 # on the image, none left unset
    h, w = rgba.shape[:2]
    cols = np.clip((wall_uvs[:, 0] * w).astype(int), 0, w - 1)
    rows = np.clip(((1 - wall_uvs[:, 1]) * h).astype(int), 0, h - 1)
    assert walls.sum() > 100
    assert rgba[rows, cols, 0].min() > 0.9                  # every wall corner samples paper, no ink
    front = (sides > 0).all(1)
    front_uvs = built.uvs.reshape(-1, k, 2)[front].reshape(-1, 2)
    cols = np.clip((front_uvs[:, 0] * w).astype(int), 0, w - 1)
    rows = np.clip(((1 - front_uvs[:, 1]) * h).astype(int), 0, h - 1)
    assert rgba[rows, cols, 0].min() < 0.1                  # the front still shows the outline's ink


def _outline_vertices(r):
    from scipy import ndimage
    grid = np.zeros(r.grid_shape, bool)
    grid.ravel()[r.cells] = True
    return (grid & ~ndimage.binary_erosion(grid)).ravel()[r.cells]


def test_outline_follows_a_circle_not_a_staircase():
    """Oracle: the analytic circle the mask was drawn from. On a 40-sample grid (5 px cells) the outline
    vertices lie within 0.3 cell of it; cell centres alone sit up to 0.85 cell inside, in steps."""
    size, centre, radius = 200, 100.0, 70.3
    yy, xx = np.mgrid[:size, :size]
    mask = (yy + 0.5 - centre) ** 2 + (xx + 0.5 - centre) ** 2 < radius ** 2
    r = relief.build(mask.astype(np.float32), mask, 0.2, 0.0, 40, 1.0)
    px = (r.verts[:, 0] / r.width + 0.5) * size
    py = (0.5 - r.verts[:, 1] / r.height) * size
    off = np.hypot(px - centre, py - centre)[_outline_vertices(r)] - radius
    assert abs(off.mean()) < 1.0 and off.std() < 0.8 and np.abs(off).max() < 1.5
    inner = ~_outline_vertices(r)                          # the inside stays on the grid
    cols = r.cells[inner] % r.grid_shape[1]
    assert np.allclose(r.verts[inner, 0], ((cols + 0.5) / r.grid_shape[1] - 0.5) * r.width, atol=1e-6)


def test_a_wild_outline_value_makes_no_spike():
    """A ramp (nearness = x) whose outline holds a few values 100 times too large: at smoothing 0 the
    heights must still follow the ramp (oracle: the ramp itself), not collapse under the outliers."""
    h, w = 60, 80
    yy, xx = np.mgrid[:h, :w]
    mask = (yy > 10) & (yy < 50) & (xx > 10) & (xx < 70)
    nearness = np.where(mask, xx.astype(np.float32), 0)
    nearness[11, 20:24] = 6000.0                           # on the top outline
    r = relief.build(nearness, mask, 0.2, 0.0, 80, 1.0)    # grid = image: no resampling
    cols = r.cells % w
    z = r.verts[:, 2] / (0.2 * r.width)
    expected = (cols - 11) / (69 - 11)                    # the ramp, normalised over the figure
    assert np.abs(z - expected).max() < 0.03


@pytest.mark.parametrize("sigma", [0.0, 1.0])
def test_the_base_moves_only_the_back(sigma):
    """Front vertices keep ratio × width × h; flat-back (0) and mirrored (−1) vertices sit base × width
    further back. A constant nearness normalises to all ones, so h = 1 with or without smoothing."""
    raw = np.full(6, 0.7, np.float32)
    cells = np.array([0, 1, 2, 0, 1, 2])
    sides = np.array([1, 1, 1, 0, -1, -1], np.float32)
    z = relief.vertex_z(raw, cells, sides, (1, 3), width=2.0, ratio=0.25, sigma=sigma, base=0.1)
    assert np.allclose(z, [0.5, 0.5, 0.5, -0.2, -0.7, -0.7], atol=1e-6)
    assert np.allclose(relief.vertex_z(raw, cells, sides, (1, 3), 2.0, 0.25, sigma), [0.5] * 3 + [0.0, -0.5, -0.5],
                       atol=1e-6)


def test_a_wall_takes_its_colour_from_three_cells_inside_the_outline():
    """By hand, with a column's u its index and a row's v its index: on a 12 × 12 figure, three cross
    erosions leave rows and columns 3–8, so the outline cells (0, 5), (0, 0) and (11, 7) read (3, 5),
    (3, 3) and (8, 7). A figure too thin to keep anything after three (5 cells wide) reads itself."""
    mask = np.ones((12, 12), bool)
    cells = np.array([0 * 12 + 5, 0, 11 * 12 + 7])
    uv = relief._inside_uvs(mask, cells, np.arange(12.0), np.arange(12.0))
    assert uv.tolist() == [[5, 3], [3, 3], [7, 8]]
    thin = np.zeros((12, 12), bool)
    thin[2:7, 1:11] = True
    assert relief._inside_uvs(thin, np.array([2 * 12 + 4]), np.arange(12.0), np.arange(12.0)).tolist() == [[4, 2]]


@pytest.mark.parametrize("back", ["none", "flat", "mirror"])
@pytest.mark.parametrize("triangles", [False, True])
def test_every_array_has_the_type_blender_is_given(back, triangles):
    """The types Relief documents, which the Blender layer hands to foreach_set as they are."""
    nearness, mask = disk()
    for resolution in (24, 80):                # resampled, and at the image's own size (80 × 64)
        r = relief.build(nearness.astype(np.float64), mask, resolution=resolution, back=back,
                         triangles=triangles)
        types = {name: getattr(r, name).dtype for name in ("verts", "faces", "edges", "corner_edges", "uvs",
                                                            "cells", "sides", "raw")}
        assert types == {"verts": np.float32, "faces": np.int32, "edges": np.int32, "corner_edges": np.int32,
                         "uvs": np.float32, "cells": np.int32, "sides": np.float32, "raw": np.float32}


def test_normalising_by_hand_near_is_one_unless_inverted():
    """Over the mask, 2 → 0, 4 → 0.5 and 6 → 1, and 0 off it; inverted, far is 1; a constant field is
    all ones. The smoothed grid heights read the same at sigma 0."""
    raw = np.array([[2.0, 4.0, 6.0, 9.0]])
    mask = np.array([[True, True, True, False]])
    assert relief.normalise(raw, mask).tolist() == [[0.0, 0.5, 1.0, 0.0]]
    assert relief.normalise(raw, mask, invert=True).tolist() == [[1.0, 0.5, 0.0, 0.0]]
    assert relief.normalise(np.full((1, 4), 3.0), mask).tolist() == [[1.0, 1.0, 1.0, 0.0]]
    assert relief.grid_heights(raw, mask, 0.0).tolist() == [[0.0, 0.5, 1.0, 0.0]]


def test_no_smoothing_and_an_empty_figure_leave_the_values_as_they_are():
    values = np.array([[0.2, 0.7], [0.4, 5.0]])
    mask = np.array([[True, True], [True, False]])
    assert relief.smooth(values, mask, 0.0) is values
    assert relief.smooth(values, np.zeros_like(mask), 2.0) is values


def test_growing_the_grid_interpolates_linearly_between_cell_centres():
    """Two samples, 1 and 3, spread over four cells: the new centres lie at −0.25, 0.25, 0.75 and 1.25
    old cells, so by linear interpolation (the ends held) they read 1, 1.5, 2.5 and 3."""
    raw, mask = relief.resample(np.array([[1.0, 3.0], [1.0, 3.0]], np.float32), np.ones((2, 2), bool), (2, 4))
    assert mask.all()
    assert np.allclose(raw, [[1.0, 1.5, 2.5, 3.0]] * 2)


def test_a_straight_edge_moves_half_a_cell_out_along_its_normal():
    """A symmetric blur of a straight edge crosses 0.5 halfway between the last cell in and the first
    out, so the outline cells of a strip 5 cells wide move half a cell outward across it and not along
    it (rows 4–7, out of the blur's reach of the grid's top and bottom, where the strip ends)."""
    mask = np.zeros((12, 13), bool)
    mask[:, 4:9] = True
    edge = relief.outline_cells(mask)
    rows, cols = np.nonzero(edge)
    shift_rows, shift_cols = relief.outline_shift(mask, edge)      # the outline found by itself
    middle = (rows >= 4) & (rows <= 7)
    assert sorted(set(cols[middle].tolist())) == [4, 8]
    assert np.allclose(shift_rows[middle], 0.0, atol=1e-6)
    assert np.allclose(shift_cols[middle], np.where(cols[middle] == 4, -0.5, 0.5))


def test_no_outline_moves_nothing_and_a_lone_cell_stays_put():
    """An empty figure has no outline cells: two empty float32 shift arrays. A figure of one cell is all
    outline, and its blur is symmetric about it, so it does not move."""
    empty = np.zeros((6, 6), bool)
    shifts = relief.outline_shift(empty, relief.outline_cells(empty))
    assert [(s.shape, s.dtype) for s in shifts] == [((0,), np.float32)] * 2
    lone = np.zeros((9, 9), bool)
    lone[4, 4] = True
    shift_rows, shift_cols = relief.outline_shift(lone, relief.outline_cells(lone))
    assert shift_rows.tolist() == [0.0] and shift_cols.tolist() == [0.0]


def test_an_outline_cell_moves_onto_the_half_level_of_the_blurred_figure():
    """Oracle: the figure blurred on the whole grid by scipy (a Gaussian of 0.8 cells cut at 3 cells,
    nothing beyond the grid), read between cells by linear interpolation. On a disc's outline, cell
    centres read up to 0.3 away from the 0.5 level; where the move is not held at half a cell, the moved
    points read within 0.04 of it."""
    from scipy import ndimage
    yy, xx = np.mgrid[:26, :26]
    mask = (yy - 12.3) ** 2 + (xx - 12.8) ** 2 < 7.6 ** 2
    edge = relief.outline_cells(mask)
    rows, cols = np.nonzero(edge)
    shift_rows, shift_cols = relief.outline_shift(mask, edge)
    assert shift_rows.dtype == shift_cols.dtype == np.float32
    blurred = ndimage.gaussian_filter(mask.astype(float), 0.8, truncate=3.75, mode="constant")
    before = ndimage.map_coordinates(blurred, [rows, cols], order=1)
    after = ndimage.map_coordinates(blurred, [rows + shift_rows, cols + shift_cols], order=1)
    free = (np.abs(shift_rows) < 0.5) & (np.abs(shift_cols) < 0.5)
    assert free.sum() >= 15 and np.abs(before - 0.5).max() > 0.25
    assert np.abs(after[free] - 0.5).max() < 0.04


def test_a_figure_filling_the_grid_moves_out_past_its_edge():
    """Beyond the grid is off the figure: the outline cells of a full grid move half a cell outward."""
    mask = np.ones((12, 12), bool)
    edge = relief.outline_cells(mask)
    rows, cols = np.nonzero(edge)
    shift_rows, shift_cols = relief.outline_shift(mask, edge)
    left = (cols == 0) & (rows >= 4) & (rows <= 7)
    assert np.allclose(shift_cols[left], -0.5) and np.allclose(shift_rows[left], 0.0, atol=1e-6)


def test_at_the_images_own_size_the_nearness_is_kept_on_the_figure_and_zero_off_it():
    nearness = np.array([[5.0, 7.0], [9.0, 11.0]])
    mask = np.array([[True, False], [True, True]])
    raw, kept = relief.resample(nearness, mask, (2, 2))
    assert raw.dtype == np.float32 and raw.tolist() == [[5.0, 0.0], [9.0, 11.0]]
    assert kept.tolist() == mask.tolist() and kept is not mask


@pytest.mark.parametrize("image, grid", [((12, 48), (4, 16)), ((48, 16), (16, 16))])
def test_shrinking_one_pixel_stripes_blurs_them_grey_rather_than_aliasing(image, grid):
    """Stripes one pixel high (rows 1, 0, 1, …) shrunk 3:1 along the rows: sampled without a blur,
    every third row reads one stripe, so the grid would be stripes of 0 and 1 again; anti-aliased, it is
    grey (0.5 ± 0.2). Along the columns: the same, turned."""
    rows = (np.arange(image[0]) % 2 == 0).astype(np.float32)
    across_rows = np.repeat(rows[:, None], image[1], axis=1)
    raw, mask = relief.resample(across_rows, np.ones(image, bool), grid)
    assert mask.all() and np.abs(raw - 0.5).max() < 0.2
    raw, mask = relief.resample(across_rows.T.copy(), np.ones(image[::-1], bool), grid[::-1])
    assert mask.all() and np.abs(raw - 0.5).max() < 0.2


@pytest.mark.parametrize("grid", [(20, 25), (120, 150)])
def test_resampling_reads_the_figure_alone(grid):
    """Nearness 5 everywhere on a disc and 100 off it: shrunk or grown, the grid reads 5 on the figure
    (the figure's own values, weighted by how much of each cell it covers), never the values beside it."""
    nearness, mask = disk(shape=(60, 75), radius=22)
    constant = np.where(mask, 5.0, 100.0).astype(np.float32)
    raw, kept = relief.resample(constant, mask, grid)
    assert kept.sum() > 0.15 * kept.size and np.allclose(raw[kept], 5.0, atol=1e-4)
    assert (raw[~kept] == 0).all()


@pytest.mark.parametrize("factor", [2, 3, 4])
def test_shrinking_is_close_to_the_mean_of_the_pixels_each_cell_covers(factor):
    """Oracle: the area mean, each cell's factor × factor block of pixels averaged by hand. On seeded
    noise, away from the grid's edge, shrinking stays within 0.05 of it on average (blurring twice as
    much, or not at all, strays 0.06 to 0.2 at a factor of 3)."""
    rng = np.random.default_rng(7)
    image = rng.random((16 * factor, 16 * factor)).astype(np.float32)
    raw, mask = relief.resample(image, np.ones(image.shape, bool), (16, 16))
    block = image.reshape(16, factor, 16, factor).mean(axis=(1, 3))
    assert mask.all() and np.abs(raw - block)[2:-2, 2:-2].mean() < 0.05


def test_a_neighbourhood_reads_the_fill_beyond_each_side_of_the_grid():
    """By hand, on a 3 × 4 grid numbered 0–11: the 3 × 3 around the top-left and bottom-right corners,
    row by row, with −1 beyond the grid; and the 5 × 5 around (1, 1) reaches past the top and left."""
    grid = np.arange(12).reshape(3, 4)
    around = relief._around(grid, np.array([0, 2]), np.array([0, 3]), 1, -1)
    assert around.shape == (9, 2)
    assert around[:, 0].tolist() == [-1, -1, -1, -1, 0, 1, -1, 4, 5]
    assert around[:, 1].tolist() == [6, 7, -1, 10, 11, -1, -1, -1, -1]
    wide = relief._around(grid, np.array([1]), np.array([1]), 2, -1)[:, 0].reshape(5, 5)
    assert wide.tolist() == [[-1] * 5, [-1, 0, 1, 2, 3], [-1, 4, 5, 6, 7], [-1, 8, 9, 10, 11], [-1] * 5]


def test_a_wild_outline_value_takes_the_median_of_its_inner_neighbours_alone():
    """By hand, on a 6 × 6 figure whose inner cells (rows and columns 1–4) read their column number: the
    outline cell (0, 2) sees inner cells 1–4 in rows 1 and 2, so it may read from 1 − 3 to 4 + 3. At 50
    it is wild and takes their median, 2.5; at 6, on (0, 3), it is a slope going on to the edge and
    stays. Nothing beyond the grid counts as a neighbour."""
    raw = np.tile(np.arange(6.0), (6, 1))
    raw[0, 2], raw[0, 3] = 50.0, 6.0
    settled = relief.settle_outline(raw, np.ones((6, 6), bool))
    assert settled[0, 2] == 2.5 and settled[0, 3] == 6.0
    unchanged = raw.copy()
    unchanged[0, 2] = 2.0
    assert np.array_equal(relief.settle_outline(unchanged, np.ones((6, 6), bool)), unchanged)


def test_each_outline_cell_is_judged_by_its_own_neighbours():
    """By hand, on an 8 × 8 figure whose inner cells read 10 × their row: the top outline cells see rows 1
    and 2 (10 and 20, so 0 to 30 is allowed), the bottom ones rows 5 and 6 (50 and 60: 40 to 70). At 45
    a top cell is wild and takes 15; at 35 a bottom one is wild and takes 55. Exactly 0 or 30 on top is
    allowed and stays."""
    raw = np.repeat(10.0 * np.arange(8), 8).reshape(8, 8)
    raw[0, 3], raw[7, 3], raw[0, 2], raw[0, 4] = 45.0, 35.0, 0.0, 30.0
    settled = relief.settle_outline(raw, np.ones((8, 8), bool))
    assert (settled[0, 3], settled[7, 3], settled[0, 2], settled[0, 4]) == (15.0, 55.0, 0.0, 30.0)


@pytest.mark.parametrize("pinch, kept", [([[1, 0], [0, 1]], [[1, 0], [0, 0]]),     # ▚ alone
                                         ([[0, 1], [1, 0]], [[0, 1], [0, 0]])])    # ▞ alone
def test_faces_touching_at_one_corner_lose_one_of_the_two(pinch, kept):
    """By hand: of two faces sharing only a corner, the lower one goes, whether the pinch falls or rises
    and with no pinch of the other kind anywhere; faces sharing a side stay."""
    assert relief._without_pinches(np.array(pinch, bool)).astype(int).tolist() == kept
    joined = np.array([[1, 1], [0, 1]], bool)
    assert relief._without_pinches(joined).tolist() == joined.tolist()


@pytest.mark.parametrize("shape, width, height", [((40, 80), 1.0, 0.5), ((80, 40), 0.5, 1.0), ((60, 60), 1.0, 1.0)])
def test_the_longer_side_is_the_size(shape, width, height):
    """By hand: a wide image is `size` wide, a tall one `size` high, with the other side in proportion."""
    near, mask = disk(shape=shape, radius=15)
    r = relief.build(near, mask, resolution=40, size=1.0)
    assert (r.width, r.height) == pytest.approx((width, height))
    doubled = relief.build(near, mask, resolution=40, size=2.0)   # the disc, 30 px across, at size 2
    across = 2.0 * 30 / max(shape)
    assert np.ptp(doubled.verts[:, 0]) == pytest.approx(across, rel=0.1)
    assert np.ptp(doubled.verts[:, 1]) == pytest.approx(across, rel=0.1)


def test_a_closed_relief_stands_on_its_base():
    """A constant nearness at ratio 0.25 on a mesh 2 wide: the front at 0.5, the flat back at −0.2 with a
    base of 0.1 × the width, at 0 without one."""
    near, mask = disk(shape=(40, 40), radius=15)
    flat = np.where(mask, 1.0, 0.0).astype(np.float32)
    r = relief.build(flat, mask, ratio=0.25, resolution=40, size=2.0, back="flat", base=0.1)
    assert np.allclose(sorted(set(np.round(r.verts[:, 2], 6).tolist())), [-0.2, 0.5])
    r = relief.build(flat, mask, ratio=0.25, resolution=40, size=2.0, back="flat")
    assert np.allclose(sorted(set(np.round(r.verts[:, 2], 6).tolist())), [0.0, 0.5])


def test_a_rectangles_sides_land_on_its_drawn_edges():
    """By hand: pixels 10–29 of 40 rows and 20–59 of 80 columns, at size 2 (2 wide, 1 high), one cell a
    pixel. Halfway along each side the outline moves half a cell out, onto the pixel edge: the top at
    y = (0.5 − 10/40) × 1 = 0.25, the bottom at −0.25, the left at x = (20/80 − 0.5) × 2 = −0.5, the right
    at 0.5."""
    mask = np.zeros((40, 80), bool)
    mask[10:30, 20:60] = True
    r = relief.build(mask.astype(np.float32), mask, resolution=80, size=2.0)
    rows, cols = np.divmod(r.cells, 80)
    x, y = r.verts[:, 0], r.verts[:, 1]
    assert np.allclose(y[(rows == 10) & (cols == 40)], 0.25) and np.allclose(y[(rows == 29) & (cols == 40)], -0.25)
    assert np.allclose(x[(cols == 20) & (rows == 20)], -0.5) and np.allclose(x[(cols == 59) & (rows == 20)], 0.5)


@pytest.mark.parametrize("sigma", [0.0, 1.0])
def test_no_vertices_have_no_heights_and_one_vertex_stands_at_the_full_ratio(sigma):
    """By hand: nothing in, an empty float32 array out. A lone vertex is a constant field, which
    normalises to 1, so it stands at ratio × width = 0.5 × 2."""
    empty = relief.vertex_z(np.zeros(0, np.float32), np.zeros(0, np.int32), np.zeros(0, np.float32), (2, 2),
                            2.0, 0.5, sigma)
    assert empty.shape == (0,) and empty.dtype == np.float32
    one = relief.vertex_z(np.array([0.3], np.float32), np.array([3]), np.ones(1, np.float32), (2, 2), 2.0, 0.5, sigma)
    assert one.tolist() == [1.0] and one.dtype == np.float32
