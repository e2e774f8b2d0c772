"""Generate from every source, placement, material, sliders, apply, undo, persistence."""
import bmesh
import bpy
import numpy as np
import pytest

from depthy_blender.blender import mesh_io, props
from tests.blender.conftest import generate, image_empty, z_of


def test_register_adds_operators_panels_and_drop_handler(drawing_path):
    assert hasattr(bpy.types, "DEPTHY_PT_generate") and hasattr(bpy.types, "DEPTHY_PT_relief")
    assert hasattr(bpy.ops.depthy, "apply") and hasattr(bpy.ops.depthy, "regenerate")
    handler = bpy.types.FileHandler.bl_rna_get_subclass_py("DEPTHY_FH_drawing")
    assert handler is not None and ".png" in handler.bl_file_extensions
    # a drop brings its own file: its operator needs no source in the panel
    assert handler.bl_import_operator == "depthy.generate_file" and bpy.ops.depthy.generate_file.poll()


def test_generate_is_disabled_with_its_reason(drawing_path):
    """Nothing to generate from: greyed out, and the reason is the poll message (the button's tooltip)."""
    assert not bpy.ops.depthy.generate.poll()
    with pytest.raises(RuntimeError, match="Select an image empty with a drawing"):
        bpy.ops.depthy.generate()
    image_empty(drawing_path)
    assert bpy.ops.depthy.generate.poll()
    s = bpy.context.scene.depthy
    s.source = "FILE"
    with pytest.raises(RuntimeError, match="Choose a drawing file first"):
        bpy.ops.depthy.generate()
    s.filepath, s.engine = str(drawing_path), "triposr"
    with pytest.raises(RuntimeError, match="TripoSR cannot run: (TripoSR weights not found|the Python package)"):
        bpy.ops.depthy.generate()


def test_engines_that_cannot_run_are_marked():
    from depthy_blender.blender import props as p
    items = {name: (label, tip) for name, label, tip in p.engine_items()}
    assert items["triposr"][0] == "TripoSR (unavailable)" and items["triposr"][1].startswith("Cannot run: ")
    assert items["inflate"][0] == "Inflate" and not items["inflate"][1].startswith("Cannot run")


def test_tooltips_are_one_clean_line():
    for name in dir(bpy.ops.depthy):
        tip = getattr(bpy.ops.depthy, name).get_rna_type().description
        assert tip and "\n" not in tip and "  " not in tip, (name, tip)


def test_redo_panel_changes_the_relief(drawing_path):
    """Adjust Last Operation (F9): the operator's own properties, starting from the panel's, re-run it."""
    s = bpy.context.scene.depthy
    s.source, s.filepath, s.resolution = "FILE", str(drawing_path), 64
    assert bpy.ops.depthy.generate() == {"FINISHED"}
    assert bpy.context.active_object.depthy.grid_cols == 64          # unset: the panel's values
    rna = bpy.ops.depthy.generate.get_rna_type().properties
    for name in ("engine", "faces", "resolution", "back", "auto_ratio", "ratio", "smoothing"):   # F9 shows
        assert name in rna and not rna[name].is_hidden, name
    # F9 re-runs the operator with the values the artist set there
    assert bpy.ops.depthy.generate(resolution=32, back="flat", ratio=0.5) == {"FINISHED"}
    obj = bpy.context.active_object
    assert obj.depthy.grid_cols == 32 and obj.depthy.ratio == pytest.approx(0.5)
    assert np.isclose(z_of(obj).min(), -0.02 * obj.depthy.width)    # the flat back, the base behind
    assert (s.resolution, s.back, s.ratio) == (64, "none", pytest.approx(0.2))   # the panel is untouched
    assert not obj.depthy.ran_on.endswith("flat faces")
    assert bpy.ops.depthy.generate(resolution=32, faces="flat") == {"FINISHED"}
    assert bpy.context.active_object.depthy.ran_on.endswith(" · flat faces") and s.faces == "engine"


