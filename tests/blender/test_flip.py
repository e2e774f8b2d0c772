"""Flip Selected Areas in Blender: a vertex selected on the pocket flips the whole drawn pocket, from Edit
Mode or Object Mode; the plate stays where it was; undo, a second flip, the sliders afterwards, and the
refusals (nothing selected, vertices moved)."""
import json

import numpy as np
import pytest

from tests.blender.conftest import generate, z_of

bpy = pytest.importorskip("bpy")

from depthy_blender.blender import flips, mesh_io, operators, props  # noqa: E402


def relief(path, **settings):
    """Inflate (weight-free) read as flat faces: its dome puts the pocket in front of the plate."""
    settings = dict(source="FILE", filepath=str(path), faces="flat", ratio=0.2, smoothing=0.0,
                    resolution=80, **settings)
    return generate(**settings)


def cell_grid(obj, values):
    s = obj.depthy
    raw, cells, sides = mesh_io.read_slider_data(obj.data)
    grid = np.full(s.grid_rows * s.grid_cols, np.nan)
    front = sides > 0
    grid[cells[front]] = values[front]
    return grid.reshape(s.grid_rows, s.grid_cols)


def select_cells(obj, picked):
    """Select the front vertices on the grid samples `picked` (bool, the grid's shape), in Object Mode
    (edges and faces deselected, or Edit Mode would select their vertices again)."""
    _, cells, sides = mesh_io.read_slider_data(obj.data)
    chosen = picked.ravel()[cells] & (sides > 0)
    obj.data.vertices.foreach_set("select", chosen)
    obj.data.edges.foreach_set("select", np.zeros(len(obj.data.edges), bool))
    obj.data.polygons.foreach_set("select", np.zeros(len(obj.data.polygons), bool))
    obj.data.update()


def select_cell(obj, row, col):
    picked = np.zeros((obj.depthy.grid_rows, obj.depthy.grid_cols), bool)
    picked[row, col] = True
    select_cells(obj, picked)


POCKET, PLATE = (30, 40), (15, 15)   # grid samples (80 × 60 grid over the 160 × 120 drawing)


def test_one_vertex_on_the_pocket_flips_the_whole_pocket_from_edit_mode(pocket_plate_path):
    obj = relief(pocket_plate_path)
    before = cell_grid(obj, z_of(obj))
    assert before[POCKET] > before[PLATE]          # the engine's dome put the pocket in front
    select_cell(obj, *POCKET)
    bpy.ops.object.mode_set(mode="EDIT")
    assert bpy.ops.depthy.flip_areas() == {"FINISHED"}
    assert obj.mode == "OBJECT"
    after = cell_grid(obj, z_of(obj))
    pocket = before == before[POCKET]
    assert pocket.sum() > 200 and np.allclose(after[pocket], after[POCKET])   # all of it, still flat
    stood = before[POCKET] - before[PLATE]
    assert after[PLATE] - after[POCKET] == pytest.approx(stood, rel=1e-4)   # behind, as far as it stood out
    areas = cell_grid(obj, mesh_io.read_areas(obj.data).astype(float))
    others = areas == areas[PLATE]                 # the plate's area, its half of the lines included
    assert np.allclose(after[others], before[others] + (after[PLATE] - before[PLATE]), atol=1e-5)
    assert mesh_io.heights_edited(obj.data) is False


def test_flip_in_object_mode_with_whole_areas_off_flips_only_the_selection(pocket_plate_path):
    """The pocket's flat samples selected by hand: with whole areas off only they flip (the line around
    them stays), with them on the pocket's half of the line flips too."""
    obj = relief(pocket_plate_path)
    before = cell_grid(obj, z_of(obj))
    inner = before == before[POCKET]
    select_cells(obj, inner)
    raw = mesh_io.read_slider_data(obj.data)[0]
    assert bpy.ops.depthy.flip_areas(whole=False) == {"FINISHED"}
    changed = mesh_io.read_slider_data(obj.data)[0] != raw
    assert np.count_nonzero(changed) == np.count_nonzero(inner)
    assert bpy.ops.depthy.flip_areas(whole=False) == {"FINISHED"}   # back as it was
    assert np.allclose(mesh_io.read_slider_data(obj.data)[0], raw, atol=1e-6)
    assert bpy.ops.depthy.flip_areas(whole=True) == {"FINISHED"}
    assert np.count_nonzero(mesh_io.read_slider_data(obj.data)[0] != raw) > np.count_nonzero(inner)


