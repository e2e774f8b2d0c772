"""A turned part's outline revolved about its axis (core/revolve.py), against solids worked out by hand:
a cylinder and a ball seen from the side, and stepped shafts with a line drawn across them."""
import numpy as np
import pytest

from depthy_blender.core import revolve
from depthy_blender.core.revolve import HORIZONTAL, VERTICAL


def shaft(rows=60, columns=200, steps=((20, 80, 12), (80, 150, 20), (150, 185, 8)), axis_row=30):
    """A stepped shaft lying across the image: (first column, end column, radius) per step; a radius r
    covers the rows whose centres lie within r of the axis between rows (axis_row − 0.5 and axis_row + 0.5
    is the middle of a row pair, so an even span)."""
    mask = np.zeros((rows, columns), bool)
    for first, end, radius in steps:
        mask[axis_row - radius:axis_row + radius, first:end] = True
    return mask


def test_a_cylinder_from_the_side_is_a_half_cylinder():
    mask = shaft(steps=((20, 180, 16),))
    nearness, figure, axes = revolve.turned(mask)
    assert axes == [revolve.Axis(HORIZONTAL, 29.5, 1.0)]
    assert (figure == mask).all()
    distance = np.abs(np.arange(60) - 29.5)[:, None]           # from the axis, between rows 29 and 30
    expected = np.sqrt(np.maximum(16.0 ** 2 - distance ** 2, 0)) * np.ones((1, 200))   # row 14: 15.5 from it, to its outer edge 16
    assert nearness[mask] == pytest.approx(expected[mask], abs=1e-5)
    assert (nearness[~mask] == 0).all()


def test_a_ball_from_the_side_is_a_half_ball():
    yy, xx = np.mgrid[:121, :121]
    mask = (yy - 60) ** 2 + (xx - 60) ** 2 <= 50 ** 2
    nearness, figure, _ = revolve.turned(mask)
    ball = np.sqrt(np.maximum(50.0 ** 2 - (yy - 60) ** 2 - (xx - 60) ** 2, 0))
    assert np.abs(nearness - ball)[mask].mean() < 0.7    # pixel rounding of the chords, in pixels
    assert nearness[60, 60] == pytest.approx(49.5)   # the median takes the peak's section down one pixel
    assert figure[mask].mean() > 0.995


def test_the_axis_is_the_one_the_outline_mirrors_about():
    bottle = shaft(steps=((20, 80, 12), (80, 150, 20), (150, 185, 8))).T   # standing up
    axis = revolve.find_axis(bottle)
    assert (axis.direction, axis.position, axis.symmetry) == (VERTICAL, 29.5, 1.0)
    lopsided = bottle.copy()
    lopsided[100:140, 10:30] = False                  # half of the wide step's left side cut away
    assert revolve.find_axis(lopsided).symmetry < revolve.SYMMETRIC


def test_a_figure_symmetric_both_ways_turns_about_its_longer_extent():
    assert revolve.find_axis(shaft(steps=((20, 180, 16),))).direction == HORIZONTAL
    assert revolve.find_axis(shaft(steps=((20, 180, 16),)).T).direction == VERTICAL


def test_a_line_drawn_across_is_neither_a_flange_nor_part_of_the_figure():
    plain = shaft()
    crossed = plain.copy()
    crossed[10:50, 110:112] = True                    # a two-pixel line across the wide step, past its edges
    near_plain, figure_plain, _ = revolve.turned(plain)
    near_crossed, figure_crossed, axes = revolve.turned(crossed)
    assert axes[0].direction == HORIZONTAL
    assert (figure_crossed == figure_plain).all()
    assert np.abs(near_crossed - near_plain).max() < 1e-5


def test_each_part_turns_about_its_own_axis_and_marks_are_left_out():
    mask = np.zeros((200, 300), bool)
    mask[20:60, 30:250] = True                        # a bar lying across, axis between rows 39 and 40
    mask[90:190, 200:240] = True                      # a bar standing up, axis between columns 219 and 220
    mask[150:153, 20:30] = True                       # a dash: 30 pixels, under 2 % of the largest part
    nearness, figure, axes = revolve.turned(mask)
    assert revolve.find_axis(mask).symmetry < revolve.SYMMETRIC     # together they are no one turned part
    assert axes == [revolve.Axis(HORIZONTAL, 39.5, 1.0), revolve.Axis(VERTICAL, 219.5, 1.0)]
    assert not figure[150:153, 20:30].any() and (nearness[150:153, 20:30] == 0).all()
    assert nearness[39, 100] == pytest.approx(np.sqrt(20.0 ** 2 - 0.5 ** 2))
    assert nearness[120, 219] == pytest.approx(np.sqrt(20.0 ** 2 - 0.5 ** 2))
    assert nearness[120, 200] == pytest.approx(np.sqrt(20.0 ** 2 - 19.5 ** 2))


def test_the_profile_keeps_steps_and_drops_a_line_under_the_median_window():
    mask = shaft(columns=400, steps=((10, 390, 20),))
    mask[2:58, 200:202] = True                        # a 2-column line over 380 columns: window 2·(380 // 128) + 1 = 5
    radius = revolve.radii(mask, revolve.find_axis(mask))
    assert radius[200] == radius[199] == pytest.approx(20.0)
    assert radius[10] == pytest.approx(20.0) and radius[9] == 0.0   # the ends stay square
    wide = mask.copy()
    wide[2:58, 200:205] = True                        # five columns: a flange, not a line
    assert revolve.radii(wide, revolve.find_axis(wide))[202] == pytest.approx(28.0)   # row 2: 27.5 + 0.5


def test_no_figure_has_no_axis():
    with pytest.raises(ValueError):
        revolve.find_axis(np.zeros((5, 5), bool))


def test_pieces_of_one_symmetric_whole_turn_about_its_one_axis():
    """A standing shaft whose top block a seam splits off: alone, that block (wider than tall) would lie
    across; with the rest it is one whole, mirror-symmetric about the vertical axis, and turns about it."""
    mask = shaft(steps=((20, 40, 20), (41, 150, 12), (150, 185, 8))).T   # a one-row seam at row 40
    nearness, figure, axes = revolve.turned(mask)
    assert axes == [revolve.Axis(VERTICAL, 29.5, 1.0)]
    assert (figure == mask).all()
    assert nearness[30, 29] == pytest.approx(np.sqrt(20.0 ** 2 - 0.5 ** 2))
    block = mask[20:40]
    assert revolve.find_axis(block).direction == HORIZONTAL            # what it would turn about alone


def test_two_like_parts_side_by_side_are_two_parts_not_one_ring():
    mask = np.zeros((200, 200), bool)
    mask[10:190, 20:60] = True                        # two standing bars, mirror images of each other
    mask[10:190, 140:180] = True                      # about the column between them (99.5), taller than wide
    assert revolve.find_axis(mask) == revolve.Axis(VERTICAL, 99.5, 1.0)
    nearness, figure, axes = revolve.turned(mask)
    assert axes == [revolve.Axis(VERTICAL, 39.5, 1.0), revolve.Axis(VERTICAL, 159.5, 1.0)]
    assert nearness[50, 39] == pytest.approx(np.sqrt(20.0 ** 2 - 0.5 ** 2))
