"""nRMSE, acc5, the scale + shift fit and mask IoU (core/metrics.py), the figures every Depthy table
reports, against answers worked out by hand on a few pixels."""
import numpy as np
import pytest

from depthy_blender.core import metrics


def line(values):
    """A 1 × N map with every pixel in the mask."""
    a = np.asarray(values, np.float64)[None]
    return a, np.ones(a.shape, bool)


def test_any_positive_scale_and_shift_is_forgiven_however_small():
    true, mask = line([0.0, 1.0, 3.0, 4.0, 9.0])
    for pred in (3.0 * true + 5.0, 0.001 * true - 2.0, 1e-6 * true + 0.5):
        assert np.allclose(metrics.align_scale_shift(pred, true, mask), true, atol=1e-9)
        assert metrics.depth_errors(pred, true, mask) == pytest.approx({"nrmse": 0.0, "acc5": 1.0}, abs=1e-9)


def test_an_inverted_prediction_is_worth_no_more_than_the_best_constant():
    """pred = −true: the scale is clamped to 0, so the aligned map is the truth's mean, 10. On a truth of
    0, 9, 10, 11, 20 (range 20) the errors are 1/2, 1/20, 0, 1/20, 1/2 of the range: acc5 counts the
    three within 1/20, and nRMSE = √((1/4 + 1/400 + 0 + 1/400 + 1/4) / 5) = √0.101."""
    true, mask = line([0.0, 9.0, 10.0, 11.0, 20.0])
    assert np.array_equal(metrics.align_scale_shift(-true, true, mask), np.full(true.shape, 10.0))
    errors = metrics.depth_errors(-true, true, mask)
    assert errors["acc5"] == pytest.approx(0.6, abs=1e-12)
    assert errors["nrmse"] == pytest.approx(np.sqrt(0.101), rel=1e-12)
    small = metrics.depth_errors(-true / 32, true / 32, mask)   # range 0.625: the errors are still ÷ the range
    assert small["nrmse"] == pytest.approx(np.sqrt(0.101), rel=1e-12) and small["acc5"] == pytest.approx(0.6)


def test_only_the_mask_is_fitted_and_scored():
    true, _ = line([2.0, 4.0, 6.0, 50.0, -30.0])
    mask = np.array([[True, True, True, False, False]])
    pred = np.array([[1.0, 2.0, 3.0, -7.0, 99.0]])        # 0.5 × true on the mask, anything off it
    aligned = metrics.align_scale_shift(pred, true, mask)
    assert np.allclose(aligned[mask], true[mask], atol=1e-12)
    assert aligned[0, 3] == pytest.approx(-14.0) and aligned[0, 4] == pytest.approx(198.0)   # same fit off it
    assert metrics.depth_errors(pred, true, mask)["nrmse"] == pytest.approx(0.0, abs=1e-12)


def test_one_pixel_or_a_constant_prediction_is_fitted_by_the_shift_alone():
    true, _ = line([5.0, 7.0, 8.0])
    one = np.array([[False, True, False]])
    assert metrics.align_scale_shift(np.array([[0.0, -3.0, 1.0]]), true, one)[0, 1] == pytest.approx(7.0)
    constant = np.full(true.shape, 4.0)
    assert np.allclose(metrics.align_scale_shift(constant, true, np.ones(true.shape, bool)), 20.0 / 3)
    empty = np.zeros(true.shape, bool)
    assert np.array_equal(metrics.align_scale_shift(constant, true, empty), constant)


def test_a_constant_truth_is_scored_against_a_unit_range_and_no_mask_is_nan():
    """A face seen square-on has no depth range: the errors are read in the truth's own units instead of
    dividing by 0. The best fit of any prediction to a constant is that constant."""
    true, mask = line([3.0, 3.0, 3.0, 3.0])
    assert metrics.depth_errors(np.array([[0.0, 1.0, 5.0, 2.0]]), true, mask) == {"nrmse": 0.0, "acc5": 1.0}
    nothing = metrics.depth_errors(true, true, np.zeros(true.shape, bool))
    assert np.isnan(nothing["nrmse"]) and np.isnan(nothing["acc5"])


def test_mask_iou_is_the_overlap_over_the_union():
    pred = np.zeros((3, 4), bool)
    true = np.zeros((3, 4), bool)
    pred[0, 0:3] = True                 # 3 px
    true[0, 1:3] = true[1, 1:3] = True  # 4 px, 2 of them shared: union 5
    assert metrics.mask_iou(pred, true) == pytest.approx(0.4)
    assert metrics.mask_iou(true, pred) == pytest.approx(0.4)
    assert metrics.mask_iou(true, true) == 1.0
    assert metrics.mask_iou(np.zeros_like(true), np.zeros_like(true)) == 1.0   # nothing to find, none found
    assert metrics.mask_iou(np.zeros_like(true), true) == 0.0
