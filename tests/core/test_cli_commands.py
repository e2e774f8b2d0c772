"""The `mesh` and `sheet` commands up to Blender, and what every command shares: what reaches the Blender
layer from the command line (each default and option), batches, refusals, exit codes and the lines printed.

A stand-in for the Blender layer (depthy_blender.blender.headless) records each call, so these run without
bpy; tests/blender/test_cli_mesh.py runs the same commands through Blender."""
import json
import sys
import types
from pathlib import Path

import numpy as np
import pytest

import depthy_blender.blender
from depthy_blender import cli
from depthy_blender.core import proportion, relief
from depthy_blender.errors import DepthyError
from depthy_blender.models import engine, engines
from depthy_blender.pipeline import sheet

HEADLESS = "depthy_blender.blender.headless"


class Headless(types.ModuleType):
    """Records make_relief_files / make_sheet_files calls; `fail` maps an input's file name to what its
    call raises."""

    def __init__(self):
        super().__init__(HEADLESS)
        self.calls, self.fail, self.ended = [], {}, []

    def _maybe_fail(self, path):
        if Path(path).name in self.fail:
            raise self.fail[Path(path).name]

    def make_relief_files(self, path, outputs, options, render=None, progress=None, render_side=None):
        self.calls.append(("relief", path, outputs, options, render, progress, render_side))
        self._maybe_fail(path)
        return types.SimpleNamespace(depthy=types.SimpleNamespace(ran_on=self.ran_on, why_cpu=self.why_cpu))

    ran_on, why_cpu = "", ""

    def make_sheet_files(self, request, outputs, render=None, json_out=None, progress=None):
        self.calls.append(("sheet", request, outputs, render, json_out, progress))
        self._maybe_fail(request.path)

    def end_process(self, code):
        self.ended.append(code)


@pytest.fixture
def headless(monkeypatch):
    stand_in = Headless()
    monkeypatch.setitem(sys.modules, HEADLESS, stand_in)
    monkeypatch.setattr(depthy_blender.blender, "headless", stand_in, raising=False)
    return stand_in


