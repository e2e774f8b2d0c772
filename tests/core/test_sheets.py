"""Finding and tagging the views on real drawing sheets (../shared/data/sheets).

Expected boxes were read off the sheets by eye: every orthographic view and every shaded render; the
finder must find each (box IoU ≥ 0.7), tag front/top/side (a hatched section may stand in for the side),
tag the renders pictorial, and find nothing else (no dimension, text, QR code or title block)."""
import numpy as np
import pytest
from PIL import Image, ImageDraw

from depthy_blender.core import images, sheets, visual_hull

EXPECTED = {
    "ttt-ppp0101.png": [((226, 134, 908, 432), "top"), ((226, 615, 908, 1019), "front"),
                        ((1198, 615, 1500, 1019), "side"), ((1260, 130, 1760, 555), "pictorial"),
                        ((1850, 305, 2300, 682), "pictorial")],
    "ttt-ppp0102.png": [((313, 118, 662, 410), "top"), ((312, 567, 662, 853), "front"),
                        ((965, 341, 1356, 654), "section"), ((1577, 193, 1938, 513), "pictorial"),
                        ((1972, 310, 2267, 660), "pictorial")],
    "ttt-ppp0103.png": [((811, 367, 1427, 463), "top"), ((811, 738, 1430, 995), "front"),
                        ((161, 737, 280, 988), "side"), ((790, 75, 1370, 352), "pictorial"),
                        ((1697, 405, 2202, 718), "pictorial")],
}
DETAIL_VIEWS = {"ttt-ppp0103.png": [(213, 138, 634, 559)]}   # a magnified detail: allowed, never front/top/side


def box_iou(a, b):
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_views_on_real_sheets(shared_data, name):
    rgba = images.load_image(shared_data / "sheets" / name).rgba
    found = sheets.find_views(rgba[..., :3])
    for box, role in EXPECTED[name]:
        best = max(found, key=lambda v: box_iou(v.box, box))
        assert box_iou(best.box, box) >= 0.7, (name, role, best.box)
        assert best.role == role, (name, box, best.role)
    allowed = [b for b, _ in EXPECTED[name]] + DETAIL_VIEWS.get(name, [])
    for v in found:   # nothing else: no text, dimension, QR code or title block
        assert max(box_iou(v.box, b) for b in allowed) >= 0.5, (name, v.box, v.role)
        if any(box_iou(v.box, b) >= 0.5 for b in DETAIL_VIEWS.get(name, [])):
            assert v.role not in ("front", "top", "side")


def test_blank_sheet_has_no_views():
    assert sheets.find_views(np.ones((300, 400, 3), np.float32)) == []


def test_hatching_is_told_from_text():
    hatch = np.zeros((60, 60), bool)
    for k in range(-60, 60, 6):
        idx = np.arange(60)
        j = idx + k
        ok = (j >= 0) & (j < 60)
        hatch[idx[ok], j[ok]] = True
    assert sheets._is_hatched(hatch)
    text_like = np.zeros((60, 60), bool)
    text_like[10:50:8, 5:55] = True
    text_like[10:50, 5:55:12] = True
    assert not sheets._is_hatched(text_like)


def test_qr_code_is_told_from_a_dense_round_view():
    rng = np.random.default_rng(0)
    qr = np.kron(rng.random((25, 25)) < 0.5, np.ones((4, 4), bool))
    assert sheets._is_qr_code(qr, np.ones(qr.shape, bool))
    y, x = np.mgrid[-50:50, -50:50]
    r = np.hypot(x, y)
    rings = (np.abs(r[..., None] - np.arange(12, 48, 3)) < 0.8).any(-1)   # close concentric circles
    rings &= (np.arctan2(y, x) * 12 % 1.0) > 0.1                         # broken up into many pieces
    assert rings[r < 48].mean() > 0.4 and sheets._pieces(rings) > 30
    assert not sheets._is_qr_code(rings, r < 48)


def rod_sheet(end_dx=0, letter=False):
    """An upright Ø34 px × 380 px rod drawn third-angle on a white sheet: front and right views are
    thin tall rectangles, the plan above the front is a small circle (under the symbol size). The circle
    can be moved sideways by `end_dx`; `letter` adds an "O"-like ring beside the right view's top."""
    from PIL import Image, ImageDraw
    im = Image.new("RGB", (320, 660), "white")
    d = ImageDraw.Draw(im)
    d.rectangle((71, 199, 104, 580), outline="black", width=3)     # front
    d.rectangle((198, 199, 231, 580), outline="black", width=3)    # right view
    d.ellipse((71 + end_dx, 72, 104 + end_dx, 105), outline="black", width=3)
    if letter:
        d.ellipse((250, 150, 283, 183), outline="black", width=3)  # aligned with nothing
    return np.asarray(im, np.float32) / 255.0


def _rod_without_end():
    """`rod_sheet()` as a PIL image with its end circle painted out, and a pen to draw another end."""
    im = Image.fromarray((rod_sheet() * 255).astype(np.uint8))
    draw = ImageDraw.Draw(im)
    draw.rectangle((60, 60, 115, 115), fill="white")
    return im, draw


def test_a_rods_small_end_view_is_found_when_it_lines_up():
    views = sheets.find_views(rod_sheet(letter=True))
    (end,) = [v for v in views if v.role == "top"]
    assert end.ink.sum() < 0.5 * end.mask.sum()        # its ink is the drawn circle, not the disk inside
    found = {v.role: v.box for v in views}
    assert set(found) == {"front", "top", "side"}, found
    assert found["top"][0] == pytest.approx(71, abs=1) and found["top"][2] == pytest.approx(105, abs=1)
    assert found["side"][0] == pytest.approx(198, abs=1)


