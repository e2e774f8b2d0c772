"""Fill Holes and Cut Selected Areas in Blender: a vertex selected on a hole's rim fills that hole, one on
a drawn area cuts it out, from Edit Mode or Object Mode, as the relief was made (not with the panel's
changed settings); both are kept through Regenerate, undone by undo, undo each other, and are forgotten
by Engine's Figure; the refusals are one line and change nothing."""
import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from tests.blender.conftest import generate, z_of
from tests.core.test_holes import plate_with_a_hole_cut_out

bpy = pytest.importorskip("bpy")

from depthy_blender.blender import mesh_io, operators, props  # noqa: E402


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
    assert len(props.remembered(obj, "fills")) == 1
    assert f"Filled 1 hole of '{obj.name}'" in capfd.readouterr().out
    z = dict(zip(mesh_io.read_slider_data(obj.data)[1], z_of(obj)))
    middle = np.flatnonzero(hole.ravel())[hole.sum() // 2]
    assert z[middle] < np.median(z_of(obj))   # Inflate reads nothing past its figure: the far level
    obj.depthy.smoothing = 2.0                # the sliders work on the filled relief
    assert mesh_io.heights_edited(obj.data) is False


def test_fill_keeps_the_settings_the_relief_was_made_with_and_regenerate_keeps_the_fill(holed_path, capfd):
    obj = relief(holed_path, faces="flat")
    shape, made_faces = (obj.depthy.grid_rows, obj.depthy.grid_cols), obj.depthy.made_with
    scene = bpy.context.scene.depthy
    scene.resolution, scene.faces, scene.engine = 40, "engine", "luminance"   # changed for another drawing
    select_rim(obj)
    assert bpy.ops.depthy.fill_holes() == {"FINISHED"}
    assert (obj.depthy.grid_rows, obj.depthy.grid_cols) == shape and obj.depthy.made_with == made_faces
    assert "inflate" in obj.depthy.ran_on.lower() and not hole_cells(obj).any()
    scene.resolution = 120
    capfd.readouterr()
    assert bpy.ops.depthy.regenerate() == {"FINISHED"}    # the panel's settings, the fill kept
    assert "· 1 filled hole kept\n" in capfd.readouterr().out
    assert obj.depthy.grid_cols == 120 and not hole_cells(obj).any()
    assert len(props.remembered(obj, "fills")) == 1 and '"resolution": 120' in obj.depthy.made_with


def test_engine_s_figure_makes_the_relief_again_with_its_hole(holed_path, capfd):
    obj = relief(holed_path)
    count = len(obj.data.vertices)
    select_rim(obj)
    assert bpy.ops.depthy.fill_holes() == {"FINISHED"}
    capfd.readouterr()
    assert bpy.ops.depthy.engine_figure() == {"FINISHED"}
    assert len(obj.data.vertices) == count and obj.depthy.fills == "" and obj.depthy.cuts == ""
    assert f"Gave back the engine's figure to '{obj.name}'" in capfd.readouterr().out
    with pytest.raises(RuntimeError, match="has the engine's own figure: no holes filled or areas cut"):
        bpy.ops.depthy.engine_figure()


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
    with pytest.raises(RuntimeError, match="Vertices were moved: changing the figure is off so your edits are kept"):
        bpy.ops.depthy.fill_holes()
    with pytest.raises(RuntimeError, match="Vertices were moved: changing the figure is off"):
        bpy.ops.depthy.cut_areas()
    assert np.array_equal(z_of(obj), z)


def figure_buttons():
    """The figure's buttons the relief panel draws after Flip Selected Areas, in order."""
    from depthy_blender.blender import panel
    from tests.blender.test_panels import drawn
    shown = [name for kind, name in drawn(panel.DEPTHY_PT_relief) if kind == "operator"]
    return shown[shown.index("depthy.flip_areas") + 1:shown.index("depthy.regenerate")]


def test_the_relief_panel_offers_fill_and_cut_under_the_flip_and_the_engine_s_figure_once_mended(holed_path):
    obj = relief(holed_path)
    assert figure_buttons() == ["depthy.fill_holes", "depthy.cut_areas"]
    select_rim(obj)
    bpy.ops.object.mode_set(mode="EDIT")
    assert operators.DEPTHY_OT_fill_holes.poll(bpy.context) and operators.DEPTHY_OT_cut_areas.poll(bpy.context)
    assert bpy.ops.depthy.fill_holes() == {"FINISHED"}
    assert figure_buttons() == ["depthy.fill_holes", "depthy.cut_areas", "depthy.engine_figure"]
def test_a_relief_from_an_older_version_fills_with_the_panel_s_settings(holed_path):
    obj = relief(holed_path)
    obj.depthy.made_with = ""
    bpy.context.scene.depthy.resolution = 60
    select_rim(obj)
    assert bpy.ops.depthy.fill_holes() == {"FINISHED"}
    assert obj.depthy.grid_cols == 60 and not hole_cells(obj).any()


def test_the_engine_s_figure_of_an_edited_relief_is_refused_too(holed_path):
    obj = relief(holed_path)
    select_rim(obj)
    assert bpy.ops.depthy.fill_holes() == {"FINISHED"}
    obj.data.vertices[0].co.z += 0.3
    with pytest.raises(RuntimeError, match="Vertices were moved: changing the figure is off"):
        bpy.ops.depthy.engine_figure()
    assert props.remembered(obj, "fills")


def test_fill_is_greyed_out_outside_object_and_edit_mode_saying_so(holed_path):
    import types
    relief(holed_path)
    context = types.SimpleNamespace(mode="SCULPT", window_manager=types.SimpleNamespace(depthy_running=False))
    for cls in (operators.DEPTHY_OT_fill_holes, operators.DEPTHY_OT_cut_areas, operators.DEPTHY_OT_engine_figure):
        assert cls.why_not(context) == "Switch to Object Mode or Edit Mode first"
    assert operators.DEPTHY_OT_regenerate.why_not(context) == "Switch to Object Mode first"
    context.window_manager.depthy_running, context.mode = True, "EDIT_MESH"
    assert operators.DEPTHY_OT_fill_holes.why_not(context).startswith("Depthy is already generating")


def area_cells(obj, row, col):
    """The grid samples on the drawn area of the vertex at (row, col)."""
    _, cells, _ = mesh_io.read_slider_data(obj.data)
    areas = mesh_io.read_areas(obj.data)
    grid = np.zeros(obj.depthy.grid_rows * obj.depthy.grid_cols, np.int32)
    grid[cells] = areas
    grid = grid.reshape(obj.depthy.grid_rows, obj.depthy.grid_cols)
    return grid == grid[row, col]


POCKET = (30, 40)   # the pocket plate's middle on its 60 × 80 grid


def test_a_vertex_on_the_pocket_cuts_it_out_from_edit_mode_and_regenerate_keeps_the_hole(pocket_plate_path,
                                                                                         capfd):
    obj = relief(pocket_plate_path)
    pocket = area_cells(obj, *POCKET)
    assert 200 < pocket.sum() and not hole_cells(obj).any()
    picked = np.zeros_like(pocket)
    picked[POCKET] = True
    select_cells(obj, picked)
    bpy.ops.object.mode_set(mode="EDIT")
    capfd.readouterr()
    assert bpy.ops.depthy.cut_areas() == {"FINISHED"}
    assert obj.mode == "OBJECT" and f"Cut 1 area out of '{obj.name}'" in capfd.readouterr().out
    hole = hole_cells(obj)
    inner = ndimage.binary_erosion(pocket, iterations=2)      # the pocket, past the line round it
    assert hole[inner].all() and not hole[~ndimage.binary_dilation(pocket, iterations=2)].any()
    assert len(props.remembered(obj, "cuts")) == 1
    bpy.context.scene.depthy.resolution = 40
    assert bpy.ops.depthy.regenerate() == {"FINISHED"}
    assert hole_cells(obj)[15, 20]                             # the middle, on the coarser grid
    assert "· 1 cut area kept\n" in capfd.readouterr().out


def test_filling_a_cut_area_s_hole_forgets_the_cut_and_cutting_a_filled_hole_forgets_the_fill(pocket_plate_path,
                                                                                             holed_path):
    obj = relief(pocket_plate_path)
    count = len(obj.data.vertices)
    picked = np.zeros((obj.depthy.grid_rows, obj.depthy.grid_cols), bool)
    picked[POCKET] = True
    select_cells(obj, picked)
    assert bpy.ops.depthy.cut_areas() == {"FINISHED"}
    select_rim(obj)
    assert bpy.ops.depthy.fill_holes() == {"FINISHED"}
    assert obj.depthy.cuts == "" and obj.depthy.fills == "" and len(obj.data.vertices) == count
    obj = relief(holed_path, faces="engine")
    count = len(obj.data.vertices)
    select_rim(obj)
    assert bpy.ops.depthy.fill_holes() == {"FINISHED"}
    middle = (obj.depthy.grid_rows // 2, obj.depthy.grid_cols // 2)
    picked = np.zeros((obj.depthy.grid_rows, obj.depthy.grid_cols), bool)
    picked[middle] = True
    select_cells(obj, picked)
    assert bpy.ops.depthy.cut_areas() == {"FINISHED"}
    assert obj.depthy.cuts == "" and obj.depthy.fills == "" and len(obj.data.vertices) == count


def test_cutting_nothing_an_area_less_drawing_or_every_area_is_one_line(pocket_plate_path):
    obj = relief(pocket_plate_path)
    z = z_of(obj)
    select_cells(obj, np.zeros((obj.depthy.grid_rows, obj.depthy.grid_cols), bool))
    with pytest.raises(RuntimeError, match="Select a vertex on each area to cut first"):
        bpy.ops.depthy.cut_areas()
    select_cells(obj, np.ones((obj.depthy.grid_rows, obj.depthy.grid_cols), bool))
    with pytest.raises(RuntimeError, match="Cutting every drawn area would leave no figure"):
        bpy.ops.depthy.cut_areas()
    assert np.array_equal(z_of(obj), z) and obj.depthy.cuts == ""
    obj.data.attributes.remove(obj.data.attributes[mesh_io.AREA])    # a relief from before areas were stored
    with pytest.raises(RuntimeError, match="The drawing's lines close no area at the selected vertices to cut"):
        bpy.ops.depthy.cut_areas()
