"""Synthetic drawing sheets (training/synth/sheets.py) worked out by hand: how big a box's three views
come out at the probe's resolution and when a solid is refused, the scale that fits a layout, a view's
ink and crop with the tracing and inking stood in, the arrows, and a whole sheet put together from
given draws: the frame, the title block, the QR-like block, the three views where the layout puts
them and their blue dimensions."""
import numpy as np
import pytest
from PIL import Image, ImageDraw

torch = pytest.importorskip("torch")
from tests.training.draws import Scripted  # noqa: E402
from training.synth import sdf, sheets  # noqa: E402

WHITE = (255, 255, 255)


# ---- probing and fitting -----------------------------------------------------------------------------

def test_a_boxs_views_at_the_probes_resolution():
    # 76 pixels across ±1.6 (int(3.2 · 24)): a pixel is 3.2 / 76, and the centres inside ±0.5, ±0.25 and
    # ±0.125 number 24, 12 and 6; front is (z rows, x columns), top (y, x), side (z, y)
    extents = sheets._probe(sdf.box([0.5, 0.25, 0.125]))
    assert extents == {"front": (6, 24), "top": (12, 24), "side": (6, 12)}


def test_solids_a_sheet_cannot_draw_are_refused():
    apart = sdf.union(sdf.transform(sdf.sphere(0.3), torch.eye(3), (-0.8, 0.0, 0.0)),
                      sdf.transform(sdf.sphere(0.3), torch.eye(3), (0.8, 0.0, 0.0)))
    assert sheets._probe(apart) is None                                        # in two pieces
    # cut off by any one edge of a view (columns are x in front and top views, rows z in front and side
    # ones); a pixel short of it is not: the last centres lie 1.579 from the middle, the next 1.537
    for axis in (0, 2):
        for side in (-1, 1):
            at = [0.0, 0.0, 0.0]
            at[axis] = side * 1.4
            assert sheets._probe(sdf.transform(sdf.box([0.3, 0.2, 0.3]), torch.eye(3), tuple(at))) is None
            at[axis] = side * 1.46
            assert sheets._probe(sdf.transform(sdf.box([0.1, 0.1, 0.1]), torch.eye(3), tuple(at))) is not None
    assert sheets._probe(sdf.transform(sdf.sphere(0.2), torch.eye(3), (5.0, 5.0, 5.0))) is None   # nothing
    # a speck apart from the body under 3 % of the figure is kept
    speck = sdf.union(sdf.box([0.5, 0.5, 0.5]), sdf.transform(sdf.box([0.04, 0.04, 0.04]), torch.eye(3), (1.0, 1.0, 1.0)))
    assert sheets._probe(speck) is not None
    # two blocks meeting only at a corner in every view are one piece, as eight neighbours count
    corner = sdf.union(sdf.transform(sdf.box([0.3, 0.3, 0.3]), torch.eye(3), (-0.3, -0.3, -0.3)),
                       sdf.transform(sdf.box([0.3, 0.3, 0.3]), torch.eye(3), (0.3, 0.3, 0.3)))
    assert sheets._probe(corner) is not None


def test_the_scale_that_fits_a_layout():
    # room 720 − 200 − 130 − 60 = 330 high and 1100 − 430 − 200 − 130 = 340 wide, in probe units of 1/24
    assert sheets._scale_to_fit({r: (24, 24) for r in ("top", "front", "side")}, (1100, 720)) == 110   # the cap
    tall = {"top": (60, 24), "front": (60, 40), "side": (60, 20)}              # 24 · 330 / 120 = 66
    assert sheets._scale_to_fit(tall, (1100, 720)) == pytest.approx(66)
    wide = {"top": (20, 60), "front": (20, 60), "side": (20, 60)}              # 24 · 340 / 120 = 68
    assert sheets._scale_to_fit(wide, (1100, 720)) == pytest.approx(68)
    assert sheets._scale_to_fit(dict(tall, side=(60, 10)), (1100, 720)) is None   # 10 · 66 / 24 = 27.5 px
    # legible: every view's longer side at least 0.06 of the diagonal (78.9) + 4: 19 · 110 / 24 = 87.1 is,
    # 18 · 110 / 24 = 82.5 is not
    assert sheets._scale_to_fit({r: (12, 19) for r in ("top", "front", "side")}, (1100, 720)) == 110
    assert sheets._scale_to_fit({r: (12, 18) for r in ("top", "front", "side")}, (1100, 720)) is None


