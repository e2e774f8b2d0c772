"""Hollow open parts of the synthetic drawings (training.synth.shells); that other drawings stay unchanged
is test_synth_options."""
import numpy as np
import pytest

pytest.importorskip("torch")
from scipy import ndimage  # noqa: E402

from training.synth import dataset, render, sdf, shells  # noqa: E402


def _nearness_rim_and_inside(shape, forward, size=96):
    """Median nearness on the figure's outline and inside it, seen along `forward`."""
    forward = np.asarray(forward, float)
    up = np.array([0.0, 0.0, 1.0]) if abs(forward[2]) < 0.9 else np.array([0.0, 1.0, 0.0])
    mask, depth, _ = render.trace(shape, render.Camera(forward, up, 1.3, np.zeros(3)), size)
    assert mask.sum() > 50
    near = dataset._nearness(depth, mask)   # the training truth's own scaling
    outline = mask & ~ndimage.binary_erosion(mask)
    inside = mask & ~ndimage.binary_dilation(outline, iterations=3)
    assert inside.any()
    return float(np.median(near[outline])), float(np.median(near[inside]))


@pytest.mark.parametrize("seed", range(4))
def test_open_shell_seen_into_has_its_rim_nearest_and_its_floor_deep(seed):
    shape, info = shells.open_shell(np.random.default_rng(seed))
    rim, inside = _nearness_rim_and_inside(sdf.along_axis(shape, 2), (0.0, 0.0, -1.0))
    assert rim > 0.8 and inside < 0.5, info


@pytest.mark.parametrize("forward", [(0.0, 0.0, -1.0), (0.0, 0.0, 1.0), (1.0, 0.0, 0.0), (0.0, -1.0, 0.0)])
def test_random_shell_faces_the_camera_or_turns_away_as_it_says(forward):
    rng = np.random.default_rng(3)
    seen = set()
    for _ in range(40):
        shape, info = shells.random_shell(rng, forward)
        kind = info.split()[-1]
        if kind == "turned" or kind in seen or "bowl" in info:   # a bowl's back is a dome: no clean contrast
            continue
        rim, inside = _nearness_rim_and_inside(shape, forward)
        if kind == "facing":
            assert rim > inside + 0.3, info
        else:
            assert inside > rim - 0.1, info
        seen.add(kind)
        if seen == {"facing", "away"}:
            return
    pytest.fail(f"only {seen} in 40 draws")
