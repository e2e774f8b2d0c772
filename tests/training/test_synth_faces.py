"""Machined face features of the synthetic drawings (training.synth.faces): they only remove material,
pockets keep a floor (other drawings unchanged: test_synth_options)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from training.synth import faces, sdf  # noqa: E402

TOP = 0.15   # the plate's top face; seen from above (forward −z)


def _cuts(kind_prefix, seeds=range(40)):
    plate = sdf.box([0.7, 0.5, TOP])
    for seed in seeds:
        cut, info = faces.cut_face(plate, np.random.default_rng(seed), forward=np.array([0.0, 0.0, -1.0]),
                                   facing_share=1.0)
        if info.startswith(kind_prefix):
            yield plate, cut


def _top_view(shape):
    _, entry, _ = faces.probe(shape, 2, 1.0, grid=33)
    return entry


@pytest.mark.parametrize("kind", [" -face_pocket", " -pocket_grid", " -step"])
def test_pockets_and_steps_are_blind_cuts_into_the_face(kind):
    found = 0
    for plate, cut in _cuts(kind):
        before, after = _top_view(plate), _top_view(cut)
        hit = np.isfinite(before)
        assert np.isfinite(after[hit]).all(), "a pocket or step went through the plate"
        assert (after[hit] <= before[hit] + 0.02).all(), "material was added"
        lowered = after[hit] < TOP - 0.03
        assert lowered.any() and not lowered.all()    # part of the face is cut, the rest stays
        assert (after[hit] > -TOP).all()              # its floor is inside the plate
        found += 1
    assert found >= 2


def test_counterbores_have_a_through_hole():
    found = 0
    for plate, cut in _cuts(" -counterbore"):
        before, after = _top_view(plate), _top_view(cut)
        hit = np.isfinite(before)
        assert not np.isfinite(after[hit]).all()      # the hole
        assert (np.isfinite(after[hit]) & (after[hit] < TOP - 0.03)).any()   # the pocket floor round it
        found += 1
    assert found >= 1


def test_grid_repetition_is_one_copy_per_cell():
    one = sdf.rounded_rect2d(0.1, 0.1, 0.1)
    grid = sdf.repeat2d(one, (3, 2), (0.5, 0.4))
    centres = torch.tensor([[(i - 1) * 0.5, (j - 0.5) * 0.4] for i in range(3) for j in range(2)])
    assert torch.allclose(grid(centres), torch.full((6,), -0.1))
    assert float(grid(torch.tensor([[1.5, 0.0]]))) == pytest.approx(float(one(torch.tensor([[1.0, 0.2]]))), abs=1e-6)
