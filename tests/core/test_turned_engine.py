"""The Turned engine (models/classic.py over core/revolve.py) on drawings: a lathe part drawn from the
side becomes its revolved outline, says which axis it turned about, and says so when the drawing is not
a turned part."""
import numpy as np
import pytest
from PIL import Image, ImageDraw

from depthy_blender.core import images, proportion, revolve
from depthy_blender.models import engines


def drawing(boxes, size=(240, 160), centre_line=None) -> np.ndarray:
    """Black outlines of axis-aligned boxes (a stepped part) on white paper, with an optional thin line."""
    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    for box in boxes:
        draw.rectangle(box, outline="black", width=2)
    if centre_line:
        draw.line(centre_line, fill="black", width=1)
    return images.pil_to_rgba(img)


SHAFT = [(20, 60, 100, 99), (100, 40, 180, 119), (180, 65, 220, 94)]   # three steps about row 79.5


def test_a_shaft_drawn_from_the_side_is_revolved_about_its_axis():
    rgba = drawing(SHAFT)
    result = engines.get("turned").predict(rgba)
    nearness, figure, axes = revolve.turned(images.figure_mask(rgba))
    assert np.array_equal(result.nearness, nearness) and np.array_equal(result.mask, figure)
    assert axes == [revolve.Axis(revolve.HORIZONTAL, 79.5, 1.0)]
    assert result.meta == {"engine": "turned", "where": "Turned · horizontal axis"}
    # the collar is 80 rows across, radius 40 to the outer edge; the part is 201 columns long
    assert nearness.max() == pytest.approx(np.sqrt(40.0 ** 2 - 0.5 ** 2))
    assert result.proportion == pytest.approx(nearness.max() / 201)
    assert proportion.figure_width(result.mask) == 201


def test_a_centre_line_across_the_part_changes_nothing():
    plain = engines.get("turned").predict(drawing(SHAFT))
    crossed = engines.get("turned").predict(drawing(SHAFT, centre_line=[(140, 25), (140, 135)]))
    assert np.array_equal(crossed.mask, plain.mask)
    assert np.abs(crossed.nearness - plain.nearness).max() < 1e-5
    assert "note" not in crossed.meta


def test_a_drawing_that_is_not_a_turned_part_gets_a_one_line_note():
    rgba = drawing([(20, 20, 60, 139), (60, 100, 200, 139)])   # an L: mirror-symmetric about no axis
    result = engines.get("turned").predict(rgba)
    least = min(a.symmetry for a in revolve.turned(images.figure_mask(rgba))[2])
    assert least < revolve.SYMMETRIC
    assert result.meta["note"] == (f"Turned: the outline is only {least:.0%} its own mirror image; Turned is meant "
                                   "for a lathe part drawn from the side")
    assert "\n" not in result.meta["note"]


def test_two_parts_turned_about_different_axes_are_both_named():
    rgba = drawing([(20, 20, 120, 59), (150, 20, 189, 139)])   # one lying, one standing
    assert engines.get("turned").predict(rgba).meta["where"] == "Turned · horizontal and vertical axes"


def test_turned_is_listed_below_inflate_and_is_never_the_default():
    ranked = sorted(engines.all_engines(), key=lambda e: -e.quality_rank)
    names = [e.name for e in ranked]
    assert names.index("inflate") < names.index("turned") < names.index("luminance")
    assert engines.best_available().name != "turned"


def test_a_dot_is_a_one_line_error_not_an_empty_relief():
    rgba = np.ones((40, 40, 4), np.float32)
    rgba[20, 20, :3] = 0.0                            # one pixel: kept as a figure on so small an image
    assert images.figure_mask(rgba).sum() == 1
    with pytest.raises(engines.EngineError, match="^Turned found nothing to revolve: the drawing holds only "
                                                  "dots or thin lines$"):
        engines.get("turned").predict(rgba)


def test_a_shaft_drawn_with_its_centre_line_and_dimensions_is_the_bare_shaft():
    """The centre line along the axis past both ends, extension lines and a dimension line above with its
    figure, a leader from the body down to a diameter: the same figure and depth as the shaft alone."""
    bare = engines.get("turned").predict(drawing(SHAFT))
    img = Image.fromarray((drawing(SHAFT)[..., :3] * 255).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    draw.line([(5, 80), (235, 80)], fill="black", width=1)        # the centre line, row 80: on the axis's row
    draw.line([(100, 38), (100, 8)], fill="black", width=1)        # extension lines up from the collar
    draw.line([(180, 38), (180, 8)], fill="black", width=1)
    draw.line([(100, 14), (180, 14)], fill="black", width=1)       # the dimension line and its figure
    draw.text((130, 2), "80", fill="black")
    draw.line([(60, 99), (60, 150)], fill="black", width=1)        # a leader from the body's edge
    draw.text((64, 146), "40", fill="black")
    drawn = engines.get("turned").predict(images.pil_to_rgba(img))
    assert drawn.meta == bare.meta == {"engine": "turned", "where": "Turned · horizontal axis"}
    assert np.array_equal(drawn.mask, bare.mask)
    assert np.abs(drawn.nearness - bare.nearness).max() < 1e-5


def test_a_broken_outline_is_still_the_shaft():
    """Freestyle and sketches break outlines; the paper fill would leave only the lines. Turned draws a
    break of a few pixels shut first (images.figure_mask_bridged, the gap 1 % of the diagonal: 4 here).
    The shaft is drawn as its outer contour alone, one cell, as a Freestyle silhouette is."""
    contour = [(20, 60), (100, 60), (100, 40), (180, 40), (180, 65), (220, 65), (220, 94), (180, 94),
               (180, 119), (100, 119), (100, 99), (20, 99)]
    def drawn(gap):
        img = Image.new("RGB", (240, 160), "white")
        ImageDraw.Draw(img).polygon(contour, outline="black", width=2)
        if gap:
            ImageDraw.Draw(img).rectangle((179, 45, 181, 48), fill="white")   # a 4-row break in the collar's side
        return images.pil_to_rgba(img)
    whole, broken = engines.get("turned").predict(drawn(False)), engines.get("turned").predict(drawn(True))
    assert images.figure_mask(drawn(True)).sum() < 0.2 * whole.mask.sum()     # the paper ran in
    assert (broken.mask == whole.mask).mean() > 0.999 and "note" not in broken.meta
    assert broken.proportion == pytest.approx(whole.proportion, rel=0.01)
