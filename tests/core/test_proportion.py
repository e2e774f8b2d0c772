"""Auto (as drawn) depth, core/proportion.py: figure widths, round bodies and Depth ratios worked out by
hand on drawn discs and bars."""
import numpy as np
import pytest

from depthy_blender.core import proportion, relief


def disc(radius=20, shape=(60, 100), centre=(30, 40)):
    rows, cols = np.indices(shape)
    return (rows - centre[0]) ** 2 + (cols - centre[1]) ** 2 <= radius ** 2


def test_figure_width_counts_columns_from_the_leftmost_to_the_rightmost_pixel():
    mask = np.zeros((5, 30), bool)
    mask[2, 4] = mask[0, 17] = True
    assert proportion.figure_width(mask) == 14
    assert proportion.figure_width(np.zeros((5, 30), bool)) == 0
    assert proportion.figure_width(disc(20)) == 41


def test_a_disc_is_a_round_body_half_as_deep_as_wide_and_a_bar_as_deep_as_half_its_thickness():
    # from the centre the nearest pixel off the disc is 20 across and 1 along (20² + 1² > 20²): √401 away
    assert proportion.round_body(disc(20)) == pytest.approx(np.sqrt(401) / 41, abs=1e-9)
    bar = np.zeros((40, 200), bool)
    bar[10:20, 20:180] = True    # 10 px thick, 160 px wide: the centre rows are 5 px from the outside
    assert proportion.round_body(bar) == pytest.approx(5 / 160, abs=1e-9)
    assert np.isnan(proportion.round_body(np.zeros((4, 4), bool)))
    line = np.zeros((20, 9), bool)
    line[3:15, 4] = True         # one column wide: its pixels are 1 from the outside, as deep as it is wide
    assert proportion.round_body(line) == 1.0


def test_the_ratio_makes_the_relief_as_deep_as_the_proportion_says():
    """A relief is ratio × the image width thick; built at ratio_for(p), its depth ÷ the figure's width
    is p, whatever the image's margins."""
    mask = disc(20)
    ratio = proportion.ratio_for(0.5, mask)
    assert ratio == pytest.approx(0.5 * 41 / 100)
    rows, cols = np.indices(mask.shape)
    nearness = np.where(mask, 400.0 - ((rows - 30) ** 2 + (cols - 40) ** 2), 0.0)   # any dome
    built = relief.build(nearness, mask, ratio=ratio, resolution=100, size=1.0)
    figure = 41 * built.width / 100   # the figure's 41 columns, in mesh units
    assert np.ptp(built.verts[:, 2]) / figure == pytest.approx(0.5, rel=1e-6)


def test_an_unknown_proportion_falls_back_to_the_default_ratio():
    mask = disc(20)
    for unknown in (None, float("nan"), float("inf")):
        assert proportion.ratio_for(unknown, mask) == proportion.FALLBACK_RATIO
    assert proportion.ratio_for(0.5, np.zeros_like(mask)) == proportion.FALLBACK_RATIO
    assert proportion.ratio_for(-1.0, mask) == 0.0


def test_depthys_estimate_is_its_clipped_spread_times_round_bodies():
    mask = disc(20)
    body = proportion.round_body(mask)
    flat = np.where(mask, 0.97, 0.0)
    flat[30, 40] = 1.0                    # a face seen square-on: nearly all 1, a 0.03 spread
    assert proportion.from_nearness(flat, mask) == pytest.approx(0.03 * proportion.DEPTH_PER_SPREAD * body)
    full = np.where(mask, np.linspace(-0.2, 1.3, mask.size).reshape(mask.shape), 0.0)   # past [0, 1]: clipped
    assert proportion.from_nearness(full, mask, 1.0) == pytest.approx(body)
    outside = np.where(mask, 0.5, 50.0)   # values off the figure do not count
    assert proportion.from_nearness(outside, mask) == 0.0
    assert np.isnan(proportion.from_nearness(full, np.zeros_like(mask)))


def test_a_relief_in_figure_widths():
    """At ratio 0.2 a relief is 0.2 × 100 px thick; the true figure is 41 px wide, so its nearest point
    stands 20/41 of the figure's width above its farthest."""
    mask = disc(20)
    rows, cols = np.indices(mask.shape)
    nearness = np.where(mask, 5.0 + cols, 0.0)          # any scale: normalised over the figure
    depth = proportion.in_widths(nearness, mask, 0.2, mask)
    assert depth[mask].max() == pytest.approx(20 / 41) and depth[mask].min() == pytest.approx(0.0)
    assert not depth[~mask].any()


def test_a_network_taught_in_figure_widths_gives_its_range_as_the_proportion():
    mask = disc(20)
    taught = np.where(mask, np.linspace(2.0, 4.0, mask.size).reshape(mask.shape), 0.0)   # any level
    spread = taught[mask].max() - taught[mask].min()
    assert proportion.from_nearness(taught, mask, units=proportion.FIGURE_WIDTHS) == pytest.approx(spread)
    assert spread > 1.0   # not clipped to [0, 1] as a unit-range spread is