def test_an_end_view_is_looked_for_from_one_and_a_half_percent_of_the_diagonal():
    """A thin rod `d` px across, its front, right view and end circle drawn with a 2 px pen on a sheet
    whose diagonal is 734 px: an end view is looked for from 0.015 × 734 = 11.0 px across, so the 12 px
    rod's circle is its plan and the 10 px rod's is taken for a symbol."""
    def thin_rod(d):
        im = Image.new("RGB", (320, 660), "white")
        draw = ImageDraw.Draw(im)
        draw.rectangle((80, 199, 80 + d - 1, 580), outline="black", width=2)
        draw.rectangle((198, 199, 198 + d - 1, 580), outline="black", width=2)
        draw.ellipse((80, 80, 80 + d - 1, 80 + d - 1), outline="black", width=2)
        return np.asarray(im, np.float32) / 255
    assert sorted(v.role for v in sheets.find_views(thin_rod(12))) == ["front", "side", "top"]
    assert [v.role for v in sheets.find_views(thin_rod(10))] == ["unknown", "unknown"]


def test_a_small_mark_that_does_not_line_up_is_no_view():
    found = sheets.find_views(rod_sheet(end_dx=12))
    assert [v.role for v in found] == ["unknown", "unknown"]    # two rectangles, nothing tagged


