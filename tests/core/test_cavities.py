"""Holes, slots, pockets and hollows read from the lines inside three views (core/cavities.py), through
the sheet path an artist uses (pipeline.sheet). Expected solids come from the generated parts' exact
geometry (benchmarks/three_view_parts.py), never from the carving under test."""
import numpy as np
import pytest
from PIL import Image, ImageDraw
from scipy import ndimage

from benchmarks import three_view_parts as parts
from depthy_blender.core import cavities, visual_hull
from depthy_blender.pipeline import sheet


def solid_of(path, **kw):
    request = sheet.SheetRequest(str(path), "inflate", solid=True, resolution=24, **kw)
    outcome = sheet.compute(request, lambda f, s: None, lambda: False)
    assert outcome.solid is not None, outcome.messages
    return outcome.solid


def genus(solid) -> int:
    """From the closed mesh's Euler characteristic: V − E + F = 2 − 2g."""
    f = solid.faces
    edges, count = np.unique(np.sort(np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]]), axis=1),
                             axis=0, return_counts=True)
    assert (count == 2).all(), "the mesh is not closed"
    chi = len(np.unique(f)) - len(edges) + len(f)
    return (2 - chi) // 2


def test_plate_with_two_through_holes_drawn_with_hidden_lines_has_genus_two(tmp_path):
    part = parts.plate_with_holes(2)
    parts.save_sheet(part, tmp_path / "plate.png")
    solid = solid_of(tmp_path / "plate.png")
    assert ndimage.label(solid.occupancy)[1] == 1
    assert genus(solid) == 2
    assert genus(solid_of(tmp_path / "plate.png", read_lines=False)) == 0    # the hull alone has no holes


def plate_dxf(path, width=120.0, depth=70.0, thick=10.0, radius=8.0, gap=30.0):
    """The same plate as a 1:1 mm DXF: outlines on VISIBLE, the holes' edges in the front and side
    views on HIDDEN with the HIDDEN linetype (drawn whole, as CAD exports them)."""
    ezdxf = pytest.importorskip("ezdxf")
    doc = ezdxf.new(setup=True)
    doc.header["$INSUNITS"] = 4
    doc.layers.add("VISIBLE")
    doc.layers.add("HIDDEN", linetype="HIDDEN")
    msp = doc.modelspace()

    def rect(x, y, w, h):
        msp.add_lwpolyline([(x, y), (x + w, y), (x + w, y + h), (x, y + h)], close=True,
                           dxfattribs={"layer": "VISIBLE"})

    def hidden(x0, y0, x1, y1):
        msp.add_line((x0, y0), (x1, y1), dxfattribs={"layer": "HIDDEN", "linetype": "HIDDEN"})
    xs = (width / 3, 2 * width / 3)
    rect(0, 0, width, thick)                                    # front
    rect(0, thick + gap, width, depth)                          # plan
    rect(width + gap, 0, depth, thick)                          # right view
    for x in xs:
        msp.add_circle((x, thick + gap + depth / 2), radius, dxfattribs={"layer": "VISIBLE"})
        for edge in (x - radius, x + radius):
            hidden(edge, 0, edge, thick)
    for edge in (depth / 2 - radius, depth / 2 + radius):      # both holes fall on the same lines
        hidden(width + gap + edge, 0, width + gap + edge, thick)
    doc.saveas(path)


def test_dxf_hidden_layer_gives_the_holes_and_true_size(tmp_path):
    plate_dxf(tmp_path / "plate.dxf")
    solid = solid_of(tmp_path / "plate.dxf")
    assert genus(solid) == 2
    assert np.ptp(solid.vertices[:, 0]) == pytest.approx(0.120, rel=0.01)


@pytest.fixture(scope="module")
def family_scores(tmp_path_factory):
    """(ours, hull alone) IoU against the exact solid for one part of each of the eight families."""
    folder = tmp_path_factory.mktemp("families")
    scores = []
    for seed in range(8):
        part = parts.generated(seed)
        parts.save_sheet(part, folder / f"{seed}.png")
        ours = solid_of(folder / f"{seed}.png").occupancy
        hull = solid_of(folder / f"{seed}.png", read_lines=False).occupancy
        scores.append((visual_hull.iou(ours, part.occupancy(ours.shape)),
                       visual_hull.iou(hull, part.occupancy(hull.shape))))
    return np.array(scores)


def test_generated_parts_come_out_close_to_their_true_solid(family_scores):
    ours, hull = family_scores.T
    # measured 0.986 … 0.999 (the outlines alone 0.542 … 0.959)
    assert ours.min() >= 0.98, ours
    assert (ours > hull + 0.03).all(), (ours, hull)


