"""The normal error against analytic surfaces: exact answers for planes, zero for a perfect prediction
whatever its scale, and the tilt a flat guess misses."""
import math

import numpy as np
import pytest

from depthy_blender.core import metrics


def grid(h=60, w=80):
    rows, cols = np.mgrid[:h, :w].astype(np.float64)
    return rows / max(h, w), cols / max(h, w)     # units of the longer side


def test_a_flat_guess_misses_a_tilt_by_its_angle():
    y, x = grid()
    mask = np.ones(x.shape, bool)
    true = 0.5 * x                                 # slope 0.5 along x: normals tilted atan(0.5)
    flat = np.zeros_like(true)
    assert metrics.normal_error(flat, true, mask) == pytest.approx(math.degrees(math.atan(0.5)), abs=1e-6)


def test_a_prediction_right_up_to_scale_and_shift_has_no_error():
    y, x = grid()
    mask = (x - 0.5) ** 2 + (y - 0.37) ** 2 < 0.3 ** 2
    true = np.where(mask, np.sqrt(np.clip(0.3 ** 2 - (x - 0.5) ** 2 - (y - 0.37) ** 2, 0, None)), 0)
    assert metrics.normal_error(3.0 * true + 7.0, true, mask) == pytest.approx(0.0, abs=1e-6)


def test_a_tilt_the_wrong_way_in_y():
    """True plane falls along y; the guess rises along x: after the fit (no shared trend: scale 0) it is
    flat, so the error is the true tilt, atan(0.25)."""
    y, x = grid()
    mask = np.ones(x.shape, bool)
    true, guess = -0.25 * y, 0.8 * x
    assert metrics.normal_error(guess, true, mask) == pytest.approx(math.degrees(math.atan(0.25)), abs=1e-6)


def test_the_outline_is_left_out():
    y, x = grid()
    mask = np.zeros(x.shape, bool)
    mask[10:50, 10:70] = True
    true = np.where(mask, 0.2, 0.0)                # a flat plate: its rim is a cliff
    assert metrics.normal_error(true.copy(), true, mask) == pytest.approx(0.0, abs=1e-9)
    assert np.isnan(metrics.normal_error(true, true, np.zeros_like(mask)))


def test_normals_lean_away_from_the_rise():
    """z rising to the right leans the normal left (−x); z rising down the image (rows) is z falling
    upward, so the normal leans up (+y). Slopes are per image side: 0.5 over the side tilts atan(0.5)."""
    side = 40
    rows, cols = np.mgrid[:30, :side].astype(np.float64)
    length = math.sqrt(1.25)
    right = metrics.surface_normals(0.5 * cols / side)
    assert np.allclose(right[5:25, 5:35], [-0.5 / length, 0.0, 1.0 / length])
    down = metrics.surface_normals(0.5 * rows / side)
    assert np.allclose(down[5:25, 5:35], [0.0, 0.5 / length, 1.0 / length])


def test_the_mean_is_over_the_mask_eroded_by_exactly_erode_pixels():
    """A 20 × 30 figure eroded by 2 is its 16 × 26 centre, by 0 the whole figure; a seeded random
    prediction scores each region's own mean angle (the fit is over the whole figure either way, and
    values off the figure take no part in it)."""
    rng = np.random.default_rng(5)
    mask = np.zeros((40, 50), bool)
    mask[10:30, 10:40] = True
    true = np.where(mask, rng.random(mask.shape), 0.0)
    pred = np.where(mask, true + 0.3 * rng.random(mask.shape), 50.0 * rng.random(mask.shape))
    aligned = metrics.align_scale_shift(pred, true, mask)
    cos = (metrics.surface_normals(aligned) * metrics.surface_normals(true)).sum(-1)
    angles = np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))
    centre = np.zeros_like(mask)
    centre[12:28, 12:38] = True
    assert metrics.normal_error(pred, true, mask) == pytest.approx(angles[centre].mean(), rel=1e-12)
    assert metrics.normal_error(pred, true, mask, erode=0) == pytest.approx(angles[mask].mean(), rel=1e-12)
    assert angles[centre].mean() != pytest.approx(angles[10:30, 10:40][1:-1, 1:-1].mean(), rel=1e-3)