def test_the_smallest_readable_view_is_kept():
    # margin 432: 98 px of room for 98 probe rows, so 24 px a unit; the smallest side 49 = 45 + 4 is kept,
    # 48 is not; the longer sides 94 ≥ 0.06 · 1486.1 + 4 = 93.2
    views = {"top": (49, 94), "front": (49, 94), "side": (94, 49)}
    assert sheets._scale_to_fit(views, (1300, 720), margin=432) == 24
    assert sheets._scale_to_fit(dict(views, side=(94, 48)), (1300, 720), margin=432) is None
    assert (sheets.PROBE_PX, sheets.MAX_PX, sheets.MIN_VIEW_PX, sheets.MIN_VIEW_SHARE) == (24, 110, 45, 0.06)


# ---- one view ----------------------------------------------------------------------------------------

def _stand_in_view(monkeypatch, depth_range):
    """A 20-pixel render with a block at rows 5–12, columns 3–16, its outline and one inner line given."""
    asked = {}
    mask = np.zeros((20, 20), bool)
    mask[5:13, 3:17] = True
    depth = np.where(mask, np.linspace(0, depth_range, 20)[None, :], 0.0).astype(np.float32)
    outline = mask & ~np.pad(mask[1:-1, 1:-1] & mask[:-2, 1:-1] & mask[2:, 1:-1] & mask[1:-1, :-2] & mask[1:-1, 2:], 1)
    inner = np.zeros_like(mask)
    inner[8, 6:12] = True

    def trace(shape, cam, size):
        asked["trace"] = (shape, cam, size)
        return mask, depth, np.zeros((20, 20, 3), np.float32)

    def line_maps(m, d, n, depth_jump):
        asked["jump"] = depth_jump
        return outline, inner

    def thick(lines, width):
        asked.setdefault("widths", []).append(width)
        return np.where(lines, 0.6, 0.5).astype(np.float32)          # over 0.5 is ink, 0.5 is not
    monkeypatch.setattr(sheets.render, "trace", trace)
    monkeypatch.setattr(sheets.ink, "line_maps", line_maps)
    monkeypatch.setattr(sheets.ink, "_thick", thick)
    return asked, mask, outline | inner


@pytest.mark.parametrize("role", ["front", "top", "side"])
def test_a_views_ink_and_crop(monkeypatch, role):
    asked, mask, ink = _stand_in_view(monkeypatch, depth_range=2.0)
    rng = Scripted(3.0)
    lines, cropped, origin = sheets._view("solid", role, 40.0, rng)
    assert rng.calls == [("uniform", (2.0, 3.5))]
    shape, cam, size = asked["trace"]
    forward, up = sheets.VIEW_DIRECTIONS[role]
    assert shape == "solid" and size == 128 and cam.half_size == sheets.render.BOUND          # int(3.2 · 40)
    assert np.array_equal(cam.forward, forward) and np.array_equal(cam.up, up) and not cam.center.any()
    assert asked["jump"] == pytest.approx(0.05 * 2.0 * 13 / 19)                # 5 % of the figure's depth range
    assert asked["widths"] == [3.0, pytest.approx(1.8)]                        # inner lines 0.6 as wide
    assert origin == (5, 3) and np.array_equal(lines, ink[5:13, 3:17]) and np.array_equal(cropped, mask[5:13, 3:17])


