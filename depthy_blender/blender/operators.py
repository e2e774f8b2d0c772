"""Operators: Generate from drawing (modal, worker thread), Regenerate, Fill Holes and Cut Selected Areas (in
place), Apply (freeze), Flip Selected Areas, the sheet operators, and the drop handler."""

import threading
import traceback

import bpy
from bpy.props import BoolProperty, EnumProperty, FloatProperty, IntProperty, StringProperty

from ..core import options, relief as relief_math
from ..errors import DepthyError, counted
from ..models import engine
from ..pipeline import drawing, sheet
from . import flips, generate, holes, mesh_io, prefs, props

IMAGE_EXTENSIONS = ".png;.jpg;.jpeg;.bmp;.tif;.tiff;.webp"
MODE_NAMES = {"OBJECT": "Object Mode", "EDIT_MESH": "Edit Mode"}


class Job:
    """A compute() call in a worker thread, polled by the modal operator."""

    def __init__(self, request, compute=None):
        self.request = request
        self.compute = compute or drawing.compute
        self.progress, self.stage = 0.0, "Starting"
        self.outcome = None
        self.error: str | None = None
        self.cancelled = False
        self._cancel = threading.Event()
        self.thread = threading.Thread(target=self._run, name="depthy-generate", daemon=True)

    def start(self):
        self.thread.start()

    def cancel(self):
        self._cancel.set()

    def _report(self, fraction, stage):
        self.progress, self.stage = fraction, stage

    def _run(self):
        try:
            self.outcome = self.compute(self.request, self._report, self._cancel.is_set)
        except engine.Cancelled:
            self.cancelled = True
        except DepthyError as exc:
            self.error = str(exc)
        except MemoryError:
            self.error = "Out of memory: lower the resolution or use a smaller image"
        except Exception as exc:   # a bug: keep the traceback in the console, a sentence for the user
            traceback.print_exc()
            self.error = f"Generation failed unexpectedly: {exc}"


class GenerateMixin:
    """Worker thread + modal progress + Esc cancel, shared by the drawing and the sheet operators."""
    _job = None
    _timer = None
    task = "drawing"   # which panel shows this operator's progress

    @classmethod
    def poll(cls, context):  # pragma: no mutate block (Blender checks its callbacks' signatures)
        """Greyed out, with the reason in the tooltip, when there is nothing it could do."""
        why = cls.why_not(context)
        if why:
            cls.poll_message_set(why)
        return not why

    modes = ("OBJECT",)   # the context modes it runs in

    @classmethod
    def why_not(cls, context) -> str | None:
        """Why it cannot run now, in one line, or None."""
        if context.mode not in cls.modes:
            return f"Switch to {' or '.join(MODE_NAMES[mode] for mode in cls.modes)} first"
        if context.window_manager.depthy_running:
            return "Depthy is already generating: wait, or press Esc to cancel it"
        return cls.nothing_to_do(context)

    @classmethod
    def nothing_to_do(cls, context) -> str | None:
        return None


    def execute(self, context):  # pragma: no mutate block (Blender checks its callbacks' signatures)
        """Synchronous: scripts, background mode and the redo panel."""
        request = self._request(context)
        if request is None:
            return {"CANCELLED"}
        job = self._make_job(request)
        job._run()
        return self._finish(context, job)

    def invoke(self, context, event):  # pragma: no mutate block (Blender checks its callbacks' signatures)
        if bpy.app.background:
            return self.execute(context)
        if self.filepath:   # from a drop: offer the settings first
            return context.window_manager.invoke_props_dialog(self, title="Generate from Drawing")
        return self._start_modal(context)

    def _make_job(self, request):
        return Job(request)

    def _start_modal(self, context):
        request = self._request(context)
        if request is None:
            return {"CANCELLED"}
        wm = context.window_manager
        self._job = self._make_job(request)
        self._job.start()
        wm.depthy_running, wm.depthy_progress, wm.depthy_status = True, 0.0, "Starting"
        wm.depthy_task = self.task
        self._timer = wm.event_timer_add(0.1, window=context.window)
        wm.modal_handler_add(self)
        return {"RUNNING_MODAL"}

    def modal(self, context, event):  # pragma: no mutate block (Blender checks its callbacks' signatures)
        return self._on_event(context, event)

    def _on_event(self, context, event):
        """Esc cancels the worker; on each timer tick, its progress is shown until it ends, then the result
        is built."""
        job = self._job
        if event.type == "ESC" and event.value == "PRESS":
            job.cancel()
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        wm = context.window_manager
        wm.depthy_progress, wm.depthy_status = job.progress, job.stage
        context.workspace.status_text_set(f"Depthy: {job.stage} ({job.progress:.0%}) — Esc to cancel")
        _redraw(context)
        if job.thread.is_alive():
            return {"RUNNING_MODAL"}
        wm.event_timer_remove(self._timer)
        context.workspace.status_text_set(None)
        wm.depthy_running, wm.depthy_status, wm.depthy_task = False, "", ""
        _redraw(context)
        return self._finish(context, job)

    def _finish(self, context, job: Job):
        if job.cancelled:
            self.report({"WARNING"}, "Generation cancelled; nothing was changed")
            return {"CANCELLED"}
        if job.error:
            self.report({"ERROR"}, job.error)
            return {"CANCELLED"}
        for message in job.outcome.messages + getattr(job.outcome, "notes", []):
            self.report({"WARNING"}, message)
        return self._build(context, job)