def run(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err.splitlines()


def make_images(folder: Path, *names) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_bytes(b"stand-in")
    return folder


# --- mesh -------------------------------------------------------------------------------------------

def test_mesh_defaults_reach_the_blender_layer(headless, drawing_path, tmp_path, capsys):
    out = tmp_path / "part.glb"
    code, lines, err = run(capsys, "mesh", drawing_path, "-o", out)
    assert code == 0 and lines == [f"wrote {out}"] and err == []
    kind, path, outputs, options, render, progress, render_side = headless.calls[0]
    assert (kind, path, outputs, render, render_side, progress) == ("relief", str(drawing_path), [str(out)], None, None,
                                                                     cli._progress)
    default_engine = engines.best_available(engine.EngineOptions()).name
    assert options == dict(engine=default_engine, ratio=proportion.FALLBACK_RATIO, auto_ratio=True, smoothing=1.0,
                           base=relief.BASE, resolution=256, back="none", triangles=False, size=1.0,
                           background="auto", background_tolerance=0.03, faces="engine", flips=(), fills=(), cuts=(),
                           options=engine.EngineOptions(device="AUTO", depthy_resolution=256, triposr_folder="",
                                                        triposr_output="FULL", foreground_ratio=0.85,
                                                        mc_resolution=256, relief_resolution=256))


def test_mesh_options_reach_the_blender_layer(headless, drawing_path, tmp_path, capsys):
    outs = [tmp_path / "p.glb", tmp_path / "p.obj", tmp_path / "p.blend"]
    renders = [tmp_path / "front.png", tmp_path / "side.png"]
    code, lines, _ = run(capsys, "mesh", drawing_path, *sum((["-o", o] for o in outs), []),
                         "--render", renders[0], "--render-side", renders[1], "--ratio", "0.35", "--smoothing", "2.5",
                         "--resolution", "1000", "--back", "flat", "--base", "0.1", "--triangles",
                         "--background", "border", "--background-tolerance", "0.2", "--size", "3",
                         "--backend", "inflate", "--device", "CPU", "--depthy-size", "512", "--triposr-folder", "/w",
                         "--triposr-output", "relief", "--foreground-ratio", "0.6", "--mc-resolution", "128",
                         "--faces", "planar", "--flip", "10,20", "--flip", "159,0", "--fill", "0,119",
                         "--cut", "1,2")
    assert code == 0 and lines == [f"wrote {p}" for p in outs + renders]
    _, _, outputs, options, render, _, render_side = headless.calls[0]
    assert outputs == [str(o) for o in outs] and (render, render_side) == tuple(str(r) for r in renders)
    assert options == dict(engine="inflate", ratio=0.35, auto_ratio=False, smoothing=2.5, base=0.1, resolution=1000,
                           back="flat", triangles=True, size=3.0, background="border", background_tolerance=0.2,
                           faces="planar", flips=((10.5 / 160, 20.5 / 120), (159.5 / 160, 0.5 / 120)),
                           fills=((0.5 / 160, 119.5 / 120),), cuts=((1.5 / 160, 2.5 / 120),),
                           options=engine.EngineOptions(device="CPU", depthy_resolution=512, triposr_folder="/w",
                                                        triposr_output="RELIEF", foreground_ratio=0.6,
                                                        mc_resolution=128, relief_resolution=512))


@pytest.mark.parametrize("resolution, relief_resolution", [(16, 64), (64, 64), (300, 300), (512, 512), (2048, 512)])
def test_the_engines_relief_grid_is_the_meshs_between_64_and_512(headless, drawing_path, tmp_path, capsys,
                                                                 resolution, relief_resolution):
    assert run(capsys, "mesh", drawing_path, "-o", tmp_path / "p.glb", "--resolution", resolution)[0] == 0
    assert headless.calls[0][3]["options"].relief_resolution == relief_resolution


@pytest.mark.parametrize("ratio, answer", [(" AUTO ", ("auto", True)), ("auto", ("auto", True)), ("2", (2.0, False))])
def test_the_ratio_is_auto_or_a_number(headless, drawing_path, tmp_path, capsys, ratio, answer):
    assert run(capsys, "mesh", drawing_path, "-o", tmp_path / "p.glb", "--ratio", ratio)[0] == 0
    options = headless.calls[0][3]
    got = ("auto" if options["auto_ratio"] else options["ratio"], options["auto_ratio"])
    assert got == answer and type(options["ratio"]) is float


@pytest.mark.parametrize("flag, value, says", [
    ("--ratio", "deep", "--ratio: depth ratio (thickness ÷ width) must be a number, not 'deep'"),
    ("--ratio", "2.5", "--ratio: depth ratio (thickness ÷ width) must be between 0.0 and 2.0, not 2.5"),
    ("--smoothing", "-1", "--smoothing"),
    ("--base", "1.5", "--base"),
    ("--size", "0", "--size"),
    ("--resolution", "8", "--resolution"),
    ("--background-tolerance", "nan", "--background-tolerance"),
    ("--depthy-resolution", "64", "--depthy-resolution"),
    ("--foreground-ratio", "0.2", "--foreground-ratio"),
    ("--mc-resolution", "1024", "--mc-resolution"),
])
def test_a_mesh_option_out_of_range_is_one_line_before_any_work(headless, drawing_path, tmp_path, capsys,
                                                                 flag, value, says):
    code, lines, err = run(capsys, "mesh", drawing_path, "-o", tmp_path / "p.glb", flag, value)
    assert code == 2 and lines == [] and len(err) == 1 and err[0].startswith(f"error: {says}")
    assert headless.calls == []


@pytest.mark.parametrize("flag, value", [("--solid-resolution", "4"), ("--mm-per-px", "-2"), ("--resolution", "8")])
def test_a_sheet_option_out_of_range_is_one_line_before_any_work(headless, drawing_path, tmp_path, capsys, flag, value):
    code, _, err = run(capsys, "sheet", drawing_path, "-o", tmp_path / "s.blend", flag, value)
    assert code == 2 and len(err) == 1 and err[0].startswith(f"error: {flag}") and headless.calls == []


def test_an_output_that_is_no_mesh_is_refused(headless, drawing_path, tmp_path, capsys):
    code, _, err = run(capsys, "mesh", drawing_path, "-o", tmp_path / "p.glb", "-o", tmp_path / "p.stl")
    assert code == 2 and err == [f"error: {tmp_path / 'p.stl'}: output must end in one of .glb, .obj, .blend"]
    assert headless.calls == []


def test_where_the_engine_ran_is_said_with_why_not_on_a_gpu(headless, drawing_path, tmp_path, capsys):
    headless.ran_on, headless.why_cpu = "Depthy · CPU fp32 · 0.40 s", "no CUDA device found"
    assert run(capsys, "mesh", drawing_path, "-o", tmp_path / "p.glb")[2] == [
        "  Depthy · CPU fp32 · 0.40 s (no CUDA device found)"]
    headless.why_cpu = ""
    assert run(capsys, "mesh", drawing_path, "-o", tmp_path / "p.glb")[2] == ["  Depthy · CPU fp32 · 0.40 s"]


@pytest.mark.parametrize("command", ["mesh", "sheet"])
def test_without_blender_the_mesh_and_sheet_commands_say_what_to_install(monkeypatch, drawing_path, tmp_path, capsys,
                                                                         command):
    monkeypatch.setitem(sys.modules, HEADLESS, None)        # import fails, as without bpy
    monkeypatch.delattr(depthy_blender.blender, "headless", raising=False)
    code, _, err = run(capsys, command, drawing_path, "-o", tmp_path / "p.blend")
    assert code == 2 and len(err) == 1
    assert err[0].startswith(f"error: the {command} command needs Blender's Python module (pip install bpy): ")


# --- batches ----------------------------------------------------------------------------------------

def test_a_mesh_batch_converts_each_image_once_and_goes_on_after_a_failure(headless, tmp_path, capsys):
    folder = make_images(tmp_path / "in", "b.png", "a.png", "a.JPG", "notes.txt", "c.webp")
    headless.fail = {"a.png": DepthyError("No figure found\nsecond line"), "c.webp": ValueError("bad\nmore")}
    out = tmp_path / "out" / "nested"
    code, lines, err = run(capsys, "mesh", folder, "-o", out, "--format", "obj", "--ratio", "0.3")
    assert code == 1
    assert [call[1] for call in headless.calls] == [str(folder / n) for n in ("a.JPG", "a.png", "b.png", "c.webp")]
    assert [call[2] for call in headless.calls] == [[str(out / n)] for n in ("a-jpg.obj", "a-png.obj", "b.obj", "c.obj")]
    assert all(call[3]["ratio"] == 0.3 and call[4] is None for call in headless.calls) and out.is_dir()
    assert err == [f"[1/4] a.JPG → {out / 'a-jpg.obj'}", f"[2/4] a.png → {out / 'a-png.obj'}", "  failed: No figure found",
                   f"[3/4] b.png → {out / 'b.obj'}", f"[4/4] c.webp → {out / 'c.obj'}", "  failed: ValueError: bad"]
    assert lines == [f"done: 2 of 4 converted into {out}; failed: a.png, c.webp"]


def test_a_batch_that_converts_everything_exits_0_and_glb_is_the_default(headless, tmp_path, capsys):
    folder = make_images(tmp_path / "in", "a.png")
    (tmp_path / "out").mkdir()                                  # an output folder that is already there
    code, lines, _ = run(capsys, "mesh", folder, "-o", tmp_path / "out")
    assert code == 0 and lines == [f"done: 1 of 1 converted into {tmp_path / 'out'}"]
    assert headless.calls[0][2] == [str(tmp_path / "out" / "a.glb")]


def test_ctrl_c_stops_a_batch_and_exits_130(headless, tmp_path, capsys):
    folder = make_images(tmp_path / "in", "a.png", "b.png")
    headless.fail = {"a.png": KeyboardInterrupt()}
    code, lines, err = run(capsys, "mesh", folder, "-o", tmp_path / "out")
    assert code == 130 and err[-1] == "cancelled" and len(headless.calls) == 1 and lines == []
    headless.calls.clear()
    assert run(capsys, "sheet", folder, "-o", tmp_path / "out")[0] == 130 and len(headless.calls) == 1


def test_a_folder_without_images_is_one_line(headless, tmp_path, capsys):
    folder = make_images(tmp_path / "in", "notes.txt", "part.dxf")
    code, _, err = run(capsys, "mesh", folder, "-o", tmp_path / "out")
    assert code == 2 and err == [f"error: no images (.bmp, .jpeg, .jpg, .png, .tif, .tiff, .webp) in {folder}"]
    folder = make_images(tmp_path / "empty")
    code, _, err = run(capsys, "sheet", folder, "-o", tmp_path / "out")
    assert code == 2 and err == [f"error: no sheets (images or .dxf) in {folder}"]


def test_batch_names_keep_every_output_apart():
    files = [Path("x/Part.PNG"), Path("x/part.dxf"), Path("x/gear.png")]
    assert cli.batch_names(files, ".blend") == {files[0]: "Part-png.blend", files[1]: "part-dxf.blend",
                                                files[2]: "gear.blend"}


# --- sheet ------------------------------------------------------------------------------------------

def test_sheet_defaults_and_options_reach_the_blender_layer(headless, drawing_path, tmp_path, capsys):
    out, render, found = tmp_path / "s.blend", tmp_path / "s.png", tmp_path / "views.json"
    code, lines, _ = run(capsys, "sheet", drawing_path, "-o", out, "--engine", "inflate")
    assert code == 0 and lines == [f"wrote {out}"]
    _, request, outputs, rendered, json_out, progress = headless.calls[0]
    assert (outputs, rendered, json_out, progress) == ([str(out)], None, None, cli._progress)
    assert request == sheet.SheetRequest(str(drawing_path), "inflate", views=None, solid=False,
                                         options=cli.engine_options(cli._parser().parse_args(
                                             ["sheet", str(drawing_path), "-o", str(out)])),
                                         solid_resolution=128, mm_per_px=0.0, read_lines=True, refine_depth=False,
                                         resolution=192, flat_faces=True)
    assert request.options.relief_resolution == 192
    views = tmp_path / "given.json"
    views.write_text(json.dumps({"views": [{"box": [0, 0, 10, 10], "role": "front"}]}))
    headless.calls.clear()
    code, lines, _ = run(capsys, "sheet", drawing_path, "-o", out, "--engine", "inflate", "--solid", "--outline-only",
                         "--refine-depth", "--solid-resolution", "96", "--mm-per-px", "0.5", "--resolution", "128",
                         "--render", render, "--json", found, "--views", views, "--no-flat-faces")
    assert code == 0 and lines == [f"wrote {out}", f"wrote {render}", f"wrote {found}"]
    _, request, _, rendered, json_out, _ = headless.calls[0]
    assert (rendered, json_out) == (str(render), str(found))
    assert (request.views, request.solid, request.read_lines, request.refine_depth, request.solid_resolution,
            request.mm_per_px, request.resolution, request.flat_faces) == (
        [{"box": [0, 0, 10, 10], "role": "front"}], True, False, True, 96, 0.5, 128, False)


def test_a_sheet_that_is_not_there_is_one_line(headless, tmp_path, capsys):
    code, _, err = run(capsys, "sheet", tmp_path / "missing.png", "-o", tmp_path / "s.blend")
    assert code == 2 and err == [f"error: Sheet file not found: {tmp_path / 'missing.png'}"] and headless.calls == []


def test_a_sheet_batch_reads_images_and_dxf_and_goes_on_after_a_failure(headless, tmp_path, capsys):
    folder = make_images(tmp_path / "in", "b.dxf", "a.png", "readme.md")
    headless.fail = {"a.png": RuntimeError("boom")}
    out = tmp_path / "out"
    code, lines, err = run(capsys, "sheet", folder, "-o", out, "--engine", "inflate", "--solid")
    assert code == 1 and lines == [f"done: 1 of 2 converted into {out}; failed: a.png"]
    assert [(c[1].path, c[1].solid, c[2], c[3], c[4], c[5]) for c in headless.calls] == [
        (str(folder / "a.png"), True, [str(out / "a.blend")], None, None, cli._progress),
        (str(folder / "b.dxf"), True, [str(out / "b.blend")], None, None, cli._progress)]
    assert err == ["[1/2] a.png", "  failed: RuntimeError: boom", "[2/2] b.dxf"]


@pytest.mark.parametrize("text, says", [
    (None, "cannot read it (No such file or directory)"),
    ("{not json", "not a views file"),
    ('{"views": {"box": [0, 0, 1, 1]}}', "not a views file"),
    ('{"views": [{"role": "front"}]}', "each view needs a box"),
    ('{"boxes": []}', "not a views file"),
    ('{"views": ["front"]}', "each view needs a box"),
])
def test_a_views_file_that_cannot_be_used_is_one_line(headless, drawing_path, tmp_path, capsys, text, says):
    views = tmp_path / "views.json"
    if text is not None:
        views.write_text(text)
    code, _, err = run(capsys, "sheet", drawing_path, "-o", tmp_path / "s.blend", "--views", views)
    assert code == 2 and len(err) == 1 and err[0].startswith(f"error: --views {views}: ") and says in err[0]
    if says == "each view needs a box":
        assert err[0].endswith('not a views file ({"views": [{"box": …, "role": …}]}): each view needs a box')
    assert headless.calls == []


# --- outputs and inputs -----------------------------------------------------------------------------

def test_no_output_may_be_an_input_or_hold_one(headless, tmp_path, capsys):
    folder = make_images(tmp_path / "in", "a.png")
    code, _, err = run(capsys, "mesh", folder, "-o", folder)          # the batch's output folder is its input
    assert code == 2 and err == [f"error: {folder} is an input; writing it would destroy it (choose another output)"]
    code, _, err = run(capsys, "mesh", folder, "-o", tmp_path)        # … or holds it
    assert code == 2 and err == [f"error: {tmp_path} holds the input a.png; choose an output folder of its own"]
    code, _, err = run(capsys, "mesh", folder / "a.png", "-o", tmp_path / "p.glb", "--render", folder / "a.png")
    assert code == 2 and err == [f"error: {folder / 'a.png'} is an input; writing it would destroy it (choose another output)"]
    views = tmp_path / "views.json"
    views.write_text('{"views": []}')
    code, _, err = run(capsys, "sheet", folder / "a.png", "-o", tmp_path / "s.blend", "--json", views, "--views", views)
    assert code == 2 and err[0].startswith(f"error: {views} is an input")
    code, _, err = run(capsys, "mesh", folder / "a.png", "-o", tmp_path / "p.glb", "-o", tmp_path / "x" / ".." / "p.glb")
    assert code == 2 and err == [f"error: {tmp_path / 'x' / '..' / 'p.glb'} is given twice as an output"]
    code, _, err = run(capsys, "mesh", folder / "a.png", "-o", tmp_path / "p.glb", "--render-side", folder / "a.png")
    assert code == 2 and "is an input" in err[0]
    code, _, err = run(capsys, "depth", tmp_path / "gone.png", "-o", tmp_path / "gone.png")   # not there yet
    assert code == 2 and err == [f"error: {tmp_path / 'gone.png'} is an input; writing it would destroy it "
                                 "(choose another output)"]
    (tmp_path / "link.png").symlink_to(folder / "a.png")
    code, _, err = run(capsys, "mesh", tmp_path / "link.png", "-o", tmp_path / "p.glb", "--render", folder / "a.png")
    assert code == 2 and "is an input" in err[0]
    assert headless.calls == [] and (folder / "a.png").read_bytes() == b"stand-in"


# --- what every command shares ------------------------------------------------------------------------

def parse_error(capsys, *argv):
    with pytest.raises(SystemExit) as exited:
        cli.main([str(a) for a in argv])
    err = capsys.readouterr().err
    return exited.value.code, err


def test_a_command_and_an_output_are_required(capsys, drawing_path):
    code, err = parse_error(capsys)
    assert code == 2 and err.startswith("usage: python -m depthy_blender [-h] COMMAND")
    assert "the following arguments are required: COMMAND" in err
    for command in ("depth", "mesh", "sheet"):
        code, err = parse_error(capsys, command, drawing_path)
        assert code == 2 and err.startswith(f"usage: python -m depthy_blender {command} ")
        assert "the following arguments are required: -o/--output" in err


def test_every_command_and_argument_is_explained_in_the_help():
    commands = next(a for a in cli._parser()._actions if a.dest == "==SUPPRESS==" and a.choices)
    assert set(commands.choices) == {"depth", "mesh", "sheet"}
    assert [(c.dest, bool(c.help)) for c in commands._choices_actions] == [("depth", True), ("mesh", True),
                                                                          ("sheet", True)]
    for name, parser in commands.choices.items():
        unexplained = [a.dest for a in parser._actions if not a.help]
        assert unexplained == [], f"{name}: {unexplained}"
        for action in parser._actions:      # a default that matters is named in the help, as it is
            if action.default not in (None, False, "", "==SUPPRESS=="):
                shown = f"{action.default:g}" if isinstance(action.default, float) else str(action.default)
                assert "default" in action.help and shown in action.help, f"{name} {action.dest}: {action.help}"
    assert cli._parser().description == cli.__doc__


@pytest.mark.parametrize("command, flag, values", [
    ("mesh", "--format", ("glb", "obj", "blend")),
    ("mesh", "--back", relief.BACKS),
    ("mesh", "--background", ("auto", "border")),
    ("depth", "--device", ("AUTO", "CPU", "CUDA", "MPS", "DIRECTML")),
    ("sheet", "--triposr-output", ("full", "relief")),
])
def test_a_choice_outside_its_list_is_refused_by_the_parser(capsys, drawing_path, command, flag, values):
    for value in values:
        assert getattr(cli._parser().parse_args([command, str(drawing_path), "-o", "x", flag, value]),
                       flag[2:].replace("-", "_")) == value
    code, err = parse_error(capsys, command, drawing_path, "-o", "x", flag, "other")
    assert code == 2 and f"argument {flag}: invalid choice: 'other'" in err

def test_a_file_that_cannot_be_written_is_one_line(monkeypatch, drawing_path, tmp_path, capsys):
    def cannot_write(args):
        raise PermissionError(13, "Permission denied", "/read-only/near.npy")
    monkeypatch.setattr(cli, "_cmd_depth", cannot_write)
    code, _, err = run(capsys, "depth", drawing_path, "-o", tmp_path / "n.npy")
    assert code == 2 and err == ["error: cannot write /read-only/near.npy: Permission denied"]

    def disk_full(args):
        raise OSError("disk full")
    monkeypatch.setattr(cli, "_cmd_depth", disk_full)
    assert run(capsys, "depth", drawing_path, "-o", tmp_path / "n.npy")[2] == ["error: cannot write the output: disk full"]


def test_the_program_ends_through_blender_only_where_blender_was_loaded(headless, monkeypatch, drawing_path, tmp_path):
    monkeypatch.delitem(sys.modules, "bpy", raising=False)
    out = tmp_path / "p.glb"
    assert cli.run_as_program(["mesh", str(drawing_path), "-o", str(out)]) == 0 and headless.ended == []
    monkeypatch.setitem(sys.modules, "bpy", types.ModuleType("bpy"))
    assert cli.run_as_program(["mesh", str(drawing_path), "-o", str(out), "--size", "0"]) == 2
    assert headless.ended == [2]


def test_depth_says_where_it_ran_and_writes_the_mask(stand_in_engine, drawing_path, tmp_path, capsys):
    stand_in = stand_in_engine()
    out, mask = tmp_path / "n.npy", tmp_path / "deep" / "m.npy"
    code, lines, err = run(capsys, "depth", drawing_path, "-o", out, "--engine", "stand-in", "--mask", mask)
    assert code == 0 and lines == [f"wrote {out} (160×120, engine stand-in)"]
    assert err == ["    0% Starting", "  100% Done"]
    assert np.load(out).dtype == np.float32 and np.load(mask).dtype == bool and np.load(mask).sum() == 101 * 71
    stand_in.meta = {"where": "Said · CPU fp32 · 0.10 s", "why_cpu": "no CUDA device found"}
    code, lines, _ = run(capsys, "depth", drawing_path, "-o", out, "--engine", "stand-in")
    assert lines == [f"wrote {out} (160×120, Said · CPU fp32 · 0.10 s (no CUDA device found))"]
    stand_in.meta = {"engine": "inner"}                     # the engine's own name for itself, when it gives one
    assert run(capsys, "depth", drawing_path, "-o", out, "--engine", "stand-in")[1] == [
        f"wrote {out} (160×120, engine inner)"]


def test_depth_hands_the_engine_its_options(stand_in_engine, drawing_path, tmp_path, capsys):
    stand_in = stand_in_engine()
    assert run(capsys, "depth", drawing_path, "-o", tmp_path / "n.npy", "--engine", "stand-in", "--device", "CPU",
               "--depthy-resolution", "320", "--triposr-output", "relief", "--mc-resolution", "64")[0] == 0
    assert stand_in.calls[-1][2] == engine.EngineOptions(device="CPU", depthy_resolution=320, triposr_output="RELIEF",
                                                         mc_resolution=64, relief_resolution=256)


def test_depth_passes_on_what_reading_the_image_noticed(stand_in_engine, tmp_path, capsys):
    """8200 × 60 px is read at 4100 × 30 (the depth command's largest side is 4096 … the factor is whole)."""
    from PIL import Image
    image = np.full((60, 8200), 255, np.uint8)
    image[10:50, 100:8100] = 0
    Image.fromarray(image).save(tmp_path / "long.png")
    out = tmp_path / "n.npy"
    stand_in_engine()
    code, lines, err = run(capsys, "depth", tmp_path / "long.png", "-o", out, "--engine", "stand-in")
    height, width = np.load(out).shape
    assert code == 0 and width <= cli.DEPTH_MAX_SIDE
    assert [e for e in err if e.startswith("note: ")] == [
        f"note: long.png is 8200×60 px; downscaled to {width}×{height}",
        f"note: nearness written at {width}×{height}, the size the image was read at"]
