"""Planar faces (core/planar_faces.py, pipeline/drawing.as_faces): each area the lines close becomes the
plane that best fits the engine's answer there, faces that nearly meet on a line are joined there, steps
stay steps, and pixels far off their face's plane count for less."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from PIL import Image, ImageDraw

from depthy_blender.core import flat_faces, images, planar_faces
from depthy_blender.models import engine
from depthy_blender.pipeline import drawing

SIDE = 120


def two_faces(split: int = 60) -> np.ndarray:
    """A square figure on white paper cut in two by one vertical line at column `split` (2 px pen)."""
    img = Image.new("RGB", (SIDE, SIDE), "white")
    draw = ImageDraw.Draw(img)
    draw.rectangle((10, 10, 109, 109), outline="black", width=2)
    draw.line((split, 10, split, 109), fill="black", width=2)
    return images.pil_to_rgba(img)


def xy():
    yy, xx = np.mgrid[:SIDE, :SIDE] / float(SIDE)
    return xx, yy


def setup(split: int = 60):
    rgba = two_faces(split)
    mask = images.figure_mask(rgba)
    labels = flat_faces.faces(rgba, mask)
    return rgba, mask, labels


def test_points_are_x_and_y_in_units_of_the_longer_side_and_one():
    grid = planar_faces.points((2, 4))
    assert grid.shape == (2, 4, 3)
    assert grid[1, 3].tolist() == [0.75, 0.25, 1.0] and grid[0, 0].tolist() == [0.0, 0.0, 1.0]


def test_seams_are_the_neighbouring_pixels_nearest_to_different_faces_halfway_between():
    nearest = np.array([[1, 1, 2],
                        [1, 3, 2]])
    mask = np.ones((2, 3), bool)
    mask[0, 0] = False
    first, second, where = planar_faces.seams(nearest, mask)
    found = sorted(zip(first.tolist(), second.tolist(), map(tuple, (where * 3).round(6).tolist())))
    assert found == [(1, 2, (1.5, 0.0, 3.0)), (1, 3, (0.5, 1.0, 3.0)), (1, 3, (1.0, 0.5, 3.0)),
                     (2, 3, (1.5, 1.0, 3.0))]


def test_a_face_bent_by_the_engine_becomes_its_best_plane_and_an_exact_plane_stays():
    rgba, mask, labels = setup()
    xx, yy = xy()
    plane = 0.3 + 0.5 * xx - 0.2 * yy
    same, note = planar_faces.read(plane.astype(np.float32), rgba, mask)
    assert note is None and same.dtype == np.float32
    assert np.allclose(same[mask], plane[mask], atol=1e-5) and np.all(same[~mask] == 0)
    bent = plane + 0.3 * np.sin(np.pi * yy) ** 2             # bulged along y on both faces alike
    flat, _ = planar_faces.read(bent.astype(np.float32), rgba, mask)
    for face in (1, 2):
        on = labels == face
        terms = np.c_[xx[on], yy[on], np.ones(on.sum())]
        fitted = terms @ np.linalg.lstsq(terms, flat[on], rcond=None)[0]
        assert np.abs(fitted - flat[on]).max() < 1e-5          # a plane
    assert np.polyfit(xx[labels == 1], flat[labels == 1], 1)[0] == pytest.approx(0.5, abs=0.05)


def test_faces_that_nearly_meet_on_their_line_are_joined_and_a_step_stays_a_step():
    """Two faces whose planes fitted alone meet on the line within CREASE of the range are fitted
    together: on the seam the joined planes lie a quarter as far apart as those fitted alone (JOIN 0).
    A step of half the range stays one: each face keeps its own exact plane."""
    rgba, mask, labels = setup()
    xx, yy = xy()
    crease = np.where(xx < 0.5, 0.2 + 1.2 * xx, 0.83 + 0.02 * yy)   # 0.03–0.05 apart on the line
    near = (crease + np.random.default_rng(0).normal(0, 0.01, crease.shape)).astype(np.float32)
    assert 0.05 / np.ptp(crease[mask]) < planar_faces.CREASE
    nearest = flat_faces.nearest_face(labels)
    first, second, where = planar_faces.seams(nearest, mask)

    def gap():
        planes = planar_faces.fit(near, labels, nearest, mask)
        return np.abs(np.einsum("nk,nk->n", where, planes[first] - planes[second])).max()
    joined = gap()
    join = planar_faces.JOIN
    try:
        planar_faces.JOIN = 0.0
        alone = gap()
    finally:
        planar_faces.JOIN = join
    assert alone > 0.03 and joined < 0.25 * alone
    left, right = labels == 1, labels == 2
    step = np.where(xx < 0.5, 0.2 + 0.1 * yy, 0.8 + 0.1 * yy)
    kept, _ = planar_faces.read(step.astype(np.float32), rgba, mask)
    assert np.allclose(kept[left], step[left], atol=1e-4) and np.allclose(kept[right], step[right], atol=1e-4)


def test_which_seams_are_creases_by_the_median_gap_against_crease():
    alone = np.array([[0.0, 0.0, 0.5], [0.0, 0.0, 0.5 + 0.9 * planar_faces.CREASE],
                      [0.0, 0.0, 0.5 + 1.1 * planar_faces.CREASE]])
    where = np.tile([[0.5, 0.5, 1.0]], (4, 1))
    first, second = np.array([1, 1, 1, 2]), np.array([2, 2, 3, 3])
    joined = planar_faces.creases(alone, first, second, where, span=1.0)
    assert joined.tolist() == [True, True, False, True]
    assert planar_faces.creases(alone, first, second, where, span=0.5).tolist() == [False, False, False, True]
    level = np.array([[0.0, 0.0, 0.0], [0.0, 0.0, planar_faces.CREASE]])   # exactly CREASE apart: a step
    assert planar_faces.creases(level, np.array([1]), np.array([2]), where[:1], span=1.0).tolist() == [False]
    assert planar_faces.creases(alone, first[:0], second[:0], where[:0], 1.0).shape == (0,)


def test_a_few_far_off_pixels_barely_move_a_faces_plane():
    """An engine's blur: a tenth of a face far off its plane. The re-weighted fit stays near the plane;
    the plain least-squares fit (no rounds) is pulled toward the blur."""
    rgba, mask, labels = setup()
    xx, yy = xy()
    plane = 0.3 + 0.4 * xx + 0.1 * yy
    blurred = plane.copy()
    blurred[(labels == 1) & (yy > 0.8)] += 0.5
    robust, _ = planar_faces.read(blurred.astype(np.float32), rgba, mask)
    on = labels == 1
    err = np.abs(robust[on] - plane[on]).mean()
    rounds = planar_faces.ROUNDS
    try:
        planar_faces.ROUNDS = 0
        plain, _ = planar_faces.read(blurred.astype(np.float32), rgba, mask)
    finally:
        planar_faces.ROUNDS = rounds
    assert err < 0.25 * np.abs(plain[on] - plane[on]).mean()


def test_a_face_one_pixel_wide_or_tall_has_no_slope_across_it_and_the_right_one_along_it():
    """A face of one column cannot say its slope along x, one of one row its slope along y: RIDGE
    settles each at 0 and leaves the other as the engine's."""
    labels = np.zeros((8, 8), np.int32)
    labels[1:4, 1:4] = 1
    labels[1:7, 5] = 2                                       # one column
    labels[6, 0:4] = 3                                       # one row
    mask = np.ones((8, 8), bool)
    yy, xx = np.mgrid[:8, :8] / 8.0
    near = (0.5 * xx + 0.25 * yy).astype(np.float64)
    try:
        join = planar_faces.JOIN
        planar_faces.JOIN = 0.0                              # each face alone
        planes = planar_faces.fit(near, labels, flat_faces.nearest_face(labels), mask)
    finally:
        planar_faces.JOIN = join
    assert planes.shape == (4, 3) and np.all(planes[0] == 0) and np.isfinite(planes).all()
    assert planes[1] == pytest.approx([0.5, 0.25, 0.0], abs=1e-3)   # RIDGE: a pull of 1e-4 at most here
    assert planes[2][0] == pytest.approx(0.0, abs=1e-3) and planes[2][1] == pytest.approx(0.25, abs=1e-3)
    assert planes[3][1] == pytest.approx(0.0, abs=1e-3) and planes[3][0] == pytest.approx(0.5, abs=1e-3)


