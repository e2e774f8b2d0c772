"""training/synth/truth.py on depth maps made by hand (no renderer): which faces are labelled flat and
which are too small or too curved, the plane fit's RMS worked out on paper, and a view's pixel size and
proportion from its camera."""
import math

import numpy as np
import pytest

from training.synth import render, truth

TOWARD = np.array([0.0, 0.0, -1.0])       # a face turned to the viewer, in the camera frame (z away)


def facing(shape):
    return np.broadcast_to(TOWARD, (*shape, 3)).copy()


def test_the_plane_fit_leaves_a_parabolas_third_and_nothing_of_a_tilted_plane():
    rows, cols = np.indices((3, 3)).reshape(2, -1)
    assert truth.plane_rms(0.5 * cols - 2 * rows + 7.0, rows, cols) == pytest.approx(0, abs=1e-12)
    # z = (col − 1)²: the best plane is z = 2/3, leaving 1/3, −2/3, 1/3 in every row
    assert truth.plane_rms((cols - 1.0) ** 2, rows, cols) == pytest.approx(math.sqrt(2 / 9))
    assert truth.plane_rms(np.array([0.0, 3.0, 3.0, 0.0]), np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])) == \
        pytest.approx(1.5)                                              # a saddle: a plane leaves ±1.5 at each corner


def test_a_face_under_a_hundredth_of_the_figure_is_not_labelled_and_one_of_exactly_that_is():
    """A 100 × 100 px plate with a raised square: the step cuts a pixel off each side of it, so a 10 px
    square keeps 64 pixels (over the 64 px floor, under the hundredth) and a 12 px one keeps 100."""
    mask = np.ones((100, 100), bool)
    for side, kept in ((10, False), (12, True)):
        depth = np.zeros((100, 100))
        depth[40:40 + side, 40:40 + side] = -5.0                        # 5 px nearer
        labels = truth.plane_labels(mask, depth, facing(mask.shape), pixel=1.0)
        square = labels[41:39 + side, 41:39 + side]
        assert (square > 0).all() == kept and ((square > 0).sum() == 0) != kept
        assert labels[5, 5] > 0 and len(np.unique(square)) == 1
        assert labels.max() == (2 if kept else 1)


def test_a_small_face_first_does_not_stop_the_labelling():
    """The small square in the top-left corner is the first face found; the plate after it is labelled."""
    mask = np.ones((100, 100), bool)
    depth = np.zeros((100, 100))
    depth[:10, :10] = -5.0
    labels = truth.plane_labels(mask, depth, facing(mask.shape), pixel=1.0)
    assert labels[:9, :9].max() == 0 and labels[50, 50] == 1 and labels.max() == 1


def test_a_gently_curved_face_is_one_run_of_pixels_but_not_flat():
    """Columns 0–49 curve as z = 0.003·(col − 25)² px: neighbouring normals differ by 0.34° and each step
    follows the tangent planes exactly, so the curve stays one run, but it bends 0.56 px RMS away from its
    best plane, more than a flat face's 0.25. It is found first; the flat right half is still labelled."""
    mask = np.ones((100, 100), bool)
    cols = np.indices((100, 100))[1].astype(float)
    k = 0.003
    depth = np.where(cols < 50, k * (cols - 25) ** 2, 100.0)
    slope = np.where(cols < 50, 2 * k * (cols - 25), 0.0)               # dz/dcol = −n_x / n_z
    normals = np.stack([-slope, np.zeros_like(slope), np.ones_like(slope)], -1)
    normals /= np.linalg.norm(normals, axis=-1, keepdims=True)
    assert math.degrees(2 * k) < truth.SAME_NORMAL_DEG
    labels = truth.plane_labels(mask, depth, normals, pixel=1.0)
    assert labels[:, :49].max() == 0 and labels[50, 75] == 1 and labels.max() == 1
    r, c = np.nonzero(cols[:, :49] >= 0)
    assert truth.plane_rms(depth[:, :49][r, c], r, c) > 2 * truth.FIT_RMS_PX


def camera(half_size, perspective=0.0):
    """Looking along +y with z up: the view's right is +x."""
    return render.Camera(np.array([0.0, 1.0, 0.0]), np.array([0.0, 0.0, 1.0]), half_size, np.zeros(3), perspective)


def test_a_views_pixel_is_its_width_over_the_image_and_its_proportion_follows():
    """A 100 px image 4 units across (half size 2): a pixel is 0.04; a figure 50 px wide whose depth spans
    1.0 is 1.0 / (50 × 0.04) = 0.5 of its width deep."""
    mask = np.zeros((100, 100), bool)
    mask[20:80, 25:75] = True
    depth = np.where(mask, np.linspace(0.0, 1.0, 100)[:, None], 0.0)
    depth[mask] -= depth[mask].min()
    depth[mask] *= 1.0 / depth[mask].max()
    world = np.broadcast_to([0.0, -1.0, 0.0], (100, 100, 3))           # facing the camera
    labels, proportion = truth.of_view(mask, depth, world, camera(2.0))
    assert proportion == pytest.approx(1.0 / (50 * 0.04))
    assert labels.dtype == np.int32
    assert math.isnan(truth.proportion(np.zeros((4, 4), bool), np.zeros((4, 4)), 1.0))


@pytest.mark.parametrize("perspective", [0.5, 3.0])
def test_a_perspective_view_has_no_truth(perspective):
    mask = np.ones((8, 6), bool)
    labels, proportion = truth.of_view(mask, np.zeros((8, 6)), np.zeros((8, 6, 3)), camera(1.0, perspective))
    assert labels.shape == (8, 6) and labels.dtype == np.int32 and not labels.any() and math.isnan(proportion)
