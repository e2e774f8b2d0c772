"""The drawing's line weights: the outline is inked heavier than inner lines, except in drawings given a pen
(make_cache --even-lines), where every line has one thin weight as line-art renderers draw them."""
import numpy as np
import pytest

from training.synth import ink

SIZE, LO, HI, CREASE = 256, 48, 208, 170


def _folded_square():
    """A square seen square-on, folded along a vertical crease at x = CREASE (no centre line there)."""
    mask = np.zeros((SIZE, SIZE), bool)
    mask[LO:HI, LO:HI] = True
    depth = np.where(mask, 1.0, 0.0).astype(np.float32)
    normals = np.zeros((SIZE, SIZE, 3), np.float32)
    normals[..., 2] = -1.0
    tilt = np.radians(50)
    normals[:, CREASE + 1:] = (np.sin(tilt), 0.0, -np.cos(tilt))
    return mask, depth, normals


def _outline_to_crease_ink(image):
    """How much ink lies across the left outline per row, over how much lies across the crease (row medians,
    away from the horizontal centre line a drawing may carry)."""
    grey = image.mean(-1)
    dark = np.clip(np.median(grey[5:40, 5:40]) - grey, 0, None)
    rows = np.r_[LO + 12:110, 146:HI - 12]
    outline = np.median(dark[rows, LO - 8:LO + 9].sum(1))
    crease = np.median(dark[rows, CREASE - 8:CREASE + 9].sum(1))
    return outline / max(crease, 1e-6)


@pytest.mark.parametrize("seed", range(6))
def test_a_pen_inks_the_outline_and_inner_lines_alike(seed):
    mask, depth, normals = _folded_square()
    pen = np.random.default_rng([seed, 99])
    image = ink.draw(mask, depth, normals, np.random.default_rng(seed), "lines", pen=pen)
    assert 0.7 < _outline_to_crease_ink(image) < 1.35


def test_without_a_pen_the_outline_is_heavier():
    mask, depth, normals = _folded_square()
    ratios = [_outline_to_crease_ink(ink.draw(mask, depth, normals, np.random.default_rng(s), "lines")) for s in range(6)]
    assert np.mean(ratios) > 1.5


def test_a_pen_changes_the_ink_only():
    from training.synth import dataset
    for seed in range(8):
        plain, even = dataset.sample(seed, 64), dataset.sample(seed, 64, even_lines=True)
        assert np.array_equal(plain["nearness"], even["nearness"]) and np.array_equal(plain["mask"], even["mask"])
