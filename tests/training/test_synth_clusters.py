"""Bodies with parts standing out of them (training.synth.solids.random_cluster): one connected solid,
a good share of it outside the body (other drawings unchanged: test_synth_options)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
from scipy import ndimage  # noqa: E402

from training.synth import dataset, solids  # noqa: E402


def _inside(shape, n=64):
    lin = torch.linspace(-1, 1, n)
    pts = torch.stack(torch.meshgrid(lin, lin, lin, indexing="ij"), -1).reshape(-1, 3)
    with torch.no_grad():
        return (shape(pts) < 0).reshape(n, n, n).numpy()


@pytest.mark.parametrize("seed", range(6))
def test_cluster_is_one_solid_whose_parts_stand_out_of_its_body(seed):
    body, shape, _ = solids.cluster_parts(np.random.default_rng(seed))
    inside, in_body = _inside(shape), _inside(body)
    assert not inside[[0, -1]].any() and not inside[:, [0, -1]].any() and not inside[:, :, [0, -1]].any()
    assert ndimage.label(inside)[1] == 1   # every part touches the body
    assert (in_body & ~inside).sum() == 0
    assert (inside & ~in_body).sum() > 0.03 * in_body.sum()   # the parts stand out, not buried in the body


def test_random_cluster_is_cluster_parts_turned():
    shape, info = solids.random_cluster(np.random.default_rng(3))
    _, unturned, count = solids.cluster_parts(np.random.default_rng(3))
    assert info == f"cluster:{count}"
    assert _inside(shape).sum() == pytest.approx(_inside(unturned).sum(), rel=0.1)   # same solid, turned


def test_clusters_appear_in_drawings_with_the_option():
    infos = [dataset.sample(seed, 32, clusters=True)["info"] for seed in range(24)]
    assert sum("cluster:" in i for i in infos) >= 2
