"""Sheet views keep their roles; the solid is rebuilt from the reliefs after a role is reassigned, in
first- or third-angle layouts, replacing only an untouched earlier solid; undo brings the old one back."""
import bpy
import numpy as np
import pytest
from PIL import Image, ImageDraw

from depthy_blender.blender import mesh_io

PX = 100   # pixels per unit on the test sheet


def _sheet(path, first_angle=False):
    """A base plate with a wall along its back (x ±0.9, y ±0.7, plate z −1…−0.5, wall y 0.3…0.7 up to
    z 0.7) drawn in three views; third-angle unless first_angle (then plan below, left view right)."""
    img = Image.new("RGB", (900, 800), "white")
    d = ImageDraw.Draw(img)
    front = (100, 330, 280, 500)
    top = (100, 120, 280, 260) if not first_angle else (100, 570, 280, 710)
    d.rectangle(front, outline="black", width=3)
    d.rectangle(top, outline="black", width=3)
    d.line([(100, 160 if not first_angle else 670), (280, 160 if not first_angle else 670)], fill="black", width=2)
    x0 = 350   # the side view, right of the front view: the right view (third) or the left view (first)
    right_view = [(0, 170), (140, 170), (140, 0), (100, 0), (100, 120), (0, 120)]   # wall on the right
    pts = [(x0 + (140 - u if first_angle else u), 330 + v) for u, v in right_view]
    d.polygon(pts, outline="black", width=3)
    img.save(path)


def _generate(path):
    s = bpy.context.scene.depthy
    s.sheet_path, s.sheet_solid, s.resolution, s.solid_resolution = str(path), True, 64, 48
    assert bpy.ops.depthy.generate_sheet() == {"FINISHED"}
    objs = {o.depthy.sheet_role: o for o in bpy.data.objects if o.depthy.is_result}
    solids = [o for o in bpy.data.objects if o.depthy.is_sheet_solid]
    return objs, solids


def _wall_side(solid):
    """+1 when the solid's tall part is at the back (+y), −1 at the front."""
    p = mesh_io.get_positions(solid.data)
    tall = p[:, 2] > p[:, 2].min() + 0.6 * np.ptp(p[:, 2])
    return np.sign(p[tall, 1].mean() - (p[:, 1].max() + p[:, 1].min()) / 2)


@pytest.mark.parametrize("first_angle", [False, True])
def test_sheet_views_carry_roles_and_the_solid_is_right_way_round(tmp_path, first_angle):
    _sheet(tmp_path / "sheet.png", first_angle)
    views, solids = _generate(tmp_path / "sheet.png")
    assert {"front", "top", "side"} <= set(views) and len(solids) == 1
    dims = np.array(solids[0].dimensions)
    assert dims / dims[0] == pytest.approx([1.0, 1.4 / 1.8, 1.7 / 1.8], abs=0.08)
    assert _wall_side(solids[0]) == 1


def test_reassigning_roles_rebuilds_the_solid(tmp_path):
    _sheet(tmp_path / "sheet.png")
    views, _ = _generate(tmp_path / "sheet.png")
    bpy.context.view_layer.objects.active = views["front"]
    views["top"].depthy.sheet_role = "side"                          # two side views: a clear message
    with pytest.raises(RuntimeError, match="2 views are tagged side"):
        bpy.ops.depthy.solid_from_views()
    views["top"].depthy.sheet_role, views["side"].depthy.sheet_role = "side", "top"   # swapped by mistake
    assert bpy.ops.depthy.solid_from_views() == {"FINISHED"}
    solids = [o for o in bpy.data.objects if o.depthy.is_sheet_solid]
    assert len(solids) == 1 and len(bpy.data.objects) == 4                   # replaced, not piled up
    swapped_dims = np.array(solids[0].dimensions)
    views = {o.depthy.sheet_role: o for o in bpy.data.objects if o.depthy.is_result}
    views["top"].depthy.sheet_role, views["side"].depthy.sheet_role = "side", "top"   # put right again
    bpy.ops.ed.undo_push(message="swapped")
    assert bpy.ops.depthy.solid_from_views() == {"FINISHED"}
    solid = next(o for o in bpy.data.objects if o.depthy.is_sheet_solid)
    dims = np.array(solid.dimensions)
    assert dims / dims[0] == pytest.approx([1.0, 1.4 / 1.8, 1.7 / 1.8], abs=0.08)
    assert not np.allclose(dims, swapped_dims, rtol=0.05)
    bpy.ops.ed.undo_push(message="rebuilt")
    bpy.ops.ed.undo()                                                   # back to the swapped solid
    (restored,) = [o for o in bpy.data.objects if o.depthy.is_sheet_solid]
    assert np.allclose(np.array(restored.dimensions), swapped_dims)