def test_regenerate_replaces_in_place_and_keeps_the_artists_setup(drawing_path):
    obj = generate(source="FILE", filepath=str(drawing_path), resolution=48)
    obj.location = (3.0, 1.0, 2.0)
    obj.modifiers.new("bevel", "BEVEL")
    material = obj.active_material
    count = len(bpy.data.objects)
    bpy.context.scene.depthy.resolution = 96
    assert bpy.ops.depthy.regenerate() == {"FINISHED"}
    assert len(bpy.data.objects) == count and bpy.context.active_object == obj
    assert tuple(obj.location) == (3.0, 1.0, 2.0) and [m.name for m in obj.modifiers] == ["bevel"]
    assert obj.active_material == material and obj.depthy.grid_cols == 96
    assert props.slider_problem(obj) is None
    bpy.ops.ed.undo_push(message="regenerated")


def test_regenerate_keeps_the_reliefs_invert_in_its_heights(drawing_path):
    obj = generate(source="FILE", filepath=str(drawing_path), ratio=0.2, smoothing=0.0)
    plain = z_of(obj)
    obj.depthy.invert = True
    inverted = z_of(obj)
    assert not np.allclose(inverted, plain)
    assert bpy.ops.depthy.regenerate() == {"FINISHED"}
    assert obj.depthy.invert and np.allclose(z_of(obj), inverted, atol=1e-6)
    assert props.slider_problem(obj) is None


def test_from_image_empty_takes_its_place_and_size(drawing_path):
    empty = image_empty(drawing_path, size=2.0)
    empty.rotation_euler = (0.3, 0.2, 0.1)
    obj = generate(source="EMPTY", back="none", ratio=0.2, smoothing=0.0)
    assert obj.depthy.is_result and obj.depthy.engine == "inflate"
    assert np.allclose(np.array(obj.matrix_world.to_3x3()), np.array(empty.matrix_world.to_3x3()), atol=1e-6)
    # the drawing's rectangle spans 100/160 of the 2.0-wide image, centred at x = (80-80)
    p = mesh_io.get_positions(obj.data)
    assert np.ptp(p[:, 0]) == pytest.approx(2.0 * 100 / 160, abs=0.03)
    assert (obj.matrix_world.translation - empty.matrix_world.translation).length < 0.05
    assert p[:, 2].max() == pytest.approx(0.2 * obj.depthy.width, rel=1e-5)
    # the empty itself is untouched
    assert empty.name in bpy.data.objects and empty.empty_display_size == 2.0


def test_from_datablock_and_material_shows_the_drawing(drawing_path):
    image = bpy.data.images.load(str(drawing_path))
    obj = generate(source="IMAGE", image=image)
    assert obj.rotation_euler.x == pytest.approx(np.pi / 2)     # upright in the front plane
    tex = [n for n in obj.active_material.node_tree.nodes if n.type == "TEX_IMAGE"]
    assert tex and tex[0].image == image
    assert obj.data.uv_layers.active is not None
    assert len(bpy.data.images) == 1                              # no duplicate image


def test_from_file(drawing_path):
    obj = generate(source="FILE", filepath=str(drawing_path), back="mirror", triangles=True)
    assert obj.name == "drawing relief"
    assert all(len(p.vertices) == 3 for p in obj.data.polygons[:50])
    # the mirrored back, a further base (0.02 of the width) behind
    assert np.isclose(z_of(obj).min(), -z_of(obj).max() - 0.02 * obj.depthy.width)
    assert bpy.data.images[0].filepath == str(drawing_path)


