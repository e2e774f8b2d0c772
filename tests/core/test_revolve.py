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
    assert (figure == mask).all() and nearness.dtype == np.float32
    distance = np.abs(np.arange(60) - 29.5)[:, None]           # from the axis, between rows 29 and 30
    expected = np.sqrt(np.maximum(16.0 ** 2 - distance ** 2, 0)) * np.ones((1, 200))   # row 14: 15.5 from it, to its outer edge 16
    assert nearness[mask] == pytest.approx(expected[mask], abs=1e-5)
    assert (nearness[~mask] == 0).all()


def test_a_ball_from_the_side_is_a_half_ball():
    yy, xx = np.mgrid[:121, :121]
    mask = (yy - 60) ** 2 + (xx - 60) ** 2 <= 50 ** 2
    nearness, figure, axes = revolve.turned(mask)
    assert axes[0].direction == VERTICAL               # as wide as tall, symmetric both ways: standing
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
    mask[0:3, 5:15] = True                            # a dash first: 30 pixels, under 2 % of the largest part
    mask[0:80, 200:240] = True                        # a bar standing up, axis between columns 219 and 220
    mask[60:140, 30:80] = True                        # a shaft lying under it, axis between rows 99 and 100:
    mask[90:110, 80:250] = True                       # its box takes in the bar's foot, which it does not touch
    nearness, figure, axes = revolve.turned(mask)
    assert revolve.find_axis(mask).symmetry < revolve.SYMMETRIC     # together they are no one turned part
    assert axes == [revolve.Axis(VERTICAL, 219.5, 1.0), revolve.Axis(HORIZONTAL, 99.5, 1.0)]
    parts = mask.copy()
    parts[0:3, 5:15] = False
    assert (figure == parts).all() and (nearness[~parts] == 0).all() and nearness.dtype == np.float32
    assert nearness[70, 219] == pytest.approx(np.sqrt(20.0 ** 2 - 0.5 ** 2))    # inside the shaft's box
    assert nearness[70, 200] == pytest.approx(np.sqrt(20.0 ** 2 - 19.5 ** 2))
    assert nearness[99, 50] == pytest.approx(np.sqrt(40.0 ** 2 - 0.5 ** 2))
    assert nearness[90, 150] == pytest.approx(np.sqrt(10.0 ** 2 - 9.5 ** 2))


def test_the_profile_keeps_steps_and_drops_a_line_under_the_median_window():
    mask = shaft(columns=400, steps=((10, 390, 20),))
    mask[2:58, 200:202] = True                        # a 2-column line over 380 columns: window 2·(380 // 128) + 1 = 5
    radius = revolve.radii(mask, revolve.find_axis(mask))
    assert radius[200] == radius[199] == pytest.approx(20.0)
    assert radius[10] == pytest.approx(20.0) and radius[9] == 0.0   # the ends stay square
    wide = mask.copy()
    wide[2:58, 200:205] = True                        # five columns: a flange, not a line
    assert revolve.radii(wide, revolve.find_axis(wide))[202] == pytest.approx(28.0)   # row 2: 27.5 + 0.5


@pytest.mark.parametrize("end, line, flange", [(265, 2, True), (266, 2, False), (266, 3, True)])
def test_the_median_spans_one_64th_of_the_length(end, line, flange):
    """A two-column line across a shaft 255 columns long (window 2·(255 // 128) + 1 = 3) stays a flange;
    at 256 (window 5) it is taken out, and a three-column one stays."""
    mask = shaft(columns=300, steps=((10, end, 20),))
    mask[2:58, 130:130 + line] = True
    radius = revolve.radii(mask, revolve.find_axis(mask))
    assert radius[131] == pytest.approx(28.0 if flange else 20.0)


@pytest.mark.parametrize("length", [100, 200, 300])   # median windows 3, 3 and 5
def test_a_parts_ends_stay_square(length):
    radius = revolve.radii(shaft(columns=340, steps=((20, 20 + length, 16),)), revolve.Axis(HORIZONTAL, 29.5, 1.0))
    assert radius[19] == radius[20 + length] == 0.0 and radius[20] == radius[19 + length] == 16.0


def test_a_centre_line_along_the_axis_past_the_ends_is_no_rod():
    plain = shaft()
    lined = plain.copy()
    lined[29:31, 2:198] = True                        # two pixels thick on the axis, 18 and 13 columns past the ends
    near_plain, figure_plain, _ = revolve.turned(plain)
    near_lined, figure_lined, _ = revolve.turned(lined)
    assert (figure_lined == figure_plain).all() and np.abs(near_lined - near_plain).max() < 1e-5


