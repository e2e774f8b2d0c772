"""Blender without a UI (the CLI's `mesh` command): a fresh scene → relief → export and preview render."""
from __future__ import annotations

import os
import sys
from math import radians

import bpy
from mathutils import Vector

from ..errors import DepthyError
from ..pipeline import drawing, sheet
from . import generate


class HeadlessError(DepthyError):
    pass


def end_process(code: int) -> None:
    """Exit now on Blender 4.2's Python module, whose interpreter teardown segfaults once any
    PropertyGroup was registered (seen with bpy 4.2.23; real Blender and bpy ≥ 4.3 are fine)."""
    if bpy.app.version < (4, 3, 0):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def ensure_registered() -> None:
    if not hasattr(bpy.types.Object, "depthy"):
        from .. import register
        register()


def make_relief_files(path: str, outputs: list[str], options: dict, render: str | None = None,
                      progress=None, render_side: str | None = None) -> bpy.types.Object:
    """Build one relief from an image file into an empty scene and write every requested output."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    ensure_registered()
    context = bpy.context
    request = drawing.Request(name=generate._stem(path), path=os.path.abspath(path), **options)
    outcome = drawing.compute(request, progress or (lambda f, s: None), lambda: False)   # DepthyError: the CLI's
    for message in outcome.messages + outcome.notes:   # what the add-on reports as warnings
        print(f"note: {message}", file=sys.stderr)
    obj = generate.finish(context, request, outcome)
    if render:
        render_preview(context, obj, render)
    if render_side:
        render_preview(context, obj, render_side, side=True)
    for out in outputs:
        export(obj, out)
    return obj


def make_sheet_files(request, outputs: list[str], render: str | None = None, json_out: str | None = None,
                     progress=None) -> list:
    """A sheet → one relief per view (+ solid) in an empty scene → every requested output."""
    import json
    from . import sheet_generate
    bpy.ops.wm.read_factory_settings(use_empty=True)
    ensure_registered()
    context = bpy.context
    outcome = sheet.compute(request, progress or (lambda f, s: None), lambda: False)
    for message in outcome.messages:
        print(f"note: {message}")
    if json_out:
        os.makedirs(os.path.dirname(os.path.abspath(json_out)), exist_ok=True)
        with open(json_out, "w") as f:
            json.dump({"views": [{"box": v["box"], "role": v["role"]} for v in outcome.views]}, f, indent=2)
    objs = sheet_generate.finish(context, request, outcome)
    if not objs:
        raise HeadlessError("no view could be turned into a mesh")
    if render:
        render_preview(context, objs, render)
    for out in outputs:
        export(objs, out)
    return objs


def export(obj, out: str) -> None:
    """Write `obj` (an object or a list of them) to `out` as .glb or .obj, or save the whole scene as a
    compressed .blend."""
    out = os.path.abspath(out)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    ext = os.path.splitext(out)[1].lower()
    generate.select_only(bpy.context, _as_list(obj))   # the exporters write the selection
    if ext == ".blend":
        bpy.ops.wm.save_as_mainfile(filepath=out, compress=True)
    elif ext == ".glb":
        bpy.ops.export_scene.gltf(filepath=out, export_format="GLB", use_selection=True)
    elif ext == ".obj":
        bpy.ops.wm.obj_export(filepath=out, export_selected_objects=True, export_materials=True)
    else:
        raise HeadlessError(f"unknown output type: {out}")


def _as_list(obj) -> list:
    return list(obj) if isinstance(obj, (list, tuple)) else [obj]


def render_preview(context, obj, out: str, size=(800, 600), side: bool = False) -> None:
    """A three-quarter front view of `obj` (an object or a list of them) with the drawing as texture, or
    with `side` an orthographic view from the right that shows a relief's profile (Cycles on the CPU,
    few samples)."""
    scene = context.scene
    objs = _as_list(obj)
    context.view_layer.update()
    corners = [o.matrix_world @ Vector(c) for o in objs for c in o.bound_box]
    lo = Vector([min(c[i] for c in corners) for i in range(3)])
    hi = Vector([max(c[i] for c in corners) for i in range(3)])
    center, extent = (lo + hi) / 2, max(hi - lo)
    cam_data = bpy.data.cameras.new("Depthy preview")
    cam = bpy.data.objects.new("Depthy preview", cam_data)
    scene.collection.objects.link(cam)
    if side:
        cam.location = center + Vector((2.5, 0.0, 0.0)) * extent
        # the ortho scale spans the render's wider side; the relief stands tall in a wide frame
        cam_data.type, cam_data.ortho_scale = "ORTHO", 1.15 * extent * max(1.0, size[0] / size[1])
    else:
        cam.location = center + Vector((0.6, -2.0, 0.6)) * extent
        cam_data.lens = 50
    cam.rotation_euler = (center - cam.location).to_track_quat("-Z", "Y").to_euler()
    scene.camera = cam
    sun = bpy.data.objects.new("Depthy sun", bpy.data.lights.new("Depthy sun", "SUN"))
    sun.data.energy = 3.0
    sun.rotation_euler = (radians(50), radians(10), radians(30))
    scene.collection.objects.link(sun)
    world = bpy.data.worlds.new("Depthy preview") if scene.world is None else scene.world
    scene.world = world
    if world.node_tree is None:   # Blender < 5 starts worlds without nodes (use_nodes goes in Blender 6)
        world.use_nodes = True
    world.node_tree.nodes["Background"].inputs["Strength"].default_value = 0.6
    scene.render.engine = "CYCLES"
    scene.cycles.device = "CPU"
    scene.cycles.samples = 16
    scene.cycles.use_denoising = False
    scene.render.resolution_x, scene.render.resolution_y = size
    scene.render.resolution_percentage = 100
    scene.render.image_settings.file_format = "PNG"
    scene.render.filepath = os.path.abspath(out)
    os.makedirs(os.path.dirname(scene.render.filepath), exist_ok=True)
    bpy.ops.render.render(write_still=True)
    for helper in (cam, sun):   # keep the saved scene to the relief alone
        bpy.data.objects.remove(helper)
