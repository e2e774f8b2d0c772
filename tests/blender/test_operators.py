"""The operators' own steps (blender/operators.py) with their reports: why each is greyed out, what
Regenerate and the sheet operator read and say, what a finished generation reports, which objects Apply
takes, and which areas are redrawn. Blender makes operator instances only inside its own calls, so the
steps run on a stand-in that records reports; everything else is the real code on real data."""
import inspect
import types

import pytest

bpy = pytest.importorskip("bpy")

from depthy_blender.blender import generate as gen, operators  # noqa: E402
from depthy_blender.models import engine, engines  # noqa: E402
from depthy_blender.pipeline import sheet  # noqa: E402
from depthy_blender.pipeline.drawing import Outcome, Request  # noqa: E402
from tests.blender.conftest import generate  # noqa: E402
from tests.blender.test_generate_steps import small_outcome  # noqa: E402


def stand_in(cls, **attributes):
    """An object running `cls`'s methods, its reports recorded as (kind, text); the class's own helpers
    (`_name` methods) are bound to it, so a method under test can call them."""
    op = types.SimpleNamespace(reports=[], filepath="", **attributes)
    op.report = lambda kind, text: op.reports.append((sorted(kind)[0], text))
    for name, value in inspect.getmembers(cls, inspect.isfunction):
        if name.startswith("_") and not name.startswith("__") and name not in attributes:
            setattr(op, name, types.MethodType(value, op))
    return op


def call(cls, name, op, *args):
    return getattr(cls, name)(op, *args)


# ---- greyed out, and why ---------------------------------------------------------------------------

def test_generate_is_greyed_out_outside_object_mode_and_while_running(drawing_path):
    cls = operators.DEPTHY_OT_generate_file
    running = types.SimpleNamespace(depthy_running=True)
    idle = types.SimpleNamespace(depthy_running=False)
    context = types.SimpleNamespace(mode="EDIT_MESH", window_manager=idle, scene=bpy.context.scene,
                                    preferences=bpy.context.preferences)
    assert cls.why_not(context) == "Switch to Object Mode first"
    context.mode, context.window_manager = "OBJECT", running
    assert cls.why_not(context) == "Depthy is already generating: wait, or press Esc to cancel it"
    context.window_manager = idle
    assert cls.why_not(context) is None
    bpy.context.scene.depthy.source = "FILE"
    assert operators.DEPTHY_OT_generate.why_not(context) == "Choose a drawing file first"


def test_an_engine_is_asked_whether_it_can_run_with_the_artists_settings(stand_in_engine, drawing_path):
    """The scene's resolution reaches the engine's options (TripoSR's relief size): an engine that
    cannot run at it greys out every operator that would use it."""
    engines.register(engine.Engine("stand-in", "Stand-in", "", lambda *a: None, available_fn=lambda o:
                                   f"not at {o.relief_resolution} px" if o.relief_resolution > 300 else None))
    s = bpy.context.scene.depthy
    s.engine, s.resolution, s.source, s.filepath = "stand-in", 400, "FILE", str(drawing_path)
    problem = "Stand-in cannot run: not at 400 px"
    assert operators.DEPTHY_OT_generate.nothing_to_do(bpy.context) == problem
    assert operators.DEPTHY_OT_generate_file.nothing_to_do(bpy.context) == problem
    s.engine = "inflate"
    obj = generate()
    s.engine = "stand-in"
    bpy.context.view_layer.objects.active = obj
    assert operators.DEPTHY_OT_regenerate.nothing_to_do(bpy.context) == problem
    s.resolution = 200
    assert operators.DEPTHY_OT_regenerate.nothing_to_do(bpy.context) is None


def test_regenerate_is_greyed_out_without_a_relief_that_knows_its_drawing(drawing_path):
    why = operators.DEPTHY_OT_regenerate.nothing_to_do
    assert why(bpy.context) == "Select a Depthy relief"                  # nothing active
    plain = bpy.data.objects.new("plain", bpy.data.meshes.new("plain"))
    marked = bpy.data.objects.new("marked empty", None)
    marked.depthy.is_result, marked.depthy.source_path = True, str(drawing_path)
    for obj in (plain, marked):
        bpy.context.scene.collection.objects.link(obj)
        bpy.context.view_layer.objects.active = obj
        assert why(bpy.context) == "Select a Depthy relief", obj.name
    obj = generate(source="FILE", filepath=str(drawing_path))
    assert why(bpy.context) is None
    obj.depthy.source_path = ""
    assert why(bpy.context) == "This relief does not know its drawing (made by an older version): use Generate"


def test_the_sheet_operator_needs_a_sheet():
    assert operators.DEPTHY_OT_generate_sheet.nothing_to_do(bpy.context) == "Choose a sheet file (image or DXF) first"
    bpy.context.scene.depthy.sheet_path = "/drawings/plate.dxf"
    assert operators.DEPTHY_OT_generate_sheet.nothing_to_do(bpy.context) is None


# ---- what the operators read and say ---------------------------------------------------------------

