"""The truth behind the shape metrics (training.synth.truth): flat faces labelled on solids whose faces
are known by construction, and proportions worked out by hand."""
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from training.synth import dataset, render, sdf, truth  # noqa: E402

SIZE = 96


def seen(shape, forward, up=(0.0, 0.0, 1.0), half=1.0, perspective=0.0):
    cam = render.Camera(np.array(forward, float), np.array(up, float), half, np.zeros(3), perspective)
    mask, depth, normals = render.trace(shape, cam, SIZE)
    return mask, depth, normals, cam


def test_a_box_seen_square_on_is_one_flat_face_and_no_depth():
    mask, depth, normals, cam = seen(sdf.box([0.6, 0.3, 0.4]), (0.0, 1.0, 0.0))
    labels, ratio = truth.of_view(mask, depth, normals, cam)
    assert labels.max() == 1
    assert (labels == 1).sum() == mask.sum()      # the whole figure is its front face
    assert ratio == pytest.approx(0.0, abs=1e-3)


def test_a_box_seen_from_a_corner_shows_three_flat_faces():
    forward = -np.array([1.0, 1.0, 1.0]) / math.sqrt(3)
    mask, depth, normals, cam = seen(sdf.box([0.5, 0.5, 0.5]), forward)
    labels, ratio = truth.of_view(mask, depth, normals, cam)
    assert labels.max() == 3
    sizes = np.bincount(labels.ravel())[1:]
    assert sizes.min() > 0.3 * mask.sum() / 3   # the three faces are alike in area (edges are left out)
    assert (labels > 0).sum() > 0.85 * mask.sum()
    # along the diagonal the near corner is √3/2 in front of the centre and the nearest hidden corner's
    # three neighbours, the farthest points seen, 1/(2√3) behind it; the outline is a hexagon of radius
    # √(2/3) with a corner straight up, so it is 2·√(2/3)·cos 30° = √2 wide
    near, far = -math.sqrt(3) / 2, 1 / (2 * math.sqrt(3))
    width = 2 * math.sqrt(2 / 3) * math.cos(math.radians(30))
    assert ratio == pytest.approx((far - near) / width, rel=0.04)


def pixel_centres(half=1.0):
    return ((np.arange(SIZE) + 0.5) / SIZE * 2 - 1) * half


def analytic_proportion(depth_of, half=1.0):
    """The proportion a view sampled at pixel centres shows of a surface given as depth(x, y) (NaN off
    the figure), computed on the pixel grid directly: depth range ÷ the width of the covered columns."""
    x, y = np.meshgrid(pixel_centres(half), pixel_centres(half))
    depth = depth_of(x, y)
    on = np.isfinite(depth)
    cols = np.nonzero(on.any(0))[0]
    return np.ptp(depth[on]) / ((cols[-1] - cols[0] + 1) * 2 * half / SIZE)


def test_curved_surfaces_have_no_flat_faces_and_their_proportion_is_sampled_at_pixel_centres():
    """A sphere and a cylinder seen across its axis are radius deep and two radii wide; sampled at pixel
    centres the outermost pixels stop short of the outline, where the surface is steep, so the depth
    seen is less than the radius (about 0.40 of the width for this cylinder, not 0.5)."""
    with np.errstate(invalid="ignore"):
        sphere = analytic_proportion(lambda x, y: -np.sqrt(0.64 - x * x - y * y))
        cylinder = analytic_proportion(lambda x, y: np.where(np.abs(y) < 0.8, -np.sqrt(0.25 - x * x), np.nan))
    assert 0.39 < cylinder < 0.41
    mask, depth, normals, cam = seen(sdf.sphere(0.8), (0.0, 1.0, 0.0))
    labels, ratio = truth.of_view(mask, depth, normals, cam)
    assert labels.max() == 0
    # the tracer calls a ray that passes within 1e-3 of the surface a hit: a few grazing pixels past the
    # outline count, at the depth of their closest pass, which deepens the range by about 2 %
    assert ratio == pytest.approx(sphere, rel=0.03)
    mask, depth, normals, cam = seen(sdf.cylinder(0.5, 0.8), (1.0, 0.0, 0.0), up=(0.0, 1.0, 0.0))
    labels, ratio = truth.of_view(mask, depth, normals, cam)
    assert labels.max() == 0                       # its side, seen across the axis
    assert ratio == pytest.approx(cylinder, rel=0.02)


def test_parallel_faces_at_two_depths_are_two_faces():
    """A step seen square-on: two faces with one normal, apart by a depth jump."""
    step = sdf.union(sdf.box([0.6, 0.3, 0.4]), sdf.transform(sdf.box([0.3, 0.3, 0.4]), torch.eye(3), [0.3, -0.3, 0.0]))
    mask, depth, normals, cam = seen(step, (0.0, 1.0, 0.0))
    labels, _ = truth.of_view(mask, depth, normals, cam)
    assert labels.max() == 2
    d1, d2 = (np.median(depth[labels == k]) for k in (1, 2))
    assert abs(d1 - d2) == pytest.approx(0.3, abs=0.01)


def test_perspective_views_get_no_truth_and_the_dataset_carries_it():
    mask, depth, normals, cam = seen(sdf.box([0.5, 0.5, 0.5]), (0.0, 1.0, 0.0), half=1.6, perspective=4.0)
    labels, ratio = truth.of_view(mask, depth, normals, cam)
    assert labels.max() == 0 and math.isnan(ratio)
    drawings = [dataset.sample(seed, 64) for seed in range(6)]
    for d in drawings:
        assert d["planes"].shape == d["mask"].shape
        assert not (d["planes"] > 0)[~d["mask"]].any()
        several = "|" in d["info"]
        assert math.isnan(d["proportion"]) == (several or "@ perspective" in d["info"])
    assert any(d["planes"].max() > 0 for d in drawings)