def test_a_rod_drawn_with_a_small_end_view_is_round(tmp_path):
    from PIL import Image
    from depthy_blender.pipeline import sheet
    path = tmp_path / "rod.png"
    Image.fromarray((rod_sheet() * 255).astype(np.uint8)).save(path)
    request = sheet.SheetRequest(str(path), "inflate", solid=True, solid_resolution=384, resolution=24)
    outcome = sheet.compute(request, lambda f, s: None, lambda: False)
    assert outcome.solid is not None, outcome.messages
    occ = outcome.solid.occupancy
    long_axis = int(np.argmax(occ.shape))
    section = occ.take(occ.shape[long_axis] // 2, axis=long_axis)
    filled = section[np.ix_(section.any(1), section.any(0))]
    # a disc fills π/4 of its square; a 34 px drawn circle is a little squarer (measured 0.84); the
    # square the two rectangles alone would give fills all of it
    assert 0.75 < filled.mean() < 0.88


def test_a_grid_of_separate_dark_squares_on_connected_paper_is_a_qr_code():
    """400 black 3 × 3 squares a pixel apart: 56 % ink, 400 pieces of ink and one of paper; every edge
    along an axis."""
    grid = np.kron(np.ones((20, 20), bool), np.pad(np.ones((3, 3), bool), ((0, 1), (0, 1))))
    assert sheets._pieces(grid) == 400 and sheets._pieces(~grid) == 1 and grid.mean() > 0.4
    assert sheets._is_qr_code(grid, np.ones(grid.shape, bool))


def test_dense_broken_curves_filling_a_square_figure_are_not_a_qr_code():
    y, x = np.mgrid[-50:50, -50:50]
    r = np.hypot(x, y)
    rings = (np.abs(r[..., None] - np.arange(3, 72, 3)) < 0.8).any(-1)
    rings &= (np.arctan2(y, x) * 12 % 1.0) > 0.1
    square = np.ones(rings.shape, bool)
    assert rings.mean() > 0.4 and sheets._pieces(rings) > 30
    assert not sheets._is_qr_code(rings, square)


@pytest.mark.parametrize("axis", [0, 1])
def test_strokes_along_one_axis_are_not_hatching(axis):
    """Nine 50 px strokes 6 px apart, all upright (or all level): nothing continues diagonally."""
    strokes = np.zeros((60, 60), bool)
    strokes[5:55, 5:55:6] = True
    assert not sheets._is_hatched(strokes if axis == 0 else strokes.T)


def test_a_view_is_boxed_by_its_black_ink_on_the_sheet():
    sl = (slice(10, 20), slice(30, 45))
    blob = np.ones((10, 15), bool)
    ink = np.zeros((10, 15), bool)
    ink[2:6, 3:9] = True
    view = sheets._inked_view(sl, ink, blob, "front")
    assert view.box == (33, 12, 39, 16) and view.role == "front"
    assert view.ink.shape == view.mask.shape == (4, 6) and view.ink.all()
    bare = sheets._inked_view(sl, np.zeros_like(ink), blob, "top")
    assert bare.box == (30, 10, 45, 20) and bare.role == "top" and bare.mask is blob and not bare.ink.any()


def _view(box, role):
    x0, y0, x1, y1 = box
    return sheets.View(box, role, np.ones((y1 - y0, x1 - x0), bool), np.ones((y1 - y0, x1 - x0), bool))


def _front_and_plan():
    """A front 100–300 × 300–400 and its plan above it, 100–300 × 100–250, with their roles."""
    return [_view((100, 300, 300, 400), "front"), _view((100, 100, 300, 250), "top")]


def test_a_small_mark_lined_up_only_with_the_pictorial_view_is_not_a_projected_view():
    """Front 100–300 × 300–400, its plan above it, a pictorial to the right at rows 320–380. A mark
    spanning exactly the pictorial's rows lines up with no orthographic view (the front's rows are
    300–400): it is left out. A mark spanning the front's rows is its side view."""
    views = _front_and_plan() + [_view((400, 320, 600, 380), "pictorial")]
    mark = _view((350, 320, 370, 380), "unknown")
    sheets._add_small_view(views, [mark])
    assert mark not in views and [v.role for v in views] == ["front", "top", "pictorial"]
    end = _view((350, 300, 380, 400), "unknown")
    sheets._add_small_view(views, [end])
    assert views[-1] is end and end.role == "side"


def test_dense_solid_shapes_with_slanted_edges_are_not_a_qr_code():
    """64 solid diamonds (|x| + |y| ≤ 10, 22 px apart): 46 % ink in 64 pieces, but every edge is a
    45° staircase, so every boundary window is a corner."""
    y, x = np.mgrid[0:176, 0:176]
    diamonds = (np.abs(y % 22 - 11) + np.abs(x % 22 - 11)) <= 10
    assert diamonds.mean() > 0.4 and sheets._pieces(diamonds) == 64
    assert not sheets._is_qr_code(diamonds, np.ones(diamonds.shape, bool))


def test_ink_layers_tell_black_and_dark_grey_lines_from_colour_and_light_shading():
    """On white paper: black and dark grey (0.3) ink are geometry, red ink is coloured, light grey
    (0.8) shading is shaded; the paper (most of the sheet) is none of them."""
    rgb = np.ones((60, 40, 3), np.float32)
    rgb[2:4, :] = 0.0
    rgb[6:8, :] = 0.3
    rgb[10:12, :] = (0.9, 0.1, 0.1)
    rgb[14:18, :] = 0.8
    geometry, coloured, shaded = sheets.ink_layers(rgb)
    rows = lambda m: sorted(set(np.nonzero(m)[0]))  # noqa: E731
    assert rows(geometry) == [2, 3, 6, 7] and rows(coloured) == [10, 11] and rows(shaded) == [14, 15, 16, 17]
    assert geometry[:, 0].sum() == 4 and not (geometry & coloured).any()


def test_toned_paper_is_paper_however_yellow():
    """Cream paper (1.0, 0.95, 0.78) differs from white by more than the colour thresholds in each
    channel's own way; measured against the sheet's own paper colour, channel by channel, none of it is
    coloured or shaded, and a black line on it is geometry."""
    rgb = np.empty((40, 40, 3), np.float32)
    rgb[:] = (1.0, 0.95, 0.78)
    rgb[20:22, :] = 0.0
    geometry, coloured, shaded = sheets.ink_layers(rgb)
    assert not coloured.any() and not shaded.any()
    assert sorted(set(np.nonzero(geometry)[0])) == [20, 21]


def test_the_frame_is_what_spans_most_of_the_sheet_both_ways():
    """A border 96 px square on a 100 px sheet goes; a view 30 px square inside it, and a rule 90 px
    long but 1 px high, stay."""
    marks = np.zeros((100, 100), bool)
    marks[2, 2:98] = marks[97, 2:98] = marks[2:98, 2] = marks[2:98, 97] = True
    marks[30:60, 30:60] = True
    marks[80, 5:95] = True
    kept = sheets.remove_frame(marks)
    assert not kept[2].any() and not kept[:, 97].any()
    assert kept[30:60, 30:60].all() and kept[80, 5:95].all()


def test_the_title_blocks_cells_are_found_in_the_removed_frame():
    """The removed frame: a border and, inside its top right, a title block of two cells (rows 2–9,
    columns 60–69 and 71–97). The cells' insides are its area (the wide one 8 × 27 px, though its
    columns reach 96 px below the sheet's top); the sheet inside the border, a quarter of it or more,
    is not."""
    frame = np.zeros((100, 100), bool)
    frame[1, 1:99] = frame[98, 1:99] = frame[1:99, 1] = frame[1:99, 98] = True
    frame[10, 59:99] = True                            # the block's bottom
    frame[1:11, 59] = frame[1:11, 70] = True           # its left side and the wall between the cells
    cells = sheets._title_block_area(frame)
    expected = np.zeros_like(frame)
    expected[2:10, 60:70] = expected[2:10, 71:98] = True
    assert np.array_equal(cells, expected)
    tall = np.zeros((100, 100), bool)                  # one cell 28 × 27 px in the corner: its own area counts
    tall[1, 1:99] = tall[98, 1:99] = tall[1:99, 1] = tall[1:99, 98] = True
    tall[30, 70:99] = tall[1:31, 70] = True
    expected = np.zeros_like(tall)
    expected[2:30, 71:98] = True
    assert np.array_equal(sheets._title_block_area(tall), expected)


def _three_views(size=(800, 600), scale=1):
    """A sheet with a front view, its plan above and its right view beside it, drawn in black; and the
    pen to add to it."""
    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    s = scale
    draw.rectangle((80 * s, 300 * s, 320 * s, 420 * s), outline="black", width=3 * s)
    draw.rectangle((80 * s, 80 * s, 320 * s, 240 * s), outline="black", width=3 * s)
    draw.rectangle((380 * s, 300 * s, 520 * s, 420 * s), outline="black", width=3 * s)
    return img, draw


THREE_VIEWS = [((80, 80, 321, 241), "top"), ((80, 300, 321, 421), "front"), ((380, 300, 521, 421), "side")]
"""The boxes and roles found on `_three_views()`' sheet at scale 1."""


def _boxes_and_roles(img):
    return sorted((v.box, v.role) for v in sheets.find_views(np.asarray(img, np.float32) / 255))


@pytest.mark.parametrize("fill", [(150, 150, 150), (220, 60, 60)])
def test_a_render_outlined_only_on_one_side_is_one_pictorial_view(fill):
    """Three views drawn in black, and a grey-shaded (or red) disk 180 px across whose outline is drawn
    on its left half only: its fill, not its open outline, makes it one view, a pictorial, boxed within
    a few pixels of the disk (dense colour counts a little past its edge)."""
    img, draw = _three_views()
    draw.ellipse((560, 80, 740, 260), fill=fill)
    draw.arc((560, 80, 740, 260), 90, 270, fill="black", width=3)
    views = sheets.find_views(np.asarray(img, np.float32) / 255)
    (render,) = [v for v in views if v.role == "pictorial"]
    x0, y0, x1, y1 = render.box
    assert max(abs(x0 - 560), abs(y0 - 80), abs(x1 - 741), abs(y1 - 261)) <= 5
    assert sorted(v.role for v in views) == ["front", "pictorial", "side", "top"]


def test_a_short_thin_outlined_box_is_not_a_view_but_a_long_one_is():
    """On an 800 × 600 sheet (diagonal 1000 px): a box 100 × 10 px drawn in black, such as a table row,
    is thinner than 2 % and shorter than 15 % of the diagonal: not a view. One 400 × 12 px is a plate
    seen edge-on: long enough, and outlined all round, it is."""
    img, draw = _three_views()
    draw.rectangle((600, 500, 700, 510), outline="black", width=2)
    boxes = [v.box for v in sheets.find_views(np.asarray(img, np.float32) / 255)]
    assert len(boxes) == 3 and all(b[0] < 600 for b in boxes)
    draw.rectangle((300, 530, 700, 542), outline="black", width=2)
    boxes = [v.box for v in sheets.find_views(np.asarray(img, np.float32) / 255)]
    assert len(boxes) == 4 and any(abs(b[0] - 300) <= 2 and abs(b[2] - 701) <= 2 for b in boxes)


@pytest.mark.parametrize("boxes, roles", [
    # four views in two rows: C (third) shares its columns with A (first) above it and its rows with D
    # (fourth), both fully; A shares only 40 % of its rows with B. Equal sizes, so C, with the best
    # alignment both ways, is the front; A its plan and D its side
    ([(100, 100, 300, 200), (400, 160, 600, 260), (100, 300, 300, 400), (400, 300, 600, 400)],
     ["top", "unknown", "front", "side"]),
    # of two views beside the front, the one sharing more of its rows is the side
    ([(300, 300, 500, 400), (300, 100, 500, 250), (100, 350, 200, 450), (600, 300, 700, 400)],
     ["front", "top", "unknown", "side"]),
    # of two views above and below the front, the one sharing more of its columns is the plan
    ([(300, 300, 500, 400), (600, 300, 700, 400), (300, 100, 500, 250), (400, 450, 700, 550)],
     ["front", "side", "top", "unknown"]),
    # a front sharing half its plan's columns and all its side's rows (0.5 + 1 + 0.5 × its full size)
    # beats the plan, which shares half of each (0.5 + 0.5 + 0.5 × 2/3)
    ([(300, 400, 500, 550), (400, 500, 600, 600), (100, 400, 200, 550)], ["front", "top", "side"]),
    # lining up comes before size: a front sharing all of its plan's columns and its side's rows, but
    # 0.4 of the plan's size (1 + 1 + 0.5 × 0.4), beats the plan it sits under, which shares only 0.4
    # of its rows with the side (1 + 0.4 + 0.5 × 1)
    ([(100, 300, 300, 400), (100, 0, 300, 250), (400, 150, 500, 400)], ["front", "top", "side"]),
    # first angle: the plan below the front
    ([(100, 100, 300, 200), (100, 350, 300, 500), (350, 100, 450, 200)], ["front", "top", "side"]),
    # the plan below sharing all the front's columns beats a view above sharing three quarters
    ([(300, 300, 500, 400), (600, 300, 700, 400), (300, 550, 500, 700), (250, 50, 450, 250)],
     ["front", "side", "top", "unknown"]),
    # four views in a 2 × 2 grid, each lined up fully with two others (an outline pictorial in the
    # corner, say): size decides, and the largest, bottom left, is the front; the plan above it is a
    # thin strip, its last row (60) above the front's first column (140)
    ([(140, 160, 310, 260), (140, 20, 310, 60), (340, 160, 440, 260), (340, 20, 440, 60)],
     ["front", "top", "side", "unknown"]),
])
def test_the_front_plan_and_side_are_the_views_best_lined_up(boxes, roles):
    views = [_view(box, "unknown") for box in boxes]
    sheets.assign_roles(views)
    assert [v.role for v in views] == roles


def test_a_mark_lined_up_with_the_plan_but_giving_no_front_leaves_every_role_as_it_was():
    """A front and its plan, and a mark spanning exactly the plan's columns above it: lined up, but the
    three have no view with neighbours both ways, so nothing is assigned and the mark is left out."""
    views = _front_and_plan()
    mark = _view((100, 20, 300, 60), "unknown")
    sheets._add_small_view(views, [mark])
    assert [v.role for v in views] == ["front", "top"] and mark.role == "unknown" and mark not in views


def test_hatching_is_judged_from_200_coloured_pixels_on():
    """Ten diagonal strokes of 20 px, 10 px apart: exactly 200 pixels, enough to judge, and hatched."""
    colour = np.zeros((60, 140), bool)
    for k in range(10):
        colour[np.arange(20) + 20, np.arange(20) + 10 * k] = True
    assert colour.sum() == 200 and sheets._is_hatched(colour)
    colour[20, 0] = False
    assert not sheets._is_hatched(colour)


def test_a_plate_seen_edge_on_6_px_thick_is_a_view_on_a_small_sheet():
    """On an 800 × 600 sheet the opening that removes thin marks has a radius of 2 px (a quarter of a
    percent of the 1000 px diagonal, at least 2): an outlined box 400 × 6 px survives it."""
    img, draw = _three_views()
    draw.rectangle((300, 520, 700, 525), outline="black", width=1)
    boxes = [v.box for v in sheets.find_views(np.asarray(img, np.float32) / 255)]
    assert len(boxes) == 4 and any(abs(b[0] - 300) <= 2 and abs(b[3] - 526) <= 2 for b in boxes)


def test_a_heavy_bar_on_a_large_sheet_is_not_a_view():
    """On a 2000 × 1500 sheet (diagonal 2500 px) the opening's radius is 6 px: a solid black bar 8 px
    high and 1000 px long, such as a heavy rule, goes with the other thin marks."""
    img, draw = _three_views((2000, 1500), scale=2)
    draw.rectangle((900, 1300, 1900, 1307), fill="black")
    boxes = [v.box for v in sheets.find_views(np.asarray(img, np.float32) / 255)]
    assert len(boxes) == 3 and all(b[1] < 1300 for b in boxes)


@pytest.mark.parametrize("colour", [(150, 150, 150), (220, 60, 60)])
def test_a_thick_grey_or_coloured_leader_does_not_join_the_view_it_touches(colour):
    """A grey (or red) leader 4 px thick runs 150 px right from the front view's right edge, as a
    dimension or a callout might: thinner than the opening, it is not part of the view's figure."""
    img, draw = _three_views()
    draw.rectangle((322, 340, 372, 343), fill=colour)
    boxes = sorted(v.box for v in sheets.find_views(np.asarray(img, np.float32) / 255))
    front = [b for b in boxes if b[1] == 300 and b[0] == 80]
    assert len(boxes) == 3 and front and front[0][2] <= 323


@pytest.mark.parametrize("width", [1, 2, 3, 4])
@pytest.mark.parametrize("colour", [(220, 60, 60), (40, 90, 220), (150, 150, 150)])
def test_a_coloured_dimension_line_between_two_views_keeps_them_apart(width, colour):
    """A red, blue or grey dimension line 1–4 px thick from the front view across to the side view.
    Coloured pixels read as dense hatching in a band around such a line, and that band joined the two
    views into one, so the sheet had no front or side (found by this test; fixed by opening the hatch
    fill)."""
    img, draw = _three_views()
    draw.rectangle((322, 360, 379, 360 + width - 1), fill=colour)
    assert _boxes_and_roles(img) == THREE_VIEWS


def test_a_side_view_thinner_than_a_letter_is_found_when_it_lines_up_with_the_front():
    """A plate: front 240 × 120 px, plan above it, and the side view beside the front only 7 px wide
    (the plate edge-on), smaller in area than any view. It spans the front's rows exactly, so it is the
    side view."""
    img = Image.new("RGB", (800, 600), "white")
    draw = ImageDraw.Draw(img)
    draw.rectangle((80, 300, 320, 420), outline="black", width=3)
    draw.rectangle((80, 80, 320, 240), outline="black", width=3)
    draw.rectangle((380, 300, 386, 420), outline="black", width=2)
    assert _boxes_and_roles(img) == THREE_VIEWS[:2] + [((380, 300, 387, 421), "side")]


def test_a_frame_joined_only_corner_to_corner_is_still_one_frame():
    """A border whose right side meets the top and the bottom only diagonally (as a 1 px line drawn
    without anti-aliasing may): pixels touching at a corner are one line, so the whole border goes."""
    marks = np.zeros((100, 100), bool)
    marks[2, 2:97] = marks[97, 2:97] = marks[2:98, 2] = True
    marks[3:97, 97] = True                              # touching (2, 96) and (97, 96) only at corners
    assert not sheets.remove_frame(marks).any()


def test_the_grid_measures_each_views_figure_from_its_own_first_row_and_column():
    """Figures drawn away from their images' corners (rows and columns starting at different places):
    front 60 wide × 40 high, side 20 deep × 40 high, plan 60 wide × 20 deep; at 60 along the longest,
    the grid is 60 × 20 × 40 (x, y, z)."""
    def figure(rows, cols, at):
        image = np.zeros((rows + at[0] + 5, cols + at[1] + 5), bool)
        image[at[0]:at[0] + rows, at[1]:at[1] + cols] = True
        return image
    g = visual_hull.grid(figure(40, 60, (10, 30)), figure(40, 20, (25, 3)), figure(20, 60, (40, 7)), resolution=60)
    assert g.shape == (60, 20, 40)
    deep = visual_hull.grid(figure(10, 20, (3, 4)), figure(10, 60, (5, 2)), figure(60, 20, (2, 9)), resolution=60)
    assert deep.shape == (20, 60, 10)                 # the depth is the longest: 60 cells along y
    flat = visual_hull.grid(figure(1, 60, (3, 4)), figure(1, 60, (5, 2)), figure(60, 60, (2, 9)), resolution=60)
    assert flat.shape == (60, 60, 2)                  # 1 px high: two cells, the fewest an axis gets


def test_opening_by_distances_is_scipys_opening_with_a_disk():
    """sheets._opened (distances, for a large disk) against scipy's binary opening with the same disk:
    seeded random masks and radii, figures touching the border and none at all."""
    from scipy import ndimage
    rng = np.random.default_rng(5)
    for _ in range(150):
        h, w = rng.integers(3, 60, 2)
        r = int(rng.integers(1, 10))
        mask = ndimage.binary_dilation(rng.random((h, w)) < rng.uniform(0.0, 0.5), iterations=int(rng.integers(0, 4)))
        assert np.array_equal(sheets._opened(mask, r), ndimage.binary_opening(mask, structure=sheets._disk(r)))


def _strokes(shape, starts, length, dy, dx):
    """1 px strokes of `length` pixels from each (row, column) start, one pixel a step along (dy, dx)."""
    colour = np.zeros(shape, bool)
    for r, c in starts:
        colour[r + dy * np.arange(length), c + dx * np.arange(length)] = True
    return colour


@pytest.mark.parametrize("dx", [1, -1])
def test_hatching_leaning_either_way_is_hatched(dx):
    """Ten 45° strokes of 30 px, 10 px apart, leaning right or left: 26 pixel pairs 4 px apart along
    each stroke's own diagonal (260), none across to the next stroke or along the axes."""
    starts = [(10, 10 + 10 * k) if dx == 1 else (10, 39 + 10 * k) for k in range(10)]
    colour = _strokes((50, 140), starts, 30, 1, dx)
    assert sheets._is_hatched(colour)


@pytest.mark.parametrize("vertical", [False, True])
def test_diagonal_strokes_among_more_straight_lines_are_not_hatching(vertical):
    """Five 45° strokes of 60 px (56 pairs 4 px apart each: 280) beside five straight lines of 80 px
    along one axis (76 pairs each: 380). 280 is under 1.5 × 380, so this is not hatching, whichever
    axis the straight lines run along."""
    shape = (200, 200)
    diagonal = _strokes(shape, [(10, 10 + 12 * k) for k in range(5)], 60, 1, 1)
    straight = _strokes(shape, [(100 + 15 * k, 100) for k in range(5)], 80, 0, 1)
    colour = diagonal | (straight.T if vertical else straight)
    assert colour.sum() == 700
    assert not sheets._is_hatched(colour)


def test_hatching_is_read_from_pixels_four_apart():
    """Forty 45° dashes of 5 px: each holds exactly one pair of pixels 4 px apart along it, and none
    5 px apart; with nothing along the axes that is hatching."""
    starts = [(10 + 10 * i, 10 + 10 * j) for i in range(5) for j in range(8)]
    colour = _strokes((70, 100), starts, 5, 1, 1)
    assert colour.sum() == 200 and sheets._is_hatched(colour)


def test_an_opening_is_a_boolean_mask_even_when_nothing_survives():
    """An empty mask, and a line 1 px thick that a disk of radius 3 never fits, open to nothing, in booleans."""
    empty = np.zeros((20, 20), bool)
    thin = empty.copy()
    thin[5, 2:18] = True
    for mask in (empty, thin):
        out = sheets._opened(mask, 3)
        assert out.dtype == bool and not out.any()


def test_hatching_needs_more_than_one_and_a_half_diagonal_pairs_per_axial_one():
    """Two straight lines of 104 px (100 pairs 4 px apart each: 200) and five 45° strokes of 64 px
    (60 pairs each: 300): exactly 1.5 times, not hatching. One pixel more on one stroke (301): hatching."""
    shape = (200, 200)
    straight = _strokes(shape, [(150, 10), (170, 10)], 104, 0, 1)
    diagonal = _strokes(shape, [(10, 10 + 14 * k) for k in range(5)], 64, 1, 1)
    assert not sheets._is_hatched(straight | diagonal)
    diagonal[74, 74] = True                                 # the first stroke one pixel longer
    assert sheets._is_hatched(straight | diagonal)


def test_a_lattice_of_ink_round_separate_paper_squares_is_a_qr_code():
    """The reverse of the grid above: 400 white 3 × 3 squares in a black lattice a pixel wide. 44 % ink
    in one piece, and 400 pieces of paper: the paper's pieces count too."""
    ink = ~np.kron(np.ones((20, 20), bool), np.pad(np.ones((3, 3), bool), ((0, 1), (0, 1))))
    assert sheets._pieces(ink) == 1 and sheets._pieces(~ink) == 400 and ink.mean() > 0.4
    assert sheets._is_qr_code(ink, np.ones(ink.shape, bool))


@pytest.mark.parametrize("a, b, share", [
    ((10, 20), (15, 40), 0.5),     # 5 shared over the shorter, 10
    ((10, 40), (30, 35), 1.0),     # the second lies inside the first
    ((0, 10), (20, 30), 0.0),      # apart
    ((0, 1), (0, 5), 1.0),         # one pixel, shared
    ((5, 5), (0, 10), 0.0),        # empty
])
def test_overlap_is_the_shared_span_over_the_shorter_one(a, b, share):
    assert sheets._overlap(*a, *b) == share


def test_a_qr_code_needs_more_than_30_pieces_of_ink_and_paper():
    """30 black 3 × 3 squares a pixel apart and their one piece of paper: 31 pieces, a QR code; one
    square fewer, 30 pieces, not."""
    cell = np.pad(np.ones((3, 3), bool), ((0, 1), (0, 1)))
    grid = np.kron(np.ones((5, 6), bool), cell)
    blob = np.ones(grid.shape, bool)
    assert sheets._pieces(grid) + sheets._pieces(~grid) == 31 and sheets._is_qr_code(grid, blob)
    grid[:4, :4] = False
    assert sheets._pieces(grid) + sheets._pieces(~grid) == 30 and not sheets._is_qr_code(grid, blob)


def test_views_5_px_apart_on_a_small_sheet_stay_two_views():
    """On an 800 × 600 sheet the closing that joins a view's broken outline is a disk of radius 2: a
    side view drawn 5 px right of the front is not joined to it and stays a view of its own."""
    img, draw = _three_views()
    draw.rectangle((380, 300, 520, 420), fill="white")
    draw.rectangle((326, 300, 466, 420), outline="black", width=3)
    assert _boxes_and_roles(img) == THREE_VIEWS[:2] + [((326, 300, 467, 421), "side")]


def test_a_coloured_logo_with_no_black_outline_is_no_view_and_the_views_after_it_are_still_read():
    """A red block 150 × 60 px at the sheet's top left, drawn before every view in reading order: no
    black ink bounds it, so it is a logo, passed over, and the three views are read as ever."""
    img, draw = _three_views()
    draw.rectangle((10, 5, 159, 64), fill=(220, 40, 40))
    assert _boxes_and_roles(img) == THREE_VIEWS


def test_thick_coloured_bands_across_a_view_do_not_make_it_a_render():
    """The front crossed by red bands 3 px thick, 3 px apart (half its area): thinner than the disk a
    render's fill must hold (radius 2 on this sheet), so it stays the front."""
    img, draw = _three_views()
    for y in range(306, 416, 6):
        draw.rectangle((86, y, 314, y + 2), fill=(220, 40, 40))
    assert _boxes_and_roles(img) == THREE_VIEWS


@pytest.mark.parametrize("colour", [(220, 40, 40), (40, 40, 220)])
def test_a_view_hatched_in_colour_is_a_section(colour):
    """The right view filled with 45° red or blue strokes 8 px apart: a hatched cut face, so a section
    where the side view would be."""
    img, draw = _three_views()
    hatched = Image.new("RGB", img.size, "white")
    pen = ImageDraw.Draw(hatched)
    for k in range(160, 520, 8):
        pen.line((k, 420, k + 120, 300), fill=colour, width=1)
    inside = np.zeros((img.size[1], img.size[0]), bool)
    inside[303:418, 383:518] = True
    sheet = np.where(inside[..., None], np.asarray(hatched), np.asarray(img))
    assert _boxes_and_roles(Image.fromarray(sheet)) == THREE_VIEWS[:2] + [((380, 300, 521, 421), "section")]


def test_a_small_coloured_spot_inside_a_view_does_not_make_it_a_render():
    """A red dot 20 px across inside the front fills a few percent of it, under the 15 % a render
    needs."""
    img, draw = _three_views()
    draw.ellipse((150, 340, 169, 359), fill=(220, 40, 40))
    assert _boxes_and_roles(img) == THREE_VIEWS


def test_a_qr_code_first_in_reading_order_is_passed_over_and_the_views_after_it_are_read():
    img, draw = _three_views()
    for y in range(5, 69, 4):
        for x in range(10, 74, 4):
            draw.rectangle((x, y, x + 2, y + 2), fill="black")
    assert _boxes_and_roles(img) == THREE_VIEWS


def test_the_frame_is_measured_by_its_own_rows_and_columns():
    """On a 1000 × 500 sheet: a border from column 60 to 939 and row 20 to 479 spans 88 % of the width
    and 92 % of the height, so it goes; a rule along the top right, 900 px long but 2 px high, and one
    down the right, 480 px high but 2 px wide, are not frames and stay."""
    marks = np.zeros((500, 1000), bool)
    marks[20, 60:940] = marks[479, 60:940] = marks[20:480, 60] = marks[20:480, 939] = True
    marks[5:7, 95:995] = True
    marks[10:490, 960:962] = True
    kept = sheets.remove_frame(marks)
    assert not kept[20:480, 60:940].any()
    assert kept[5:7, 95:995].all() and kept[10:490, 960:962].all()


def test_title_block_cells_are_measured_by_their_own_rows_and_an_l_shaped_cell_keeps_the_one_it_wraps():
    """On a 500 × 1000 sheet a title block cell at the bottom right, 97 × 297 px, is a cell wherever it
    sits, and a panel right of a divider at 40 % of the width is not. In a 100 px sheet, a block split
    into a small cell at its top left (rows 61–69, columns 60–69) and an L-shaped cell round it: the
    L's box covers the small cell, which is still a cell."""
    def border():
        marks = np.zeros((500, 1000), bool)
        marks[1, 1:999] = marks[498, 1:999] = marks[1:499, 1] = marks[1:499, 998] = True
        return marks
    wide = border()
    wide[400, 700:999] = wide[400:499, 700] = True
    expected = np.zeros_like(wide)
    expected[401:498, 701:998] = True
    assert np.array_equal(sheets._title_block_area(wide), expected)
    panels = border()
    panels[1:499, 400] = True                            # the border split into two panels, 40 % and 60 %
    assert not sheets._title_block_area(panels).any()    # each a quarter of the sheet or more: no cell
    frame = np.zeros((100, 100), bool)
    frame[1, 1:99] = frame[98, 1:99] = frame[1:99, 1] = frame[1:99, 98] = True
    frame[60, 59:99] = frame[60:99, 59] = True           # the block
    frame[70, 59:71] = frame[60:71, 70] = True           # the small cell's bottom and right
    expected = np.zeros_like(frame)
    expected[61:98, 60:98] = True
    expected[70, 59:71] = expected[60:71, 70] = False
    assert np.array_equal(sheets._title_block_area(frame), expected)


def test_a_rods_end_view_lines_up_by_its_own_columns_wherever_the_rod_sits():
    """The rod sheet with 100 rows of paper added on top: the end circle's first row (172) is far from
    its first column (71); it still shares the front's columns, so it is the plan."""
    low = np.pad(rod_sheet(), ((100, 0), (0, 0), (0, 0)), constant_values=1.0)
    assert sorted((v.box, v.role) for v in sheets.find_views(low)) == [
        ((71, 172, 105, 206), "top"), ((71, 299, 105, 681), "front"), ((198, 299, 232, 681), "side")]


def test_a_larger_mark_that_lines_up_with_nothing_does_not_stop_the_search_for_the_end_view():
    """A 36 px ring off to the side, larger than the rod's 34 px end circle and so tried first, lines
    up with no view; the end circle is tried next and is the plan."""
    im = Image.fromarray((rod_sheet() * 255).astype(np.uint8))
    ImageDraw.Draw(im).ellipse((240, 20, 275, 55), outline="black", width=3)
    found = {v.role: v.box for v in sheets.find_views(np.asarray(im, np.float32) / 255)}
    assert set(found) == {"front", "top", "side"} and found["top"][:2] == (71, 72)


def _ring(shape, inset):
    """A 1 px rectangle `inset` pixels inside an array of `shape`."""
    ring = np.zeros(shape, bool)
    ring[inset:shape[0] - inset, inset:shape[1] - inset] = True
    ring[inset + 1:shape[0] - inset - 1, inset + 1:shape[1] - inset - 1] = False
    return ring


@pytest.mark.parametrize("inset, outlined", [(0, True), (2, True), (3, False)])
def test_a_figures_edge_is_drawn_where_ink_lies_within_two_pixels_of_it(inset, outlined):
    """A 12 × 300 px figure and a 1 px ring `inset` pixels inside its edge. 2 px in, only the corners'
    few edge pixels (12 of 620) are farther than 2 px (counted along the axes): outlined. 3 px in, no
    edge pixel is within 2 px of the ink."""
    blob = np.ones((12, 300), bool)
    assert bool(sheets._outlined(blob, _ring(blob.shape, inset))) is outlined


def test_a_figure_inked_along_one_side_or_not_at_all_is_not_outlined():
    blob = np.ones((12, 300), bool)
    top = np.zeros_like(blob)
    top[0] = True
    assert not sheets._outlined(blob, top)              # within reach of 304 of 620 edge pixels
    assert not sheets._outlined(blob, np.zeros_like(blob))
    assert not sheets._outlined(np.zeros_like(blob), top)   # no figure, no edge


def test_a_figure_is_outlined_with_ink_beside_95_percent_of_its_edge():
    """A figure one row of 20 px (every pixel is edge) and ink on its first 17 (or 16) pixels: within
    2 px of 19 of the 20, 95 %, it is outlined; of 18 it is not."""
    blob = np.ones((1, 20), bool)
    ink = np.zeros_like(blob)
    ink[0, :17] = True
    assert sheets._outlined(blob, ink)
    ink[0, 16] = False
    assert not sheets._outlined(blob, ink)


@pytest.mark.parametrize("shift, lined_up", [(0, True), (5, True), (6, False)])
def test_a_small_views_ends_may_sit_5_percent_of_its_span_from_the_views_it_lines_up_with(shift, lined_up):
    """A front and its plan; a mark 100 rows high beside the front, moved down `shift` rows: 5 % of its
    span (5 px) is allowed, more than the 3 px allowed any small view, so moved by 5 px it is the side,
    by 6 px it lines up with nothing."""
    views = _front_and_plan()
    mark = _view((350, 300 + shift, 380, 400 + shift), "unknown")
    sheets._add_small_view(views, [mark])
    assert (mark in views and mark.role == "side") is lined_up


def test_of_two_small_marks_lined_up_with_the_front_the_one_with_more_ink_is_the_side():
    """Both marks span the front's rows and either alone would be its side (checked): the larger
    (30 px wide) is taken over the smaller (20 px wide), whichever comes first."""
    narrow = _view((400, 300, 420, 400), "unknown")
    views = _front_and_plan()
    sheets._add_small_view(views, [narrow])
    assert views[-1] is narrow and narrow.role == "side"
    narrow.role = "unknown"
    wide = _view((350, 300, 380, 400), "unknown")
    views = _front_and_plan()
    sheets._add_small_view(views, [narrow, wide])
    assert views[-1] is wide and wide.role == "side" and narrow not in views and narrow.role == "unknown"


def test_a_small_shaded_spot_outlined_on_one_half_is_no_end_view():
    """The rod sheet with its end circle replaced by a grey disc of the same size whose outline is
    drawn on its upper half only: its ink spans the front's columns, but the spot is not outlined all
    round, so it is no view and the rod keeps two untagged views."""
    im, draw = _rod_without_end()
    draw.ellipse((71, 72, 104, 105), fill=(150, 150, 150))
    draw.arc((71, 72, 104, 105), 180, 360, fill="black", width=3)
    assert _boxes_and_roles(im) == [((71, 199, 105, 581), "unknown"), ((198, 199, 232, 581), "unknown")]


def test_no_small_mark_is_added_once_the_front_plan_and_side_are_found():
    """The rod sheet with a large plan 5 px to the right of the front's columns, and the end circle
    moved above it, on the front's columns exactly: the three large views are the front, plan and
    side, and the small circle is not added, though it lines up better than the plan."""
    im, draw = _rod_without_end()
    draw.rectangle((76, 100, 109, 160), outline="black", width=3)
    draw.ellipse((71, 20, 104, 53), outline="black", width=3)
    assert _boxes_and_roles(im) == [((71, 199, 105, 581), "front"), ((76, 100, 110, 161), "top"),
                                    ((198, 199, 232, 581), "side")]


def _diamond(draw, cx, cy, r):
    """A square turned 45°, its corners `r` px from (cx, cy), drawn with a 1 px pen: 4r pixels of ink
    in a box 2r + 1 px square, fewer than the box's height and width together."""
    draw.polygon([(cx, cy - r), (cx + r, cy), (cx, cy + r), (cx - r, cy)], outline="black")


def test_a_side_view_drawn_1_px_as_a_square_turned_45_degrees_is_found():
    """A front and its plan drawn 1 px, and beside the front a square bar's end turned 45°, 121 px
    across, drawn 1 px (240 px of ink in a 121 × 121 box): it is the side view."""
    img = Image.new("RGB", (800, 600), "white")
    draw = ImageDraw.Draw(img)
    draw.rectangle((80, 300, 320, 420), outline="black")
    draw.rectangle((80, 80, 320, 240), outline="black")
    _diamond(draw, 450, 360, 60)
    assert _boxes_and_roles(img) == [((80, 80, 321, 241), "top"), ((80, 300, 321, 421), "front"),
                                     ((390, 300, 511, 421), "side")]


def test_a_rods_end_drawn_1_px_as_a_square_turned_45_degrees_is_its_plan():
    """The rod sheet with its end circle replaced by a 1 px diamond 35 px across (68 px of ink in a
    35 × 35 px box), on the front's columns: it is the plan."""
    im, draw = _rod_without_end()
    _diamond(draw, 87, 88, 17)
    assert _boxes_and_roles(im) == [((70, 71, 105, 106), "top"), ((71, 199, 105, 581), "front"),
                                    ((198, 199, 232, 581), "side")]
