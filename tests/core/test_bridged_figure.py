"""A figure whose outline is broken (Freestyle's strokes, a sketch): images.figure_mask_bridged draws the
breaks shut before the paper is filled, only when the paper ran in, and images.bridge_for sizes the gap."""
import numpy as np
import pytest

from depthy_blender.core import images

def _outline(gap_rows=0, extension=False):
    """A 2-pixel rectangle outline on white, its right side broken over `gap_rows` rows, and optionally an
    extension line starting 2 pixels off its top edge (as drawn, never touching it)."""
    from PIL import Image, ImageDraw
    img = Image.new("RGB", (160, 120), "white")
    draw = ImageDraw.Draw(img)
    draw.rectangle((30, 25, 130, 95), outline="black", width=2)
    if gap_rows:
        draw.rectangle((129, 55, 130, 54 + gap_rows), fill="white")
    if extension:
        draw.line([(60, 22), (60, 5)], fill="black", width=1)
        draw.line([(100, 22), (100, 5)], fill="black", width=1)
        draw.line([(60, 10), (100, 10)], fill="black", width=1)
    return images.pil_to_rgba(img)


def test_a_broken_outline_is_drawn_shut_before_the_paper_is_filled():
    closed = images.figure_mask(_outline())
    broken = _outline(gap_rows=5)
    assert images.figure_mask(broken).sum() < 0.1 * closed.sum()          # the paper ran in: only the ink left
    bridged = images.figure_mask_bridged(broken, gap=6)
    assert (bridged == closed).mean() > 0.999 and bridged.sum() >= closed.sum() - 10
    wide = _outline(gap_rows=12)                      # far wider than a 4-pixel gap
    assert images.figure_mask_bridged(wide, gap=4).sum() < 0.1 * closed.sum()


def test_an_outline_that_held_keeps_its_figure_and_its_extension_lines_stay_apart():
    drawn = _outline(extension=True)
    assert np.array_equal(images.figure_mask_bridged(drawn, gap=6), images.figure_mask(drawn))
    transparent = _outline(gap_rows=5)
    transparent[..., 3] = (transparent[..., :3].mean(-1) < 0.5).astype(np.float32)   # strokes on no paper
    assert np.array_equal(images.figure_mask_bridged(transparent, gap=6), images.figure_mask(transparent))


@pytest.mark.parametrize("shape, gap", [((100, 100), 4), ((384, 384), 5), ((1024, 1024), 14), ((300, 400), 5)])
def test_the_gap_to_bridge_is_one_percent_of_the_diagonal_at_least_four(shape, gap):
    assert images.bridge_for(shape + (4,)) == gap


def test_the_tolerance_and_the_speck_size_are_figure_masks():
    """A light grey outline (0.1 off the white paper) is ink only under a tolerance below 0.1, and a
    figure under `min_area` of the image is a speck, bridged or not."""
    faint = 1.0 - 0.1 * (1.0 - _outline(gap_rows=5))
    faint[..., 3] = 1.0
    assert not images.figure_mask_bridged(faint, gap=6).any()                 # the default 0.12: blank paper
    bridged = images.figure_mask_bridged(faint, gap=6, tolerance=0.05)
    assert bridged.sum() >= images.figure_mask(_outline()).sum() - 10
    assert not images.figure_mask_bridged(_outline(gap_rows=5), gap=6, min_area=0.5).any()
    assert not images.figure_mask_bridged(_outline(), gap=6, min_area=0.5).any()   # held, and still a speck