def test_a_refused_request_is_one_error_line(drawing_path):
    op = stand_in(operators.DEPTHY_OT_generate, properties=types.SimpleNamespace(is_property_set=lambda name: True))
    for name in operators.REDO:
        setattr(op, name, getattr(bpy.context.scene.depthy, name))
    bpy.context.scene.depthy.source = "IMAGE"
    assert call(operators.DrawingMixin, "_request", op, bpy.context) is None
    assert op.reports == [("ERROR", "Choose an image first")]


def test_regenerate_reads_the_active_relief_and_says_when_its_drawing_is_gone(drawing_path):
    obj = generate(source="FILE", filepath=str(drawing_path), resolution=40)
    bpy.context.scene.depthy.resolution = 300
    op = stand_in(operators.DEPTHY_OT_regenerate)
    request = call(operators.DEPTHY_OT_regenerate, "_request", op, bpy.context)
    assert op._target == obj.name and request.path == str(drawing_path) and op.reports == []
    assert request.options.relief_resolution == 300                      # the artist's settings, not defaults
    drawing_path.unlink()
    assert call(operators.DEPTHY_OT_regenerate, "_request", op, bpy.context) is None
    assert op.reports == [("ERROR", f"The drawing {obj.name} was made from is gone; generate it again from its image")]


def job(request, outcome):
    return types.SimpleNamespace(request=request, outcome=outcome)


def test_regenerate_says_what_it_made_where_and_refuses_what_it_cannot(drawing_path):
    obj = generate(source="FILE", filepath=str(drawing_path), resolution=40)
    op = stand_in(operators.DEPTHY_OT_regenerate, _target=obj.name)
    req = Request(name="drawing", engine="inflate")
    out = small_outcome(where="Stand-in · CPU · 0.01 s", why_cpu="no GPU here")
    assert call(operators.DEPTHY_OT_regenerate, "_build", op, bpy.context, job(req, out)) == {"FINISHED"}
    assert op.reports == [("INFO", f"Regenerated '{obj.name}' ({len(out.relief.verts):,} vertices) · "
                                   "Stand-in · CPU · 0.01 s (no GPU here)")]
    op.reports.clear()
    assert call(operators.DEPTHY_OT_regenerate, "_build", op, bpy.context, job(req, small_outcome())) == {"FINISHED"}
    assert op.reports == [("INFO", f"Regenerated '{obj.name}' ({len(out.relief.verts):,} vertices)")]
    op.reports.clear()
    whole = Outcome(None, [], whole_object=object())
    assert call(operators.DEPTHY_OT_regenerate, "_build", op, bpy.context, job(req, whole)) == {"CANCELLED"}
    assert op.reports == [("ERROR", "Regenerate makes reliefs; choose a relief engine (TripoSR's full object is new)")]
    op.reports.clear()
    bpy.data.objects.remove(obj)
    assert call(operators.DEPTHY_OT_regenerate, "_build", op, bpy.context, job(req, small_outcome())) == {"CANCELLED"}
    assert op.reports == [("ERROR", "The relief was deleted while it was being made again")]


def test_a_new_relief_is_reported_with_where_it_ran():
    op = stand_in(operators.DEPTHY_OT_generate)
    req = Request(name="part", engine="inflate")
    out = small_outcome(where="Stand-in · CPU · 0.01 s", why_cpu="no GPU here")
    assert call(operators.DrawingMixin, "_build", op, bpy.context, job(req, out)) == {"FINISHED"}
    assert op.reports == [("INFO", f"Created 'part relief' ({len(out.relief.verts):,} vertices) · "
                                   "Stand-in · CPU · 0.01 s (no GPU here)")]
    op.reports.clear()
    call(operators.DrawingMixin, "_build", op, bpy.context, job(req, small_outcome()))
    assert op.reports == [("INFO", f"Created 'part relief.001' ({len(out.relief.verts):,} vertices)")]


def test_the_sheet_request_takes_every_sheet_setting(tmp_path):
    s = bpy.context.scene.depthy
    s.sheet_path, s.sheet_solid, s.solid_resolution, s.solid_refine_depth = str(tmp_path / "a.png"), True, 72, True
    s.resolution, s.ratio, s.auto_ratio, s.smoothing, s.sheet_mm_per_px = 300, 0.35, False, 2.5, 0.4
    s.engine = "inflate"
    op = stand_in(operators.DEPTHY_OT_generate_sheet)
    req = call(operators.DEPTHY_OT_generate_sheet, "_request", op, bpy.context)
    assert (req.path, req.engine, req.solid, req.solid_resolution, req.refine_depth, req.resolution, req.auto_ratio) \
        == (str(tmp_path / "a.png"), "inflate", True, 72, True, 300, False)
    assert (req.ratio, req.smoothing, req.mm_per_px) == (pytest.approx(0.35), pytest.approx(2.5), pytest.approx(0.4))
    assert req.options.relief_resolution == 300 and op.reports == [] and req.flat_faces is True   # the default
    s.sheet_flat_faces = False
    assert call(operators.DEPTHY_OT_generate_sheet, "_request", op, bpy.context).flat_faces is False
    s.resolution = 1024                                  # views are small: at most 512 samples
    assert call(operators.DEPTHY_OT_generate_sheet, "_request", op, bpy.context).resolution == 512
    s.resolution = 512
    assert call(operators.DEPTHY_OT_generate_sheet, "_request", op, bpy.context).resolution == 512


