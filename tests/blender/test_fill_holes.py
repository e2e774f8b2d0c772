"""Fill Holes in Blender: a vertex selected on a hole's rim fills that hole, from Edit Mode or Object
Mode, as the relief was made (not with the panel's changed settings); the fill is kept through
Regenerate, undone by undo, and opened again on request; the refusals are one line and change nothing."""
import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from tests.blender.conftest import generate, z_of
from tests.core.test_holes import plate_with_a_hole_cut_out

bpy = pytest.importorskip("bpy")

from depthy_blender.blender import fills, mesh_io, operators  # noqa: E402


@pytest.fixture
def holed_path(tmp_path):
    path = tmp_path / "holed.png"
    Image.fromarray((plate_with_a_hole_cut_out() * 255).round().astype(np.uint8), "RGBA").save(path)
    return path


def relief(path, **settings):
    """Inflate (weight-free): the figure is the drawing's opaque part, the plate with its round hole."""
    settings = dict(source="FILE", filepath=str(path), ratio=0.2, smoothing=0.0, resolution=80, **settings)
    return generate(**settings)


def occupied(obj):
    s = obj.depthy
    grid = np.zeros(s.grid_rows * s.grid_cols, bool)
    grid[mesh_io.read_slider_data(obj.data)[1]] = True
    return grid.reshape(s.grid_rows, s.grid_cols)


def hole_cells(obj):
    grid = occupied(obj)
    return ndimage.binary_fill_holes(grid) & ~grid


def select_cells(obj, picked):
    """Select the vertices on the grid samples `picked`, in Object Mode (edges and faces deselected)."""
    cells = mesh_io.read_slider_data(obj.data)[1]
    obj.data.vertices.foreach_set("select", picked.ravel()[cells])
    obj.data.edges.foreach_set("select", np.zeros(len(obj.data.edges), bool))
    obj.data.polygons.foreach_set("select", np.zeros(len(obj.data.polygons), bool))
    obj.data.update()


def select_rim(obj):
    """One vertex on the hole's rim: the figure sample just above the hole's topmost sample."""
    rows, cols = np.nonzero(hole_cells(obj))
    picked = np.zeros_like(occupied(obj))
    picked[rows[0] - 1, cols[0]] = True
    assert occupied(obj)[rows[0] - 1, cols[0]]
    select_cells(obj, picked)