def test_a_level_answer_is_read_level():
    """Every residual 0: no Huber scale, every pixel keeps weight one (a zero scale would weigh them all
    0 and leave nothing to fit)."""
    rgba, mask, _ = setup()
    read, note = planar_faces.read(np.full((SIDE, SIDE), 0.5, np.float32), rgba, mask)
    assert note is None and np.allclose(read[mask], 0.5)


def test_an_answer_exact_on_most_of_each_face_keeps_every_pixel_weighing_one():
    """Most pixels exactly on their plane: the residuals' median is 0, so no Huber scale; every pixel
    keeps weight one (a zero scale would weigh them all 0 and leave nothing to fit)."""
    rgba, mask, labels = setup()
    xx, yy = xy()
    plane = 0.3 + 0.4 * xx + 0.1 * yy
    near = plane.copy()
    near[(labels == 1) & (yy > 0.75)] += 0.05                 # a few pixels off
    read, _ = planar_faces.read(near.astype(np.float32), rgba, mask)
    assert np.isfinite(read).all()
    on = (labels == 2)
    assert np.allclose(read[on], plane[on], atol=2e-3)


def test_a_shaded_figure_or_a_silhouette_is_left_as_the_engine_read_it_with_the_planar_note():
    """Fewer than two faces: nothing divides the figure, so one plane would flatten the whole of it."""
    from tests.core.test_flat_faces import dome, plate, shaded
    near = dome()
    for rgba in (shaded(), plate(fill="black")):
        mask = images.figure_mask(rgba)
        same, note = planar_faces.read(near, rgba, mask)
        assert same is near and note == ("Planar faces found no lines dividing the figure into faces (a shaded "
                                         "figure, a silhouette, or strokes that close nothing): the depth is as "
                                         "the engine read it")