# shown in Adjust Last Operation (F9)
REDO = ("engine", "faces", "resolution", "back", "base", "auto_ratio", "ratio", "smoothing")


class DrawingMixin(GenerateMixin):
    """A drawing → one relief; its settings are the panel's unless set on the operator."""
    bl_options = {"REGISTER", "UNDO"}

    # Set by a file drop (or scripts) to use this file instead of the panel's source
    filepath: StringProperty(name="File", subtype="FILE_PATH", options={"SKIP_SAVE", "HIDDEN"})
    # The panel's values unless set here; after a generation they are in Adjust Last Operation (F9)
    engine: EnumProperty(name="Engine", description="How depth is estimated from the drawing",
                         items=lambda self, context: props.engine_items(context), options={"SKIP_SAVE"})
    faces: EnumProperty(name="Faces", description="How each area the drawing's lines close is read",
                        items=props.FACE_ITEMS, options={"SKIP_SAVE"})
    resolution: IntProperty(name="Resolution", description="Grid samples along the longer image side",
                            default=256, min=options.low("resolution"), max=options.high("resolution"),
                            options={"SKIP_SAVE"})
    back: EnumProperty(name="Back", description="What closes the relief behind", options={"SKIP_SAVE"},
                       items=[(b, b.title(), "") for b in relief_math.BACKS])
    base: FloatProperty(name="Base", default=relief_math.BASE, min=options.low("base"), max=options.high("base"),
                        options={"SKIP_SAVE"}, description="A closed back's distance behind the relief, ÷ the width")
    auto_ratio: BoolProperty(name="Auto Depth (as Drawn)", default=True, options={"SKIP_SAVE"},
                             description="As deep as the engine sees the figure drawn; off: the Depth Ratio")
    ratio: FloatProperty(name="Depth Ratio", default=0.2, min=options.low("ratio"), max=options.high("ratio"),
                         options={"SKIP_SAVE"})
    smoothing: FloatProperty(name="Smoothing", default=1.0, min=options.low("smoothing"),
                             max=options.high("smoothing"), options={"SKIP_SAVE"})

    @classmethod
    def nothing_to_do(cls, context):
        settings = context.scene.depthy
        return generate.source_problem(context, settings) or \
            generate.engine_problem(settings.engine, prefs.engine_options(context))

    def _request(self, context):
        settings = context.scene.depthy
        # a script that gives a ratio and says nothing of Auto Depth means that ratio
        given_ratio = self.properties.is_property_set("ratio") and not self.properties.is_property_set("auto_ratio")
        for name in REDO:   # unset operator values take the panel's, so the redo panel starts from them
            if not self.properties.is_property_set(name):
                setattr(self, name, getattr(settings, name))
        if given_ratio:
            self.auto_ratio = False
        try:
            return generate.request_from_settings(context, settings, self.filepath or None,
                                                  options=prefs.engine_options(context),
                                                  **{name: getattr(self, name) for name in REDO})
        except DepthyError as exc:
            self.report({"ERROR"}, str(exc))
            return None

    def draw(self, context):  # pragma: no mutate block (Blender checks its callbacks' signatures)
        if self.filepath:
            self.layout.label(text=bpy.path.basename(self.filepath))
        col = self.layout.column()
        col.use_property_split = True
        for name in REDO:
            row = col.row()
            # Auto Depth sets the ratio itself; an open relief has no back to put a base under
            row.active = not (name == "ratio" and self.auto_ratio or name == "base" and self.back == "none")
            row.prop(self, name)

    def _build(self, context, job):
        obj = generate.finish(context, job.request, job.outcome)
        self.report({"INFO"}, _made("Created", obj, job.outcome))
        return {"FINISHED"}


