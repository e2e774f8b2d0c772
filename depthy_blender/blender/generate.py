"""One generation in Blender: gather the settings into a Request (main thread) → pipeline.drawing.compute
(any thread, no bpy) → finish: the relief object, its material and placement (main thread).
"""
from __future__ import annotations

import json
import os
from math import radians

import bpy
from mathutils import Euler, Matrix, Vector

from ..errors import DepthyError
from ..core import images
from ..models import engine, engines
from ..models.engine import DEFAULT_OPTIONS, EngineOptions
from ..pipeline.drawing import Outcome, Request
from . import image_io, mesh_io, props


class UserError(DepthyError):
    """Something the user can fix; shown as a message, never as a traceback."""


def source_problem(context, settings) -> str | None:
    """Why there is nothing to generate from with these settings, or None (cheap: for the button's poll)."""
    source = settings.source
    if source == "FILE":
        return None if settings.filepath else "Choose a drawing file first"
    if source == "IMAGE":
        return None if settings.image is not None else "Choose an image first"
    obj = context.active_object
    if obj is None or obj.type != "EMPTY" or obj.empty_display_type != "IMAGE" or obj.data is None:
        return "Select an image empty with a drawing (Add ▸ Image ▸ Reference), or choose another source"
    return None


def engine_problem(name: str, options: EngineOptions = DEFAULT_OPTIONS) -> str | None:
    """Why the engine cannot run here with these options, or None."""
    try:
        why = engines.get(name).available(options)
    except engine.EngineError as exc:
        return str(exc)
    return f"{engines.get(name).label} cannot run: {why}" if why else None


def panel_values(settings, **chosen) -> dict:
    """The panel's engine, mesh and slider settings as Request fields; `chosen` overrides them (an operator's
    own values, a relief's sliders)."""
    values = dict(engine=settings.engine, resolution=settings.resolution, back=settings.back,
                  triangles=settings.triangles, size=settings.size, ratio=settings.ratio,
                  auto_ratio=settings.auto_ratio, smoothing=settings.smoothing, base=settings.base,
                  faces=settings.faces,
                  background=settings.background.lower(), background_tolerance=settings.background_tolerance)
    values.update(chosen)
    return values


# what a relief keeps of the settings it was made with, so Fill Holes and Cut make it again the same way
MADE_WITH = ("engine", "resolution", "back", "triangles", "faces", "background", "background_tolerance")


def made_with(obj, settings) -> dict:
    """The engine and mesh settings `obj` was made with; the panel's for any it does not know (a relief
    made by an older version)."""
    values = {name: value for name, value in panel_values(settings).items() if name in MADE_WITH}
    try:
        kept = json.loads(obj.depthy.made_with or "{}")
    except ValueError:
        kept = {}
    if isinstance(kept, dict):
        values.update((name, kept[name]) for name in MADE_WITH if name in kept)
    return values


def request_for_relief(obj, settings, as_made: bool = False) -> Request:
    """A request that makes `obj` again from the drawing it was made from, with the panel's engine and
    mesh settings (`as_made`: those it was made with) and the relief's own slider values (raises
    UserError)."""
    s = obj.depthy
    unflipped = s.ratio / s.flip_scale if s.flip_scale > 0 else s.ratio   # Regenerate flips again after
    values = panel_values(settings, size=s.size, ratio=unflipped, auto_ratio=False, smoothing=s.smoothing,
                          base=s.base, **(made_with(obj, settings) if as_made else {}))
    for kind in ("flips", "fills", "cuts"):   # the areas flipped, holes filled and areas cut, made again
        values[kind] = tuple(props.remembered(obj, kind))
    image = bpy.data.images.get(s.source_image) if s.source_image else None
    if image is not None:
        return _from_image(image, None, values)
    if s.source_path and os.path.isfile(bpy.path.abspath(s.source_path)):
        path = bpy.path.abspath(s.source_path)
        return Request(name=_stem(path), path=path, **values)
    raise UserError(f"The drawing {obj.name} was made from is gone; generate it again from its image")