def test_ink_farther_than_a_lines_width_from_every_face_keeps_the_engines_nearness():
    """A hole drawn as a dark disc on one face: its middle, more than images.bridge_for pixels from the
    face, keeps the engine's depth; its rim, within a line's width, takes the face's plane."""
    rgba = two_faces()
    yy, xx = np.mgrid[:SIDE, :SIDE]
    disc = (yy - 60) ** 2 + (xx - 32) ** 2 <= 12 ** 2
    rgba[disc, :3] = 0.0
    mask = images.figure_mask(rgba)
    reach = images.bridge_for(mask.shape)
    assert reach == 4
    plane = (0.3 + 0.004 * xx + 0.001 * yy).astype(np.float32)
    near = np.where(disc, 0.1, plane).astype(np.float32)
    read, _ = planar_faces.read(near, rgba, mask)
    assert read[60, 32] == near[60, 32] == np.float32(0.1)          # 12 px from the face
    assert read[60, 21] == pytest.approx(plane[60, 21], abs=1e-4)    # 1 px inside the rim
    far = disc & (((yy - 60) ** 2 + (xx - 32) ** 2) < (12 - reach) ** 2)
    assert np.all(read[far] == near[far])
    from scipy import ndimage
    distance = ndimage.distance_transform_edt(flat_faces.faces(rgba, mask) == 0)
    exact = disc & (distance == reach)                       # a line's width away, exactly: still the plane
    assert exact.any() and np.allclose(read[exact], plane[exact], atol=1e-3)


def test_the_pipeline_reads_planar_faces_names_them_and_refuses_an_unknown_reading(stand_in_engine):
    fn = stand_in_engine(proportion=0.3, meta={"where": "Stand-in · CPU"})
    rgba = two_faces()
    seen = []
    req = drawing.Request("part", "stand-in", resolution=60, rgba=rgba, smoothing=0.0, faces="planar")
    outcome = drawing.compute(req, lambda f, s: seen.append((f, s)), lambda: False)
    told = fn(rgba, lambda f, s: None, lambda: False, None)
    planar, note = drawing.as_faces(told, rgba, told.mask, "planar")
    assert note is None and outcome.where == "Stand-in · CPU · planar faces" and outcome.notes == []
    assert np.array_equal(planar.nearness, planar_faces.read(told.nearness, rgba, told.mask)[0])
    assert (0.87, "Fitting a plane to each face") in seen
    with pytest.raises(drawing.OptionError, match="Faces must be one of engine, flat, planar, not 'curved'"):
        drawing.compute(drawing.Request("part", "stand-in", rgba=rgba, faces="curved"), lambda f, s: None,
                        lambda: False)
    assert isinstance(told, engine.DepthResult)


@settings(derandomize=True, max_examples=40, deadline=None, database=None)
@given(columns=st.lists(st.sampled_from([24, 40, 56, 72]), min_size=0, max_size=2, unique=True),
       rows=st.lists(st.sampled_from([32, 48, 64]), min_size=0, max_size=1), order=st.randoms(use_true_random=False),
       slopes=st.lists(st.floats(-0.05, 0.05), min_size=12, max_size=12))
def test_faces_of_exact_planes_a_step_apart_are_given_back_exactly(columns, rows, order, slopes):
    """Any grid of up to 3 × 2 faces drawn on paper (lines at least 16 px apart, so every cell is a face),
    each face an exact plane and every two a step of at least a fifth of the range apart (no crease):
    planar faces give every face's plane back."""
    img = Image.new("RGB", (96, 96), "white")
    draw = ImageDraw.Draw(img)
    draw.rectangle((8, 8, 87, 87), outline="black", width=2)
    for x in columns:
        draw.line((x, 8, x, 87), fill="black", width=2)
    for y in rows:
        draw.line((8, y, 87, y), fill="black", width=2)
    rgba = images.pil_to_rgba(img)
    mask = images.figure_mask(rgba)
    labels = flat_faces.faces(rgba, mask)
    count = int(labels.max())
    assert count == (len(columns) + 1) * (len(rows) + 1)
    heights = list(range(count))
    order.shuffle(heights)
    yy, xx = np.mgrid[:96, :96] / 96.0
    near = np.zeros((96, 96))
    for face in range(1, count + 1):
        a, b = slopes[2 * face - 2], slopes[2 * face - 1]
        near = np.where(flat_faces.nearest_face(labels) == face, heights[face - 1] + a * xx + b * yy, near)
    read, note = planar_faces.read(near.astype(np.float32), rgba, mask)
    if count < 2:
        assert note is not None and read is not None
        return
    on = labels > 0
    assert note is None and np.isfinite(read).all() and np.all(read[~mask] == 0)
    assert np.abs(read[on] - near[on]).max() < 1e-3