def test_gif_relief_is_textured_with_the_drawing(tmp_path):
    """Blender 5 cannot read GIF; the texture is then made from the pixels we decoded, and packed."""
    from tests.conftest import outline_drawing
    path = tmp_path / "part.gif"
    outline_drawing().save(path)
    obj = generate(source="FILE", filepath=str(path))
    tex = next(n for n in obj.active_material.node_tree.nodes if n.type == "TEX_IMAGE")
    assert tuple(tex.image.size) == (160, 120)   # read by Blender where it can (4.2), else made and packed
    pixels = np.empty(160 * 120 * 4, np.float32)
    tex.image.pixels.foreach_get(pixels)
    rgba = pixels.reshape(120, 160, 4)[::-1]
    assert rgba[25, 80, 0] < 0.1 and rgba[60, 80, 0] > 0.9     # the outline is ink, the inside paper


def test_image_datablock_is_read_off_the_main_thread_when_it_shows_its_file(drawing_path):
    from depthy_blender.blender import generate as gen
    empty = image_empty(drawing_path)
    req = gen.request_from_settings(bpy.context, bpy.context.scene.depthy)
    assert req.path == str(drawing_path) and req.rgba is None and req.empty_name == empty.name
    empty.data.pixels[0] = 0.5            # an edit in Blender: now its pixels, not the file, are the drawing
    req = gen.request_from_settings(bpy.context, bpy.context.scene.depthy)
    assert req.path is None and req.rgba is not None and req.rgba.shape == (120, 160, 4)


def test_filepath_argument_overrides_source(drawing_path):
    """What a drop (or a script) calls: the file comes with the call, whatever the panel's source."""
    assert bpy.ops.depthy.generate_file(filepath=str(drawing_path)) == {"FINISHED"}
    assert bpy.context.active_object.depthy.is_result


def test_turned_engine_with_a_mirrored_back_is_a_whole_round_part(tmp_path):
    """A shaft drawn from the side: Turned revolves it about its axis (says so in the status), Auto depth
    makes it as deep as its collar's radius, and the mirrored back closes it into a whole part."""
    from PIL import Image, ImageDraw
    path = tmp_path / "shaft.png"
    img = Image.new("RGB", (240, 160), "white")
    for box in [(20, 60, 100, 99), (100, 40, 180, 119), (180, 65, 220, 94)]:
        ImageDraw.Draw(img).rectangle(box, outline="black", width=2)
    img.save(path)
    obj = generate(source="FILE", filepath=str(path), engine="turned", back="mirror", auto_ratio=True,
                   smoothing=0.0, base=0.0)
    assert obj.depthy.engine == "turned" and obj.depthy.ran_on == "Turned · horizontal axis"
    collar = np.sqrt(40.0 ** 2 - 0.5 ** 2)            # 80 rows across, about the axis between rows 79 and 80
    assert obj.depthy.ratio == pytest.approx(collar / 240, rel=1e-6)
    assert np.ptp(z_of(obj)) == pytest.approx(2 * obj.depthy.ratio * obj.depthy.width, rel=1e-4)


def test_flat_faces_make_a_plate_with_a_hub_two_flat_levels(tmp_path):
    """A plate with a hub drawn square-on: with Flat Faces the relief is two flat levels (inflation's
    dome would be one round hill), the hub on top, and the status line names the reading."""
    from PIL import Image, ImageDraw
    path = tmp_path / "plate.png"
    img = Image.new("RGB", (160, 120), "white")
    for box in ((20, 20, 139, 99), (60, 40, 99, 79)):
        ImageDraw.Draw(img).rectangle(box, outline="black", width=2)
    img.save(path)
    obj = generate(source="FILE", filepath=str(path), engine="inflate", ratio=0.2, smoothing=0.0,
                   faces="flat", resolution=80)
    assert obj.depthy.ran_on == "Inflate · flat faces"
    xyz = mesh_io.get_positions(obj.data)
    z = xyz[:, 2]
    low, high = z.min(), z.max()
    assert high - low == pytest.approx(0.2 * obj.depthy.width, rel=1e-4)
    on_level = np.isclose(z, low, atol=1e-6) | np.isclose(z, high, atol=1e-6)
    assert on_level.mean() > 0.85                              # the step and the outline: cells across them
    x, y = xyz[:, 0] / obj.depthy.width, xyz[:, 1] / obj.depthy.width   # the hub: the middle quarter
    hub = (np.abs(x) < 0.1) & (np.abs(y) < 0.1)
    assert hub.any() and np.allclose(z[hub], high, atol=1e-6)
    plain = generate(source="FILE", filepath=str(path), engine="inflate", ratio=0.2, smoothing=0.0,
                     faces="engine", resolution=80)
    z = z_of(plain)
    assert plain.depthy.ran_on == "" and (np.isclose(z, z.min()) | np.isclose(z, z.max())).mean() < 0.5