def test_undo_and_a_second_flip_bring_the_relief_back_and_the_sliders_go_on(pocket_plate_path):
    obj = relief(pocket_plate_path)
    name, z, raw, ratio = obj.name, z_of(obj), mesh_io.read_slider_data(obj.data)[0], obj.depthy.ratio
    select_cell(obj, *POCKET)
    bpy.ops.ed.undo_push(message="selected")
    assert bpy.ops.depthy.flip_areas() == {"FINISHED"}
    flipped_z = z_of(obj)
    bpy.ops.ed.undo_push(message="flipped")
    bpy.ops.ed.undo()
    obj = bpy.data.objects[name]
    assert np.array_equal(z_of(obj), z) and np.array_equal(mesh_io.read_slider_data(obj.data)[0], raw)
    assert obj.depthy.ratio == pytest.approx(ratio)
    bpy.ops.ed.redo()
    obj = bpy.data.objects[name]
    assert np.allclose(z_of(obj), flipped_z)
    assert bpy.ops.depthy.flip_areas() == {"FINISHED"}    # the same selection again
    assert np.allclose(z_of(obj), z, atol=1e-5) and obj.depthy.ratio == pytest.approx(ratio, rel=1e-5)
    obj.depthy.smoothing = 2.0                              # the sliders still work on the flipped relief
    assert not np.allclose(z_of(obj), z)


def test_the_ratio_grows_with_the_range_so_the_plate_keeps_its_heights(pocket_plate_path):
    """The pocket flipped below the plate's lowest point widens the nearness range; the Depth ratio (and
    the as-drawn one) grow with it so the plate's own heights stay as they were, up to a shift."""
    obj = relief(pocket_plate_path)
    drawn = obj.depthy.drawn_ratio
    raw = mesh_io.read_slider_data(obj.data)[0]
    select_cell(obj, *POCKET)
    assert bpy.ops.depthy.flip_areas() == {"FINISHED"}
    new_raw = mesh_io.read_slider_data(obj.data)[0]
    grown = np.ptp(new_raw) / np.ptp(raw)
    assert grown != pytest.approx(1.0)
    assert obj.depthy.ratio == pytest.approx(0.2 * grown, rel=1e-5)
    if drawn >= 0:
        assert obj.depthy.drawn_ratio == pytest.approx(drawn * grown, rel=1e-5)


def test_nothing_selected_is_refused_in_one_line_and_edit_mode_stays(pocket_plate_path):
    obj = relief(pocket_plate_path)
    z = z_of(obj)
    select_cells(obj, np.zeros((obj.depthy.grid_rows, obj.depthy.grid_cols), bool))
    bpy.ops.object.mode_set(mode="EDIT")
    with pytest.raises(RuntimeError, match="Select part of the relief first"):
        bpy.ops.depthy.flip_areas()
    assert obj.mode == "EDIT"
    bpy.ops.object.mode_set(mode="OBJECT")
    assert np.array_equal(z_of(obj), z)


def test_moved_vertices_are_kept_and_flipping_says_why_it_is_off(pocket_plate_path):
    obj = relief(pocket_plate_path)
    obj.data.vertices[0].co.z += 0.3
    z = z_of(obj)
    select_cell(obj, *POCKET)
    with pytest.raises(RuntimeError, match="Vertices were moved: flipping is off so your edits are kept"):
        bpy.ops.depthy.flip_areas()
    assert np.array_equal(z_of(obj), z)


def test_a_relief_without_stored_areas_flips_the_selection_alone(pocket_plate_path):
    """A relief saved before areas were stored (no depthy_area attribute): the selected vertices only."""
    obj = relief(pocket_plate_path)
    inner = cell_grid(obj, z_of(obj)) == cell_grid(obj, z_of(obj))[POCKET]
    obj.data.attributes.remove(obj.data.attributes[mesh_io.AREA])
    assert mesh_io.read_areas(obj.data) is None
    select_cells(obj, inner)
    raw = mesh_io.read_slider_data(obj.data)[0]
    assert flips.flip_selection(obj) == 1 and obj.depthy.loose_flips
    assert np.count_nonzero(mesh_io.read_slider_data(obj.data)[0] != raw) == np.count_nonzero(inner)


def test_the_relief_panel_offers_the_flip_in_object_and_edit_mode(pocket_plate_path):
    from depthy_blender.blender import panel
    from tests.blender.test_panels import drawn
    obj = relief(pocket_plate_path)
    shown = drawn(panel.DEPTHY_PT_relief)
    assert shown.index(("operator", "depthy.flip_areas")) > shown.index(("prop", "invert"))
    bpy.ops.object.mode_set(mode="EDIT")
    assert ("operator", "depthy.flip_areas") in drawn(panel.DEPTHY_PT_relief)
    assert operators.DEPTHY_OT_flip_areas.poll(bpy.context)
    bpy.ops.object.mode_set(mode="OBJECT")
    obj.depthy.is_result = False
    assert not operators.DEPTHY_OT_flip_areas.poll(bpy.context)