def test_an_edited_solid_is_kept(tmp_path):
    _sheet(tmp_path / "sheet.png")
    views, (solid,) = _generate(tmp_path / "sheet.png")
    solid.data.vertices.add(1)                                         # the user's own work now
    bpy.context.view_layer.objects.active = views["front"]
    assert bpy.ops.depthy.solid_from_views() == {"FINISHED"}
    assert solid.name in bpy.data.objects and not solid.depthy.is_sheet_solid
    assert len([o for o in bpy.data.objects if o.depthy.is_sheet_solid]) == 1


def test_solid_needs_three_views(tmp_path):
    _sheet(tmp_path / "sheet.png")
    views, _ = _generate(tmp_path / "sheet.png")
    views["top"].depthy.sheet_role = "unknown"
    bpy.context.view_layer.objects.active = views["front"]
    with pytest.raises(RuntimeError, match="^Error: Tag one view each as Front, Top and Side \\(or Section\\) to build"):
        bpy.ops.depthy.solid_from_views()


def test_refine_with_depth_runs_from_the_stored_nearness(tmp_path):
    _sheet(tmp_path / "sheet.png")
    views, _ = _generate(tmp_path / "sheet.png")
    bpy.context.scene.depthy.solid_refine_depth = True
    bpy.context.view_layer.objects.active = views["front"]
    assert bpy.ops.depthy.solid_from_views() == {"FINISHED"}
    (refined,) = [o for o in bpy.data.objects if o.depthy.is_sheet_solid]
    assert len(refined.data.polygons) > 0 and len(refined.data.vertices) > 0
    from depthy_blender.blender import sheet_generate
    mask, near = sheet_generate.view_mask(views["front"], with_nearness=True)
    assert mask.any() and np.isfinite(near[mask]).all() and np.isnan(near[~mask]).all()


def test_rebuilt_solid_matches_the_generated_one(shared_data):
    """Solid from Views carves the reliefs' grids (each view has its own cell size) and must give the
    solid Generate carved from the sheet's pixels: bounds within 1 % on ttt-ppp0101."""
    s = bpy.context.scene.depthy
    s.sheet_path, s.sheet_solid = str(shared_data / "sheets" / "ttt-ppp0101.png"), True
    s.engine, s.resolution, s.solid_resolution = "inflate", 192, 128
    assert bpy.ops.depthy.generate_sheet() == {"FINISHED"}
    (generated,) = [o for o in bpy.data.objects if o.depthy.is_sheet_solid]
    made = np.ptp(mesh_io.get_positions(generated.data), axis=0)
    front = next(o for o in bpy.data.objects if o.depthy.sheet_role == "front")
    bpy.context.view_layer.objects.active = front
    assert bpy.ops.depthy.solid_from_views() == {"FINISHED"}
    (rebuilt,) = [o for o in bpy.data.objects if o.depthy.is_sheet_solid]
    again = np.ptp(mesh_io.get_positions(rebuilt.data), axis=0)
    assert again == pytest.approx(made, rel=0.01), (made, again)


def test_sheet_view_reliefs_are_textured_with_their_view(tmp_path):
    _sheet(tmp_path / "sheet.png")
    views, _ = _generate(tmp_path / "sheet.png")
    for role in ("front", "top", "side"):
        mat = views[role].active_material
        assert mat is not None, role
        tex = next(n for n in mat.node_tree.nodes if n.type == "TEX_IMAGE")
        w, h = tex.image.size
        pixels = np.empty(w * h * 4, np.float32)
        tex.image.pixels.foreach_get(pixels)
        grey = pixels.reshape(h, w, 4)[..., 0]
        assert (grey < 0.2).mean() > 0.01 and (grey > 0.9).mean() > 0.3   # the view's ink on its paper


def test_sheet_with_triposr_chosen_uses_depthy_for_the_views(tmp_path):
    """TripoSR makes whole objects, not a view's depth: the sheet swaps in Depthy (and says so)."""
    from depthy_blender.models import depthy_engine
    if depthy_engine.available() is not None:
        pytest.skip(f"Depthy not ready: {depthy_engine.available()}")
    _sheet(tmp_path / "sheet.png")
    bpy.context.scene.depthy.engine = "triposr"
    views, _ = _generate(tmp_path / "sheet.png")
    assert {v.depthy.engine for v in views.values()} == {"depthy"}


