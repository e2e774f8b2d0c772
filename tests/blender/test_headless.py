"""blender/headless.py in this process (the `mesh` and `sheet` commands' Blender side, which
test_cli_mesh.py runs end to end in a subprocess): a fresh scene holding only what was made, each output
type written as asked (selected objects only, a compressed .blend, no custom attributes in glTF), the
preview's framing checked against the camera it describes, the views file, and Blender 4.2's exit."""
import json
import struct
import types

import numpy as np
import pytest

bpy = pytest.importorskip("bpy")

from PIL import Image  # noqa: E402

import depthy_blender  # noqa: E402
from depthy_blender.blender import headless, sheet_generate  # noqa: E402
from depthy_blender.pipeline import sheet  # noqa: E402
from tests.blender.conftest import world_positions  # noqa: E402
from tests.blender.test_sheet_solid import _sheet as three_view_sheet  # noqa: E402

BACKGROUND = 42   # the preview world's grey in the PNG (0.6 strength)


def relief(drawing_path, **options):
    return headless.make_relief_files(str(drawing_path), [], dict(dict(engine="inflate", resolution=48), **options))


def glb_json(path):
    data = path.read_bytes()
    assert data[:4] == b"glTF"
    length, kind = struct.unpack_from("<I4s", data, 12)
    assert kind == b"JSON"
    return json.loads(data[20:20 + length])


# ---- a drawing into files ---------------------------------------------------------------------------

def test_a_relief_is_made_into_a_fresh_scene_and_written_wherever_asked(drawing_path, tmp_path, monkeypatch):
    bpy.data.objects.new("left over", None)
    stages = []
    monkeypatch.chdir(tmp_path)
    outputs = ["out/deeper/r.blend", "out/r.GLB", "r.obj"]
    obj = headless.make_relief_files(str(drawing_path), outputs,
                                     dict(engine="inflate", resolution=40, back="flat", ratio=0.3, auto_ratio=False),
                                     progress=lambda f, s: stages.append(s))
    assert [o.name for o in bpy.data.objects] == [obj.name] == ["drawing relief"]
    assert obj.depthy.grid_cols == 40 and obj.depthy.closed and obj.depthy.ratio == pytest.approx(0.3)
    assert obj.depthy.source_path == str(drawing_path) and stages[0] == "Reading the image"
    for out in outputs:
        assert (tmp_path / out).stat().st_size > 0, out


def test_a_relative_drawing_path_is_kept_whole(drawing_path, monkeypatch):
    monkeypatch.chdir(drawing_path.parent)
    obj = relief(drawing_path.name)
    assert obj.depthy.source_path == str(drawing_path)


def test_each_output_holds_the_objects_given_whatever_was_selected(drawing_path, tmp_path):
    obj = relief(drawing_path)
    other = bpy.data.objects.new("other", bpy.data.meshes.new("other"))
    bpy.context.scene.collection.objects.link(other)
    other.data.from_pydata([(0, 0, 0), (1, 0, 0), (0, 1, 0)], [], [(0, 1, 2)])
    obj.select_set(False)
    other.select_set(True)
    headless.export(obj, str(tmp_path / "r.glb"))
    doc = glb_json(tmp_path / "r.glb")
    assert [n["name"] for n in doc["nodes"]] == [obj.name] and len(doc["meshes"]) == 1
    # the sliders' own attributes stay in Blender: a glTF holds only what viewers read
    attributes = {name for m in doc["meshes"] for p in m["primitives"] for name in p["attributes"]}
    assert attributes and not [a for a in attributes if a.startswith("_")], attributes
    headless.export(obj, str(tmp_path / "r.obj"))
    text = (tmp_path / "r.obj").read_text()
    assert [line for line in text.splitlines() if line.startswith("o ")] == ["o drawing_relief"]   # OBJ names: no spaces
    assert text.count("\nv ") == len(obj.data.vertices) and "mtllib r.mtl" in text
    assert "map_Kd" in (tmp_path / "r.mtl").read_text()                 # the drawing as the texture


def test_a_blend_is_saved_compressed_and_holds_the_relief(drawing_path, tmp_path, monkeypatch):
    obj = relief(drawing_path)
    path = tmp_path / "r.blend"
    # compressed even where the preferences say otherwise (Blender 4.2's default; 5.x compresses)
    monkeypatch.setattr(bpy.context.preferences.filepaths, "use_file_compression", False)
    headless.export(obj, str(path))
    assert path.read_bytes()[:4] == b"\x28\xb5\x2f\xfd"               # Zstandard: Blender's compression
    bpy.ops.wm.open_mainfile(filepath=str(path))
    assert [o.name for o in bpy.data.objects] == ["drawing relief"]