class DEPTHY_OT_generate(DrawingMixin, bpy.types.Operator):
    """Turn the drawing into a relief mesh with live depth sliders"""
    bl_idname = "depthy.generate"
    bl_label = "Generate from Drawing"


class DEPTHY_OT_generate_file(DrawingMixin, bpy.types.Operator):
    """Turn the dropped drawing file into a relief mesh with live depth sliders"""
    bl_idname = "depthy.generate_file"
    bl_label = "Generate from Drawing File"

    @classmethod
    def nothing_to_do(cls, context):   # the file comes with the drop, not from the panel
        return generate.engine_problem(context.scene.depthy.engine, prefs.engine_options(context))


class RegenerateMixin(GenerateMixin):
    """The active relief made again from its drawing, in place (its name, transform, modifiers and
    materials stay)."""
    bl_options = {"REGISTER", "UNDO"}
    _target = ""   # the relief's name, kept from the request to the build

    @classmethod
    def nothing_to_do(cls, context):
        obj = context.active_object
        if obj is None or obj.type != "MESH" or not obj.depthy.is_result:
            return "Select a Depthy relief"
        if not (obj.depthy.source_image or obj.depthy.source_path):
            return "This relief does not know its drawing (made by an older version): use Generate"
        return generate.engine_problem(cls._engine(context), prefs.engine_options(context))

    @classmethod
    def _engine(cls, context) -> str:
        return context.scene.depthy.engine

    def _request(self, context):
        try:
            request = self._relief_request(context, context.active_object)
        except DepthyError as exc:
            self.report({"ERROR"}, str(exc))
            return None
        request.options = prefs.engine_options(context)
        self._target = context.active_object.name
        return request

    def _relief_request(self, context, obj):
        return generate.request_for_relief(obj, context.scene.depthy)

    def invoke(self, context, event):  # pragma: no mutate block (Blender checks its callbacks' signatures)
        return self.execute(context) if bpy.app.background else self._start_modal(context)

    def _build(self, context, job):
        obj = bpy.data.objects.get(self._target)
        if obj is None:
            self.report({"ERROR"}, "The relief was deleted while it was being made again")
            return {"CANCELLED"}
        try:
            generate.replace(obj, job.request, job.outcome)
        except DepthyError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        kept = "; ".join(filter(None, self._kept(obj, job.outcome)))   # the artist's mends, made again
        self.report({"INFO"}, self._said(obj, job.outcome) + (f" · {kept}" if kept else ""))
        return {"FINISHED"}

    def _kept(self, obj, outcome) -> list[str]:
        return [flips.regenerated(obj, outcome), holes.regenerated(outcome)]

    def _said(self, obj, outcome) -> str:
        return _made("Regenerated", obj, outcome)


class DEPTHY_OT_regenerate(RegenerateMixin, bpy.types.Operator):
    """Make the active relief again from its drawing with the panel's engine and mesh settings, in place"""
    bl_idname = "depthy.regenerate"
    bl_label = "Regenerate"


class FigureMixin(RegenerateMixin):
    """The active relief made again as it was made (`made_with`), its figure mended: the holes filled and
    the areas cut that `_mends` gives."""
    modes = ("OBJECT", "EDIT_MESH")   # the rims and areas are selected in Edit Mode

    @classmethod
    def _engine(cls, context) -> str:
        return generate.made_with(context.active_object, context.scene.depthy)["engine"]

    def _relief_request(self, context, obj):
        editing = obj.mode == "EDIT"
        if editing:   # the selection lives in the edit mesh until Edit Mode ends
            bpy.ops.object.mode_set(mode="OBJECT")
        try:
            fills, cuts = self._mends(obj)
            request = generate.request_for_relief(obj, context.scene.depthy, as_made=True)
        except DepthyError:
            if editing:
                bpy.ops.object.mode_set(mode="EDIT")
            raise
        request.fills, request.cuts = tuple(fills), tuple(cuts)
        return request

    def _mends(self, obj) -> tuple[list, list]:
        raise NotImplementedError

    def _kept(self, obj, outcome) -> list[str]:   # the figure's mends are what the status line says
        return [flips.regenerated(obj, outcome)]