def test_planar_faces_make_each_face_of_a_box_drawn_in_isometric_one_plane(tmp_path):
    """A box drawn in isometric, its three faces closed by lines: with Planar faces each face of the
    relief is flat (inflation's dome would bulge), the top face slants as inflation leans it, and the
    status line names the reading."""
    from PIL import Image, ImageDraw
    path = tmp_path / "box.png"
    img = Image.new("RGB", (200, 200), "white")
    top, left, right = [(100, 30), (170, 70), (100, 110), (30, 70)], [(30, 70), (100, 110), (100, 180), (30, 140)], \
        [(100, 110), (170, 70), (170, 140), (100, 180)]
    for face in (top, left, right):
        ImageDraw.Draw(img).polygon(face, outline="black", width=2)
    img.save(path)
    obj = generate(source="FILE", filepath=str(path), engine="inflate", ratio=0.2, smoothing=0.0, faces="planar",
                   resolution=100)
    assert obj.depthy.ran_on == "Inflate · planar faces"
    xyz = mesh_io.get_positions(obj.data) / obj.depthy.width
    # each face's vertices well inside it (a grid cell of 0.01 from its lines) lie on one plane
    for corners in (top, left, right):
        centre = np.mean(corners, axis=0)
        inner = [tuple(centre + 0.7 * (np.asarray(c) - centre)) for c in corners]
        mask = Image.new("L", (200, 200))
        ImageDraw.Draw(mask).polygon(inner, fill=1)
        inside = np.asarray(mask, bool)
        col = np.clip(((xyz[:, 0] + 0.5) * 200).astype(int), 0, 199)
        row = np.clip(((0.5 - xyz[:, 1]) * 200 - 0.5).astype(int), 0, 199)
        on = inside[row, col]
        assert on.sum() > 100
        terms = np.c_[xyz[on, :2], np.ones(on.sum())]
        fitted = terms @ np.linalg.lstsq(terms, xyz[on, 2], rcond=None)[0]
        assert np.abs(fitted - xyz[on, 2]).max() < 1e-5
        assert np.ptp(xyz[on, 2]) > 0.01                         # a slanted plane, not one height
    s = bpy.context.scene.depthy
    s.faces = "engine"
    assert bpy.ops.depthy.generate(resolution=50, faces="planar") == {"FINISHED"}   # F9's own Faces
    assert bpy.context.active_object.depthy.ran_on == "Inflate · planar faces" and s.faces == "engine"
    plain = generate(source="FILE", filepath=str(path), engine="inflate", ratio=0.2, smoothing=0.0, resolution=100)
    z = mesh_io.get_positions(plain.data)[:, 2] / plain.depthy.width
    terms = np.c_[mesh_io.get_positions(plain.data)[:, :2] / plain.depthy.width, np.ones(len(z))]
    assert np.abs(terms @ np.linalg.lstsq(terms, z, rcond=None)[0] - z).max() > 1e-3   # the dome: no plane


def test_luminance_engine(drawing_path):
    obj = generate(source="FILE", filepath=str(drawing_path), engine="luminance")
    assert obj.depthy.engine == "luminance"