def test_rebuilding_after_a_retag_still_reads_the_holes(tmp_path):
    """A plate with two drilled holes (hidden lines dashed): the solid has genus 2 when generated, and
    still after it is rebuilt from the reliefs (as after re-tagging a view)."""
    from benchmarks import three_view_parts as parts
    from depthy_blender.blender import sheet_generate
    parts.save_sheet(parts.plate_with_holes(2), tmp_path / "plate.png")
    s = bpy.context.scene.depthy
    s.sheet_path, s.sheet_solid, s.resolution, s.solid_resolution = str(tmp_path / "plate.png"), True, 96, 128
    assert bpy.ops.depthy.generate_sheet() == {"FINISHED"}
    views = {o.depthy.sheet_role: o for o in bpy.data.objects if o.depthy.is_result}
    (first,) = [o for o in bpy.data.objects if o.depthy.is_sheet_solid]
    assert _genus(first) == 2
    rebuilt = sheet_generate.solid_from_objects(bpy.context, views["front"], 128)
    assert _genus(rebuilt) == 2


def _genus(obj) -> int:
    mesh = obj.data
    v, e, f = len(mesh.vertices), len(mesh.edges), len(mesh.polygons)
    return (2 - (v - e + f)) // 2


# ---- Solid from Views: what it reads from the reliefs and where the solid goes ------------------------

def _rebuild(front, **kwargs):
    from depthy_blender.blender import sheet_generate
    return sheet_generate.solid_from_objects(bpy.context, front, 48, **kwargs)


def _volume(obj):
    """The closed triangle mesh's volume. (extract.signed_volume is the same sum, but its package needs
    PyTorch, which the Blender tier under Blender 5.3 does not have.)"""
    p = mesh_io.get_positions(obj.data).astype(np.float64)
    a, b, c = (p[np.array([poly.vertices[k] for poly in obj.data.polygons])] for k in range(3))
    return abs(np.einsum("ij,ij->i", a, np.cross(b, c)).sum() / 6.0)


def test_the_rebuilt_solid_is_named_for_the_sheet_and_placed_right_of_its_views(tmp_path):
    _sheet(tmp_path / "sheet.png")
    views, _ = _generate(tmp_path / "sheet.png")
    solid = _rebuild(views["front"])
    assert solid.name == "sheet solid" and solid.depthy.is_sheet_solid
    views["front"].depthy.sheet_role, views["side"].depthy.sheet_role = "side", "front"   # named for the sheet,
    assert _rebuild(views["front"]).name == "sheet solid"                               # whichever view is front
    views["front"].depthy.sheet_role, views["side"].depthy.sheet_role = "front", "side"
    solid = _rebuild(views["front"])
    assert [c.name for c in solid.users_collection] == [views["front"].users_collection[0].name]
    right = max(o.location.x + o.dimensions.x / 2 for o in views.values())
    width = np.ptp(mesh_io.get_positions(solid.data)[:, 0])
    assert tuple(solid.location) == pytest.approx((right + width, 0.0, views["front"].location.z))
    # as wide as the front view's relief, in the grey the solid is shown in
    assert width == pytest.approx(views["front"].depthy.width, rel=1e-5)
    colours = np.empty(len(solid.data.vertices) * 4, np.float32)
    solid.data.attributes[mesh_io.COLOUR].data.foreach_get("color", colours)
    assert np.allclose(colours.reshape(-1, 4)[:, :3], 0.8)


def test_scaled_views_give_a_solid_as_large_as_they_are_shown(tmp_path):
    _sheet(tmp_path / "sheet.png")
    views, _ = _generate(tmp_path / "sheet.png")
    before = np.ptp(mesh_io.get_positions(_rebuild(views["front"]).data), axis=0)
    for view in views.values():
        view.scale = (2.0, 2.0, 2.0)
    bpy.context.view_layer.update()
    after = np.ptp(mesh_io.get_positions(_rebuild(views["front"]).data), axis=0)
    assert after == pytest.approx(2 * before, rel=0.03)


