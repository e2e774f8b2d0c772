"""training/blender_drawings.py (the Freestyle set's renderer) piece by piece, worked out by hand: the
style's draws and their kinds, the display-to-linear colour, and, in a real Blender scene without
rendering, the material, camera, lighting, render settings and line sets each piece leaves behind.
test_freestyle_drawings.py renders whole drawings; this checks what each setting is."""
import math

import numpy as np
import pytest

from tests.training.draws import Scripted
from training import blender_drawings
from training.synth.render import Camera


def test_a_style_is_drawn_in_a_fixed_order_and_read_as_plain_values():
    rng = Scripted(np.str_("fill"), 1.5, 130.0, 0.29, np.array([0.7, 0.8, 0.9]), np.array([0.1, -0.2, 0.3]), 0.95)
    style = blender_drawings.choose_style(rng)
    assert style == {"kind": "fill", "thickness": 1.5, "crease_deg": 130.0, "hidden": True,
                     "fill": (0.7, 0.8, 0.9), "light": (0.1, -0.2, 0.3), "paper": 0.95}
    assert type(style["kind"]) is str and type(style["hidden"]) is bool
    assert all(type(v) is float for v in (*style["fill"], *style["light"], style["thickness"], style["paper"]))
    assert rng.calls == [("choice", (["lines", "fill", "shaded"],), {"p": [0.5, 0.2, 0.3]}),
                         ("uniform", (0.8, 2.2)), ("uniform", (120, 150)), ("random", ()),
                         ("uniform", (0.6, 1.0, 3)), ("normal", (0, 0.5, 3)), ("uniform", (0.9, 1.0))]
    # dashed hidden lines on 30 % of the drawings: a draw of 0.3 is not among them
    rng = Scripted("lines", 1.0, 120.0, 0.3, np.ones(3), np.zeros(3), 1.0)
    assert blender_drawings.choose_style(rng)["hidden"] is False


def test_display_colours_become_scene_linear_by_the_srgb_curve():
    linear = blender_drawings._linear((0.0, 0.04045, 0.5, 1.0))
    assert linear == pytest.approx((0.0, 0.04045 / 12.92, (0.555 / 1.055) ** 2.4, 1.0), rel=1e-12)
    assert blender_drawings._linear((0.05,)) == pytest.approx((((0.05 + 0.055) / 1.055) ** 2.4,), rel=1e-12)
    assert all(type(v) is float for v in linear)


def factory_scene():
    import bpy
    bpy.ops.wm.read_homefile(use_empty=True, use_factory_startup=True)
    return bpy.context.scene


@pytest.fixture
def scene():
    pytest.importorskip("bpy")                                            # the pieces above need no Blender
    return factory_scene()


def style(**given):
    return {"kind": "lines", "thickness": 1.5, "crease_deg": 135.0, "hidden": False, "fill": (0.7, 0.8, 0.9),
            "light": (0.0, 0.0, 0.0), "paper": 0.95} | given


def surface(mat):
    out = next(n for n in mat.node_tree.nodes if n.bl_idname == "ShaderNodeOutputMaterial")
    (link,) = out.inputs["Surface"].links
    return link.from_node, len(mat.node_tree.nodes)


def test_line_and_fill_drawings_emit_their_colour_and_shaded_ones_are_grey_diffuse(scene):
    shader, count = surface(blender_drawings._material(style(kind="lines")))
    assert shader.bl_idname == "ShaderNodeEmission" and count == 2
    assert tuple(shader.inputs["Color"].default_value) == pytest.approx((1.0, 1.0, 1.0, 1.0))
    shader, count = surface(blender_drawings._material(style(kind="fill")))
    assert shader.bl_idname == "ShaderNodeEmission" and count == 2
    assert tuple(shader.inputs["Color"].default_value) == pytest.approx(
        (*blender_drawings._linear((0.7, 0.8, 0.9)), 1.0), abs=1e-6)
    shader, count = surface(blender_drawings._material(style(kind="shaded")))
    assert shader.bl_idname == "ShaderNodeBsdfDiffuse" and count == 2
    assert tuple(shader.inputs["Color"].default_value) == pytest.approx((0.8, 0.8, 0.8, 1.0))


