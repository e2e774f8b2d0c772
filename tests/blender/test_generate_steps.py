"""blender/generate.py step by step: the panel's settings and a source read into a Request, each source's
refusal, a relief's own request for Regenerate, and an Outcome written into objects: what the relief
records, its material, where it is placed (image empty, offset, 3D cursor), what is selected, a
regenerated relief's old mesh, and TripoSR's whole object."""
import types

import numpy as np
import pytest

bpy = pytest.importorskip("bpy")

from depthy_blender.blender import generate as gen, mesh_io  # noqa: E402
from depthy_blender.core import relief  # noqa: E402
from depthy_blender.models import engine, engines  # noqa: E402
from depthy_blender.pipeline.drawing import Outcome, Request  # noqa: E402
from tests.blender.conftest import generate, image_empty, world_positions  # noqa: E402

EMPTY_PROBLEM = "Select an image empty with a drawing (Add ▸ Image ▸ Reference), or choose another source"

# every panel setting a Request takes, none at its default
PANEL = dict(engine="luminance", resolution=77, back="mirror", triangles=True, size=2.5, ratio=0.35,
             auto_ratio=False, smoothing=2.5, base=0.07, background_tolerance=0.11)


def set_panel(**values):
    s = bpy.context.scene.depthy
    for key, value in {**PANEL, "background": "BORDER", **values}.items():
        setattr(s, key, value)
    return s


def fields(request, names=tuple(PANEL) + ("background",)):
    return {name: getattr(request, name) for name in names}


def expected(**values):
    return {**{k: pytest.approx(v) if isinstance(v, float) else v for k, v in PANEL.items()},
            "background": "border", **values}


def small_outcome(**kwargs):
    """A 40 × 30 grid mound built at size 2 (2.0 × 1.5), with the Outcome fields a test sets."""
    near = np.ones((30, 40), np.float32)
    built = relief.build(near, near > 0, ratio=0.3, resolution=40, size=2.0, back=kwargs.pop("back", "none"))
    return Outcome(built, [], **kwargs)


# ---- the panel and the source into a Request ---------------------------------------------------------

def test_every_panel_setting_reaches_the_request_and_the_operators_values_override_them(drawing_path):
    s = set_panel(source="FILE", filepath=str(drawing_path))
    req = gen.request_from_settings(bpy.context, s)
    assert fields(req) == expected()
    assert (req.name, req.path, req.rgba, req.image_name, req.empty_name) == ("drawing", str(drawing_path), None,
                                                                              None, None)
    req = gen.request_from_settings(bpy.context, s, resolution=33, engine="inflate", auto_ratio=True)
    assert fields(req) == expected(resolution=33, engine="inflate", auto_ratio=True)


def test_a_file_given_to_the_call_needs_no_source_in_the_panel(drawing_path, tmp_path):
    other = tmp_path / "part.v2.png"
    other.write_bytes(drawing_path.read_bytes())
    s = set_panel(source="EMPTY")      # nothing selected: the panel's source alone would be refused
    req = gen.request_from_settings(bpy.context, s, str(other))
    assert (req.name, req.path) == ("part.v2", str(other)) and fields(req) == expected()


@pytest.mark.parametrize("source, problem", [("FILE", "Choose a drawing file first"),
                                             ("IMAGE", "Choose an image first"),
                                             ("EMPTY", EMPTY_PROBLEM)])
def test_each_source_without_a_drawing_is_refused_with_its_own_line(source, problem):
    s = set_panel(source=source)
    assert gen.source_problem(bpy.context, s) == problem
    with pytest.raises(gen.UserError) as refused:
        gen.request_from_settings(bpy.context, s)
    assert str(refused.value) == problem


@pytest.mark.parametrize("active", ["mesh", "mesh set to display as an image", "plain empty",
                                    "image empty without an image", "image empty"])
def test_only_an_image_empty_with_an_image_is_a_source(drawing_path, active):
    s = set_panel(source="EMPTY")
    if active.startswith("mesh"):
        obj = bpy.data.objects.new("mesh", bpy.data.meshes.new("mesh"))
        obj.empty_display_type = "IMAGE" if active != "mesh" else "PLAIN_AXES"
    else:
        obj = image_empty(drawing_path) if active == "image empty" else bpy.data.objects.new("empty", None)
        if active == "image empty without an image":
            obj.empty_display_type = "IMAGE"
    if obj.name not in bpy.context.scene.collection.objects:
        bpy.context.scene.collection.objects.link(obj)
    bpy.context.view_layer.objects.active = obj
    if active != "image empty":
        assert gen.source_problem(bpy.context, s) == EMPTY_PROBLEM
        with pytest.raises(gen.UserError, match="Select an image empty"):
            gen.request_from_settings(bpy.context, s)
        return
    assert gen.source_problem(bpy.context, s) is None
    req = gen.request_from_settings(bpy.context, s)
    # the empty's own size, not the panel's, and where the relief goes
    assert fields(req) == expected(size=pytest.approx(2.0)) and req.empty_name == obj.name
    assert (req.name, req.image_name, req.path) == ("drawing", "drawing.png", str(drawing_path))