def request_from_settings(context, settings, filepath: str | None = None, **chosen) -> Request:
    """The chosen source (or `filepath`, which overrides it) with the panel's settings, `chosen` overriding
    them, as a Request (raises UserError)."""
    problem = None if filepath else source_problem(context, settings)
    if problem:
        raise UserError(problem)
    values = panel_values(settings, **chosen)
    if filepath or settings.source == "FILE":
        path = bpy.path.abspath(filepath or settings.filepath)
        return Request(name=_stem(path), path=path, **values)
    if settings.source == "IMAGE":
        return _from_image(settings.image, None, values)
    return _from_image(context.active_object.data, context.active_object, values)


def _from_image(image, empty, values) -> Request:
    """An image datablock as a request. One that shows its file unchanged is read from that file in the
    worker (decoded at the size the engines need, off the main thread); an edited, packed or generated
    one is copied from its pixels here, on the main thread, as only that thread may touch them."""
    if empty is not None:
        values = dict(values, size=empty.empty_display_size)
    where = dict(name=_stem(image.name), image_name=image.name, empty_name=empty.name if empty else None)
    source = image_io.unchanged_file(image)
    if source:
        return Request(path=source, **where, **values)
    try:
        rgba, messages = image_io.image_to_rgba(image)
    except images.ImageError as exc:
        raise UserError(str(exc)) from None
    return Request(rgba=rgba, messages=messages, **where, **values)


def finish(context, req: Request, outcome: Outcome) -> bpy.types.Object:
    """Create the relief object, its material and placement; select it."""
    if outcome.whole_object is not None:
        return _finish_whole_object(context, req, outcome.whole_object)
    built = outcome.relief
    mesh = mesh_io.create_mesh(built, f"{req.name} relief")
    obj = bpy.data.objects.new(f"{req.name} relief", mesh)
    image = bpy.data.images.get(req.image_name) if req.image_name else None
    if image is None and req.path:
        image = image_io.load_file_image(req.path, outcome.rgba)
    mesh.materials.append(drawing_material(req.name, image))
    s = obj.depthy
    s.is_result = True
    s.grid_rows, s.grid_cols = built.grid_shape
    s.width = built.width
    s.vert_count, s.face_count = len(mesh.vertices), len(mesh.polygons)
    s.engine = req.engine
    s.ran_on, s.why_cpu = outcome.where, outcome.why_cpu
    s.source_image, s.source_path, s.size = req.image_name or "", req.path or "", req.size
    _store_sliders(s, req, outcome)
    empty = bpy.data.objects.get(req.empty_name) if req.empty_name else None
    _place(context, obj, empty, built)
    _link_and_select(context, obj, empty)
    return obj


def replace(obj: bpy.types.Object, req: Request, outcome: Outcome) -> bpy.types.Object:
    """Put a new relief into `obj` in place: its transform, modifiers, materials and name stay."""
    if outcome.whole_object is not None:
        raise UserError("Regenerate makes reliefs; choose a relief engine (TripoSR's full object is new)")
    built = outcome.relief
    old = obj.data
    mesh = mesh_io.create_mesh(built, old.name)
    for material in old.materials:
        mesh.materials.append(material)
    obj.data = mesh
    if old.users == 0:
        bpy.data.meshes.remove(old)
    s = obj.depthy
    s.is_result = True
    s.grid_rows, s.grid_cols = built.grid_shape
    s.width = built.width
    s.vert_count, s.face_count = len(mesh.vertices), len(mesh.polygons)
    s.engine, s.ran_on, s.why_cpu = req.engine, outcome.where, outcome.why_cpu
    _store_sliders(s, req, outcome)
    if s.invert:   # built the right way round; the relief's Invert stays ticked, so its heights follow it
        props.refresh_relief(obj)
    return obj


