"""pipeline/sheet.py, the Sheet operator's work with no Blender in it, against a stand-in engine and a
stand-in carver whose answers are known: which views get a relief and how each is built, the sheet's
scale, the notes, progress and cancel, what the three-view carving is given and how its solid is sized,
and the extents the views must agree on (worked out by hand at the tolerance's exact ends)."""
import numpy as np
import pytest
from PIL import Image, ImageDraw

from depthy_blender.core import dxf, flip, images, proportion, relief, sheets, visual_hull
from depthy_blender.errors import DepthyError, OptionError
from depthy_blender.models import engine
from depthy_blender.pipeline import drawing, sheet

FRONT, TOP, SIDE = (98, 398, 503, 473), (96, 98, 504, 343), (558, 398, 803, 473)   # x0, y0, x1, y1


@pytest.fixture
def sheet_path(tmp_path):
    """900 × 700 px, third angle: a 400 × 70 px front, the 400 × 240 px plan above, the 240 × 70 px right
    view beside it, and a pictorial sketch at the top right."""
    img = Image.new("RGB", (900, 700), "white")
    draw = ImageDraw.Draw(img)
    draw.rectangle((100, 400, 500, 470), outline="black", width=3)
    draw.rectangle((100, 100, 500, 340), outline="black", width=3)
    draw.rectangle((560, 400, 800, 470), outline="black", width=3)
    draw.ellipse((620, 100, 780, 260), outline="black", width=3)
    path = tmp_path / "sheet.png"
    img.save(path)
    return path


def given(*pairs):
    return [{"box": list(box), "role": role} for box, role in pairs]


THREE = ((FRONT, "front"), (TOP, "top"), (SIDE, "side"))


def flat_answer(rgba):
    """An engine's answer: the drawn figure, everywhere as near."""
    mask = images.figure_mask(rgba)
    return engine.DepthResult(np.ones(mask.shape, np.float32), mask, {}, None)


def run(path, cancel=lambda: False, **kw):
    seen = []
    req = sheet.SheetRequest(str(path), "stand-in", **kw)
    return sheet.compute(req, lambda f, s: seen.append((f, s)), cancel), seen, req


def test_each_orthographic_view_gets_the_relief_built_from_its_crop(sheet_path, stand_in_engine):
    fn = stand_in_engine(proportion=0.3)
    views = given(*THREE, ((600, 80, 800, 280), "pictorial"))
    never = lambda: False  # noqa: E731
    outcome, seen, req = run(sheet_path, views=views, resolution=40, smoothing=0.5, size=2.0, cancel=never,
                             options=engine.EngineOptions(depthy_resolution=320), flat_faces=False)
    assert all(call[1] is never for call in fn.calls)
    rgba = images.load_image(str(sheet_path)).rgba
    assert outcome.shape == (700, 900) and outcome.width_m == 2.0 and outcome.messages == []
    assert [v["role"] for v in outcome.views] == ["front", "top", "side", "pictorial"]
    assert [v["role"] for v, _ in outcome.reliefs] == ["front", "top", "side"]     # no relief of a sketch
    assert "mask" not in views[0] and "mask" not in outcome.views[3]                # the request is not written on
    assert len(fn.calls) == 3 and all(call[2] is req.options for call in fn.calls)
    for (view, built), box in zip(outcome.reliefs, (FRONT, TOP, SIDE)):
        x0, y0, x1, y1 = box
        crop = rgba[y0:y1, x0:x1]
        assert np.array_equal(view["crop"], crop)
        mask = images.figure_mask(crop)
        ramp = np.broadcast_to(np.linspace(0, 1, x1 - x0, dtype=np.float32), mask.shape)
        ratio = 0.3 * proportion.figure_width(mask) / (x1 - x0)          # Auto: as deep as the engine says
        assert view["ratio"] == view["drawn_ratio"] == pytest.approx(ratio)
        assert np.array_equal(view["mask"], mask)
        assert np.array_equal(view["nearness"], np.where(mask, ramp, np.nan), equal_nan=True)
        assert view["proportion"] == 0.3                                   # as the engine told it
        expected = relief.build(ramp, mask, ratio, 0.5, 40, size=2.0 * max(x1 - x0, y1 - y0) / 900)
        assert np.array_equal(built.verts, expected.verts) and np.array_equal(built.faces, expected.faces)
        assert np.array_equal(built.areas, flip.areas(crop, mask, built.grid_shape).ravel()[built.cells])
    assert outcome.solid is None
    assert seen == [(0.02, "Reading the sheet"), (0.15, "Depth of the front view"),
                    (pytest.approx(0.15 + 0.7 / 3), "Depth of the top view"),
                    (pytest.approx(0.15 + 1.4 / 3), "Depth of the side view")]