def test_sliders_update_heights_in_place(drawing_path):
    obj = generate(source="FILE", filepath=str(drawing_path), ratio=0.2, smoothing=0.0)
    xy = mesh_io.get_positions(obj.data)[:, :2].copy()
    z = z_of(obj)
    obj.depthy.ratio = 0.4
    assert np.array_equal(z_of(obj), 2 * z)
    obj.depthy.smoothing = 5.0
    smoothed = z_of(obj)
    assert not np.allclose(smoothed, 2 * z)
    assert smoothed.mean() == pytest.approx((2 * z).mean(), rel=1e-4)   # mask-aware: keeps the mean
    obj.depthy.invert = True
    assert not np.allclose(z_of(obj), smoothed)
    assert np.array_equal(mesh_io.get_positions(obj.data)[:, :2], xy)


def test_undo_generate_and_slider(drawing_path):
    bpy.ops.ed.undo_push(message="before")
    obj = generate(source="FILE", filepath=str(drawing_path), ratio=0.2)
    name, z = obj.name, z_of(obj)
    bpy.ops.ed.undo_push(message="generated")
    obj.depthy.ratio = 0.6
    bpy.ops.ed.undo_push(message="slider")
    bpy.ops.ed.undo()
    obj = bpy.data.objects[name]
    assert obj.depthy.ratio == pytest.approx(0.2) and np.array_equal(z_of(obj), z)
    bpy.ops.ed.undo()
    assert name not in bpy.data.objects


def test_save_reload_sliders_still_work(drawing_path, tmp_path):
    obj = generate(source="FILE", filepath=str(drawing_path), ratio=0.2, smoothing=1.0)
    name, z = obj.name, z_of(obj)
    path = tmp_path / "saved.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(path))
    bpy.ops.wm.read_homefile(use_empty=True)
    bpy.ops.wm.open_mainfile(filepath=str(path))
    obj = bpy.data.objects[name]
    assert props.slider_problem(obj) is None
    assert np.array_equal(z_of(obj), z)
    obj.depthy.ratio = 0.4
    assert np.allclose(z_of(obj), 2 * z, atol=1e-7)


def test_topology_edit_disables_sliders_and_keeps_the_edit(drawing_path):
    obj = generate(source="FILE", filepath=str(drawing_path))
    bm = bmesh.new()
    bm.from_mesh(obj.data)
    bmesh.ops.delete(bm, geom=bm.verts[:10], context="VERTS")
    bm.to_mesh(obj.data)
    bm.free()
    edited = mesh_io.get_positions(obj.data).copy()
    assert "edited" in props.slider_problem(obj)
    obj.depthy.ratio = 1.5
    assert np.array_equal(mesh_io.get_positions(obj.data), edited)


def test_height_edit_disables_sliders_and_keeps_the_edit(drawing_path):
    """Vertices moved along Z in Edit Mode keep the topology; the sliders must still not rewrite them."""
    obj = generate(source="FILE", filepath=str(drawing_path), ratio=0.2)
    obj.depthy.ratio = 0.3                      # a slider move before the edit is fine
    assert props.slider_problem(obj) is None
    bm = bmesh.new()
    bm.from_mesh(obj.data)
    bm.verts.ensure_lookup_table()
    for v in bm.verts[100:140]:
        v.co.z += 0.05
    bm.to_mesh(obj.data)
    bm.free()
    edited = mesh_io.get_positions(obj.data).copy()
    assert "Vertices were moved" in props.slider_problem(obj)
    obj.depthy.ratio = 1.5
    obj.depthy.smoothing = 3.0
    assert np.array_equal(mesh_io.get_positions(obj.data), edited)


def test_bounds_follow_a_slider_move(drawing_path):
    obj = generate(source="FILE", filepath=str(drawing_path), ratio=0.2)
    for ratio in (1.5, 0.1):
        obj.depthy.ratio = ratio
        bpy.context.view_layer.update()
        z = mesh_io.get_positions(obj.data)[:, 2]
        assert obj.dimensions.z == pytest.approx(float(np.ptp(z)), rel=1e-5)