def test_the_image_and_file_sources_are_ready_once_chosen(drawing_path):
    s = set_panel(source="FILE", filepath=str(drawing_path))
    assert gen.source_problem(bpy.context, s) is None
    s.source, s.image = "IMAGE", bpy.data.images.load(str(drawing_path))
    assert gen.source_problem(bpy.context, s) is None


def test_an_edited_image_is_sent_as_its_pixels_with_their_notes():
    """A generated image (no file): an outline on transparent paper. Its pixels go, with the note that it
    is read as on white paper, and its name."""
    image = bpy.data.images.new("glyph.png", 40, 30, alpha=True)
    rgba = np.zeros((30, 40, 4), np.float32)
    rgba[8:22, 10:30] = (0.0, 0.0, 0.0, 1.0)
    rgba[9:21, 11:29] = 0.0
    image.pixels.foreach_set(rgba[::-1].ravel())
    s = set_panel(source="IMAGE", image=image)
    req = gen.request_from_settings(bpy.context, s)
    assert req.path is None and req.rgba.shape == (30, 40, 4) and fields(req) == expected()
    assert (req.name, req.image_name, req.empty_name) == ("glyph", "glyph.png", None)
    assert req.messages == ["'glyph.png': a line drawing on transparent paper, read as on white paper"]


def test_engine_problems_are_the_engines_own_line(stand_in_engine):
    assert gen.engine_problem("inflate") is None
    assert gen.engine_problem("no such engine") == str(pytest.raises(engine.EngineError, engines.get,
                                                                     "no such engine").value)
    engines.register(engine.Engine("stand-in", "Stand-in", "", lambda *a: None,
                                   available_fn=lambda options: "its weights are missing"))
    assert gen.engine_problem("stand-in") == "Stand-in cannot run: its weights are missing"


# ---- a relief's own request (Regenerate) -------------------------------------------------------------

def relief_then_panel_changed(drawing_path, **source):
    obj = generate(**source, ratio=0.25, smoothing=0.5, size=1.5, back="none")
    obj.depthy.ratio, obj.depthy.smoothing, obj.depthy.base = 0.5, 3.0, 0.05
    return obj, set_panel(size=9.0, auto_ratio=True)


def test_regenerate_takes_the_panels_engine_and_mesh_settings_and_the_reliefs_sliders(drawing_path):
    obj, s = relief_then_panel_changed(drawing_path, source="FILE", filepath=str(drawing_path))
    req = gen.request_for_relief(obj, s)
    assert fields(req) == expected(size=pytest.approx(1.5), ratio=pytest.approx(0.5), auto_ratio=False,
                                   smoothing=pytest.approx(3.0), base=pytest.approx(0.05))
    assert (req.name, req.path, req.image_name) == ("drawing", str(drawing_path), None)


def test_regenerate_reads_the_image_it_was_made_from_then_its_file_then_refuses(drawing_path):
    image = bpy.data.images.load(str(drawing_path))
    image.name = "front view"
    obj, s = relief_then_panel_changed(drawing_path, source="IMAGE", image=image)
    image.pixels[0] = 0.5                    # edited since: its pixels, not the file
    req = gen.request_for_relief(obj, s)
    assert (req.name, req.image_name, req.path) == ("front view", "front view", None)
    assert req.rgba is not None and req.size == pytest.approx(1.5) and req.auto_ratio is False
    bpy.data.images.remove(image)            # the image is gone: the file it showed
    req = gen.request_for_relief(obj, s)
    assert (req.name, req.image_name, req.path, req.rgba) == ("drawing", None, str(drawing_path), None)
    assert fields(req) == expected(size=pytest.approx(1.5), ratio=pytest.approx(0.5), auto_ratio=False,
                                   smoothing=pytest.approx(3.0), base=pytest.approx(0.05))
    drawing_path.unlink()                    # and the file too
    with pytest.raises(gen.UserError) as refused:
        gen.request_for_relief(obj, s)
    assert str(refused.value) == f"The drawing {obj.name} was made from is gone; generate it again from its image"


# ---- an Outcome into objects -----------------------------------------------------------------------