def test_a_boss_is_kept_though_its_lines_match_like_a_hole(tmp_path):
    """A plate with a solid boss: the boss's circle in the plan has matching edges in the other views,
    but cutting it would change the front and side outlines, so it stays."""
    part = parts.Part("boss", [parts.Box((-50, -30, 0), (50, 30, 10)), parts.Cylinder("z", (0, 0, 0), 15, 10, 30)])
    parts.save_sheet(part, tmp_path / "boss.png")
    occ = solid_of(tmp_path / "boss.png").occupancy
    truth = part.occupancy(occ.shape)
    assert visual_hull.iou(occ, truth) >= 0.93        # without the boss (a fifth of the volume): 0.81 at most
    top = occ.shape[2] - 1
    assert occ[:, :, top].sum() >= 0.8 * truth[:, :, top].sum()          # the boss's top is there


def test_a_cross_hole_breaking_through_a_step_is_cut(tmp_path):
    """A block with a hole along its length whose top (z = 25) rises above the floor of a step cut in its
    right end (z = 24): over the step the hole breaks out, so its hidden lines in the front view have no
    material above them there. It is still a hole: cut all along (measured 0.997; the outlines alone 0.887)."""
    part = parts.Part("breakout", [parts.Box((-45, -20, 0), (45, 20, 36))],
                      [parts.Cylinder("x", (0, 0, 18), 7, -46, 46), parts.Box((25, -21, 24), (46, 21, 37))])
    parts.save_sheet(part, tmp_path / "breakout.png")
    occ = solid_of(tmp_path / "breakout.png").occupancy
    truth = part.occupancy(occ.shape)
    assert visual_hull.iou(occ, truth) >= 0.98
    nx, ny, nz = occ.shape
    assert not occ[nx // 4, ny // 2, nz // 2] and not occ[nx - 3, ny // 2, nz // 2]   # the hole, both ends


def test_a_closed_hollow_seen_only_as_hidden_lines_is_cut(tmp_path):
    part = parts.Part("housing", [parts.Box((-40, -30, 0), (40, 30, 40))],
                      [parts.Box((-32, -22, 8), (32, 22, 32))])
    parts.save_sheet(part, tmp_path / "housing.png")
    occ = solid_of(tmp_path / "housing.png").occupancy
    truth = part.occupancy(occ.shape)
    assert visual_hull.iou(occ, truth) >= 0.9                            # the filled box scores 0.64
    assert not occ[occ.shape[0] // 2, occ.shape[1] // 2, occ.shape[2] // 2]


def dashed_circle(draw, centre, radius, dash=12, gap=7, width=2):
    steps = int(2 * np.pi * radius)
    for s in range(0, steps, dash + gap):
        a0, a1 = s / radius, min(s + dash, steps) / radius
        draw.arc([centre[0] - radius, centre[1] - radius, centre[0] + radius, centre[1] + radius],
                 np.degrees(a0), np.degrees(a1), fill=1, width=width)


def test_dashes_are_bridged_along_the_line_not_across_to_a_neighbour():
    """Two concentric dashed circles 14 px apart, inside a square outline: each circle closes into a
    region of its own (regions are filled: the inner disc, and the disc of the outer circle that holds
    the ring) — bridging joins each circle's dashes but never the two circles."""
    img = Image.new("1", (400, 400), 0)
    draw = ImageDraw.Draw(img)
    draw.rectangle([10, 10, 389, 389], outline=1, width=2)
    dashed_circle(draw, (200, 200), 120)
    dashed_circle(draw, (200, 200), 134)
    ink = np.asarray(img, bool)
    mask = ndimage.binary_fill_holes(ink)
    found = cavities.regions(ink, mask, bridge=12)
    areas = sorted(int(r.sum()) for r in found)
    assert len(found) == 2, areas
    assert areas[0] == pytest.approx(np.pi * 120 ** 2, rel=0.03)
    assert areas[1] == pytest.approx(np.pi * 134 ** 2, rel=0.03)
    assert cavities.regions(ink, mask, bridge=0) == []        # unbridged, the dashes close nothing


def test_masks_are_trimmed_to_the_outline_centre():
    """A 100 × 60 px figure drawn with a 2 px pen centred on its edges: filled, it spans 102 × 62;
    trimmed, 100 × 60 (pixel centres 0 … 99 inside the edge)."""
    ink = np.zeros((80, 120), bool)
    ink[9:11, 9:111] = ink[69:71, 9:111] = True        # rows 10 … 69 inside, the pen straddling each edge
    ink[9:71, 9:11] = ink[9:71, 109:111] = True
    mask = ndimage.binary_fill_holes(ink)
    trimmed = cavities.to_line_centres(mask, ink)
    ys, xs = np.nonzero(trimmed)
    assert (ys.max() - ys.min() + 1, xs.max() - xs.min() + 1) == (60, 100)
    assert cavities.pen_width(ink) == pytest.approx(2.0, abs=0.2)


def stepped_block_sheet(pen: int):
    """A stepped block drawn third-angle, every edge a `pen`-pixel stroke centred on its true place
    (pixel centres are whole numbers). Between edge centres: front 200 wide × 120 high with the right
    80 px stepped down to 47 px, plan 200 × 80 above it, right view 80 × 120 beside it."""
    ink = np.zeros((330, 420), bool)

    def h(row, c0, c1):        # a horizontal edge along row `row` (a pen's centre), columns c0 … c1
        ink[int(np.floor(row - (pen - 1) / 2)):int(np.floor(row - (pen - 1) / 2)) + pen,
            int(np.floor(c0 - (pen - 1) / 2)):int(np.ceil(c1 + (pen - 1) / 2)) + 1] = True

    def v(col, r0, r1):
        ink[int(np.floor(r0 - (pen - 1) / 2)):int(np.ceil(r1 + (pen - 1) / 2)) + 1,
            int(np.floor(col - (pen - 1) / 2)):int(np.floor(col - (pen - 1) / 2)) + pen] = True
    o = (pen - 1) / 2 + 20                     # the pen's centre: between pixels for an even pen
    top, front = o, o + 80 + 60
    h(top, o, o + 200), h(top + 80, o, o + 200), v(o, top, top + 80), v(o + 200, top, top + 80)   # plan
    h(front, o, o + 120), v(o, front, front + 120), h(front + 120, o, o + 200)                    # front
    v(o + 120, front, front + 120 - 47), h(front + 120 - 47, o + 120, o + 200), v(o + 200, front + 120 - 47, front + 120)
    s0 = o + 200 + 60                          # the right view
    h(front, s0, s0 + 80), h(front + 120, s0, s0 + 80), v(s0, front, front + 120), v(s0 + 80, front, front + 120)
    return np.where(ink, 0, 255).astype(np.uint8)


def stepped_block_solid(path, resolution):
    from depthy_blender.core import images, sheets
    found = {v.role: v for v in sheets.find_views(images.load_image(path).rgba[..., :3])}
    views = [found[r] for r in ("front", "side", "top")]
    return visual_hull.from_sheet_views([v.mask for v in views], [v.box for v in views], resolution,
                                        inks=[v.ink for v in views], adapt=False).occupancy


@pytest.mark.parametrize("pen", [1, 2, 3])
def test_an_inner_edge_lands_where_it_is_drawn(tmp_path, pen):
    """The step's layers, at many resolutions, are the cells whose centres lie below the step edge's
    drawn centre (47 of 120 px): counted from the drawing, not from the solid. Cells whose centre lies
    within a tenth of a cell of that edge are left out of the count, as a drawing does not say which
    side they fall. Trimmed to whole pixels (the way before), one- and three-pixel pens missed by a layer."""
    path = tmp_path / "step.png"
    Image.fromarray(np.stack([stepped_block_sheet(pen)] * 3, -1)).save(path)
    checked = 0
    for resolution in range(100, 260, 5):        # 0.6 × resolution cells up: a whole number
        occ = stepped_block_solid(path, resolution)
        nx, ny, nz = occ.shape
        assert (nx, nz) == (resolution, round(0.6 * resolution))
        edge = 47 / 120 * nz                     # the step's edge, in cells up from the bottom
        if abs(edge - np.floor(edge) - 0.5) < 0.1:
            continue
        layers = occ[int(0.85 * nx), ny // 2].sum()
        assert layers == int(np.floor(edge + 0.5)), (resolution, edge, layers)
        assert occ[int(0.3 * nx), ny // 2].sum() == nz
        checked += 1
    assert checked >= 15


def test_resolution_gives_a_thin_tab_three_voxels():
    """A 250 mm part with a 3 mm sheet-metal tab (4 px per mm): at the default 128 the tab would be one
    and a half voxels; the chosen resolution gives it at least three, and the budget caps it."""
    ppm = 4
    front = np.zeros((40 * ppm, 250 * ppm), bool)
    front[-20 * ppm:, :] = True                         # a 20 mm base
    front[:, 100 * ppm:103 * ppm] = True                # the 3 mm tab standing up from it
    side = np.zeros((40 * ppm, 60 * ppm), bool)
    side[:, :] = True
    top = np.ones((60 * ppm, 250 * ppm), bool)
    n = visual_hull.resolution_for((front, side, top), least=128)
    assert n * 3 / 250 >= 3 * 0.95 and n <= 512
    assert visual_hull.resolution_for((front, side, top), least=128, budget=500_000) < n
    assert visual_hull.resolution_for((front, side, top), least=128, budget=500_000) >= 128


def test_a_turned_step_is_round_not_square(tmp_path):
    """A shaft stepped from Ø80 to Ø40: the hull of its outlines is square in plan above the step; the
    plan's inner circle, matched by the front and side outlines above the step, rounds it."""
    part = parts.Part("step", [parts.Cylinder("z", (0, 0, 0), 40, 0, 20), parts.Cylinder("z", (0, 0, 0), 20, 20, 50)])
    parts.save_sheet(part, tmp_path / "step.png")
    ours = solid_of(tmp_path / "step.png").occupancy
    hull = solid_of(tmp_path / "step.png", read_lines=False).occupancy
    # square above the step, the hull can reach only 138 / 148.5 = 0.93 (cylinder volumes by hand)
    assert visual_hull.iou(hull, part.occupancy(hull.shape)) <= 0.935
    assert visual_hull.iou(ours, part.occupancy(ours.shape)) >= 0.97
    nx, ny, nz = ours.shape
    corner = ours[int(nx * 0.3), int(ny * 0.3), nz - 2]        # (−16, −16) mm: in the square, out of the Ø40 circle
    assert not corner and ours[nx // 2, ny // 2, nz - 2]


def test_a_thin_plate_seen_edge_on_still_has_its_views(tmp_path):
    """A 150 × 100 × 3 mm plate with a hole: its front and side views are strips about 8 px high on the
    sheet, thinner than any text line the view finder skips, and its plan and side view agree on the
    depth only to a pixel or two; the solid is still built, with its hole."""
    part = parts.Part("thin", [parts.Box((-75, -50, 0), (75, 50, 3))], [parts.Cylinder("z", (20, 10, 0), 8, -1, 4)])
    parts.save_sheet(part, tmp_path / "thin.png")
    solid = solid_of(tmp_path / "thin.png")
    assert visual_hull.iou(solid.occupancy, part.occupancy(solid.occupancy.shape)) >= 0.85
    assert genus(solid) == 1


def _cross_grown(pixels, shape):
    """The pixels and their four neighbours inside the image: one step of a cross-shaped dilation."""
    grown = set(pixels)
    for y, x in pixels:
        grown |= {(y + dy, x + dx) for dy, dx in ((1, 0), (-1, 0), (0, 1), (0, -1))
                  if 0 <= y + dy < shape[0] and 0 <= x + dx < shape[1]}
    return grown


@pytest.mark.parametrize("stroke, gap, drawn_on", [
    # a 1 px stroke, columns 5–20 of row 10, drawn on 6 px at each end: to column 26, and to column −1
    # (cut at the image's edge)
    ([(10, x) for x in range(5, 21)], 6, [(10, x) for x in range(21, 27)] + [(10, x) for x in range(0, 5)]),
    # a 45° stroke (5, 5)–(15, 15), drawn on 4 px along its own slope: 4/√2 = 2.8 → 3 steps each way
    ([(i, i) for i in range(5, 16)], 4, [(16, 16), (17, 17), (18, 18), (4, 4), (3, 3), (2, 2)]),
    # the same drawn on 12 px: 8.5 → 8 steps each way, the upper one cut at the image's corner
    ([(i, i) for i in range(5, 16)], 12, [(i, i) for i in range(16, 24)] + [(i, i) for i in range(0, 5)]),
    # three pixels are enough to have a direction
    ([(10, 9), (10, 10), (10, 11)], 6, [(10, x) for x in range(12, 18)] + [(10, x) for x in range(3, 9)]),
    # a vertical stroke whose upper end is drawn on past the image's top
    ([(y, 10) for y in range(3, 16)], 6, [(y, 10) for y in range(0, 3)] + [(y, 10) for y in range(16, 22)]),
    # strokes ending on the image's bottom and right edges: only their other ends are drawn on
    ([(y, 10) for y in range(20, 30)], 6, [(y, 10) for y in range(14, 20)]),
    ([(10, x) for x in range(30, 40)], 6, [(10, x) for x in range(24, 30)]),
])
def test_a_stroke_is_drawn_on_along_its_own_direction_by_the_gap(stroke, gap, drawn_on):
    shape = (30, 40)
    lines = np.zeros(shape, bool)
    lines[tuple(np.array(stroke).T)] = True
    out = cavities.bridged(lines, gap)
    expected = np.zeros(shape, bool)
    # a 1 px pen: the drawn-on pixels are widened by one cross-shaped step, the stroke stays as drawn
    expected[tuple(np.array(sorted(_cross_grown(drawn_on, shape))).T)] = True
    expected |= lines
    assert np.array_equal(out, expected)


def test_a_stroke_too_short_to_have_a_direction_is_left_as_it_is():
    lines = np.zeros((20, 20), bool)
    lines[10, 9:11] = True          # two pixels: no third to walk back to
    assert np.array_equal(cavities.bridged(lines, 6), lines)


def _region(a, b, axis="x"):
    cells = np.zeros((4, 40), bool)
    cells[:, a:b + 1] = True
    return cavities.Region(cells, {axis: (a, b)})


def test_a_region_lies_within_an_extent_up_to_the_tolerance_and_no_further():
    t = cavities.TOLERANCE   # 2 cells
    assert cavities._within(_region(10 - t, 20 + t), "x", 10, 20)
    assert not cavities._within(_region(10 - t - 1, 20), "x", 10, 20)
    assert not cavities._within(_region(10, 20 + t + 1), "x", 10, 20)


def test_matching_regions_must_reach_both_ends_within_the_tolerance():
    t = cavities.TOLERANCE
    union = cavities._matching([_region(10 + t, 15), _region(15, 20 - t)], "x", 10, 20)
    assert union is not None and union[:, 10 + t:20 - t + 1].all() and not union[:, :10 + t].any()
    assert cavities._matching([_region(10 + t + 1, 20)], "x", 10, 20) is None   # stops short at the start only
    assert cavities._matching([_region(10, 20 - t - 1)], "x", 10, 20) is None   # … at the end only
    assert cavities._matching([_region(30, 35)], "x", 10, 20) is None           # nothing within


def _flank_case(missing_cols=(), rows=(5,), missing_cells=()):
    """A region two cells wide (columns 10–11) in the given rows; the cells beside it along the columns,
    one to three steps out (TOLERANCE + 1), are columns 7–9 and 12–14. The other view's outline covers
    every cell but the region's own, the missing columns and the missing cells."""
    seen = np.zeros((12, 30), bool)
    for r in rows:
        seen[r, 10:12] = True
    outline = ~seen
    outline[:, list(missing_cols)] = False
    for cell in missing_cells:
        outline[cell] = False
    return seen, outline


@pytest.mark.parametrize("missing, flanked", [
    ((), True),             # the figure on both sides
    ((9,), True),           # 1 of 6 beside cells off the figure: within the slack (a quarter)
    ((9, 12), False),       # the two nearest: 2 of 6
    ((7, 8), False),        # one side's two farther cells: 2 of 6
    ((8, 13), False),
    ((6, 15), True),        # four steps out is not beside
])
def test_flanked_counts_the_cells_one_to_three_steps_either_side(missing, flanked):
    seen, outline = _flank_case(missing)
    assert cavities._flanked(seen, 1, outline) == flanked


def test_flanked_allows_exactly_a_quarter_of_the_beside_cells_off_the_figure():
    # two rows: 12 cells beside; 3 missing is exactly the slack, 4 is more
    three = [(5, 7), (5, 8), (6, 7)]
    seen, outline = _flank_case(rows=(5, 6), missing_cells=three)
    assert cavities._flanked(seen, 1, outline)
    seen, outline = _flank_case(rows=(5, 6), missing_cells=three + [(6, 8)])
    assert not cavities._flanked(seen, 1, outline)
    assert not cavities._flanked(np.zeros((12, 30), bool), 1, np.ones((12, 30), bool))   # no region, no flanks


def test_flanked_looks_one_step_out_from_a_one_cell_region():
    """A region one cell wide (column 10): beside it are columns 7–9 and 11–13; the nearest two off the
    figure are 2 of 6, more than the slack."""
    seen = np.zeros((12, 30), bool)
    seen[5, 10] = True
    outline = ~seen
    outline[:, [9, 11]] = False
    assert not cavities._flanked(seen, 1, outline)
    outline[:, [9, 11]] = True
    outline[:, [7, 13]] = False
    assert not cavities._flanked(seen, 1, outline)
    outline[:, 13] = True
    assert cavities._flanked(seen, 1, outline)


def _boss_on_plate(extra=()):
    """[x, y, z] cells, 40³: a plate (z 0–9) and a square boss standing on it (x, y 10–20, z 10–19),
    plus any extra boxes ((x0, x1), (y0, y1), (z0, z1)), ends included."""
    occ = np.zeros((40, 40, 40), bool)
    occ[:, :, 0:10] = True
    occ[10:21, 10:21, 10:20] = True
    for (x0, x1), (y0, y1), (z0, z1) in extra:
        occ[x0:x1 + 1, y0:y1 + 1, z0:z1 + 1] = True
    return occ


def _outlines(occ):
    return {"front": occ.any(axis=1), "side": occ.any(axis=0), "top": occ.any(axis=2)}


def _expected_beside(cells_xy, levels):
    out = np.zeros((40, 40, 40), bool)
    for z in levels:
        out[:, :, z] = ~cells_xy
    return out


def test_beside_a_raised_boss_is_nothing_at_the_levels_where_the_other_views_span_it_exactly():
    cells = np.zeros((40, 40), bool)
    cells[10:21, 10:21] = True
    region = cavities.Region(cells, {"x": (10, 20), "y": (10, 20)})
    got = cavities._beside_raised(region, "top", _outlines(_boss_on_plate()))
    assert np.array_equal(got, _expected_beside(cells, range(10, 20)))
    # seen from the front instead (the same part turned so the boss faces the front: y is its height)
    turned = _boss_on_plate().transpose(0, 2, 1)
    region = cavities.Region(cells, {"x": (10, 20), "z": (10, 20)})
    got = cavities._beside_raised(region, "front", _outlines(turned))
    assert np.array_equal(got, _expected_beside(cells, range(10, 20)).transpose(0, 2, 1))


def test_a_level_spans_the_boss_within_the_tolerance_at_both_ends_in_both_other_views():
    t = cavities.TOLERANCE
    extra = [((10 - t, 20 + t), (10 + t, 20 - t), (20, 21)),   # a flange: off by exactly the tolerance
             ((10, 35), (10, 20), (22, 23)),                   # a rib: the front view's span runs on to 35
             ((10, 20), (10, 20), (24, 24))]                   # the boss again, above the rib
    occ = _boss_on_plate(extra)
    cells = np.zeros((40, 40), bool)
    cells[10:21, 10:21] = True
    region = cavities.Region(cells, {"x": (10, 20), "y": (10, 20)})
    got = cavities._beside_raised(region, "top", _outlines(occ))
    assert np.array_equal(got, _expected_beside(cells, [*range(10, 22), 24]))
    nowhere = cavities.Region(np.zeros((40, 40), bool), {"x": (0, 5), "y": (0, 5)})
    assert cavities._beside_raised(nowhere, "top", _outlines(occ)) is None


def test_a_region_is_inner_when_it_stays_a_cell_clear_of_the_outline():
    mask = np.zeros((20, 20), bool)
    mask[2:18, 2:18] = True                  # the figure; its outermost ring (rows/cols 2 and 17) is the edge
    region = np.zeros_like(mask)
    region[3:17, 3:17] = True                # touches nothing of that ring: inner
    assert cavities.inner(region, mask)
    region[3, 2] = True                      # one cell on the ring
    assert not cavities.inner(region, mask)
    full = np.ones((20, 20), bool)           # a figure filling the image: its edge is the image's border
    region = np.zeros_like(full)
    region[1:19, 1:19] = True
    assert cavities.inner(region, full) and not cavities.inner(full, full)
    assert not cavities.inner(region, full, margin=2)     # a two-cell edge band: rows/cols 1 and 18 are in it
    region[:] = False
    region[2:18, 2:18] = True
    assert cavities.inner(region, full, margin=2)


def test_a_regions_extent_runs_from_its_first_to_its_last_cell_on_each_axis():
    cells = np.zeros((30, 20), bool)         # a top view: rows are x, columns y
    cells[4:9, 6:16] = True
    region = cavities.on_plane(cells, "top")
    assert region.extent == {"x": (4, 8), "y": (6, 15)}
    assert cavities.on_plane(np.zeros((30, 20), bool), "front").extent == {"x": (0, -1), "z": (0, -1)}


def _kept_after(cut):
    """A full 20³ block, a top-view region over x, y 5–9, and whether the outlines survive `cut`."""
    occ = np.ones((20, 20, 20), bool)
    outline = {"front": occ.any(axis=1), "side": occ.any(axis=0), "top": occ.any(axis=2)}
    region = np.zeros((20, 20), bool)
    region[5:10, 5:10] = True
    after = occ.copy()
    cut(after)
    return cavities._outlines_kept(after, outline, "top", region)


@pytest.mark.parametrize("x, kept", [(4, True), (10, True), (3, False), (11, False)])
def test_an_outline_may_lose_cells_one_beside_the_regions_ends_and_no_further(x, kept):
    """The front view loses its column x above mid-height: forgiven one cell either side of the
    region's x extent 5–9 (the same edge placed by two views), not two."""
    def cut(occ):
        occ[x, :, 10:] = False
    assert _kept_after(cut) == kept


@pytest.mark.parametrize("y, kept", [(4, True), (3, False)])
def test_the_side_views_edges_are_read_along_its_own_axis(y, kept):
    def cut(occ):
        occ[:, y, 10:] = False
    assert _kept_after(cut) == kept


def test_a_single_lost_cell_is_within_the_slack_and_its_own_view_may_open_only_within_the_region():
    def one(occ):
        occ[15, :, 19] = False             # the front view loses one cell of 400: under 0.3 %
    assert _kept_after(one)

    def through(occ):
        occ[5:10, 5:10, :] = False         # a hole through: the top view opens within its region
    assert _kept_after(through)

    def beyond(occ):
        occ[5:10, 12:15, :] = False        # … but not 2 cells past it
    assert not _kept_after(beyond)


def test_a_regions_reach_runs_half_a_pen_past_its_last_pixel():
    """Along a row: the region's pixels are 0 px out, the next 1, 2, 3 … A pen 2 px wide has its centre
    line 1.5 px past the last region pixel's centre, so the field there is 0.5 + 1 − out: 1.5, 0.5,
    −0.5, −1.5. A 3 px pen reaches a further half pixel: 2.0, 1.0, 0.0, −1.0."""
    area = np.zeros((1, 10), bool)
    area[0, :5] = True
    assert np.array_equal(cavities.reach_field(area, 2.0)[0, 4:8], [1.5, 0.5, -0.5, -1.5])
    assert np.array_equal(cavities.reach_field(area, 3.0)[0, 4:8], [2.0, 1.0, 0.0, -1.0])
    assert cavities.reach_field(area, 2.0).dtype == np.float32


def _hole_views(front_outline):
    """A 10³ grid. The plan shows a square x 3–5, y 3–5; the front and side views show its matching
    edges through the whole height (x 3–5 and y 3–5, z 0–9); the side's outline is the whole plane and
    the front's is `front_outline`."""
    plan = np.zeros((10, 10), bool)
    plan[3:6, 3:6] = True
    band = np.zeros((10, 10), bool)
    band[3:6, :] = True
    found = {"top": [cavities.on_plane(plan, "top")], "front": [cavities.on_plane(band, "front")],
             "side": [cavities.on_plane(band, "side")]}
    outline = {"top": np.ones((10, 10), bool), "front": front_outline, "side": np.ones((10, 10), bool)}
    return found, outline


def test_a_cavity_is_the_product_of_its_views_only_when_each_other_view_has_flanked_matching_edges():
    found, outline = _hole_views(np.ones((10, 10), bool))
    region = found["top"][0]
    expected = np.zeros((10, 10, 10), bool)
    expected[3:6, 3:6, :] = True                          # the square drilled through the whole height
    cavity = cavities._cavity(region, "top", found, outline)
    assert np.array_equal(np.broadcast_to(cavity, expected.shape), expected)
    # the front's edges sit on its own outline, nothing beyond them: a raised part, not a hole
    found, outline = _hole_views(found["front"][0].cells.copy())
    assert cavities._cavity(region, "top", found, outline) is None
    # the front view shows no matching edges at all
    found, outline = _hole_views(np.ones((10, 10), bool))
    found["front"] = []
    assert cavities._cavity(region, "top", found, outline) is None


def test_a_figures_centre_field_by_hand():
    """A 3 × 5 block in a 5 × 7 image, drawn with a 1 px pen: the block's edge pixels are 1 from the
    paper, so they read 1 − 0.5 − 0.5 = 0 (the pen's centre); its middle row's inner pixels 2 − 1 = 1;
    the paper 0 − 1 = −1. The field has the image's own shape, in float32."""
    mask = np.zeros((5, 7), bool)
    mask[1:4, 1:6] = True
    field = cavities.centre_field(mask, 1.0)
    expected = np.full((5, 7), -1.0)
    expected[1:4, 1:6] = 0.0
    expected[2, 2:5] = 1.0
    assert field.dtype == np.float32 and field.tolist() == expected.tolist()


def test_a_given_pen_sets_the_trim_and_a_pen_under_two_trims_nothing():
    """A 9 × 9 block in a 15 px image, its outline drawn 1 px wide on its own edge pixels. A pen of 4 px
    trims 2 px off every side, whatever the drawn outline measures; a pen of 1 px rounds to half a pixel,
    nothing (scipy would erode a mask away if asked for 0 iterations)."""
    mask = np.zeros((15, 15), bool)
    mask[3:12, 3:12] = True
    ink = mask & ~ndimage.binary_erosion(mask)
    expected = np.zeros_like(mask)
    expected[5:10, 5:10] = True
    assert np.array_equal(cavities.to_line_centres(mask, ink, pen=4.0), expected)
    assert np.array_equal(cavities.to_line_centres(mask, ink, pen=1.0), mask)


def test_a_figure_filling_the_image_is_trimmed_from_the_images_edge_too():
    """Its outline is drawn on the image's outermost pixels, so those are half a 2 px pen: trimmed."""
    mask = np.ones((7, 7), bool)
    expected = np.zeros_like(mask)
    expected[1:6, 1:6] = True
    assert np.array_equal(cavities.to_line_centres(mask, mask, pen=2.0), expected)


def _drilled_block(holes):
    """A 12 × 12 × 10 block ([x, y, z]) and the three views' regions for square holes drilled straight
    down through it, each hole (x0, x1, y0, y1) in cells: the plan shows the square, the front and side
    its two edges through the whole height."""
    occupancy = np.ones((12, 12, 10), bool)
    planes = {"front": [], "side": [], "top": []}
    for x0, x1, y0, y1 in holes:
        plan = np.zeros((12, 12), bool)
        plan[x0:x1 + 1, y0:y1 + 1] = True
        front = np.zeros((12, 10), bool)
        front[x0:x1 + 1] = True
        side = np.zeros((12, 10), bool)
        side[y0:y1 + 1] = True
        planes["top"].append(plan)
        planes["front"].append(front)
        planes["side"].append(side)
    return occupancy, planes


def test_carve_cuts_each_hole_once_and_counts_the_cuts():
    holes = [(2, 4, 2, 4), (7, 9, 6, 9)]
    occupancy, planes = _drilled_block(holes)
    expected = occupancy.copy()
    for x0, x1, y0, y1 in holes:
        expected[x0:x1 + 1, y0:y1 + 1, :] = False
    carved, cut = cavities.carve(occupancy, planes)
    assert cut == 2 and np.array_equal(carved, expected)
    assert occupancy.all()                                     # the input is left as it was
    assert cavities.carve(occupancy, {"front": [], "side": [], "top": []})[1] == 0


def test_a_hole_inside_a_larger_hole_is_no_second_cut():
    """The larger region is tried first and takes the smaller one's cells with it; the smaller one then
    removes nothing, which is not a cut."""
    occupancy, planes = _drilled_block([(4, 7, 4, 7), (2, 9, 2, 9)])
    expected = occupancy.copy()
    expected[2:10, 2:10, :] = False
    carved, cut = cavities.carve(occupancy, planes)
    assert cut == 1 and np.array_equal(carved, expected)


def test_a_region_whose_hole_is_already_empty_still_cuts_beside_its_raised_part():
    """A plate with a round blind hole already empty (z 3–9) and four posts above it at the round
    region's corners (z 10–11). The region's hole piece removes nothing; its raised-part piece (the
    levels where the front and side outlines span exactly the region) takes the posts, which lie
    outside the round region."""
    occupancy = np.ones((12, 12, 12), bool)
    occupancy[:, :, 10:] = False
    round_ = np.zeros((12, 12), bool)
    round_[4:8, 4:8] = True
    for x, y in ((4, 4), (4, 7), (7, 4), (7, 7)):
        round_[x, y] = False
        occupancy[x, y, 10:] = True
    occupancy[round_, 3:10] = False
    front = np.zeros((12, 12), bool)
    front[4:8, 3:] = True
    side = front.copy()
    carved, cut = cavities.carve(occupancy, {"front": [front], "side": [side], "top": [round_]})
    expected = occupancy.copy()
    expected[:, :, 10:] = False
    assert cut == 1 and np.array_equal(carved, expected)


def test_dashes_one_pixel_apart_close_a_region_only_when_bridged():
    """A 40 × 40 figure split down the middle by dashes 4 px long, 1 px apart: by default nothing is
    bridged, so the paper runs through the gaps and the only region is the whole figure (left out);
    bridged by 1 px, the two halves are two regions."""
    mask = np.zeros((50, 50), bool)
    mask[5:45, 5:45] = True
    ink = mask & ~ndimage.binary_erosion(mask)
    for row in range(5, 45, 5):
        ink[row:row + 4, 25] = True
    assert cavities.regions(ink, mask) == []
    halves = cavities.regions(ink, mask, bridge=1)
    assert len(halves) == 2
    assert all(not (h[:, 26:]).any() or not (h[:, :25]).any() for h in halves)


def test_the_pen_is_the_inks_area_over_its_centre_lines_length():
    """A 1 px line is its own centre line: 1.0 exactly. A 3 px bar 40 long has a centre line a little
    shorter than 40 (its ends are rounded off), so about 3. No ink: the 1 px default."""
    ink = np.zeros((20, 50), bool)
    ink[10, 5:25] = True
    assert cavities.pen_width(ink) == 1.0
    ink[:] = False
    ink[9:12, 5:45] = True
    assert 2.9 <= cavities.pen_width(ink) <= 3.2
    assert cavities.pen_width(np.zeros((20, 50), bool)) == 1.0


@pytest.mark.parametrize("width, half", [(1, 1), (2, 1), (3, 2), (4, 2), (5, 3), (6, 3)])
def test_a_lines_half_width_is_its_middles_distance_to_the_paper(width, half):
    """Across a bar `width` px thick, the distances to the paper run 1, 2, … up to ⌈width / 2⌉ in its
    middle, and the middle is more than a tenth of the bar, so that is the half width; a long bar in a
    large sheet of paper, whose zeros do not count. No lines at all: 1."""
    lines = np.zeros((60, 100), bool)
    lines[20:20 + width, 10:90] = True
    assert cavities._line_width(lines) == half
    assert cavities._line_width(np.zeros((60, 100), bool)) == 1


@pytest.mark.parametrize("width, reach", [(1, 1), (5, 3)])
def test_a_region_grows_back_over_half_its_line(width, reach):
    """A 40 × 40 figure with no outline drawn, split by a line `width` px wide from column 23: the left
    region's paper ends at column 22 and grows back over the line's half width (1 px for a 1 px line,
    3 for 5 px) to column 22 + reach, never beyond the figure."""
    mask = np.zeros((50, 50), bool)
    mask[5:45, 5:45] = True
    ink = np.zeros_like(mask)
    ink[:, 23:23 + width] = True
    left = [r for r in cavities.regions(ink, mask) if r[:, 5].any()]
    assert len(left) == 1
    columns = np.nonzero(left[0].any(axis=0))[0]
    rows = np.nonzero(left[0].any(axis=1))[0]
    assert (columns[0], columns[-1]) == (5, 22 + reach)
    assert (rows[0], rows[-1]) == (5, 44)


def test_a_sub_pixel_region_is_a_float32_field_and_minus_one_off_the_figure():
    """Inside the figure the field is reach_field's (0.5 + pen / 2 on the region's own pixels, here a
    1 px pen: 1.0), falling by one a pixel out to 0 on the line's centre; off the figure it is −1, a
    pixel outside any centre line."""
    mask = np.zeros((50, 50), bool)
    mask[5:45, 5:45] = True
    ink = np.zeros_like(mask)
    ink[:, 25] = True
    fields = cavities.regions(ink, mask, sub_pixel=True)
    assert len(fields) == 2
    for field in fields:
        assert field.dtype == np.float32
        assert (field[~mask] == -1.0).all()
    (left,) = [f for f in fields if f[20, 10] > 0]
    assert (left[20, 10], left[20, 24], left[20, 25], left[20, 26]) == (1.0, 1.0, 0.0, -1.0)