def test_a_section_stands_in_for_the_side_view(tmp_path):
    _sheet(tmp_path / "sheet.png")
    views, _ = _generate(tmp_path / "sheet.png")
    side = np.ptp(mesh_io.get_positions(_rebuild(views["front"]).data), axis=0)
    views["side"].depthy.sheet_role = "section"
    assert np.ptp(mesh_io.get_positions(_rebuild(views["front"]).data), axis=0) == pytest.approx(side)


def test_a_first_angle_sheet_rebuilt_from_its_views_keeps_the_wall_at_the_back(tmp_path):
    _sheet(tmp_path / "sheet.png", first_angle=True)
    views, _ = _generate(tmp_path / "sheet.png")
    assert _wall_side(_rebuild(views["front"])) == 1


def _ball_sheet(path):
    """A ball: a circle in each of the three views (third angle). Its three-view hull is the rounded cube
    where three cylinders cross; each view's rounded nearness carves it further toward the ball."""
    img = Image.new("RGB", (700, 700), "white")
    d = ImageDraw.Draw(img)
    for box in [(100, 330, 280, 510), (100, 100, 280, 280), (350, 330, 530, 510)]:
        d.ellipse(box, outline="black", width=3)
    img.save(path)


def test_refining_with_depth_rebuilds_the_solid_generate_carved(tmp_path):
    """The depth hull from the reliefs' stored nearness matches the one carved from the sheet (within
    2 % of its volume) and is smaller than the three-view hull (3.5 % on this ball, measured)."""
    _ball_sheet(tmp_path / "ball.png")
    s = bpy.context.scene.depthy
    s.solid_refine_depth, s.sheet_flat_faces = True, False     # a round part: its faces are not flat
    views, (generated,) = _generate(tmp_path / "ball.png")
    carved = _volume(generated)
    refined = _volume(_rebuild(views["front"], refine_depth=True))   # each rebuild replaces the last
    plain = _volume(_rebuild(views["front"]))
    assert refined == pytest.approx(carved, rel=0.02) and refined < 0.98 * plain


def test_a_view_without_its_drawing_carves_from_its_outline(tmp_path):
    _sheet(tmp_path / "sheet.png")
    views, _ = _generate(tmp_path / "sheet.png")
    views["top"].data.materials.clear()
    assert len(_rebuild(views["front"]).data.polygons) > 0


def test_an_applied_view_cannot_be_read_back(tmp_path):
    from depthy_blender.blender import generate
    _sheet(tmp_path / "sheet.png")
    views, _ = _generate(tmp_path / "sheet.png")
    mesh_io.strip_slider_data(views["top"].data)
    with pytest.raises(generate.UserError) as refused:
        _rebuild(views["front"])
    assert str(refused.value) == "sheet top view was edited, so its outline is unknown: generate the sheet again"


def test_a_linked_copy_keeps_the_mesh_of_the_solid_it_replaced(tmp_path):
    _sheet(tmp_path / "sheet.png")
    views, (solid,) = _generate(tmp_path / "sheet.png")
    copy = bpy.data.objects.new("copy", solid.data)
    bpy.context.scene.collection.objects.link(copy)
    mesh, name = solid.data, solid.name
    _rebuild(views["front"])
    assert copy.data == mesh and mesh.name in bpy.data.meshes
    assert [o.name for o in bpy.data.objects if o.depthy.is_sheet_solid] == [name]   # a new one, same name


def test_sheet_views_keep_their_sliders_and_materials(tmp_path):
    _sheet(tmp_path / "sheet.png")
    s = bpy.context.scene.depthy
    s.auto_ratio, s.ratio, s.smoothing = False, 0.3, 2.0
    views, _ = _generate(tmp_path / "sheet.png")
    for role, view in views.items():
        assert view.depthy.ratio == pytest.approx(0.3) and view.depthy.smoothing == pytest.approx(2.0), role
        assert view.active_material.name == f"sheet {role} drawing"


def test_a_views_mask_is_its_figure_read_back_from_the_relief(tmp_path):
    """The side view is an L (a plate and its wall): half its box (11,800 of 23,800 px² as drawn)."""
    from depthy_blender.blender import sheet_generate
    _sheet(tmp_path / "sheet.png")
    views, _ = _generate(tmp_path / "sheet.png")
    mask = sheet_generate.view_mask(views["side"])
    rows, cols = np.nonzero(mask)
    box = mask[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    assert box.mean() == pytest.approx(11800 / 23800, abs=0.06)
    assert box[: box.shape[0] // 3, : box.shape[1] // 2].mean() < 0.1     # no wall over the plate's front half
