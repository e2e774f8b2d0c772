"""Smooth turned vessels of the synthetic drawings (training.synth.solids.random_vessel); that other
drawings stay unchanged is test_synth_options."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from training.synth import solids  # noqa: E402


@pytest.mark.parametrize("seed", range(6))
def test_vessel_outline_is_smooth_and_reaches_its_radius(seed):
    outline = solids.smooth_profile(np.random.default_rng(seed), 0.6, 0.5)
    radii = np.array([r for r, _ in outline[1:-1]])
    assert radii.max() == pytest.approx(0.6, abs=0.02) and radii.min() >= 0.3 * 0.6 - 1e-6
    assert np.abs(np.diff(radii)).max() < 0.15   # a curve, not the steps of a shaft


@pytest.mark.parametrize("seed", range(3))
def test_plain_vessel_body_is_round_about_its_axis(seed):
    rng = np.random.default_rng(seed)
    shape, info = solids.vessel_body(rng)
    while info != "vessel:plain":
        shape, info = solids.vessel_body(rng)
    pts = torch.rand(4000, 3) * 2 - 1
    turn = solids.sdf.rotation_matrix((0.0, 0.9, 0.0))   # about y, the turning axis
    assert torch.allclose(shape(pts @ turn.T), shape(pts), atol=1e-4)
    tilt = solids.sdf.rotation_matrix((0.9, 0.0, 0.0))   # the check can fail: not round about x
    assert not torch.allclose(shape(pts @ tilt.T), shape(pts), atol=1e-2)