def test_a_deleted_face_alone_disables_the_sliders(drawing_path):
    """Faces removed, every vertex kept: only the face count tells (vertex data still fits)."""
    obj = generate(source="FILE", filepath=str(drawing_path))
    bm = bmesh.new()
    bm.from_mesh(obj.data)
    bm.faces.ensure_lookup_table()
    bmesh.ops.delete(bm, geom=bm.faces[:3], context="FACES_ONLY")
    bm.to_mesh(obj.data)
    bm.free()
    assert len(obj.data.vertices) == obj.depthy.vert_count
    assert len(obj.data.polygons) == obj.depthy.face_count - 3
    assert "edited" in props.slider_problem(obj)


def test_edit_mode_blocks_sliders(drawing_path):
    obj = generate(source="FILE", filepath=str(drawing_path))
    bpy.ops.object.mode_set(mode="EDIT")
    assert "Edit Mode" in props.slider_problem(obj)
    bpy.ops.object.mode_set(mode="OBJECT")
    assert props.slider_problem(obj) is None


def test_apply_freezes(drawing_path):
    obj = generate(source="FILE", filepath=str(drawing_path))
    name, before = obj.name, mesh_io.get_positions(obj.data).copy()
    bpy.ops.ed.undo_push(message="generated")
    assert bpy.ops.depthy.apply() == {"FINISHED"}
    assert not obj.depthy.is_result
    assert all(obj.data.attributes.get(n) is None for n in mesh_io.SLIDER_ATTRIBUTES)
    assert np.array_equal(mesh_io.get_positions(obj.data), before)
    bpy.ops.ed.undo_push(message="applied")
    bpy.ops.ed.undo()
    assert bpy.data.objects[name].depthy.is_result


@pytest.mark.parametrize("back", ["none", "flat", "mirror"])
@pytest.mark.parametrize("triangles", [False, True])
def test_built_mesh_is_valid_and_matches_blenders_own_edges(back, triangles):
    from depthy_blender.core import relief
    mask = np.random.default_rng(5).random((40, 50)) > 0.25
    r = relief.build(np.random.default_rng(6).random((40, 50)).astype(np.float32), mask, resolution=50,
                     back=back, triangles=triangles)
    mesh = mesh_io.create_mesh(r, "check")
    assert mesh.validate(verbose=False) is False        # nothing needed fixing
    ours = sorted(tuple(sorted(e.vertices)) for e in mesh.edges)
    mesh.update(calc_edges=True)
    assert sorted(tuple(sorted(e.vertices)) for e in mesh.edges) == ours
    assert len(mesh.vertices) == len(r.verts) and len(mesh.polygons) == len(r.faces)
    if back != "none":
        assert mesh.attributes.get("depthy_side") is not None


def test_generate_from_sheet_operator(shared_data):
    s = bpy.context.scene.depthy
    s.sheet_path, s.sheet_solid, s.resolution = str(shared_data / "sheets" / "ttt-ppp0103.png"), True, 48
    bpy.ops.ed.undo_push(message="before")
    assert bpy.ops.depthy.generate_sheet() == {"FINISHED"}
    names = {o.name for o in bpy.data.objects}
    assert {"ttt-ppp0103 front view", "ttt-ppp0103 top view", "ttt-ppp0103 side view", "ttt-ppp0103 solid"} <= names
    bpy.ops.ed.undo_push(message="sheet")
    bpy.ops.ed.undo()
    assert not any(n.startswith("ttt-ppp0103") for n in (o.name for o in bpy.data.objects))


def test_generate_from_sheet_without_file_is_a_message():
    bpy.context.scene.depthy.sheet_path = ""
    with pytest.raises(RuntimeError, match="Choose a sheet"):
        bpy.ops.depthy.generate_sheet()


def test_the_panel_names_engines_as_the_artist_knows_them():
    from depthy_blender.blender import panel
    assert (panel.engine_label("depthy"), panel.engine_label("triposr")) == ("Depthy", "TripoSR")
    assert panel.engine_label("gone") == "gone"


