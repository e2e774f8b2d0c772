"""blender/sheet_generate.finish on a hand-made SheetOutcome: each view relief stands upright in the front
plane where it is drawn on the sheet (the sheet centred on the origin, at its scale), keeps its role,
sliders and as-drawn depth, and the solid stands right of the sheet; what was made is selected."""
import numpy as np
import pytest

bpy = pytest.importorskip("bpy")

from depthy_blender.blender import sheet_generate  # noqa: E402
from depthy_blender.core import visual_hull  # noqa: E402
from depthy_blender.pipeline.sheet import SheetOutcome, SheetRequest  # noqa: E402
from tests.blender.test_generate_steps import small_outcome  # noqa: E402

# a 900 × 800 px sheet 4.5 m wide: 5 mm per pixel
VIEWS = [({"box": [100, 120, 280, 260], "role": "top", "ratio": 0.4, "drawn_ratio": 0.25}, (0.6, 0.5)),
         ({"box": [100, 330, 280, 500], "role": "front"}, (0.6, 0.5)),
         ({"box": [500, 600, 700, 760], "role": "pictorial", "drawn_ratio": None}, (0.6, 0.5))]


def outcome(solid=None):
    reliefs = [(dict(view), small_outcome().relief) for view, _ in VIEWS]
    return SheetOutcome(shape=(800, 900), views=[v for v, _ in reliefs], reliefs=reliefs, solid=solid,
                        width_m=4.5)


def test_each_view_stands_where_it_is_drawn_with_its_role_and_sliders(tmp_path):
    other = bpy.data.objects.new("other", None)
    bpy.context.scene.collection.objects.link(other)
    other.select_set(True)
    req = SheetRequest(str(tmp_path / "plate.png"), "inflate", ratio=0.3, smoothing=2.0)
    objs = sheet_generate.finish(bpy.context, req, outcome())
    assert [o.name for o in objs] == ["plate top view", "plate front view", "plate pictorial view"]
    for obj, (view, _) in zip(objs, VIEWS):
        x0, y0, x1, y1 = view["box"]
        # the sheet's centre at the origin, x to the right, the sheet's rows up the z axis
        assert tuple(obj.location) == pytest.approx(((x0 + x1) / 2 * 0.005 - 2.25, 0.0, (400 - (y0 + y1) / 2) * 0.005))
        assert tuple(obj.rotation_euler) == pytest.approx((np.pi / 2, 0.0, 0.0))
        assert obj.depthy.is_result and obj.depthy.engine == "inflate"
        assert obj.depthy.smoothing == pytest.approx(2.0)
        assert [c.name for c in obj.users_collection] == ["plate sheet"]
    top, front, pictorial = objs
    assert (top.depthy.sheet_role, front.depthy.sheet_role, pictorial.depthy.sheet_role) == ("top", "front", "unknown")
    assert top.depthy.ratio == pytest.approx(0.4) and front.depthy.ratio == pytest.approx(0.3)   # its own, else the panel's
    assert top.depthy.drawn_ratio == pytest.approx(0.25)
    assert front.depthy.drawn_ratio == pictorial.depthy.drawn_ratio == -1.0                      # none known
    assert list(bpy.context.view_layer.objects.selected) == objs and bpy.context.view_layer.objects.active == top


def test_the_solid_stands_right_of_the_sheet_and_is_selected_with_the_views(tmp_path):
    verts = np.array([[-0.3, -0.1, -0.2], [0.3, -0.1, -0.2], [0.0, 0.2, -0.2], [0.0, 0.0, 0.25]], np.float32)
    solid = visual_hull.Solid(verts, np.array([[0, 2, 1], [0, 1, 3], [1, 2, 3], [0, 3, 2]], np.int32),
                              np.zeros((1, 1, 1), bool))
    objs = sheet_generate.finish(bpy.context, SheetRequest(str(tmp_path / "plate.png"), "inflate"), outcome(solid))
    made = objs[-1]
    assert made.name == "plate solid" and made.depthy.is_sheet_solid
    assert tuple(made.location) == pytest.approx((2.25 + 0.6, 0.0, 0.0))
    assert set(bpy.context.view_layer.objects.selected) == set(objs) and len(objs) == 4


def test_a_sheet_with_no_view_selects_nothing_new(tmp_path):
    kept = bpy.data.objects.new("kept", None)
    bpy.context.scene.collection.objects.link(kept)
    bpy.context.view_layer.objects.active = kept
    empty = SheetOutcome(shape=(800, 900), views=[], reliefs=[], solid=None, width_m=4.5)
    assert sheet_generate.finish(bpy.context, SheetRequest(str(tmp_path / "plate.png"), "inflate"), empty) == []
    assert bpy.context.view_layer.objects.active == kept