def test_a_vertex_on_the_rim_fills_the_hole_from_edit_mode(holed_path, capfd):
    obj = relief(holed_path)
    hole, count = hole_cells(obj), len(obj.data.vertices)
    assert hole.sum() > 100
    select_rim(obj)
    bpy.ops.object.mode_set(mode="EDIT")
    capfd.readouterr()
    assert bpy.ops.depthy.fill_holes() == {"FINISHED"}
    assert obj.mode == "OBJECT" and bpy.context.active_object == obj
    assert not hole_cells(obj).any() and occupied(obj)[hole].all()
    assert len(obj.data.vertices) == count + hole.sum()
    assert len(fills.remembered(obj)) == 1
    assert f"Filled 1 hole of '{obj.name}'" in capfd.readouterr().out
    z = dict(zip(mesh_io.read_slider_data(obj.data)[1], z_of(obj)))
    middle = np.flatnonzero(hole.ravel())[hole.sum() // 2]
    assert z[middle] < np.median(z_of(obj))   # Inflate reads nothing past its figure: the far level
    obj.depthy.smoothing = 2.0                # the sliders work on the filled relief
    assert mesh_io.heights_edited(obj.data) is False


def test_fill_keeps_the_settings_the_relief_was_made_with_and_regenerate_keeps_the_fill(holed_path):
    obj = relief(holed_path, faces="flat")
    shape, made_faces = (obj.depthy.grid_rows, obj.depthy.grid_cols), obj.depthy.made_with
    scene = bpy.context.scene.depthy
    scene.resolution, scene.faces, scene.engine = 40, "engine", "luminance"   # changed for another drawing
    select_rim(obj)
    assert bpy.ops.depthy.fill_holes() == {"FINISHED"}
    assert (obj.depthy.grid_rows, obj.depthy.grid_cols) == shape and obj.depthy.made_with == made_faces
    assert "inflate" in obj.depthy.ran_on.lower() and not hole_cells(obj).any()
    scene.resolution = 120
    assert bpy.ops.depthy.regenerate() == {"FINISHED"}    # the panel's settings, the fill kept
    assert obj.depthy.grid_cols == 120 and not hole_cells(obj).any()
    assert len(fills.remembered(obj)) == 1 and '"resolution": 120' in obj.depthy.made_with


def test_open_filled_holes_makes_the_relief_again_with_its_hole(holed_path, capfd):
    obj = relief(holed_path)
    count = len(obj.data.vertices)
    select_rim(obj)
    assert bpy.ops.depthy.fill_holes() == {"FINISHED"}
    capfd.readouterr()
    assert bpy.ops.depthy.fill_holes(open_all=True) == {"FINISHED"}
    assert len(obj.data.vertices) == count and obj.depthy.fills == ""
    assert f"Opened the filled holes of '{obj.name}'" in capfd.readouterr().out
    with pytest.raises(RuntimeError, match="has no filled holes to open"):
        bpy.ops.depthy.fill_holes(open_all=True)


def test_undo_brings_the_hole_back(holed_path):
    obj = relief(holed_path)
    name, count = obj.name, len(obj.data.vertices)
    select_rim(obj)
    bpy.ops.ed.undo_push(message="selected")
    assert bpy.ops.depthy.fill_holes() == {"FINISHED"}
    bpy.ops.ed.undo_push(message="filled")
    bpy.ops.ed.undo()
    obj = bpy.data.objects[name]
    assert len(obj.data.vertices) == count and obj.depthy.fills == "" and hole_cells(obj).any()
    bpy.ops.ed.redo()
    assert not hole_cells(bpy.data.objects[name]).any()


def test_nothing_selected_or_no_rim_selected_is_one_line_and_edit_mode_stays(holed_path):
    obj = relief(holed_path)
    z = z_of(obj)
    select_cells(obj, np.zeros_like(occupied(obj)))
    bpy.ops.object.mode_set(mode="EDIT")
    with pytest.raises(RuntimeError, match="Select a vertex on the rim of each hole to fill first"):
        bpy.ops.depthy.fill_holes()
    assert obj.mode == "EDIT"
    bpy.ops.object.mode_set(mode="OBJECT")
    corner = np.zeros_like(occupied(obj))
    corner[np.argwhere(occupied(obj))[0][0], np.argwhere(occupied(obj))[0][1]] = True   # far from the hole
    select_cells(obj, corner)
    with pytest.raises(RuntimeError, match="No hole touches the selected vertices"):
        bpy.ops.depthy.fill_holes()
    assert np.array_equal(z_of(obj), z) and obj.depthy.fills == ""


def test_moved_vertices_are_kept_and_filling_says_why_it_is_off(holed_path):
    obj = relief(holed_path)
    obj.data.vertices[0].co.z += 0.3
    z = z_of(obj)
    select_rim(obj)
    with pytest.raises(RuntimeError, match="Vertices were moved: filling is off so your edits are kept"):
        bpy.ops.depthy.fill_holes()
    assert np.array_equal(z_of(obj), z)


def fill_buttons():
    """Each Fill Holes button the relief panel draws: (whether it opens the filled holes, its text)."""
    from depthy_blender.blender import panel
    from tests.blender.test_panels import Recorder
    log = []
    panel.DEPTHY_PT_relief.draw(type("Panel", (), {"layout": Recorder([], log)})(), bpy.context)
    ops = [entry for entry in log if entry[0] == "operator"]
    assert [entry[1] for entry in ops].index("depthy.fill_holes") == \
        [entry[1] for entry in ops].index("depthy.flip_areas") + 1      # beside the flip
    return [(kw["set"]["open_all"], kw.get("text")) for _, name, kw, _ in ops if name == "depthy.fill_holes"]


def test_the_relief_panel_offers_fill_beside_the_flip_and_open_once_a_hole_is_filled(holed_path):
    obj = relief(holed_path)
    assert fill_buttons() == [(False, None)]
    select_rim(obj)
    bpy.ops.object.mode_set(mode="EDIT")
    assert operators.DEPTHY_OT_fill_holes.poll(bpy.context)
    assert bpy.ops.depthy.fill_holes() == {"FINISHED"}
    assert fill_buttons() == [(False, None), (True, "")]
    obj.depthy.is_result = False
    assert not operators.DEPTHY_OT_fill_holes.poll(bpy.context)


def test_a_relief_from_an_older_version_fills_with_the_panel_s_settings(holed_path):
    obj = relief(holed_path)
    obj.depthy.made_with = ""
    bpy.context.scene.depthy.resolution = 60
    select_rim(obj)
    assert bpy.ops.depthy.fill_holes() == {"FINISHED"}
    assert obj.depthy.grid_cols == 60 and not hole_cells(obj).any()


def test_opening_the_holes_of_an_edited_relief_is_refused_too(holed_path):
    obj = relief(holed_path)
    select_rim(obj)
    assert bpy.ops.depthy.fill_holes() == {"FINISHED"}
    obj.data.vertices[0].co.z += 0.3
    with pytest.raises(RuntimeError, match="Vertices were moved: filling is off"):
        bpy.ops.depthy.fill_holes(open_all=True)
    assert fills.remembered(obj)


def test_fill_is_greyed_out_outside_object_and_edit_mode_saying_so(holed_path):
    import types
    relief(holed_path)
    context = types.SimpleNamespace(mode="SCULPT", window_manager=types.SimpleNamespace(depthy_running=False))
    assert operators.DEPTHY_OT_fill_holes.why_not(context) == "Switch to Object Mode or Edit Mode first"
    assert operators.DEPTHY_OT_regenerate.why_not(context) == "Switch to Object Mode first"
    context.window_manager.depthy_running, context.mode = True, "EDIT_MESH"
    assert operators.DEPTHY_OT_fill_holes.why_not(context).startswith("Depthy is already generating")