def test_a_shallow_views_lines_still_need_a_step_of_0_02(monkeypatch):
    asked, _, _ = _stand_in_view(monkeypatch, depth_range=0.1)
    sheets._view("solid", "front", 24.0, Scripted(2.0))
    assert asked["jump"] == 0.02 and asked["trace"][2] == 76


def test_an_arrow_by_hand():
    image = Image.new("RGB", (40, 40), WHITE)
    sheets._arrow(ImageDraw.Draw(image), (30, 20), (1, 0))    # tip at x 30, base 9 back at x 21, 3 either side
    pixels = np.array(image)
    blue = (pixels == sheets.BLUE).all(-1)
    assert blue[20, 22:31].all() and blue[18:23, 22].all() and not blue[20, 31] and not blue[20, 20]
    assert not blue[16, 22] and not blue[24, 22] and blue.sum() < 50
    image = Image.new("RGB", (40, 40), WHITE)
    sheets._arrow(ImageDraw.Draw(image), (20, 30), (0, 1), size=12)  # pointing down, 12 long, 4 either side
    blue = (np.array(image) == sheets.BLUE).all(-1)
    assert blue[19:31, 20].all() and not blue[31, 20] and not blue[17, 20]
    assert blue[18, 16:25].all() and not blue[18, 15] and not blue[18, 25]
    image = Image.new("RGB", (40, 40), WHITE)
    sheets._arrow(ImageDraw.Draw(image), (30, 20), (1, 0), size=12)  # pointing right, 12 long, 4 either side
    blue = (np.array(image) == sheets.BLUE).all(-1)
    assert blue[16:25, 18].all() and not blue[15, 18] and not blue[25, 18] and not blue[20, 17]


# ---- a whole sheet -----------------------------------------------------------------------------------

SIZE = (900, 600)
TOP_LINES = np.zeros((30, 50), bool)
TOP_LINES[[0, -1]] = TOP_LINES[:, [0, -1]] = True            # a box outline
FRONT_LINES, SIDE_LINES = np.ones((40, 50), bool), np.ones((40, 20), bool)
QR = np.where(np.add.outer(np.arange(25), np.arange(25)) % 2, 0.5, 0.2)   # a checkerboard: 0.5 is not under 0.5
# title numbers, then the gap and the front's left edge, then each view's dimension offsets and numbers
DRAWS = (101, 202, 303, 404, QR, 80, 100, 30, 123, 35, 45, 40, 67, 44, 89, 26, 150, 27, 12)


class Sheet:
    """sheets.sample with the solid, probe, fit and views stood in and a generator replaying DRAWS."""

    def __init__(self, monkeypatch, fits=(True,)):
        self.rng, self.fits, self.asked = Scripted(*DRAWS), list(fits), []
        monkeypatch.setattr(np.random, "default_rng", lambda seed: self.asked.append(("seed", seed)) or self.rng)
        monkeypatch.setattr(sheets.solids, "random_solid",
                            lambda rng: self.asked.append(("solid", rng)) or ("solid", f"box {len(self.asked)}"))
        monkeypatch.setattr(sheets, "_probe", self.probe)
        monkeypatch.setattr(sheets, "_scale_to_fit", lambda extents, size: self.asked.append(("fit", extents, size)) or
                            (33.0 if self.fits.pop(0) else None))
        monkeypatch.setattr(sheets, "_view", self.view)

    def probe(self, shape):
        self.asked.append(("probe", shape))
        assert shape == "solid"
        return None if self.fits and self.fits[0] == "no probe" and self.fits.pop(0) else {"front": (1, 1)}

    def view(self, shape, role, px, rng):
        self.asked.append(("view", role, px))
        assert shape == "solid" and rng is self.rng
        lines = {"front": FRONT_LINES, "top": TOP_LINES, "side": SIDE_LINES}[role]
        return lines, np.ones_like(lines), (0, 0)


def _colour(pixels, colour):
    return (pixels == colour).all(-1)