def test_a_new_relief_records_how_it_was_made(drawing_path):
    req = Request(name="part", engine="stand-in", path=str(drawing_path), size=2.0, smoothing=1.5, base=0.06,
                  back="flat")
    out = small_outcome(back="flat", where="Stand-in · CPU · 0.01 s", why_cpu="no GPU here", ratio=0.3,
                        drawn_ratio=None)
    obj = gen.finish(bpy.context, req, out)
    d = obj.depthy
    assert (obj.name, obj.data.name, obj.active_material.name) == ("part relief", "part relief", "part drawing")
    assert d.is_result and (d.grid_rows, d.grid_cols) == out.relief.grid_shape
    assert d.width == pytest.approx(2.0) and d.size == pytest.approx(2.0)
    assert (d.vert_count, d.face_count) == (len(out.relief.verts), len(out.relief.faces))
    assert (d.engine, d.ran_on, d.why_cpu) == ("stand-in", "Stand-in · CPU · 0.01 s", "no GPU here")
    assert (d.source_image, d.source_path) == ("", str(drawing_path))
    assert (d.ratio, d.smoothing, d.base) == (pytest.approx(0.3), pytest.approx(1.5), pytest.approx(0.06))
    assert d.closed and d.drawn_ratio == -1.0                       # the engine could not tell: none shown
    # stored without rewriting the heights: the mesh is the relief as built
    assert np.array_equal(mesh_io.get_positions(obj.data), out.relief.verts)
    req.back, req.path, req.image_name = "none", None, "kept"
    bpy.data.images.new("kept", 4, 4)
    d = gen.finish(bpy.context, req, small_outcome(ratio=0.3, drawn_ratio=0.42)).depthy
    assert not d.closed and d.drawn_ratio == pytest.approx(0.42)
    assert (d.source_image, d.source_path) == ("kept", "")


def test_the_material_shows_the_image_datablock_the_relief_came_from():
    """An edited or generated image has no file to read: the texture is the datablock itself."""
    image = bpy.data.images.new("sketch", 8, 8)
    obj = gen.finish(bpy.context, Request(name="sketch", engine="inflate", image_name="sketch"), small_outcome())
    tree = obj.active_material.node_tree
    tex = next(n for n in tree.nodes if n.type == "TEX_IMAGE")
    bsdf = next(n for n in tree.nodes if n.type == "BSDF_PRINCIPLED")
    assert tex.image == image and len(bpy.data.images) == 1
    assert any(link.from_node == tex and link.from_socket.name == "Color" and link.to_node == bsdf
               and link.to_socket.name == "Base Color" for link in tree.links)
    assert tex.location.x < bsdf.location.x                          # laid out left of the shader


def test_a_relief_without_an_image_has_a_plain_material():
    obj = gen.finish(bpy.context, Request(name="blank", engine="inflate"), small_outcome())
    assert obj.active_material.name == "blank drawing"
    assert not [n for n in obj.active_material.node_tree.nodes if n.type == "TEX_IMAGE"]


def test_without_an_empty_the_relief_stands_upright_at_the_3d_cursor():
    bpy.context.scene.cursor.location = (1.0, -2.0, 0.5)
    obj = gen.finish(bpy.context, Request(name="part", engine="inflate"), small_outcome())
    assert tuple(obj.location) == pytest.approx((1.0, -2.0, 0.5))
    assert tuple(obj.rotation_euler) == pytest.approx((np.pi / 2, 0.0, 0.0))
    assert tuple(obj.scale) == (1.0, 1.0, 1.0)


def test_on_an_image_empty_the_relief_covers_the_image_where_its_offset_puts_it(drawing_path):
    """The relief spans the whole 2.0 × 1.5 image; an image empty draws its image from offset × its size."""
    empty = image_empty(drawing_path, size=4.0, location=(1.0, 2.0, 3.0))
    empty.scale = (0.5, 0.5, 0.5)
    req = Request(name="part", engine="inflate", empty_name=empty.name)
    for offset in ((-0.5, -0.5), (0.0, -1.0), (-0.25, 0.0)):
        empty.empty_image_offset = offset
        bpy.context.view_layer.update()
        obj = gen.finish(bpy.context, req, small_outcome())
        xy = world_positions(obj)[:, :2]
        # image 4 × 3 at offset × (4, 3), scaled by the empty's 0.5, from its location
        lo = np.array([1.0, 2.0]) + 0.5 * np.array(offset) * (4.0, 3.0)
        assert xy.min(axis=0) == pytest.approx(lo, abs=1e-5) and xy.max(axis=0) == pytest.approx(lo + (2.0, 1.5),
                                                                                                     abs=1e-5)