class DEPTHY_OT_fill_holes(FigureMixin, bpy.types.Operator):
    """Make the relief again as it was made, with the holes the selected vertices touch filled at the engine's depth"""
    bl_idname = "depthy.fill_holes"
    bl_label = "Fill Holes"

    def _mends(self, obj):
        return holes.after_fill(obj)

    def _said(self, obj, outcome) -> str:
        return _made(f"Filled {counted(outcome.filled, 'hole')} of", obj, outcome)


class DEPTHY_OT_cut_areas(FigureMixin, bpy.types.Operator):
    """Make the relief again as it was made, with the drawn areas the selected vertices lie on cut out as holes"""
    bl_idname = "depthy.cut_areas"
    bl_label = "Cut Selected Areas"

    def _mends(self, obj):
        return holes.after_cut(obj)

    def _said(self, obj, outcome) -> str:
        return _made(f"Cut {counted(outcome.cut, 'area')} out of", obj, outcome)


class DEPTHY_OT_engine_figure(FigureMixin, bpy.types.Operator):
    """Make the relief again as it was made, with the engine's own figure: every hole filled and area cut is forgotten"""
    bl_idname = "depthy.engine_figure"
    bl_label = "Engine's Figure"

    def _mends(self, obj):
        holes.unedited(obj)
        if not (props.remembered(obj, "fills") or props.remembered(obj, "cuts")):
            raise DepthyError(f"'{obj.name}' has the engine's own figure: no holes filled or areas cut")
        return [], []

    def _said(self, obj, outcome) -> str:
        return _made("Gave back the engine's figure to", obj, outcome)


class DEPTHY_OT_generate_sheet(GenerateMixin, bpy.types.Operator):
    """Find the views on a drawing sheet (image or DXF) and make one relief per view, and a solid"""
    bl_idname = "depthy.generate_sheet"
    bl_label = "Generate from Sheet"
    bl_options = {"REGISTER", "UNDO"}
    task = "sheet"

    filepath: StringProperty(name="Sheet", subtype="FILE_PATH", options={"SKIP_SAVE", "HIDDEN"})

    @classmethod
    def nothing_to_do(cls, context):
        return None if context.scene.depthy.sheet_path else "Choose a sheet file (image or DXF) first"

    def _request(self, context):
        s = context.scene.depthy
        path = bpy.path.abspath(self.filepath or s.sheet_path)
        if not path:
            self.report({"ERROR"}, "Choose a sheet file (image or DXF) first")
            return None
        engine = s.engine
        if engine == "triposr":   # TripoSR makes whole objects, not the depth of a view
            engine = "depthy"
            self.report({"INFO"}, "Sheet views use Depthy: TripoSR makes whole objects, not views")
        return sheet.SheetRequest(path, engine, solid=s.sheet_solid, solid_resolution=s.solid_resolution,
                                  refine_depth=s.solid_refine_depth, resolution=min(s.resolution, 512),
                                  ratio=s.ratio, auto_ratio=s.auto_ratio, smoothing=s.smoothing,
                                  options=prefs.engine_options(context),
                                  mm_per_px=s.sheet_mm_per_px, flat_faces=s.sheet_flat_faces)

    def invoke(self, context, event):  # pragma: no mutate block (Blender checks its callbacks' signatures)
        return self.execute(context) if bpy.app.background else self._start_modal(context)

    def _make_job(self, request):
        return Job(request, sheet.compute)

    def _build(self, context, job):
        from . import sheet_generate
        objs = sheet_generate.finish(context, job.request, job.outcome)
        roles = ", ".join(v["role"] for v, _ in job.outcome.reliefs)
        self.report({"INFO"}, f"Created {len(objs)} object(s) from the sheet ({roles})")
        return {"FINISHED"}


class DEPTHY_OT_solid_from_views(bpy.types.Operator):
    """Carve one solid from the views tagged Front, Top and Side, replacing an unedited earlier one"""
    bl_idname = "depthy.solid_from_views"
    bl_label = "Solid from Views"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):  # pragma: no mutate block (Blender checks its callbacks' signatures)
        obj = context.active_object
        return context.mode == "OBJECT" and obj is not None and obj.depthy.sheet_role != "NONE" \
            and bool(obj.users_collection)

    def execute(self, context):  # pragma: no mutate block (Blender checks its callbacks' signatures)
        from . import sheet_generate
        try:
            settings = context.scene.depthy
            solid = sheet_generate.solid_from_objects(context, context.active_object, settings.solid_resolution,
                                                      settings.solid_refine_depth)
        except DepthyError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        self.report({"INFO"}, f"Built {solid.name}")
        return {"FINISHED"}