def test_a_pocket_drawn_in_the_plan_is_an_area_of_its_own_for_flipping(tmp_path, stand_in_engine):
    img = Image.new("RGB", (900, 700), "white")
    draw = ImageDraw.Draw(img)
    for box in ((100, 400, 500, 470), (100, 100, 500, 340), (560, 400, 800, 470), (250, 170, 350, 270)):
        draw.rectangle(box, outline="black", width=3)
    img.save(tmp_path / "pocket.png")
    stand_in_engine()
    outcome, _, _ = run(tmp_path / "pocket.png", views=given(*THREE), resolution=40)
    areas = {view["role"]: built.areas for view, built in outcome.reliefs}
    assert set(np.unique(areas["top"])) == {1, 2} and not areas["front"].any() and not areas["side"].any()


def test_a_views_own_outline_beats_the_engines_and_auto_off_keeps_the_artists_ratio(sheet_path, stand_in_engine):
    stand_in_engine(proportion=0.3)
    own = np.zeros((75, 405), bool)
    own[10:60, 50:350] = True
    views = [{"box": list(FRONT), "role": "front", "mask": own}]
    outcome, _, _ = run(sheet_path, views=views, resolution=40, auto_ratio=False, ratio=0.6, flat_faces=False)
    (view, built), = outcome.reliefs
    assert view["mask"] is own and view["ratio"] == 0.6
    assert view["drawn_ratio"] == pytest.approx(0.3 * 300 / 405)
    ramp = np.broadcast_to(np.linspace(0, 1, 405, dtype=np.float32), own.shape)
    expected = relief.build(ramp, own, 0.6, 1.0, 40, size=4.0 * 405 / 900)
    assert np.array_equal(built.verts, expected.verts)