def test_the_new_object_goes_where_its_empty_lives_and_alone_is_selected(drawing_path):
    empty = image_empty(drawing_path)
    room = bpy.data.collections.new("room")
    bpy.context.scene.collection.children.link(room)
    bpy.context.scene.collection.objects.unlink(empty)
    room.objects.link(empty)
    empty.select_set(True)
    obj = gen.finish(bpy.context, Request(name="part", engine="inflate", empty_name=empty.name), small_outcome())
    assert [c.name for c in obj.users_collection] == ["room"]
    assert list(bpy.context.view_layer.objects.selected) == [obj] and bpy.context.view_layer.objects.active == obj
    obj = gen.finish(bpy.context, Request(name="loose", engine="inflate"), small_outcome())
    assert [c.name for c in obj.users_collection] == [bpy.context.collection.name]
    assert list(bpy.context.view_layer.objects.selected) == [obj]


def test_regenerate_drops_the_old_mesh_unless_another_object_still_uses_it():
    req = Request(name="part", engine="inflate")
    obj = gen.finish(bpy.context, req, small_outcome())
    old = obj.data.name
    gen.replace(obj, req, small_outcome(ratio=0.3, where="again"))
    assert old not in bpy.data.meshes and obj.depthy.ran_on == "again" and len(bpy.data.meshes) == 1
    twin = bpy.data.objects.new("twin", obj.data)           # a linked duplicate (Alt+D) shares the mesh
    bpy.context.scene.collection.objects.link(twin)
    shared = obj.data
    gen.replace(obj, req, small_outcome(ratio=0.3))
    assert twin.data == shared and shared.name in bpy.data.meshes and obj.data != shared


def test_regenerate_refuses_a_whole_object():
    obj = gen.finish(bpy.context, Request(name="part", engine="inflate"), small_outcome())
    with pytest.raises(gen.UserError) as refused:
        gen.replace(obj, Request(name="part", engine="triposr"), Outcome(None, [], whole_object=object()))
    assert str(refused.value) == "Regenerate makes reliefs; choose a relief engine (TripoSR's full object is new)"


def whole_object():
    """A coloured tetrahedron, as TripoSR hands one over."""
    return types.SimpleNamespace(vertices=np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], np.float32),
                                 faces=np.array([[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]], np.int32),
                                 colours=np.full((4, 3), 0.5, np.float32), meta={})


def test_a_whole_object_stands_at_the_3d_cursor_with_its_vertex_colours_shown():
    bpy.context.scene.cursor.location = (0.0, 3.0, 1.0)
    obj = gen.finish(bpy.context, Request(name="cup", engine="triposr"), Outcome(None, [], whole_object=whole_object()))
    assert (obj.name, obj.active_material.name) == ("cup object", "cup colours")
    assert tuple(obj.location) == pytest.approx((0.0, 3.0, 1.0)) and tuple(obj.scale) == (1.0, 1.0, 1.0)
    tree = obj.active_material.node_tree
    colour = next(n for n in tree.nodes if n.type == "VERTEX_COLOR")
    bsdf = next(n for n in tree.nodes if n.type == "BSDF_PRINCIPLED")
    assert colour.layer_name == mesh_io.COLOUR and colour.location.x < bsdf.location.x
    assert any(link.from_node == colour and link.to_socket == bsdf.inputs["Base Color"] for link in tree.links)
    assert list(bpy.context.view_layer.objects.selected) == [obj] and bpy.context.view_layer.objects.active == obj


def test_a_whole_object_on_an_image_empty_takes_its_place_and_size(drawing_path):
    """TripoSR's object spans about 1.74 units; on an empty it is as large as the empty shows its image."""
    empty = image_empty(drawing_path, size=2.0, location=(4.0, 5.0, 6.0))
    empty.scale = (1.0, 3.0, 1.0)
    room = bpy.data.collections.new("room")
    bpy.context.scene.collection.children.link(room)
    bpy.context.scene.collection.objects.unlink(empty)
    room.objects.link(empty)
    bpy.context.view_layer.update()
    obj = gen.finish(bpy.context, Request(name="cup", engine="triposr", empty_name=empty.name),
                     Outcome(None, [], whole_object=whole_object()))
    assert tuple(obj.location) == pytest.approx((4.0, 5.0, 6.0))
    assert tuple(obj.scale) == pytest.approx((2.0 * 3.0 / 1.74,) * 3)
    assert [c.name for c in obj.users_collection] == ["room"]


def test_a_name_falls_back_to_drawing_only_when_the_path_has_none():
    assert gen._stem("/a/b/part.v2.png") == "part.v2" and gen._stem("/a/b/") == "drawing"