@pytest.mark.parametrize("thickness, kept", [(3, False), (4, True)])
def test_a_section_as_thin_as_a_line_is_no_body(thickness, kept):
    """A rod 3 pixels thick has radius 1.5 (pixel centres 1 from its axis, plus half a pixel): a line; at
    4 pixels, radius 2: a pin."""
    mask = np.zeros((20, 100), bool)
    mask[10 - thickness // 2:10 - thickness // 2 + thickness, 10:90] = True
    assert revolve.radii(mask, revolve.find_axis(mask))[50] == (thickness / 2 if kept else 0.0)


def test_no_figure_has_no_axis():
    with pytest.raises(ValueError, match="^no figure to find an axis in$"):
        revolve.find_axis(np.zeros((5, 5), bool))
    nearness, figure, axes = revolve.turned(np.zeros((5, 5), bool))
    assert axes == [] and not figure.any() and not nearness.any() and nearness.dtype == np.float32
    assert nearness.shape == figure.shape == (5, 5)


@pytest.mark.parametrize("standing", [True, False])
def test_pieces_of_one_symmetric_whole_turn_about_its_one_axis(standing):
    """A shaft whose end block a seam splits off: alone, that block (wider across the axis than along
    it) would turn about the other axis; with the rest it is one whole, mirror-symmetric about the
    shaft's axis, and turns about it, standing or lying."""
    mask = shaft(steps=((20, 40, 20), (41, 150, 12), (150, 185, 8)))   # a one-column seam at column 40
    mask = mask.T if standing else mask
    nearness, figure, axes = revolve.turned(mask)
    assert axes == [revolve.Axis(VERTICAL if standing else HORIZONTAL, 29.5, 1.0)]
    assert (figure == mask).all()
    assert nearness[(30, 29) if standing else (29, 30)] == pytest.approx(np.sqrt(20.0 ** 2 - 0.5 ** 2))
    block = mask[20:40] if standing else mask[:, 20:40]
    assert revolve.find_axis(block).direction == (HORIZONTAL if standing else VERTICAL)   # alone


def test_a_piece_off_the_axis_keeps_its_own_even_when_the_whole_is_nearly_symmetric():
    mask = np.zeros((200, 200), bool)
    mask[5:15, 20:40] = True                          # 200 pixels, 3 % of the bar: a part, not a mark
    mask[30:190, 80:120] = True                       # a standing bar, 6400 pixels, axis between columns 99 and 100
    assert revolve.find_axis(mask) == revolve.Axis(VERTICAL, 99.5, 6400 / 6800)   # symmetric enough, but
    _, _, axes = revolve.turned(mask)                                                # it misses the small piece
    assert axes == [revolve.Axis(HORIZONTAL, 9.5, 1.0), revolve.Axis(VERTICAL, 99.5, 1.0)]


def test_a_part_of_exactly_the_mark_share_is_kept():
    mask = np.zeros((100, 100), bool)
    mask[10:30, 10:60] = True                         # 1000 pixels
    mask[60:62, 70:80] = True                         # 20 pixels: 2 % of it
    assert len(revolve.turned(mask)[2]) == 2
    mask[61, 79] = False                              # 19
    assert len(revolve.turned(mask)[2]) == 1


def test_what_mirrors_off_the_image_counts_against_the_symmetry():
    """A bar near the image's edge with a block beside it: mirrored about the bar's axis the block falls off
    the image, and is still one of the pixels the two do not share: 800 / (2 · 1000 − 800)."""
    mask = np.zeros((40, 100), bool)
    mask[0:40, 10:30] = True                          # 800 pixels, axis between columns 19 and 20
    mask[0:10, 60:80] = True                          # 200 pixels, mirrored to columns −41 … −22
    axis = revolve._axis_along(mask, VERTICAL)
    assert (axis.position, axis.symmetry) == (19.5, pytest.approx(800 / 1200))


def test_the_axis_is_found_wherever_the_part_lies_in_the_image():
    axis = revolve.find_axis(shaft(rows=100, axis_row=30))       # the image's middle row is 49.5
    assert (axis.direction, axis.position, axis.symmetry) == (HORIZONTAL, 29.5, 1.0)


@pytest.mark.parametrize("notch, direction", [(6, HORIZONTAL), (30, VERTICAL)])
def test_a_near_tie_goes_to_the_longer_extent_and_a_clear_lead_wins(notch, direction):
    """A lying bar, 20 × 100, with a notch centred in its top edge: still its own mirror image left to
    right (1.0), top to bottom 1988 / 2000 = 0.994 for a 6-pixel notch (a tie: the bar's length decides)
    and 1940 / 2000 = 0.97 for a 30-pixel one (vertical wins by more than 0.01)."""
    mask = np.zeros((20, 100), bool)
    mask[:, :] = True
    mask[0, 50 - notch // 2:50 + notch // 2] = False
    assert revolve.find_axis(mask).direction == direction


def test_two_like_parts_side_by_side_are_two_parts_not_one_ring():
    mask = np.zeros((200, 200), bool)
    mask[10:190, 20:60] = True                        # two standing bars, mirror images of each other
    mask[10:190, 140:180] = True                      # about the column between them (99.5), taller than wide
    assert revolve.find_axis(mask) == revolve.Axis(VERTICAL, 99.5, 1.0)
    nearness, figure, axes = revolve.turned(mask)
    assert axes == [revolve.Axis(VERTICAL, 39.5, 1.0), revolve.Axis(VERTICAL, 159.5, 1.0)]
    assert nearness[50, 39] == pytest.approx(np.sqrt(20.0 ** 2 - 0.5 ** 2))