def test_regenerate_flips_the_remembered_areas_again_at_another_resolution(pocket_plate_path, capfd):
    obj = relief(pocket_plate_path)
    select_cell(obj, *POCKET)
    assert bpy.ops.depthy.flip_areas() == {"FINISHED"}
    assert len(props.remembered(obj, "flips")) == 1 and not obj.depthy.loose_flips
    bpy.context.scene.depthy.resolution = 120          # Regenerate takes the panel's mesh settings
    capfd.readouterr()
    assert bpy.ops.depthy.regenerate() == {"FINISHED"}
    assert obj.depthy.grid_cols == 120 and "· 1 flipped area kept" in capfd.readouterr().out
    z = cell_grid(obj, z_of(obj))
    assert z[45, 60] < z[22, 22]                        # the pocket (the middle) behind the plate again
    select_cell(obj, 45, 60)
    assert bpy.ops.depthy.flip_areas() == {"FINISHED"}  # flipped back: nothing left to remember
    assert props.remembered(obj, "flips") == []
    z = cell_grid(obj, z_of(obj))
    assert z[45, 60] > z[22, 22]


def test_flips_of_single_vertices_are_named_as_not_kept_once(pocket_plate_path, capfd):
    obj = relief(pocket_plate_path)
    inner = cell_grid(obj, z_of(obj)) == cell_grid(obj, z_of(obj))[POCKET]
    select_cells(obj, inner)
    assert bpy.ops.depthy.flip_areas(whole=False) == {"FINISHED"}
    assert obj.depthy.loose_flips
    capfd.readouterr()
    assert bpy.ops.depthy.regenerate() == {"FINISHED"}
    assert "· flips of single vertices were not kept" in capfd.readouterr().out
    assert not obj.depthy.loose_flips
    assert bpy.ops.depthy.regenerate() == {"FINISHED"}
    assert "flip" not in capfd.readouterr().out.split("Regenerated")[-1]


def test_regenerate_warns_of_a_remembered_point_on_no_area_and_keeps_the_heights(pocket_plate_path, capfd):
    obj = relief(pocket_plate_path)
    z = z_of(obj)
    obj.depthy.flips = json.dumps([[0.01, 0.01]])          # the paper's corner: on no area
    capfd.readouterr()
    assert bpy.ops.depthy.regenerate() == {"FINISHED"}
    out = capfd.readouterr().out
    assert "Warning: 1 of the points to flip is on no drawn area" in out and "kept" not in out
    assert np.allclose(z_of(obj), z) and obj.depthy.flip_scale == 1.0
    obj.depthy.flips = "not json"
    assert props.remembered(obj, "flips") == [] and bpy.ops.depthy.regenerate() == {"FINISHED"}


def test_regenerate_at_the_same_settings_gives_back_the_flipped_relief(pocket_plate_path):
    """The Depth ratio grew with the flip; Regenerate builds from the unflipped reading at the ratio before
    that growth and flips again, so the relief is what it was (not grown twice)."""
    obj = relief(pocket_plate_path)
    ratio = obj.depthy.ratio
    select_cell(obj, *POCKET)
    assert bpy.ops.depthy.flip_areas() == {"FINISHED"}
    z, grown = z_of(obj), obj.depthy.ratio
    assert grown > ratio
    bpy.context.scene.depthy.resolution = 80
    assert bpy.ops.depthy.regenerate() == {"FINISHED"}
    assert obj.depthy.ratio == pytest.approx(grown, rel=1e-5)
    assert np.allclose(z_of(obj), z, atol=1e-5)
    obj.depthy.ratio = 0.3                                  # the artist's own ratio is kept through it too
    z = z_of(obj)
    assert bpy.ops.depthy.regenerate() == {"FINISHED"}
    assert obj.depthy.ratio == pytest.approx(0.3, rel=1e-5) and np.allclose(z_of(obj), z, atol=1e-5)


def test_undo_of_a_flip_made_in_edit_mode_goes_back_to_edit_mode_as_it_was(pocket_plate_path):
    obj = relief(pocket_plate_path)
    name, z, ratio = obj.name, z_of(obj), obj.depthy.ratio
    select_cell(obj, *POCKET)
    bpy.ops.object.mode_set(mode="EDIT")
    bpy.ops.ed.undo_push(message="selected")
    assert bpy.ops.depthy.flip_areas() == {"FINISHED"}
    assert obj.depthy.flips and obj.depthy.ratio > ratio
    bpy.ops.ed.undo_push(message="flipped")
    bpy.ops.ed.undo()
    obj = bpy.data.objects[name]
    assert obj.mode == "EDIT" and obj.depthy.ratio == pytest.approx(ratio) and obj.depthy.flips == ""
    bpy.ops.object.mode_set(mode="OBJECT")
    assert np.allclose(z_of(obj), z)