def test_the_views_are_read_as_flat_faces_unless_asked_not_to(sheet_path, stand_in_engine):
    """A sheet's views are square-on: by default each view's answer is read as flat faces
    (drawing.as_faces on its crop and outline), its Auto depth from the faces' proportion; a view
    whose lines close no area keeps the engine's answer and says so."""
    fn = stand_in_engine(proportion=0.3)
    outcome, _, req = run(sheet_path, views=given(*THREE), resolution=40)
    assert req.flat_faces is True and len(outcome.reliefs) == 3
    rgba = images.load_image(str(sheet_path)).rgba
    for view, built in outcome.reliefs:
        x0, y0, x1, y1 = view["box"]
        crop = rgba[y0:y1, x0:x1]
        told = fn(crop, lambda f, s: None, lambda: False, None)
        flat, note = drawing.as_faces(told, crop, view["mask"])
        if note:
            assert f"{view['role']} view: {note}" in outcome.messages
        assert np.array_equal(view["nearness"], np.where(view["mask"], flat.nearness, np.nan), equal_nan=True)
        assert view["drawn_ratio"] == pytest.approx(drawing.ratios(flat.proportion, view["mask"], True, 0.2)[1])
        assert view["proportion"] == flat.proportion
        assert len(np.unique(view["nearness"][view["mask"]])) == 1          # each view: one closed area
    assert outcome.messages == []
    raw, _, _ = run(sheet_path, views=given(*THREE), resolution=40, flat_faces=False)
    assert raw.messages == []
    assert all(len(np.unique(v["nearness"][v["mask"]])) > 100 for v, _ in raw.reliefs)   # the ramp as told
    img = Image.open(sheet_path).convert("RGB")
    for x in range(100, 501):                                           # the front view shaded, dark to light
        ImageDraw.Draw(img).line((x, 400, x, 470), fill=(25 + x // 3,) * 3)
    img.save(sheet_path)
    shaded, _, _ = run(sheet_path, views=given(*THREE), resolution=40)
    assert shaded.messages == ["front view: Flat faces found no areas closed by lines (a shaded figure, or strokes that "
                               "close nothing): the depth is as the engine read it"]


def test_the_artists_scale_sets_the_sheets_width_and_each_reliefs_size(sheet_path, stand_in_engine):
    stand_in_engine()
    outcome, _, _ = run(sheet_path, views=given((FRONT, "front")), resolution=40, mm_per_px=0.5)
    assert outcome.width_m == pytest.approx(0.45)                       # 900 px at 0.5 mm
    (_, built), = outcome.reliefs
    assert np.ptp(built.verts[:, 0]) == pytest.approx(0.45 * 405 / 900, rel=0.03)
    with pytest.raises(OptionError, match="^Sheet scale \\(millimetres per pixel\\) must be between"):
        run(sheet_path, views=given((FRONT, "front")), mm_per_px=-1.0)


def test_a_raster_sheet_is_read_at_most_3000_px_wide_by_a_whole_factor_and_its_scale_follows(tmp_path):
    Image.new("RGB", (4000, 30), "white").save(tmp_path / "wide.png")
    rgba, notes, metres_per_px = sheet.load_sheet(str(tmp_path / "wide.png"), mm_per_px=0.5)
    assert rgba.shape[1] == 2000 and metres_per_px == pytest.approx(0.5 * 4000 / 2000 / 1000)   # halved
    assert sheet.load_sheet(str(tmp_path / "wide.png"))[2] is None       # no scale given: unknown
    Image.new("RGB", (900, 30), "white").save(tmp_path / "small.png")
    rgba, _, metres_per_px = sheet.load_sheet(str(tmp_path / "small.png"), mm_per_px=0.5)
    assert rgba.shape[1] == 900 and metres_per_px == pytest.approx(0.0005)


def test_a_view_the_engine_or_the_relief_cannot_make_is_a_note_and_the_rest_go_on(sheet_path, stand_in_engine):
    calls = []

    def picky(rgba, progress, cancel, options):
        calls.append(rgba.shape)
        if len(calls) == 2:
            raise engine.EngineError("nothing seen")
        return flat_answer(rgba)
    stand_in_engine(picky)
    dot = np.zeros((75, 245), bool)
    dot[30, 30] = True                                                   # too small for any face
    views = given((FRONT, "front"), (TOP, "top")) + [{"box": list(SIDE), "role": "side", "mask": dot}]
    outcome, _, _ = run(sheet_path, views=views, resolution=40)
    assert [v["role"] for v, _ in outcome.reliefs] == ["front"]
    assert outcome.messages == ["top view skipped: nothing seen",
                                "side view skipped: The figure is too small or thin for this resolution: "
                                "no faces to build"]
    assert "mask" not in outcome.views[1] and "crop" not in outcome.views[1]


def test_no_orthographic_view_cancel_and_finding_the_views(sheet_path, stand_in_engine):
    fn = stand_in_engine()
    with pytest.raises(DepthyError, match="^No orthographic views found on this sheet$"):
        run(sheet_path, views=given(((600, 80, 800, 280), "pictorial")))
    with pytest.raises(engine.Cancelled):
        run(sheet_path, views=given(*THREE), cancel=lambda: True)
    assert fn.calls == []
    left = iter([False, True])
    with pytest.raises(engine.Cancelled):
        run(sheet_path, views=given(*THREE), cancel=lambda: next(left))
    assert len(fn.calls) == 1                                           # checked again before the second view
    outcome, seen, _ = run(sheet_path, resolution=40)
    assert seen[:2] == [(0.02, "Reading the sheet"), (0.1, "Finding the views")]
    found = sheets.find_views(images.on_white(images.load_image(str(sheet_path)).rgba))
    assert [(v["box"], v["role"]) for v in outcome.views] == [(list(map(int, v.box)), v.role) for v in found]
    assert all(type(c) is int for v in outcome.views for c in v["box"])


# ---- the solid ---------------------------------------------------------------------------------------

@pytest.fixture
def carver(monkeypatch):
    """Records what the carving is given; answers a 0.5 × 1 × 2 box of eight corners."""
    calls = []

    def carve(masks, boxes, resolution, nearness=None, inks=None, bridge=0):
        calls.append(dict(masks=masks, boxes=boxes, resolution=resolution, nearness=nearness, inks=inks,
                          bridge=bridge))
        corners = np.array([[x, y, z] for x in (-0.25, 0.25) for y in (-0.5, 0.5) for z in (-1, 1)], np.float32)
        return visual_hull.Solid(corners, np.zeros((0, 3), np.int32), np.ones((2, 2, 2), bool))
    monkeypatch.setattr(visual_hull, "from_sheet_views", carve)
    return calls


def test_a_dxf_sheet_is_drawn_at_most_3000_px_wide_at_its_own_scale(tmp_path, monkeypatch):
    calls = []

    def render(path, **kwargs):
        calls.append((path, kwargs))
        return np.ones((20, 30, 4), np.float32), 2.0                   # 2 mm of the drawing per pixel
    monkeypatch.setattr(dxf, "render_to_scale", render)
    rgba, notes, metres_per_px = sheet.load_sheet(str(tmp_path / "PART.DXF"), mm_per_px=9.0)
    assert calls == [(str(tmp_path / "PART.DXF"), {"max_side": 3000})]
    assert rgba.shape == (20, 30, 4) and notes == [] and metres_per_px == 0.002   # its units, not the artist's


def test_the_solid_is_carved_from_front_side_and_top_and_sized_to_the_front_views_width(
        sheet_path, stand_in_engine, carver):
    stand_in_engine()
    outcome, seen, _ = run(sheet_path, views=given(*THREE), resolution=40, solid=True, solid_resolution=77,
                           size=2.0)
    (call,) = carver
    assert call["boxes"] == [list(FRONT), list(SIDE), list(TOP)] and call["resolution"] == 77
    by_role = {v["role"]: v for v in outcome.views}
    assert all(m is by_role[r]["mask"] for m, r in zip(call["masks"], ("front", "side", "top")))
    assert call["nearness"] is None                                      # depth refinement is off by default
    rgb = images.on_white(images.load_image(str(sheet_path)).rgba)
    for ink, (x0, y0, x1, y1) in zip(call["inks"], (FRONT, SIDE, TOP)):
        assert np.array_equal(ink, sheets.ink_layers(rgb[y0:y1, x0:x1])[0])
    assert call["bridge"] == 11                                          # 1 % of the 1141 px diagonal
    assert np.ptp(outcome.solid.vertices[:, 0]) == pytest.approx(2.0 * 405 / 900)
    assert np.ptp(outcome.solid.vertices[:, 2]) == pytest.approx(2.0 * 405 / 900 * 4)   # scaled alike
    assert seen[-1] == (0.9, "Carving the solid from three views") and outcome.messages == []


def test_depth_refinement_lines_and_a_section_for_a_side(sheet_path, stand_in_engine, carver):
    stand_in_engine()
    views = given((FRONT, "front"), (TOP, "top"), (SIDE, "section"))
    outcome, _, _ = run(sheet_path, views=views, resolution=40, solid=True, refine_depth=True, read_lines=False)
    call = carver[0]
    assert call["inks"] is None and call["boxes"][1] == list(SIDE)
    by_role = {v["role"]: v for v in outcome.views}
    assert all(n is by_role[r]["nearness"] for n, r in zip(call["nearness"], ("front", "section", "top")))
    assert outcome.solid is not None


def test_a_view_without_a_relief_is_carved_from_its_drawn_figure_and_not_refined(sheet_path, stand_in_engine, carver):
    def no_top(rgba, progress, cancel, options):
        if rgba.shape[0] == TOP[3] - TOP[1]:
            raise engine.EngineError("no top")
        return flat_answer(rgba)
    stand_in_engine(no_top)
    outcome, _, _ = run(sheet_path, views=given(*THREE), resolution=40, solid=True, refine_depth=True)
    call = carver[0]
    rgba = images.load_image(str(sheet_path)).rgba
    assert np.array_equal(call["masks"][2], images.figure_mask(rgba[98:343, 96:504]))
    assert call["nearness"] is None and outcome.messages == ["top view skipped: no top"]


def test_without_three_views_or_with_disagreeing_ones_there_is_no_solid_and_one_line(
        sheet_path, stand_in_engine, carver):
    stand_in_engine()
    outcome, _, _ = run(sheet_path, views=given((FRONT, "front"), (SIDE, "side")), resolution=40, solid=True)
    assert outcome.solid is None and carver == []
    assert outcome.messages == ["Solid needs front, top and side views; some were not found"]
    narrow = (600, 80, 800, 280)                                        # the sketch taken for a 200 px plan
    outcome, _, _ = run(sheet_path, views=given((FRONT, "front"), (narrow, "top"), (SIDE, "side")), resolution=40,
                        solid=True)
    assert outcome.solid is None and carver == []
    assert outcome.messages == [sheet.disagreement(list(FRONT), list(SIDE), list(narrow))]


@pytest.mark.parametrize("front, side, top, says", [
    ((0, 0, 100, 50), (0, 0, 40, 50), (0, 0, 100, 40), None),
    ((0, 0, 100, 50), (0, 0, 40, 50), (0, 0, 95, 40), None),            # 5 of 100: the 5 % edge
    ((0, 0, 100, 50), (0, 0, 40, 50), (0, 0, 94, 40),
     "The front and top views disagree on the width (100 px against 94 px, 6%)"),
    ((0, 0, 100, 40), (0, 0, 40, 37), (0, 0, 100, 40), None),           # 3 of 40: a pen's slack
    ((0, 0, 100, 40), (0, 0, 40, 36), (0, 0, 100, 40),
     "The front and side views disagree on the height (40 px against 36 px, 10%)"),
    ((0, 0, 100, 50), (0, 0, 37, 50), (0, 0, 100, 40), None),
    ((0, 0, 100, 50), (0, 0, 36, 50), (0, 0, 100, 40),
     "The top and side views disagree on the depth (40 px against 36 px, 10%)"),
    ((10, 20, 110, 70), (200, 20, 240, 70), (10, 100, 110, 140), None),  # where they sit does not matter
])
def test_views_agree_within_five_percent_or_three_pixels(front, side, top, says):
    line = sheet.disagreement(front, side, top)
    if says is None:
        assert line is None
    else:
        assert line == (says + ": no solid was built rather than stretch one; check the views' outlines")


def test_a_dxf_sheets_hidden_lines_need_no_bridging_and_a_small_raster_bridges_four_pixels(
        sheet_path, tmp_path, stand_in_engine, carver, monkeypatch):
    stand_in_engine()
    rgba = images.load_image(str(sheet_path)).rgba
    monkeypatch.setattr(dxf, "render_to_scale", lambda path, **kwargs: (rgba, 1.0))
    run(tmp_path / "SHEET.DXF", views=given(*THREE), resolution=40, solid=True)
    assert carver[-1]["bridge"] == 0
    small = Image.new("RGB", (240, 180), "white")                       # a 300 px diagonal: 1 % is 3 px
    draw = ImageDraw.Draw(small)
    for box in ((20, 110, 120, 140), (20, 20, 120, 90), (140, 110, 210, 140)):
        draw.rectangle(box, outline="black", width=2)
    small.save(tmp_path / "small.png")
    views = given(((18, 108, 123, 143), "front"), ((18, 18, 123, 93), "top"), ((138, 108, 213, 143), "side"))
    run(tmp_path / "small.png", views=views, resolution=40, solid=True)
    assert carver[-1]["bridge"] == 4
