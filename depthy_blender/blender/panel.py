"""Sidebar (N) ▸ Depthy: the live sliders of the active relief first, then generation and sheets."""

import bpy

from ..models import engine, engines
from . import props


class SidebarPanel:
    """Where every Depthy panel lives: the 3D viewport's sidebar, tab "Depthy"."""
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "Depthy"


def draw_progress(layout, context, task: str) -> None:
    """The running job's progress, in the panel of the task it belongs to."""
    wm = context.window_manager
    if not wm.depthy_running or wm.depthy_task != task:
        return
    layout.progress(factor=wm.depthy_progress, type="BAR", text=wm.depthy_status)   # Blender ≥ 4.0
    layout.label(text="Esc cancels", icon="INFO")


class DEPTHY_PT_generate(SidebarPanel, bpy.types.Panel):
    bl_label = "Generate"
    bl_idname = "DEPTHY_PT_generate"
    bl_order = 1

    def draw(self, context):  # pragma: no mutate block (Blender checks its callbacks' signatures)
        settings = context.scene.depthy
        self.draw_source(self.layout, settings)
        self.draw_options(self.layout, settings)
        self.draw_run(self.layout, context)

    def draw_source(self, layout, settings):
        col = layout.column(align=True)
        col.prop(settings, "source", expand=True)
        if settings.source == "IMAGE":
            col.template_ID(settings, "image", open="image.open")
        elif settings.source == "FILE":
            col.prop(settings, "filepath", text="")

    def draw_options(self, layout, settings):
        col = layout.column()
        col.use_property_split = True
        col.prop(settings, "engine")
        if settings.engine == "triposr":
            col.prop(settings, "triposr_output")
            col.prop(settings, "foreground_ratio")
            if settings.triposr_output == "FULL":
                col.prop(settings, "mc_resolution")
                return
        col.prop(settings, "faces")
        col.prop(settings, "resolution")
        col.prop(settings, "background")
        if settings.background == "BORDER":
            col.prop(settings, "background_tolerance")
        col.prop(settings, "back")
        if settings.engine == "turned" and settings.back != "mirror":
            col.label(text="Back Mirror makes the whole turned part", icon="INFO")
        if settings.back != "none":
            col.prop(settings, "base")
        col.prop(settings, "triangles")
        if settings.source != "EMPTY":
            col.prop(settings, "size")
        col.separator()
        col.prop(settings, "auto_ratio")
        row = col.row()
        row.active = not settings.auto_ratio
        row.prop(settings, "ratio")
        col.prop(settings, "smoothing")

    def draw_run(self, layout, context):
        draw_progress(layout, context, "drawing")
        layout.operator("depthy.generate", icon="MOD_DISPLACE")


class DEPTHY_PT_sheet(SidebarPanel, bpy.types.Panel):
    bl_label = "Sheet"
    bl_idname = "DEPTHY_PT_sheet"
    bl_options = {"DEFAULT_CLOSED"}
    bl_order = 2

    def draw(self, context):  # pragma: no mutate block (Blender checks its callbacks' signatures)
        settings = context.scene.depthy
        col = self.layout.column()
        col.prop(settings, "sheet_path")
        if not settings.sheet_path.lower().endswith(".dxf"):
            col.prop(settings, "sheet_mm_per_px")
        col.prop(settings, "sheet_flat_faces")
        col.prop(settings, "sheet_solid")
        col.prop(settings, "solid_resolution")
        col.prop(settings, "solid_refine_depth")
        draw_progress(col, context, "sheet")
        col.operator("depthy.generate_sheet", icon="DOCUMENTS")
        obj = context.active_object
        if obj is not None and obj.depthy.sheet_role != "NONE":
            box = self.layout.box()
            box.label(text="Active view", icon="IMAGE_REFERENCE")
            box.prop(obj.depthy, "sheet_role")
            box.operator("depthy.solid_from_views", icon="MESH_CUBE")


class DEPTHY_PT_relief(SidebarPanel, bpy.types.Panel):
    bl_label = "Relief"
    bl_idname = "DEPTHY_PT_relief"
    bl_order = 0   # first: when a relief is active, its live sliders are what the artist came for

    @classmethod
    def poll(cls, context):  # pragma: no mutate block (Blender checks its callbacks' signatures)
        obj = context.active_object
        return obj is not None and obj.type == "MESH" and obj.depthy.is_result

    def draw(self, context):  # pragma: no mutate block (Blender checks its callbacks' signatures)
        obj = context.active_object
        problem = props.slider_problem(obj)
        col = self.layout.column()
        col.use_property_split = True
        col.enabled = problem is None
        row = col.row(align=True)
        row.prop(obj.depthy, "ratio")
        if obj.depthy.drawn_ratio >= 0:
            row.operator("depthy.ratio_as_drawn", text="", icon="LOOP_BACK")
        col.prop(obj.depthy, "smoothing")
        col.prop(obj.depthy, "invert")
        if obj.depthy.closed:
            col.prop(obj.depthy, "base")
        mends = self.layout.column(align=True)   # usable from Edit Mode, where areas and rims are selected
        mends.enabled = problem is None or obj.mode == "EDIT"
        mends.operator("depthy.flip_areas", icon="MOD_MIRROR")
        row = mends.row(align=True)
        row.operator("depthy.fill_holes", icon="MESH_CIRCLE")
        row.operator("depthy.cut_areas", icon="SELECT_SUBTRACT")
        if obj.depthy.fills or obj.depthy.cuts:
            row.operator("depthy.engine_figure", text="", icon="LOOP_BACK")
        if problem:
            self.layout.label(text=problem, icon="ERROR")
        self.layout.label(text=obj.depthy.ran_on or f"Engine: {engine_label(obj.depthy.engine)}")
        if obj.depthy.why_cpu:
            self.layout.label(text=f"CPU: {obj.depthy.why_cpu}", icon="INFO")
        row = self.layout.row()
        row.operator("depthy.regenerate", icon="FILE_REFRESH")
        row.operator("depthy.apply", icon="CHECKMARK")


def engine_label(name: str) -> str:
    """The engine's name as the artist knows it ("Depthy", not "depthy")."""
    try:
        return engines.get(name).label
    except engine.EngineError:
        return name or "unknown"


CLASSES = (DEPTHY_PT_generate, DEPTHY_PT_sheet, DEPTHY_PT_relief)

register, unregister = bpy.utils.register_classes_factory(CLASSES)