def test_a_sheet_put_together_by_hand(monkeypatch):
    sheet = Sheet(monkeypatch)
    got = sheets.sample(4, size=SIZE)
    assert not sheet.rng.values
    ranges = [c[1] for c in sheet.rng.calls]
    assert ranges == [(100, 999)] * 4 + [((25, 25),), (70, 130), (90, 160)] + [(25, 45), (10, 200)] * 6
    assert [a for a in sheet.asked if a[0] == "view"] == [("view", r, 33.0) for r in ("front", "top", "side")]
    assert got["shape"] == "solid" and got["info"] == "box 2" and set(got) == {"image", "views", "info", "shape"}
    image = got["image"]
    assert image.dtype == np.float32 and image.shape == (600, 900, 3) and image.max() == 1.0
    pixels = np.round(image * 255).astype(np.uint8)
    black, blue = _colour(pixels, sheets.BLACK), _colour(pixels, sheets.BLUE)
    bluish = pixels[..., 2].astype(int) > pixels[..., 0].astype(int) + 40     # text is smoothed: a blue tint,
    dark = (pixels < 128).all(-1)                                              # or dark grey
    # the layout: the top view at (100, 60), the front under it after a gap of 80, the side 80 right of it
    boxes = {v["role"]: v["box"] for v in got["views"]}
    assert [v["role"] for v in got["views"]] == ["front", "top", "side"]
    assert boxes == {"top": [100, 60, 150, 90], "front": [100, 170, 150, 210], "side": [230, 170, 250, 210]}
    assert black[170:210, 100:150].all() and black[170:210, 230:250].all()
    assert black[60, 100:150].all() and black[60:90, 100].all() and not black[61:89, 101:149].any()
    # each view's width dimension below it (30, 40, 26 down) and height dimension left of it (35, 44, 27);
    # lines 2 px wide, so each is looked for within a pixel either side
    for (x0, y0, x1, y1), down, left in ((boxes["front"], 30, 35), (boxes["top"], 40, 44), (boxes["side"], 26, 27)):
        y, x = y1 + down, x0 - left
        assert _across(blue, y, range(x0, x1 + 1)) and _down(blue, x0, range(y1 + 6, y + 9)) and _down(blue, x1, range(y1 + 6, y + 9))
        assert _down(blue, x, range(y0, y1 + 1)) and _across(blue, y0, range(x - 8, x0 - 5)) and _across(blue, y1, range(x - 8, x0 - 5))
        assert not _across(blue, y, range(x0 - 4, x0 - 1)) and not _down(blue, x, range(y1 + 4, y1 + 6))
        assert bluish[(y0 + y1) // 2:(y0 + y1) // 2 + 12, x - 28:x - 10].any()   # its numbers, clear of the lines
        if x1 - x0 > 40:
            assert bluish[y - 14:y - 3, x0 + 12:x1 - 10].any()
        # lines 2 px wide: the dimension line, an extension line, the height line and its extension line
        assert blue[y - 3:y + 4, (x0 + x1) // 2].sum() == 2 and blue[y1 + 7, x0 - 3:x0 + 4].sum() == 2
        assert blue[y1 + 7, x1 - 3:x1 + 4].sum() == 2 and blue[(y0 + y1) // 2 - 3, x - 3:x + 4].sum() == 2
        assert blue[y0 - 3:y0 + 4, (x0 + x - 14) // 2].sum() == 2 and blue[y1 - 3:y1 + 4, (x0 + x - 14) // 2].sum() == 2
        # extension lines from 6 px off the view to 8 px past the dimension line
        for end in (x0, x1):
            assert not blue[y1 - 4:y1 + 5, end - 1:end + 2].any() and blue[y1 + 6, end - 1:end + 2].any()
            assert blue[y + 8, end - 1:end + 2].any() and not blue[y + 9, end - 1:end + 2].any()
        for end in (y0, y1):
            assert blue[end - 1:end + 2, x - 8].any() and not blue[end - 1:end + 2, x - 9].any()
        # arrows 9 long, 3 either side: pointing left and right at the dimension line's ends, up and down
        assert blue[y - 3, x0 + 9] and blue[y + 3, x0 + 9] and not blue[y - 4, x0 + 9] and not blue[y - 3, x0 + 12]
        assert blue[y - 3, x1 - 9] and blue[y + 3, x1 - 9] and not blue[y + 4, x1 - 9] and not blue[y - 3, x1 - 12]
        assert blue[y0 + 9, x - 3] and blue[y0 + 9, x + 3] and not blue[y0 + 9, x - 5] and not blue[y0 + 11, x - 3]
        assert blue[y1 - 9, x - 3] and blue[y1 - 9, x + 3] and not blue[y1 - 9, x + 5] and not blue[y1 - 11, x + 3]
    # the frame 3 px wide inside (15, 15) … (884, 584), the title block from (470, 430) to (884, 584) with
    # rows every 38 px and a column at 620
    assert black[15:18, 15:885].all() and black[582:585, 15:885].all() and black[15:585, 15:18].all()
    assert black[15:585, 882:885].all() and not black[14, 15:885].any() and not black[18:30, 300:800].any()
    assert black[430:433, 470:885].all() and black[430:585, 470:473].all() and _down(black, 620, range(430, 585))
    assert black[430:436, 520].sum() == 3 and black[520, 610:630].sum() == 2     # 3 and 2 px wide
    for k in (1, 2, 3):
        assert _across(black, 430 + 38 * k, range(473, 880)) and black[422 + 38 * k:438 + 38 * k, 700].sum() == 2
        assert not black[430 + 38 * k - 1:430 + 38 * k + 2, 885:].any()          # inside the block
        assert not black[430 + 38 * k - 1:430 + 38 * k + 2, 400:470].any()
    # its words and numbers: ink in each cell, left and right of the column
    for k in range(4):
        assert dark[440 + 38 * k:452 + 38 * k, 478:530].any() and dark[440 + 38 * k:452 + 38 * k, 630:680].any()
    # the QR-like block: 25 × 25 cells of 4 px at (350, 479), black where the draw was under 0.5
    block = pixels[479:579, 350:450]
    assert np.array_equal(block, np.where(np.kron(QR < 0.5, np.ones((4, 4), bool)), 0, 255)[..., None].repeat(3, -1))
    assert dark[540:552, 40:300].any() and not dark[540:552, 310:350].any()      # the notes, left of the block


def _across(ink, row, columns):
    """A line 2 px wide along `row`: every column has ink within a pixel of it."""
    return bool(ink[row - 1:row + 2, list(columns)].any(0).all())


def _down(ink, column, rows):
    return bool(ink[list(rows), column - 1:column + 2].any(1).all())


def test_solids_are_drawn_again_until_one_fits_then_the_sheet_gives_up(monkeypatch):
    sheet = Sheet(monkeypatch, fits=["no probe", False, True])
    got = sheets.sample(5, size=SIZE)
    probes = [a for a in sheet.asked if a[0] == "probe"]
    assert len(probes) == 3 and [a for a in sheet.asked if a[0] == "fit"] == [("fit", {"front": (1, 1)}, SIZE)] * 2
    assert got["info"] == "box 7" and sheet.asked[0] == ("seed", 5)
    assert [a for a in sheet.asked if a[0] == "solid"] == [("solid", sheet.rng)] * 3
    Sheet(monkeypatch, fits=[False] * 50)
    with pytest.raises(RuntimeError) as failed:
        sheets.sample(6, size=SIZE)
    assert str(failed.value) == "seed 6: no connected solid that fits the sheet"
    sheet = Sheet(monkeypatch)
    assert sheets.sample(7)["image"].shape == (720, 1100, 3)                  # the default sheet
    assert [a for a in sheet.asked if a[0] == "fit"] == [("fit", {"front": (1, 1)}, (1100, 720))]
