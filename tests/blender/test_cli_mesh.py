"""The headless `mesh` command: every output type, the preview render, and batch folders."""
import subprocess
import sys

import bpy
import numpy as np
import pytest
from PIL import Image

from tests.conftest import ROOT, outline_drawing


def _run(*args):
    return subprocess.run([sys.executable, "-m", "depthy_blender", "mesh", *map(str, args)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_mesh_writes_glb_obj_blend_and_render(tmp_path, drawing_path):
    outs = [tmp_path / "r.glb", tmp_path / "r.obj", tmp_path / "r.blend"]
    png, side = tmp_path / "r.png", tmp_path / "r-side.png"
    result = _run(drawing_path, *sum((["-o", o] for o in outs), []), "--render", png, "--render-side", side,
                  "--engine", "inflate", "--back", "flat", "--resolution", "64", "--ratio", "0.15")
    assert result.returncode == 0, result.stderr
    assert outs[0].read_bytes()[:4] == b"glTF"
    assert outs[1].read_text().count("\nf ") > 100
    assert outs[2].stat().st_size > 0
    with Image.open(png) as img:
        assert img.size == (800, 600)
        assert len(np.unique(np.asarray(img.convert("L")))) > 20     # not a blank frame
    with Image.open(side) as img:   # the profile: a closed relief seen edge-on is tall and thin
        grey = np.asarray(img.convert("L"), np.float32)
        lit = np.abs(grey - np.median(grey)) > 10
        rows, cols = np.nonzero(lit)
        assert lit.sum() > 500 and np.ptp(rows) > 2 * np.ptp(cols)
    bpy.ops.wm.open_mainfile(filepath=str(outs[2]))
    reliefs = [o for o in bpy.data.objects if o.depthy.is_result]
    assert len(reliefs) == 1 and reliefs[0].depthy.ratio == pytest.approx(0.15)
    assert reliefs[0].depthy.base == pytest.approx(0.02) and reliefs[0].depthy.closed


def test_the_engines_note_and_the_images_messages_are_printed(tmp_path):
    """What the add-on reports as warnings reaches the command line: the Turned engine's note on an L,
    and the reading's own message on a line drawing on transparent paper."""
    from PIL import ImageDraw
    path = tmp_path / "l.png"
    img = Image.new("RGBA", (240, 160), (0, 0, 0, 0))
    ImageDraw.Draw(img).polygon([(20, 20), (60, 20), (60, 100), (200, 100), (200, 139), (20, 139)],
                                outline=(0, 0, 0, 255), width=2)
    img.save(path)
    result = _run(path, "-o", tmp_path / "l.glb", "--engine", "turned", "--resolution", "32")
    assert result.returncode == 0, result.stderr
    notes = [line for line in result.stderr.splitlines() if line.startswith("note:")]
    assert len(notes) == 2, result.stderr
    assert notes[0] == "note: l.png: a line drawing on transparent paper, read as on white paper"
    assert notes[1].startswith("note: Turned: the outline is only ")


def test_the_depth_ratio_is_auto_unless_given(tmp_path, drawing_path):
    """Auto (as drawn) by default: inflation's round body in the 101 × 71 px rectangle is 36 px deep."""
    for given, expected in (([], 36 / 160), (["--ratio", "AUTO"], 36 / 160), (["--ratio", "0.35"], 0.35)):
        out = tmp_path / "r.blend"
        result = _run(drawing_path, "-o", out, "--engine", "inflate", "--resolution", "64", *given)
        assert result.returncode == 0, result.stderr
        bpy.ops.wm.open_mainfile(filepath=str(out))
        relief = next(o for o in bpy.data.objects if o.depthy.is_result)
        assert relief.depthy.ratio == pytest.approx(expected, rel=1e-5), given
        assert relief.depthy.drawn_ratio == pytest.approx(36 / 160, rel=1e-5)


def test_batch_folder_goes_on_after_a_bad_file(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    outline_drawing().save(src / "a.png")
    (src / "b.png").write_bytes(b"not an image")
    outline_drawing(box=(10, 10, 80, 60)).save(src / "c.jpg")
    result = _run(src, "-o", tmp_path / "out", "--format", "obj", "--resolution", "48")
    assert result.returncode == 1, result.stderr   # a file failed: the batch says so in its exit code
    assert (tmp_path / "out" / "a.obj").exists() and (tmp_path / "out" / "c.obj").exists()
    assert not (tmp_path / "out" / "b.obj").exists()
    assert "b.png" in result.stderr and "failed" in result.stderr and "Traceback" not in result.stderr
    assert "2 of 3 converted" in result.stdout and "failed: b.png" in result.stdout


def test_batch_outputs_never_overwrite_each_other(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    outline_drawing().save(src / "part.png")
    outline_drawing(box=(10, 10, 80, 60)).save(src / "part.jpg")
    result = _run(src, "-o", tmp_path / "out", "--format", "glb", "--resolution", "32", "--engine", "inflate")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["part-jpg.glb", "part-png.glb"]
    assert "2 of 2 converted" in result.stdout


def test_single_file_failures_are_one_line(tmp_path, drawing_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG not really")
    for args in ([bad, "-o", tmp_path / "x.glb"],
                 [drawing_path, "-o", tmp_path / "x.glb", "--resolution", "0"],
                 [drawing_path, "-o", tmp_path / "x.glb", "--ratio", "nan"],
                 [drawing_path, "-o", tmp_path / "x.glb", "--ratio", "deep"],
                 [drawing_path, "-o", tmp_path / "x.glb", "--size", "0"],
                 [drawing_path, "-o", tmp_path / "x.glb", "--depthy-size", "100000"]):
        result = _run(*args, "--engine", "inflate")
        assert result.returncode == 2, (args, result.stderr[-500:])
        assert "Traceback" not in result.stderr and result.stderr.strip().splitlines()[-1].startswith("error: ")
        assert not (tmp_path / "x.glb").exists()


def test_output_folder_that_cannot_be_written_is_one_line(tmp_path, drawing_path):
    """An output "folder" that is a file cannot be written, even by root (a read-only folder can)."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file")
    result = _run(drawing_path, "-o", blocker / "x.glb", "--engine", "inflate", "--resolution", "32")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: ")


@pytest.mark.parametrize("views", [None, "{not json", '{"views": 3}', '{"other": []}'])
def test_sheet_views_file_missing_or_bad_is_one_line(tmp_path, drawing_path, views):
    path = tmp_path / "views.json"
    if views is not None:
        path.write_text(views)
    result = _sheet(drawing_path, "-o", tmp_path / "s.blend", "--views", path, "--engine", "inflate")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: --views")


def test_an_input_is_never_an_output(tmp_path, drawing_path):
    before = drawing_path.read_bytes()
    result = _run(drawing_path, "-o", tmp_path / "x.glb", "--render", drawing_path, "--engine", "inflate")
    assert result.returncode == 2 and "is an input" in result.stderr
    assert drawing_path.read_bytes() == before and not (tmp_path / "x.glb").exists()


def test_bad_output_type_is_a_message(tmp_path, drawing_path):
    result = _run(drawing_path, "-o", tmp_path / "r.stl")
    assert result.returncode == 2 and "error:" in result.stderr and "Traceback" not in result.stderr


def _sheet(*args):
    return subprocess.run([sys.executable, "-m", "depthy_blender", "sheet", *map(str, args)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_sheet_to_reliefs_and_solid(tmp_path, shared_data):
    import json
    out, views = tmp_path / "sheet.blend", tmp_path / "views.json"
    result = _sheet(shared_data / "sheets" / "ttt-ppp0101.png", "-o", out, "--json", views, "--solid",
                    "--engine", "inflate", "--resolution", "64")
    assert result.returncode == 0, result.stderr[-2000:]
    roles = {v["role"] for v in json.loads(views.read_text())["views"]}
    assert {"front", "top", "side", "pictorial"} <= roles
    bpy.ops.wm.open_mainfile(filepath=str(out))
    names = {o.name for o in bpy.data.objects}
    assert {"ttt-ppp0101 front view", "ttt-ppp0101 top view", "ttt-ppp0101 side view",
            "ttt-ppp0101 solid"} <= names
    front, top = bpy.data.objects["ttt-ppp0101 front view"], bpy.data.objects["ttt-ppp0101 top view"]
    assert top.location.z > front.location.z and abs(top.location.x - front.location.x) < 0.05   # laid out as drawn
    assert front.depthy.is_result


def test_sheet_from_dxf_draws_only_geometry(tmp_path):
    ezdxf = pytest.importorskip("ezdxf")
    doc = ezdxf.new("R2010", setup=True)
    doc.header["$INSUNITS"] = 4     # millimetres
    msp = doc.modelspace()
    msp.add_lwpolyline([(0, 0), (80, 0), (80, 30), (30, 30), (30, 60), (0, 60)], close=True)
    msp.add_text("BRACKET", height=6, dxfattribs={"insert": (100, 50)})
    path = tmp_path / "bracket.dxf"
    doc.saveas(path)
    result = _sheet(path, "-o", tmp_path / "b.glb", "--engine", "inflate", "--resolution", "48",
                    "--json", tmp_path / "v.json")
    assert result.returncode == 0, result.stderr[-2000:]
    import json
    views = json.loads((tmp_path / "v.json").read_text())["views"]
    assert len(views) == 1 and (tmp_path / "b.glb").read_bytes()[:4] == b"glTF"


FLAT_INFLATE = ["--engine", "inflate", "--faces", "flat", "--resolution", "80", "--smoothing", "0", "--ratio", "0.2"]


def made_heights(drawing, out, *args):
    """`mesh DRAWING -o OUT.blend` with FLAT_INFLATE and `args`, opened: (the median height of the relief's
    middle, None where it has no vertices there, of its top-left plate corner, the relief)."""
    result = _run(drawing, "-o", out, *FLAT_INFLATE, *args)
    assert result.returncode == 0, result.stderr
    bpy.ops.wm.open_mainfile(filepath=str(out))
    relief = next(o for o in bpy.data.objects if o.depthy.is_result)
    p = np.array([v.co for v in relief.data.vertices])
    middle = (np.abs(p[:, 0]) < 0.05) & (np.abs(p[:, 1]) < 0.05)
    corner = (p[:, 0] < -0.3) & (p[:, 1] > 0.2)
    return np.median(p[middle, 2]) if middle.any() else None, np.median(p[corner, 2]), relief


def regenerates_the_same_heights(relief):
    """Regenerate, with the panel set as the relief was made (FLAT_INFLATE), gives back its heights."""
    bpy.context.view_layer.objects.active = relief
    bpy.context.scene.depthy.engine, bpy.context.scene.depthy.faces = "inflate", "flat"
    bpy.context.scene.depthy.resolution = 80
    z = np.array([v.co.z for v in relief.data.vertices])
    assert bpy.ops.depthy.regenerate() == {"FINISHED"}
    assert np.allclose([v.co.z for v in relief.data.vertices], z, atol=1e-5)


def test_flip_sinks_the_pocket_under_the_pixel_and_regenerate_keeps_it(tmp_path, pocket_plate_path):
    heights = {len(flips): made_heights(pocket_plate_path, tmp_path / f"p{len(flips)}.blend", *flips)
               for flips in ([], ["--flip", "80,60"])}
    (pocket, plate, _), (flipped_pocket, flipped_plate, relief) = heights[0], heights[2]
    assert pocket > plate and flipped_pocket < flipped_plate               # the engine's bump is a pocket now
    assert flipped_plate - flipped_pocket == pytest.approx(pocket - plate, rel=1e-3)
    assert relief.depthy.ratio > 0.2 and relief.depthy.flip_scale == pytest.approx(relief.depthy.ratio / 0.2)
    assert relief.depthy.flips == "[[0.503125, 0.5041666666666667]]"         # (80.5 / 160, 60.5 / 120)
    regenerates_the_same_heights(relief)


@pytest.mark.parametrize("flag", ["flip", "fill", "cut"])
@pytest.mark.parametrize("pixel, says", [
    ("80", "expected X,Y"), ("a,b", "expected X,Y"), ("nan,3", "finite"),
    ("160,10", "-{flag} 160,10 is outside the image (160×120 px)"), ("-1,10", "outside the image"),
])
def test_a_bad_flip_fill_or_cut_is_one_line(tmp_path, pocket_plate_path, flag, pixel, says):
    result = _run(pocket_plate_path, "-o", tmp_path / "x.glb", "--engine", "inflate", f"--{flag}={pixel}")
    assert result.returncode == 2 and says.format(flag=flag) in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "x.glb").exists()


@pytest.mark.parametrize("flag", ["--flip", "--fill", "--cut"])
def test_flip_fill_and_cut_need_one_image(tmp_path, flag):
    result = _run(tmp_path, "-o", tmp_path / "out", "--engine", "inflate", flag, "5,5")
    assert result.returncode == 2 and f"{flag} names a pixel of one image" in result.stderr


def test_flip_names_points_on_no_area(tmp_path, pocket_plate_path):
    result = _run(pocket_plate_path, "-o", tmp_path / "x.glb", "--engine", "inflate", "--faces", "flat",
                  "--flip", "2,2")
    assert result.returncode == 0 and "note: 1 of the points to flip is on no drawn area" in result.stderr


def test_fill_keeps_the_hole_under_the_pixel_in_the_figure_and_flip_raises_it(tmp_path):
    """The plate with a round hole cut out (transparent: Inflate's figure has the hole): --fill 80,60
    fills it at Inflate's depth there (none: the far level), --flip 80,60 as well raises it above the
    plate; the .blend remembers the fill for Regenerate; a pixel on the plate is named as on no hole."""
    from tests.core.test_holes import plate_with_a_hole_cut_out
    drawing = tmp_path / "holed.png"
    Image.fromarray((plate_with_a_hole_cut_out() * 255).round().astype(np.uint8), "RGBA").save(drawing)
    middles = {len(mends): made_heights(drawing, tmp_path / f"p{len(mends)}.blend", *mends)
               for mends in ([], ["--fill", "80,60"], ["--fill", "80,60", "--flip", "80,60"])}
    assert middles[0][0] is None                                   # the hole
    (sunk, plate, _), (raised, level, relief) = middles[2], middles[4]
    assert sunk < plate and raised > level
    assert relief.depthy.fills == "[[0.503125, 0.5041666666666667]]"
    regenerates_the_same_heights(relief)
    result = _run(drawing, "-o", tmp_path / "x.glb", *FLAT_INFLATE, "--fill", "30,30")
    assert result.returncode == 0 and "note: 1 of the points to fill is on no hole" in result.stderr


def test_cut_takes_the_drawn_area_under_the_pixel_out_and_the_blend_remembers_it(tmp_path, pocket_plate_path):
    common = ["--engine", "inflate", "--resolution", "80", "--smoothing", "0", "--ratio", "0.2"]
    out = tmp_path / "cut.blend"
    result = _run(pocket_plate_path, "-o", out, *common, "--cut", "80,60", "--cut", "2,2")
    assert result.returncode == 0 and "note: 1 of the points to cut is on no drawn area" in result.stderr
    bpy.ops.wm.open_mainfile(filepath=str(out))
    relief = next(o for o in bpy.data.objects if o.depthy.is_result)
    p = np.array([v.co for v in relief.data.vertices])
    assert not ((np.abs(p[:, 0]) < 0.1) & (np.abs(p[:, 1]) < 0.1)).any()    # the pocket is a hole
    assert ((p[:, 0] < -0.3) & (p[:, 1] > 0.2)).any()                         # the plate is there
    assert relief.depthy.cuts == "[[0.503125, 0.5041666666666667], [0.015625, 0.020833333333333332]]"
