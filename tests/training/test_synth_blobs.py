"""Smooth organic figures of the synthetic drawings (training.synth.solids.random_blob): no creases
anywhere, unlike every machined solid (other drawings unchanged: test_synth_options)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from training.synth import sdf, solids  # noqa: E402


def _largest_normal_turn(shape, n=128, band=0.01):
    """The largest angle (degrees) between the surface normals at two grid neighbours near the surface."""
    lin = torch.linspace(-1, 1, n)
    pts = torch.stack(torch.meshgrid(lin, lin, lin, indexing="ij"), -1).reshape(-1, 3)
    with torch.no_grad():
        near = pts[shape(pts).abs() < band]
        eps = 1e-3
        grad = torch.stack([shape(near + eps * e) - shape(near - eps * e) for e in torch.eye(3)], -1)
    normals = torch.nn.functional.normalize(grad, dim=-1).numpy()
    cells = np.round((near.numpy() + 1) / 2 * (n - 1)).astype(int)
    index = np.full((n + 1,) * 3, -1)
    index[tuple(cells.T)] = np.arange(len(cells))
    worst = 1.0
    for step in np.eye(3, dtype=int):
        j = index[tuple((cells + step).T)]
        pairs = j >= 0
        worst = min(worst, float((normals[pairs] * normals[j[pairs]]).sum(-1).min()))
    return float(np.degrees(np.arccos(np.clip(worst, -1, 1))))


@pytest.mark.parametrize("seed", range(4))
def test_blobs_have_no_creases(seed):
    shape, info = solids.random_blob(np.random.default_rng(seed))
    assert _largest_normal_turn(shape) < 60, info


def test_a_box_has_creases():   # the measure above can fail
    assert _largest_normal_turn(sdf.box([0.5, 0.4, 0.3])) > 80