def test_an_unknown_output_type_is_one_line_with_its_whole_path(drawing_path, tmp_path, monkeypatch):
    obj = relief(drawing_path)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(headless.HeadlessError) as refused:
        headless.export(obj, "r.stl")
    assert str(refused.value) == f"unknown output type: {tmp_path / 'r.stl'}"


# ---- the preview render -----------------------------------------------------------------------------

def silhouette(path, size):
    with Image.open(path) as img:
        assert img.format == "PNG" and img.size == size
        grey = np.asarray(img.convert("L"), np.int16)
    rows, cols = np.nonzero(np.abs(grey - BACKGROUND) > 1)
    return np.array([cols.min(), rows.min(), cols.max() + 1, rows.max() + 1], np.float64)


def bound_box(objs):
    corners = np.array([np.array(o.matrix_world) @ (*c, 1.0) for o in objs for c in o.bound_box])[:, :3]
    lo, hi = corners.min(axis=0), corners.max(axis=0)
    return (lo + hi) / 2, float((hi - lo).max())


def projected_box(objs, size, side=False):
    """Where the vertices fall in the preview, from the camera the preview promises: three-quarter,
    a 50 mm lens (36 mm sensor across) at (0.6, −2, 0.6) × the extent from the centre; side, an
    orthographic view from +X spanning 1.15 × the extent across the wider side."""
    center, extent = bound_box(objs)
    p = world_positions(*objs) - center
    w, h = size
    if side:
        scale = w / (1.15 * extent * max(1.0, w / h))
        x, y = p[:, 1] * scale, p[:, 2] * scale
    else:
        eye = np.array([0.6, -2.0, 0.6]) * extent
        forward = -eye / np.linalg.norm(eye)
        right = np.cross(forward, [0, 0, 1.0])
        right /= np.linalg.norm(right)
        up = np.cross(right, forward)
        d = p - eye
        focal = 50.0 / 36.0 * w
        x, y = focal * (d @ right) / (d @ forward), focal * (d @ up) / (d @ forward)
    return np.array([w / 2 + x.min(), h / 2 - y.max(), w / 2 + x.max(), h / 2 - y.min()])


@pytest.mark.parametrize("side", [False, True])
def test_the_preview_frames_the_relief_as_its_camera_promises(drawing_path, tmp_path, side):
    obj = relief(drawing_path, back="flat", ratio=0.3, auto_ratio=False)
    obj.location = (0.3, 0.2, -0.4)
    before = sorted(o.name for o in bpy.data.objects)
    size = (160, 100)
    headless.render_preview(bpy.context, obj, str(tmp_path / "deeper" / "p.png"), size=size, side=side)
    assert silhouette(tmp_path / "deeper" / "p.png", size) == pytest.approx(projected_box([obj], size, side), abs=2.0)
    assert sorted(o.name for o in bpy.data.objects) == before            # camera and sun gone again
    r = bpy.context.scene.render
    assert (r.engine, bpy.context.scene.cycles.device, r.resolution_percentage) == ("CYCLES", "CPU", 100)


def test_the_preview_of_several_objects_frames_them_all(drawing_path, tmp_path):
    first = relief(drawing_path)
    second = first.copy()
    bpy.context.scene.collection.objects.link(second)
    second.location = (1.2, 0.0, 0.8)
    size = (160, 120)
    headless.render_preview(bpy.context, [first, second], str(tmp_path / "p.png"), size=size)
    assert silhouette(tmp_path / "p.png", size) == pytest.approx(projected_box([first, second], size), abs=2.0)