def _store_sliders(s, req: Request, outcome: Outcome) -> None:
    """The sliders the relief was built with, and the as-drawn depth ratio; set without their update,
    as the heights are already right."""
    s["ratio"], s["smoothing"], s["base"] = outcome.ratio, req.smoothing, req.base
    s["closed"] = req.back != "none"
    s["flip_scale"] = outcome.flip_scale   # 1 unless the request's flips grew the ratio
    for kind in ("flips", "fills", "cuts"):   # for Regenerate
        s[kind] = props.stored(getattr(req, kind))
    s["made_with"] = json.dumps({name: getattr(req, name) for name in MADE_WITH})
    s["drawn_ratio"] = -1.0 if outcome.drawn_ratio is None else outcome.drawn_ratio


def _finish_whole_object(context, req: Request, solid) -> bpy.types.Object:
    """A full object: vertex colours shown by its material; front (the image's side) toward −Y, at the
    image empty (scaled to its size) or at the 3D cursor."""
    mesh = mesh_io.create_coloured_mesh(solid.vertices, solid.faces, solid.colours, f"{req.name} object")
    obj = bpy.data.objects.new(f"{req.name} object", mesh)
    mesh.materials.append(_colour_material(req.name))
    empty = bpy.data.objects.get(req.empty_name) if req.empty_name else None
    if empty is not None:
        obj.location = empty.matrix_world.translation
        obj.scale = (empty.empty_display_size * max(empty.matrix_world.to_scale()) / 1.74,) * 3
    else:
        obj.location = context.scene.cursor.location
    _link_and_select(context, obj, empty)
    return obj


def _link_and_select(context, obj, empty) -> None:
    collection = empty.users_collection[0] if empty and empty.users_collection else context.collection
    collection.objects.link(obj)
    select_only(context, [obj])


def select_only(context, objs) -> None:
    """Select `objs` and nothing else; the first becomes the active object."""
    for other in context.view_layer.objects.selected:
        other.select_set(False)
    for obj in objs:
        obj.select_set(True)
    if objs:
        context.view_layer.objects.active = objs[0]


def _colour_material(name: str) -> bpy.types.Material:
    mat = bpy.data.materials.new(f"{name} colours")
    if mat.node_tree is None:
        mat.use_nodes = True
    nodes = mat.node_tree.nodes
    bsdf = next((n for n in nodes if n.type == "BSDF_PRINCIPLED"), None)
    attr = nodes.new("ShaderNodeVertexColor")
    attr.layer_name = mesh_io.COLOUR
    if bsdf is not None:
        attr.location = (bsdf.location.x - 300, bsdf.location.y)
        mat.node_tree.links.new(attr.outputs["Color"], bsdf.inputs["Base Color"])
    return mat


def _place(context, obj, empty, built) -> None:
    """On an image empty: its transform, size and offset. Otherwise upright in the front (XZ) plane
    at the 3D cursor, relief toward −Y, the side a front view sees."""
    if empty is not None:
        scale = empty.empty_display_size / max(built.width, built.height)
        offset = Vector(((empty.empty_image_offset[0] + 0.5) * built.width * scale,
                         (empty.empty_image_offset[1] + 0.5) * built.height * scale, 0.0))
        obj.matrix_world = empty.matrix_world @ Matrix.Translation(offset) @ Matrix.Scale(scale, 4)
    else:
        obj.location = context.scene.cursor.location
        obj.rotation_euler = Euler((radians(90.0), 0.0, 0.0))


def drawing_material(name: str, image) -> bpy.types.Material:
    """A material showing the drawing (`image`) through the relief's UVs."""
    mat = bpy.data.materials.new(f"{name} drawing")
    if mat.node_tree is None:   # Blender < 5 starts materials without nodes
        mat.use_nodes = True
    nodes = mat.node_tree.nodes
    bsdf = next((n for n in nodes if n.type == "BSDF_PRINCIPLED"), None)
    if image is not None and bsdf is not None:
        tex = nodes.new("ShaderNodeTexImage")
        tex.image = image
        tex.location = (bsdf.location.x - 320, bsdf.location.y)
        mat.node_tree.links.new(tex.outputs["Color"], bsdf.inputs["Base Color"])
    return mat


def _stem(path: str) -> str:
    return os.path.splitext(os.path.basename(path))[0] or "drawing"