def test_the_sheet_operator_says_why_it_uses_depthy_or_cannot_start(tmp_path):
    s = bpy.context.scene.depthy
    s.sheet_path, s.engine = str(tmp_path / "a.png"), "triposr"
    op = stand_in(operators.DEPTHY_OT_generate_sheet)
    assert call(operators.DEPTHY_OT_generate_sheet, "_request", op, bpy.context).engine == "depthy"
    assert op.reports == [("INFO", "Sheet views use Depthy: TripoSR makes whole objects, not views")]
    op.reports.clear()
    s.sheet_path = ""
    assert call(operators.DEPTHY_OT_generate_sheet, "_request", op, bpy.context) is None
    assert op.reports == [("ERROR", "Choose a sheet file (image or DXF) first")]


def test_a_finished_sheet_names_its_views(tmp_path):
    from tests.blender.test_sheet_solid import _sheet
    _sheet(tmp_path / "sheet.png")
    req = sheet.SheetRequest(str(tmp_path / "sheet.png"), "inflate", resolution=40)
    out = sheet.compute(req, lambda f, s: None, lambda: False)
    op = stand_in(operators.DEPTHY_OT_generate_sheet)
    assert call(operators.DEPTHY_OT_generate_sheet, "_build", op, bpy.context, job(req, out)) == {"FINISHED"}
    assert op.reports == [("INFO", "Created 3 object(s) from the sheet (top, front, side)")]


# ---- Apply's objects, the redraw -------------------------------------------------------------------

def test_apply_takes_the_selected_objects_and_the_active_one():
    a, b, c = (types.SimpleNamespace(name=n) for n in "abc")
    targets = operators._targets
    assert targets(types.SimpleNamespace(selected_objects=[a, b], active_object=c)) == [a, b, c]
    assert targets(types.SimpleNamespace(selected_objects=[a, b], active_object=a)) == [a, b]
    assert targets(types.SimpleNamespace(selected_objects=[a], active_object=None)) == [a]
    assert targets(types.SimpleNamespace(selected_objects=[], active_object=c)) == [c]


def test_progress_redraws_the_3d_views_and_the_status_bar_only():
    tagged = []

    def area(kind):
        return types.SimpleNamespace(type=kind, tag_redraw=lambda: tagged.append(kind))
    screens = [types.SimpleNamespace(screen=types.SimpleNamespace(areas=[area("VIEW_3D"), area("PROPERTIES")])),
               types.SimpleNamespace(screen=types.SimpleNamespace(areas=[area("STATUSBAR"), area("VIEW_3D")]))]
    operators._redraw(types.SimpleNamespace(window_manager=types.SimpleNamespace(windows=screens)))
    assert tagged == ["VIEW_3D", "STATUSBAR", "VIEW_3D"]


# ---- the worker ------------------------------------------------------------------------------------

def test_a_job_starts_at_nothing_in_a_thread_that_never_keeps_blender_open():
    job = operators.Job(Request(name="part", engine="inflate"), compute=lambda *a: None)
    assert (job.progress, job.stage, job.outcome, job.error) == (0.0, "Starting", None, None)
    assert job.cancelled is False and job.thread.daemon and job.thread.name == "depthy-generate"


@pytest.mark.parametrize("failure, error, cancelled", [
    (MemoryError(), "Out of memory: lower the resolution or use a smaller image", False),
    (gen.UserError("The drawing is blank"), "The drawing is blank", False),
    (engine.Cancelled(), None, True)])   # a bug's sentence: test_bad_inputs.py
def test_a_failing_job_keeps_one_line_for_the_artist(failure, error, cancelled):
    def compute(request, progress, cancel):
        progress(0.5, "Halfway")
        raise failure
    job = operators.Job(Request(name="part", engine="inflate"), compute=compute)
    job._run()
    assert (job.error, job.cancelled, job.outcome) == (error, cancelled, None)
    assert (job.progress, job.stage) == (0.5, "Halfway")


def test_a_finished_job_reports_its_messages_and_notes_then_builds():
    op = stand_in(operators.DEPTHY_OT_generate, _build=lambda context, job: {"FINISHED"})
    out = Outcome(None, ["'a.png': downscaled"], notes=["CUDA ran out of memory: the CPU was used"])
    job_ = types.SimpleNamespace(cancelled=False, error=None, outcome=out)
    assert call(operators.GenerateMixin, "_finish", op, bpy.context, job_) == {"FINISHED"}
    assert op.reports == [("WARNING", "'a.png': downscaled"), ("WARNING", "CUDA ran out of memory: the CPU was used")]
    op.reports.clear()
    job_.error = "The drawing is blank"
    assert call(operators.GenerateMixin, "_finish", op, bpy.context, job_) == {"CANCELLED"}
    assert op.reports == [("ERROR", "The drawing is blank")]
