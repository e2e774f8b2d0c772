"""Long thin turned parts of the synthetic drawings (training.synth.solids.random_rod): they are long,
thin and round in section (other drawings unchanged: test_synth_options)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from training.synth import solids  # noqa: E402


def _inside_points(shape, n=96):
    lin = torch.linspace(-1, 1, n)
    pts = torch.stack(torch.meshgrid(lin, lin, lin, indexing="ij"), -1).reshape(-1, 3)
    with torch.no_grad():
        return pts[shape(pts) < 0].numpy()


@pytest.mark.parametrize("seed", range(8))
def test_rods_are_long_thin_and_round(seed):
    shape, info = solids.random_rod(np.random.default_rng(seed))
    pts = _inside_points(shape)
    assert len(pts) > 50, info
    spread = np.sqrt(np.linalg.eigvalsh(np.cov(pts.T)))   # ascending: two across, one along
    assert spread[2] / spread[1] > 2.5, f"{info}: not long and thin ({spread})"
    assert spread[1] / spread[0] < 1.25, f"{info}: not round in section ({spread})"