class DEPTHY_OT_apply(bpy.types.Operator):
    """Freeze the selected reliefs into plain meshes (sliders are removed, the shape stays)"""
    bl_idname = "depthy.apply"
    bl_label = "Apply Relief"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):  # pragma: no mutate block (Blender checks its callbacks' signatures)
        return context.mode == "OBJECT" and any(o.depthy.is_result for o in _targets(context))

    def execute(self, context):  # pragma: no mutate block (Blender checks its callbacks' signatures)
        count = 0
        for obj in _targets(context):
            if obj.depthy.is_result:
                mesh_io.strip_slider_data(obj.data)
                obj.depthy.is_result = False
                count += 1
        self.report({"INFO"}, f"Applied {count} relief(s)")
        return {"FINISHED"}


class DEPTHY_OT_ratio_as_drawn(bpy.types.Operator):
    """Set the depth ratio back to the engine's as-drawn value"""
    bl_idname = "depthy.ratio_as_drawn"
    bl_label = "Depth as Drawn"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):  # pragma: no mutate block (Blender checks its callbacks' signatures)
        obj = context.active_object
        return obj is not None and obj.depthy.is_result and obj.depthy.drawn_ratio >= 0 \
            and props.slider_problem(obj) is None

    def execute(self, context):  # pragma: no mutate block (Blender checks its callbacks' signatures)
        settings = context.active_object.depthy
        settings.ratio = settings.drawn_ratio   # through the slider's update: heights follow
        return {"FINISHED"}


class DEPTHY_OT_flip_areas(bpy.types.Operator):
    """Mirror the selected areas' depth about the level round them: a raised pocket sinks, a sunk boss comes forward"""
    bl_idname = "depthy.flip_areas"
    bl_label = "Flip Selected Areas"
    bl_options = {"REGISTER", "UNDO"}

    whole: BoolProperty(name="Whole Drawn Areas", default=True,
                        description="Flip every area the drawing's lines close that a selected vertex lies on, "
                                    "not only the selected vertices")

    @classmethod
    def poll(cls, context):  # pragma: no mutate block (Blender checks its callbacks' signatures)
        obj = context.active_object
        return obj is not None and obj.type == "MESH" and obj.depthy.is_result \
            and context.mode in {"OBJECT", "EDIT_MESH"}

    def execute(self, context):  # pragma: no mutate block (Blender checks its callbacks' signatures)
        obj = context.active_object
        editing = obj.mode == "EDIT"
        if editing:   # the selection and the heights live in the edit mesh until Edit Mode ends
            bpy.ops.object.mode_set(mode="OBJECT")
        try:
            count = flips.flip_selection(obj, self.whole)
        except DepthyError as exc:
            if editing:
                bpy.ops.object.mode_set(mode="EDIT")
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        self.report({"INFO"}, f"Flipped {counted(count, 'area')} of '{obj.name}'")
        return {"FINISHED"}


class DEPTHY_FH_drawing(bpy.types.FileHandler):
    bl_idname = "DEPTHY_FH_drawing"
    bl_label = "Depthy: Generate from Drawing"
    bl_import_operator = "depthy.generate_file"
    bl_file_extensions = IMAGE_EXTENSIONS

    @classmethod
    def poll_drop(cls, context):  # pragma: no mutate block (Blender checks its callbacks' signatures)
        return context.area is not None and context.area.type == "VIEW_3D"


def _made(verb: str, obj, outcome) -> str:
    """The status line for a relief made: its name, its vertices and where the engine ran."""
    ran_on = outcome.ran_on()
    return f"{verb} '{obj.name}' ({len(obj.data.vertices):,} vertices)" + (f" · {ran_on}" if ran_on else "")


def _targets(context):
    objs = list(context.selected_objects)
    if context.active_object is not None and context.active_object not in objs:
        objs.append(context.active_object)
    return objs


def _redraw(context):
    for window in context.window_manager.windows:
        for area in window.screen.areas:
            if area.type in {"VIEW_3D", "STATUSBAR"}:
                area.tag_redraw()


CLASSES = (DEPTHY_OT_generate, DEPTHY_OT_generate_file, DEPTHY_OT_regenerate, DEPTHY_OT_fill_holes,
           DEPTHY_OT_cut_areas, DEPTHY_OT_engine_figure, DEPTHY_OT_generate_sheet, DEPTHY_OT_solid_from_views, DEPTHY_OT_apply, DEPTHY_OT_ratio_as_drawn,
           DEPTHY_OT_flip_areas, DEPTHY_FH_drawing)

register, unregister = bpy.utils.register_classes_factory(CLASSES)