def test_the_camera_is_orthographic_three_units_back_along_the_view_with_the_views_up(scene):
    forward = np.array([1.0, 2.0, -0.5]) / np.linalg.norm([1.0, 2.0, -0.5])
    cam = Camera(forward=forward, up=np.array([0.0, 0.0, 1.0]), half_size=0.8, center=np.array([0.1, 0.2, 0.3]))
    blender_drawings._camera(scene, cam)
    obj = scene.camera
    assert obj.name == "view" and obj.data.type == "ORTHO" and obj.data.ortho_scale == pytest.approx(1.6)
    assert (obj.data.clip_start, obj.data.clip_end) == pytest.approx((0.01, 10.0))
    assert obj.name in scene.collection.objects
    m = np.array(obj.matrix_world)
    f, r, u = blender_drawings.camera_basis(cam)
    assert np.allclose(m[:3, 3], cam.center - 3.0 * f, atol=1e-6)
    assert np.allclose(m[:3, 0], r, atol=1e-6) and np.allclose(m[:3, 1], u, atol=1e-6)
    assert np.allclose(-m[:3, 2], f, atol=1e-6)                          # looking down its −z


def test_the_paper_is_a_dim_white_world_and_only_shaded_drawings_get_a_sun_from_behind_the_viewer(scene):
    cam = Camera(forward=np.array([0.0, 1.0, 0.0]), up=np.array([0.0, 0.0, 1.0]), half_size=1.0,
                 center=np.zeros(3))
    blender_drawings._lighting(scene, cam, style(kind="lines"))
    background = scene.world.node_tree.nodes["Background"]
    assert tuple(background.inputs["Color"].default_value) == pytest.approx((1.0, 1.0, 1.0, 1.0))
    assert background.inputs["Strength"].default_value == pytest.approx(0.35)
    assert not [o for o in scene.objects if o.type == "LIGHT"]
    blender_drawings._lighting(scene, cam, style(kind="shaded", light=(0.5, 0.0, -0.5)))
    (sun,) = [o for o in scene.collection.objects if o.type == "LIGHT"]
    assert sun.data.type == "SUN" and sun.data.energy == pytest.approx(3.0)
    towards = np.array([0.5, 1.0, -0.5]) / np.linalg.norm([0.5, 1.0, -0.5])
    shines = -np.array(sun.rotation_euler.to_matrix())[:, 2]             # a sun shines down its −z
    assert np.allclose(shines, towards, atol=1e-6)


def test_render_settings_are_cycles_on_the_cpu_seeded_transparent_square_png_and_standard(scene):
    blender_drawings._render_settings(scene, 72)
    r = scene.render
    assert (r.engine, scene.cycles.device, scene.cycles.samples, scene.cycles.seed) == ("CYCLES", "CPU", 8, 0)
    assert scene.cycles.use_denoising is False and r.film_transparent is True
    assert (r.resolution_x, r.resolution_y, r.resolution_percentage) == (72, 72, 100)
    assert (r.image_settings.file_format, r.image_settings.color_mode) == ("PNG", "RGBA")
    assert scene.view_settings.view_transform == "Standard"


def test_visible_lines_are_black_at_the_styles_weight_and_hidden_ones_grey_dashed_and_lighter(scene):
    blender_drawings._freestyle(scene, style(thickness=2.0, crease_deg=140.0))
    layer = scene.view_layers[0]
    assert scene.render.use_freestyle and scene.render.line_thickness_mode == "ABSOLUTE" and layer.use_freestyle
    settings = layer.freestyle_settings
    assert settings.crease_angle == pytest.approx(math.radians(140.0))
    (visible,) = settings.linesets
    assert visible.select_by_visibility and visible.visibility == "VISIBLE"
    assert tuple(visible.linestyle.color) == (0.0, 0.0, 0.0) and visible.linestyle.thickness == pytest.approx(2.0)
    scene = factory_scene()
    blender_drawings._freestyle(scene, style(thickness=2.0, hidden=True))
    visible, hidden = scene.view_layers[0].freestyle_settings.linesets
    assert hidden.name == "hidden" and hidden.select_by_visibility and hidden.visibility == "HIDDEN"
    assert hidden.linestyle is not visible.linestyle and hidden.linestyle.name == "hidden"
    assert tuple(hidden.linestyle.color) == pytest.approx((0.3, 0.3, 0.3))
    assert hidden.linestyle.thickness == pytest.approx(1.2) and hidden.linestyle.use_dashed_line
    assert (hidden.linestyle.dash1, hidden.linestyle.gap1) == (6, 4)
    scene = factory_scene()
    blender_drawings._freestyle(scene, style(thickness=1.0, hidden=True))   # never thinner than 0.7
    assert scene.view_layers[0].freestyle_settings.linesets[1].linestyle.thickness == pytest.approx(0.7)