def test_the_side_preview_looks_from_the_right(drawing_path, tmp_path):
    """From +X the relief's front (−Y) is on the left: its flat back is the straight right edge of the
    profile, the rounded front the ragged left one."""
    obj = relief(drawing_path, back="flat", ratio=0.3, auto_ratio=False)
    headless.render_preview(bpy.context, obj, str(tmp_path / "p.png"), size=(200, 150), side=True)
    with Image.open(tmp_path / "p.png") as img:
        lit = np.abs(np.asarray(img.convert("L"), np.int16) - BACKGROUND) > 1
    rows = np.nonzero(lit.any(axis=1))[0]
    rows = rows[len(rows) // 5: -len(rows) // 5]     # away from the outline's ends, where both edges turn
    left = np.array([np.nonzero(lit[r])[0][0] for r in rows])
    right = np.array([np.nonzero(lit[r])[0][-1] for r in rows])
    assert np.ptp(right) <= 3 and np.ptp(left) >= 10


def test_the_mesh_command_renders_both_previews(drawing_path, tmp_path):
    front, side = tmp_path / "front.png", tmp_path / "side.png"
    headless.make_relief_files(str(drawing_path), [], dict(engine="inflate", resolution=40, back="flat"),
                               render=str(front), render_side=str(side))
    obj = bpy.data.objects["drawing relief"]
    assert silhouette(front, (800, 600)) == pytest.approx(projected_box([obj], (800, 600)), abs=3.0)
    assert silhouette(side, (800, 600)) == pytest.approx(projected_box([obj], (800, 600), side=True), abs=3.0)


# ---- a sheet into files ---------------------------------------------------------------------------

def test_a_sheet_is_made_with_its_views_file_notes_outputs_and_preview(tmp_path, capsys):
    three_view_sheet(tmp_path / "sheet.png")
    request = sheet.SheetRequest(str(tmp_path / "sheet.png"), "inflate", resolution=48, solid=True,
                                 solid_resolution=48, views=[{"box": [100, 330, 281, 501], "role": "front"},
                                                             {"box": [350, 330, 491, 501], "role": "side"}])
    views = tmp_path / "new" / "views.json"
    objs = headless.make_sheet_files(request, [str(tmp_path / "s.blend")], render=str(tmp_path / "s.png"),
                                     json_out=str(views))
    assert json.loads(views.read_text()) == {"views": [{"box": [100, 330, 281, 501], "role": "front"},
                                                       {"box": [350, 330, 491, 501], "role": "side"}]}
    assert "note: Solid needs front, top and side views; some were not found\n" in capsys.readouterr().out
    assert sorted(o.name for o in objs) == ["sheet front view", "sheet side view"]
    assert sorted(o.name for o in bpy.data.objects) == ["sheet front view", "sheet side view"]
    assert silhouette(tmp_path / "s.png", (800, 600)) == pytest.approx(projected_box(objs, (800, 600)),
                                                                         abs=3.0)
    bpy.ops.wm.open_mainfile(filepath=str(tmp_path / "s.blend"))
    assert sorted(o.name for o in bpy.data.objects) == ["sheet front view", "sheet side view"]


def test_a_sheet_with_nothing_to_mesh_is_one_line(tmp_path, monkeypatch):
    three_view_sheet(tmp_path / "sheet.png")
    monkeypatch.setattr(sheet_generate, "finish", lambda context, request, outcome: [])
    request = sheet.SheetRequest(str(tmp_path / "sheet.png"), "inflate", resolution=48,
                                 views=[{"box": [100, 330, 281, 501], "role": "front"}])
    with pytest.raises(headless.HeadlessError) as refused:   # its views file in a folder that is there
        headless.make_sheet_files(request, [str(tmp_path / "s.blend")], json_out=str(tmp_path / "views.json"))
    assert str(refused.value) == "no view could be turned into a mesh" and not (tmp_path / "s.blend").exists()
    assert json.loads((tmp_path / "views.json").read_text())["views"] == [{"box": [100, 330, 281, 501],
                                                                          "role": "front"}]


# ---- registration and Blender 4.2's exit ------------------------------------------------------------

def test_the_add_on_is_registered_once(monkeypatch):
    calls = []
    monkeypatch.setattr(depthy_blender, "register", lambda: calls.append("again"))
    headless.ensure_registered()                        # registered by the Blender tier: not again
    assert calls == []
    depthy_blender.unregister()
    monkeypatch.undo()
    try:
        headless.ensure_registered()
        assert hasattr(bpy.types.Object, "depthy") and hasattr(bpy.ops.depthy, "generate")
    finally:
        if not hasattr(bpy.types.Object, "depthy"):
            depthy_blender.register()


@pytest.mark.parametrize("version, exits", [((4, 2, 23), True), ((4, 2, 99), True), ((4, 3, 0), False),
                                            ((5, 0, 1), False)])
def test_only_blender_4_2s_module_leaves_at_once(monkeypatch, version, exits):
    left = []
    monkeypatch.setattr(headless, "bpy", types.SimpleNamespace(app=types.SimpleNamespace(version=version)))
    monkeypatch.setattr(headless.os, "_exit", left.append)
    headless.end_process(3)
    assert left == ([3] if exits else [])