def test_relief_controls_come_first_and_starting_values_say_so():
    from depthy_blender.blender import panel
    assert panel.DEPTHY_PT_relief.bl_order < panel.DEPTHY_PT_generate.bl_order < panel.DEPTHY_PT_sheet.bl_order
    scene = bpy.types.Scene.bl_rna.properties["depthy"].fixed_type.properties
    assert scene["ratio"].name == "Starting Depth Ratio" and scene["smoothing"].name == "Starting Smoothing"
    assert scene["sheet_path"].name == "Sheet"


def test_auto_depth_builds_the_relief_as_deep_as_the_engine_sees_it_drawn(drawing_path):
    """The default. Inflation sees a round body: the widest circle inside the 101 × 71 px rectangle has
    a radius of 36 px, so the relief is 36 px deep, 36/160 of the image's width."""
    assert bpy.context.scene.depthy.auto_ratio
    obj = generate(source="FILE", filepath=str(drawing_path), smoothing=0.0)
    drawn = 36 / 160
    assert obj.depthy.drawn_ratio == pytest.approx(drawn, rel=1e-5)
    assert obj.depthy.ratio == pytest.approx(drawn, rel=1e-5)
    assert np.ptp(z_of(obj)) == pytest.approx(drawn * obj.depthy.width, rel=1e-4)
    # the slider overrides it; Depth as Drawn brings it back, and undo takes that back again
    obj.depthy.ratio = 0.6
    bpy.ops.ed.undo_push(message="slider")
    assert bpy.ops.depthy.ratio_as_drawn() == {"FINISHED"}
    assert obj.depthy.ratio == pytest.approx(drawn, rel=1e-5)
    assert np.ptp(z_of(obj)) == pytest.approx(drawn * obj.depthy.width, rel=1e-4)
    bpy.ops.ed.undo_push(message="as drawn")
    bpy.ops.ed.undo()
    obj = bpy.context.active_object
    assert obj.depthy.ratio == pytest.approx(0.6) and np.ptp(z_of(obj)) == pytest.approx(0.6 * obj.depthy.width, rel=1e-4)


def test_without_auto_depth_or_an_engine_that_can_tell_the_starting_ratio_is_used(drawing_path):
    obj = generate(source="FILE", filepath=str(drawing_path), auto_ratio=False)
    assert obj.depthy.ratio == pytest.approx(0.2)
    assert obj.depthy.drawn_ratio == pytest.approx(36 / 160, rel=1e-5)   # still offered
    obj = generate(source="FILE", filepath=str(drawing_path), auto_ratio=True, engine="luminance")
    assert obj.depthy.ratio == pytest.approx(0.2) and obj.depthy.drawn_ratio < 0
    assert not bpy.ops.depthy.ratio_as_drawn.poll()


def test_a_closed_back_keeps_its_base_under_a_flat_relief_and_the_base_is_a_live_slider(drawing_path):
    """A face seen square-on (luminance on the paper inside the outline is constant there) at depth ratio
    0 is still a solid: its back is the base (0.02 of the width) behind; the slider moves only the back."""
    obj = generate(source="FILE", filepath=str(drawing_path), back="flat", ratio=0.0, smoothing=0.0)
    width = obj.depthy.width
    z = z_of(obj)
    assert z.max() == pytest.approx(0.0, abs=1e-7) and z.min() == pytest.approx(-0.02 * width, rel=1e-5)
    sides = mesh_io.read_slider_data(obj.data)[2]
    obj.depthy.base = 0.1
    moved = z_of(obj)
    assert np.array_equal(moved[sides > 0], z[sides > 0])
    assert np.allclose(moved[sides <= 0], -0.1 * width, rtol=1e-6)
    open_relief = generate(source="FILE", filepath=str(drawing_path), back="none", ratio=0.2, base=0.3)
    assert not open_relief.depthy.closed and z_of(open_relief).min() >= 0.0   # no back, no base
