"""Planarity and the proportion error (issue 51) against answers worked out by hand: a checkerboard
ripple is orthogonal to every plane on an even-sided face, so its RMS survives the plane fit whole, and a
shift is all the proportion error forgives."""
import numpy as np
import pytest

from depthy_blender.core import metrics


def stepped_part():
    """A 40 × 60 figure: a ramp (rising 0 → 0.5 to the right) and, on its right, a flat top at 1.0
    (the labelled face, 20 × 24 px, even on both sides)."""
    mask = np.zeros((50, 80), bool)
    mask[5:45, 10:70] = True
    cols = np.indices(mask.shape)[1].astype(np.float64)
    true = np.where(mask, 0.5 * (cols - 10) / 35, 0.0)
    planes = np.zeros(mask.shape, np.int32)
    planes[12:32, 46:70] = 1
    true[planes == 1] = 1.0
    return true, mask, planes


def test_any_plane_on_a_flat_face_scores_zero():
    true, mask, planes = stepped_part()
    rows, cols = np.indices(mask.shape)
    tilted = np.where(planes == 1, 3.0 + 0.02 * rows - 0.05 * cols, true)   # another plane on the face
    assert metrics.planarity(tilted, true, mask, planes, erode=0) == pytest.approx(0.0, abs=1e-9)
    assert metrics.planarity(true, true, mask, planes) == pytest.approx(0.0, abs=1e-9)


def test_a_checkerboard_ripple_keeps_its_rms_after_the_plane_fit():
    """pred = true + a·(±1) on the face. The ripple sums to zero against 1, rows and columns of an even
    face and against the truth (constant there), so the fitted scale is V / (V + E) with V the truth's
    and E the ripple's sum of squares about their means, and what is left on the face is that scale
    times the ripple: planarity = a·V / (V + E) over a true range of 1."""
    true, mask, planes = stepped_part()
    a = 0.05
    rows, cols = np.indices(mask.shape)
    ripple = np.where(planes == 1, a * (-1.0) ** (rows + cols), 0.0)
    v = ((true[mask] - true[mask].mean()) ** 2).sum()
    e = (planes == 1).sum() * a * a
    expected = a * v / (v + e)
    assert metrics.planarity(true + ripple, true, mask, planes, erode=0) == pytest.approx(expected, rel=1e-9)
    # eroding by 2 px leaves a 16 × 20 face, still even on both sides: the same answer
    assert metrics.planarity(true + ripple, true, mask, planes, erode=2) == pytest.approx(expected, rel=1e-9)


def test_faces_are_pooled_by_pixel_and_divided_by_the_true_range():
    """Two faces, one rippled by a and one clean: the pooled RMS is a·√(n1 / (n1 + n2)); a truth twice
    as deep halves it (with the prediction scaled alike, the fitted scale is unchanged)."""
    mask = np.ones((40, 40), bool)
    planes = np.zeros(mask.shape, np.int32)
    planes[0:10, 0:20] = 1      # 200 px
    planes[20:40, 0:30] = 2     # 600 px
    true = np.zeros(mask.shape)
    true[planes == 1] = 1.0     # rest 0: the truth's range is 1
    rows, cols = np.indices(mask.shape)
    pred = true + np.where(planes == 1, 0.1 * (-1.0) ** (rows + cols), 0.0)
    v = ((true - true.mean()) ** 2).sum()
    scale = v / (v + 200 * 0.01)
    one = metrics.planarity(pred, true, mask, planes, erode=0)
    assert one == pytest.approx(0.1 * scale * np.sqrt(200 / 800), rel=1e-9)
    assert metrics.planarity(2 * pred, 2 * true, mask, planes, erode=0) == pytest.approx(one, rel=1e-9)
    assert metrics.planarity(pred / 4, true / 4, mask, planes, erode=0) == pytest.approx(one, rel=1e-9)


def test_faces_too_small_for_a_plane_are_skipped_and_three_pixels_are_enough():
    """Face 1 has 2 px (no plane: skipped), face 2 has 3 px in an L (a plane fits them exactly: no error,
    but its pixels count), face 3 is rippled by a as above: a·scale·√(200 / 203)."""
    mask = np.ones((40, 40), bool)
    planes = np.zeros(mask.shape, np.int32)
    planes[30, 30:32] = 1
    planes[35, 35:37] = planes[36, 35] = 2
    planes[0:10, 0:20] = 3      # 200 px
    true = np.zeros(mask.shape)
    true[planes == 3] = 1.0
    rows, cols = np.indices(mask.shape)
    pred = true + np.where(planes == 3, 0.1 * (-1.0) ** (rows + cols), 0.0)
    v = ((true - true.mean()) ** 2).sum()
    scale = v / (v + 200 * 0.01)
    assert metrics.planarity(pred, true, mask, planes, erode=0) == pytest.approx(
        0.1 * scale * np.sqrt(200 / 203), rel=1e-9)


def test_a_truth_with_no_depth_range_is_planar_everywhere_not_nan():
    """A plate seen square-on: the truth is one constant, the best fit of any prediction to it is that
    constant, so every face is exactly planar (the range of 0 is not divided by)."""
    true, mask, planes = stepped_part()
    plate = np.where(mask, 0.3, 0.0)
    assert metrics.planarity(true, plate, mask, planes, erode=0) == pytest.approx(0.0, abs=1e-12)


def test_no_face_left_is_nan():
    true, mask, planes = stepped_part()
    small = np.zeros_like(planes)
    small[20:24, 50:54] = 1      # 4 × 4: nothing left after eroding 2 px
    assert np.isnan(metrics.planarity(true, true, mask, small))
    assert np.isnan(metrics.planarity(true, true, mask, np.zeros_like(planes)))
    six = np.zeros_like(planes)
    six[20:26, 50:56] = 1        # 6 × 6: the default 2 px erosion (issue 51) leaves its 2 × 2 centre
    assert metrics.planarity(true, true, mask, six) == pytest.approx(0.0, abs=1e-9)


def test_the_proportion_error_forgives_a_shift_and_nothing_else():
    true, mask, _ = stepped_part()
    deep = 0.4 * true                                       # a figure 0.4 of its width deep
    assert metrics.proportion_error(deep + 7.0, deep, mask) == pytest.approx(0.0, abs=1e-12)
    flat = np.zeros_like(deep)
    assert metrics.proportion_error(flat, deep, mask) == pytest.approx(deep[mask].std(), rel=1e-12)
    # twice as deep as drawn: the error is the truth's own spread again, the scale is not forgiven
    assert metrics.proportion_error(2 * deep, deep, mask) == pytest.approx(deep[mask].std(), rel=1e-12)
    assert np.isnan(metrics.proportion_error(deep, deep, np.zeros_like(mask)))
