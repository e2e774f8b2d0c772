"""The square-on single views benchmarks/flat_faces.py scores (benchmarks/three_view_parts.single_view):
the drawing and its exact truth, checked on parts whose depth is known by hand."""
import numpy as np
import pytest
from scipy import ndimage

from benchmarks import three_view_parts as parts
from depthy_blender.core import images, proportion


def plate_with_a_block() -> parts.Part:
    """A 100 × 60 × 10 mm plate with a 20 × 20 × 10 mm block standing on its middle."""
    return parts.Part("plate-block", [parts.Box((-50, -30, 0), (50, 30, 10)), parts.Box((-10, -10, 10), (10, 10, 20))],
                      [])


def test_the_top_view_of_a_stepped_plate_has_two_levels_and_its_proportion():
    rgba, truth = parts.single_view(plate_with_a_block(), "top", size=200, fill=0.75)
    mask, near = truth["mask"], truth["nearness"]
    assert rgba.shape == (200, 200, 4) and rgba.dtype == np.float32 and np.all(rgba[..., 3] == 1)
    assert proportion.figure_width(mask) == 151                 # 100 mm at 1.5 px per mm, both ends in
    assert set(np.unique(near[mask])) == {0.0, 1.0} and np.all(near[~mask] == 0)
    top = near == 1.0
    rows, cols = np.nonzero(top)
    assert np.ptp(cols) + 1 == np.ptp(rows) + 1 == 31            # the block: 20 mm square
    assert truth["proportion"] == pytest.approx(10 / (151 / 1.5))
    ink = images.ink(rgba)
    assert ink[rows.min() - 1:rows.max() + 2, cols.min() - 1].mean() > 0.8   # the block's edge is drawn
    assert not ink[top].any() or ink[top].mean() < 0.15           # ... round its face, not across it
    drawn = images.figure_mask(rgba)                  # the outline is drawn on the part's edge, a pixel out
    assert not (mask & ~drawn).any() and not (drawn & ~ndimage.binary_dilation(mask, np.ones((3, 3)))).any()


def test_a_plate_seen_from_above_is_one_flat_face_with_its_holes_open():
    rgba, truth = parts.single_view(parts.plate_with_holes(2), "top", size=240)
    mask = truth["mask"]
    assert np.all(truth["nearness"][mask] == 1.0) and truth["proportion"] == 0.0
    holes = images.figure_mask(rgba) & ~mask                     # inside the outline, no part there
    assert ndimage.label(holes)[1] >= 2