def square(side=1.0):
    """A flat square at z = 0 facing +z: two triangles."""
    h = side / 2
    verts = np.array([[-h, -h, 0.0], [h, -h, 0.0], [h, h, 0.0], [-h, h, 0.0]])
    return verts, np.array([[0, 1, 2], [0, 2, 3]])


def test_a_drawing_builds_a_factory_scene_from_each_piece_and_lays_the_render_on_the_paper(monkeypatch):
    pytest.importorskip("bpy")
    calls = []
    for name in ("_material", "_camera", "_lighting", "_render_settings", "_freestyle"):
        real = getattr(blender_drawings, name)
        monkeypatch.setattr(blender_drawings, name,
                            lambda *a, _name=name, _real=real: calls.append((_name, a)) or _real(*a))
    cam = Camera(forward=np.array([0.0, 0.0, -1.0]), up=np.array([0.0, 1.0, 0.0]), half_size=1.0,
                 center=np.zeros(3))
    given = style(kind="fill", fill=(1.0, 1.0, 1.0), paper=0.9, thickness=1.0)
    image, alpha = blender_drawings.draw(*square(), cam, 16, given)
    import bpy
    scene = bpy.context.scene
    assert [name for name, _ in calls] == ["_material", "_camera", "_lighting", "_render_settings", "_freestyle"]
    assert calls[0][1] == (given,) and calls[1][1] == (scene, cam) and calls[2][1] == (scene, cam, given)
    assert calls[3][1] == (scene, 16) and calls[4][1] == (scene, given)
    (figure,) = [o for o in scene.objects if o.type == "MESH"]
    assert len(figure.data.vertices) == 4 and len(figure.data.polygons) == 2
    assert figure.data.materials[0].node_tree is not None
    assert image.shape == (16, 16, 3) and alpha.shape == (16, 16)
    assert image.dtype == np.float32 and alpha.dtype == np.float32
    # off the figure: the paper's tone; inside the square, the white fill read back as 255 / 255 (254 at worst:
    # eight samples)
    assert np.all(image[alpha == 0] == np.float32(0.9)) and (alpha == 0).sum() > 100
    inside = image[6:10, 6:10]
    assert np.all(alpha[6:10, 6:10] == 1.0) and inside.max() == 1.0 and inside.min() >= np.float32(254 / 255)


def test_a_view_sample_is_the_meshes_sets_truth_with_blenders_drawing_in_a_seeded_style(monkeypatch, tmp_path):
    calls = []
    mesh = blender_drawings.meshes
    monkeypatch.setattr(mesh, "load_unit", lambda path: calls.append(("load", path)) or ("verts", "faces"))
    monkeypatch.setattr(mesh, "view_camera", lambda view, rng: calls.append(("camera", view, rng.random())) or "cam")
    monkeypatch.setattr(mesh, "rasterise", lambda verts, faces, cam, size: ("mask", "depth", "normals"))
    monkeypatch.setattr(mesh, "nearness_of", lambda depth, mask: f"nearness of {depth}, {mask}")
    monkeypatch.setattr(blender_drawings.truth, "of_view", lambda mask, depth, normals, cam: ("planes", 0.4))
    drawn = []
    monkeypatch.setattr(blender_drawings, "draw", lambda verts, faces, cam, size, style: drawn.append(
        (verts, faces, cam, size, style)) or ("image", "alpha"))
    styles = iter([{"kind": "shaded", "hidden": True}, {"kind": "lines", "hidden": False}])
    monkeypatch.setattr(blender_drawings, "choose_style", lambda rng: calls.append(("style", rng.random()))
                        or next(styles))
    path = tmp_path / "part.obj"
    sample = blender_drawings.view_sample(path, "iso", 48, 7, 90_003)
    assert sample == {"image": "image", "nearness": "nearness of depth, mask", "mask": "mask",
                      "info": "part.obj @ iso (shaded, hidden lines)", "planes": "planes", "proportion": 0.4}
    assert calls == [("load", path), ("camera", "iso", np.random.default_rng(7).random()),
                     ("style", np.random.default_rng(90_003).random())]
    assert drawn == [("verts", "faces", "cam", 48, {"kind": "shaded", "hidden": True})]
    assert blender_drawings.view_sample(path, "top", 48, 7, 1)["info"] == "part.obj @ top (lines)"
