"""training/resolution_floor.py: what the engine's resampling alone costs a perfect answer."""
import numpy as np
import pytest

pytest.importorskip("torch")


def _disc(size=256):
    yy, xx = np.mgrid[:size, :size]
    return (yy - 128) ** 2 + (xx - 120) ** 2 < 70 ** 2, yy, xx


def test_a_smooth_surface_passes_almost_unchanged_and_a_depth_step_does_not():
    from depthy_blender.core import metrics
    from training.resolution_floor import through_output_path
    mask, yy, xx = _disc()
    ramp = (0.3 * xx + 0.1 * yy).astype(np.float32)
    assert metrics.depth_errors(through_output_path(ramp, mask), ramp, mask)["nrmse"] < 0.002
    step = np.where(xx > 125, 1.0, 0.0).astype(np.float32)   # a front part overlapping a back one
    single = metrics.depth_errors(through_output_path(step, mask, second_scale=False), step, mask)["nrmse"]
    both = metrics.depth_errors(through_output_path(step, mask), step, mask)["nrmse"]
    assert 0.02 < single < both


def test_the_silhouette_costs_nothing_since_the_truth_is_extended_past_it():
    from depthy_blender.core import metrics
    from training.resolution_floor import through_output_path
    mask, _, _ = _disc()
    flat_top = np.where(mask, 5.0, 0.0).astype(np.float32) + 0.01 * np.arange(256, dtype=np.float32)
    out = through_output_path(flat_top, mask)
    assert metrics.depth_errors(out, flat_top, mask)["nrmse"] < 0.01


def test_the_floor_of_a_set_is_the_mean_over_its_drawings_with_depth():
    from training.resolution_floor import floor
    mask, yy, xx = _disc()
    step = np.where(xx > 125, 1.0, 0.0).astype(np.float32)
    flat = np.ones_like(step)
    data = {"nearness": np.stack([step, step, flat]), "mask": np.stack([mask] * 3)}
    one = floor({"nearness": step[None], "mask": mask[None]}, True)
    assert floor(data, True) == pytest.approx(one)   # the flat drawing has no range and is left out
