"""A whole sheet in Blender: pipeline.sheet.compute finds the views and builds the arrays (any thread, no
bpy); finish() lays one relief per view out like the sheet, named by role, and the solid (main thread).

Each view relief keeps its role (`depthy.sheet_role`, reassignable in the panel); `solid_from_objects`
rebuilds the solid from the reliefs themselves (their masks are the mesh's grid cells), so a wrong role
can be fixed without reading the sheet again."""
from __future__ import annotations

import os
from math import radians

import bpy
import numpy as np
from mathutils import Euler

from ..core import images, sheets, visual_hull
from ..pipeline.sheet import SOLID_ROLES, SheetOutcome, SheetRequest
from . import generate, image_io, mesh_io

def finish(context, req: SheetRequest, outcome: SheetOutcome) -> list[bpy.types.Object]:
    """One relief per view, upright in the front plane where the view sits on the sheet."""
    h, w = outcome.shape
    scale = outcome.width_m / w   # metres per sheet pixel: a DXF's true size, else the sheet's set width
    name = os.path.splitext(os.path.basename(req.path))[0]
    collection = bpy.data.collections.new(f"{name} sheet")
    context.scene.collection.children.link(collection)
    created = []
    for view, built in outcome.reliefs:
        x0, y0, x1, y1 = view["box"]
        mesh = mesh_io.create_mesh(built, f"{name} {view['role']}")
        obj = bpy.data.objects.new(f"{name} {view['role']} view", mesh)
        if view.get("crop") is not None:
            texture = image_io.rgba_to_image(view["crop"], f"{name} {view['role']}")
            mesh.materials.append(generate.drawing_material(f"{name} {view['role']}", texture))
        s = obj.depthy
        s.is_result, (s.grid_rows, s.grid_cols), s.width = True, built.grid_shape, built.width
        s.vert_count, s.face_count, s.engine = len(mesh.vertices), len(mesh.polygons), req.engine
        s["ratio"], s["smoothing"] = view.get("ratio", req.ratio), req.smoothing
        s["drawn_ratio"] = -1.0 if view.get("drawn_ratio") is None else view["drawn_ratio"]
        s.sheet_role = view["role"] if view["role"] in SOLID_ROLES else "unknown"
        obj.location = ((x0 + x1) / 2 * scale - outcome.width_m / 2, 0.0, (h / 2 - (y0 + y1) / 2) * scale)
        obj.rotation_euler = Euler((radians(90.0), 0.0, 0.0))
        collection.objects.link(obj)
        created.append(obj)
    if outcome.solid is not None:
        location = (outcome.width_m / 2 + np.ptp(outcome.solid.vertices[:, 0]), 0.0, 0.0)
        created.append(_add_solid(collection, outcome.solid, f"{name} solid", location))
    generate.select_only(context, created)
    return created


def _add_solid(collection, solid: visual_hull.Solid, name: str, location) -> bpy.types.Object:
    mesh = mesh_io.create_coloured_mesh(solid.vertices, solid.faces,
                                        np.full((len(solid.vertices), 3), 0.8, np.float32), name)
    obj = bpy.data.objects.new(name, mesh)
    obj.depthy.is_sheet_solid = True
    obj.depthy.vert_count, obj.depthy.face_count = len(mesh.vertices), len(mesh.polygons)
    obj.location = location
    collection.objects.link(obj)
    return obj


def view_mask(obj: bpy.types.Object, with_nearness: bool = False):
    """The figure mask a sheet view relief was built from (the grid cells of its front vertices), and
    with_nearness, the engine's nearness on that grid (NaN off the figure)."""
    data = mesh_io.read_slider_data(obj.data)
    s = obj.depthy
    if data is None or (len(obj.data.vertices), len(obj.data.polygons)) != (s.vert_count, s.face_count):
        raise generate.UserError(f"{obj.name} was edited, so its outline is unknown: generate the sheet again")
    raw, cells, sides = data
    front = sides > 0
    mask = np.zeros(s.grid_rows * s.grid_cols, bool)
    mask[cells[front]] = True
    mask = mask.reshape(s.grid_rows, s.grid_cols)
    if not with_nearness:
        return mask
    near = np.full(s.grid_rows * s.grid_cols, np.nan)
    near[cells[front]] = raw[front]
    return mask, near.reshape(mask.shape)


def view_ink(obj: bpy.types.Object):
    """(the view's drawn lines at its texture's pixels, its figure mask brought to that size), or None
    when the relief has no drawing texture left (the solid is then carved from the outline alone)."""
    mat = obj.active_material
    tex = next((n for n in mat.node_tree.nodes if n.type == "TEX_IMAGE" and n.image is not None), None) \
        if mat is not None and mat.node_tree is not None else None
    if tex is None:
        return None
    rgba, _ = image_io.image_to_rgba(tex.image)
    return sheets.ink_layers(images.on_white(rgba))[0], rgba.shape[:2]


def solid_from_objects(context, anchor: bpy.types.Object, resolution: int,
                       refine_depth: bool = False) -> bpy.types.Object:
    """Carve the solid again from the front, top and side reliefs that share a collection with `anchor`,
    replacing the solid made from them before. Positions on the sheet tell the projection."""
    collection = anchor.users_collection[0]
    views = [o for o in collection.objects if o.type == "MESH" and o.depthy.is_result]
    by_role = {}
    for role in SOLID_ROLES:
        chosen = [o for o in views if o.depthy.sheet_role == role]
        if len(chosen) > 1:
            raise generate.UserError(f"{len(chosen)} views are tagged {role}: tag only one")
        if chosen:
            by_role[role] = chosen[0]
    side = by_role.get("side") or by_role.get("section")
    if "front" not in by_role or "top" not in by_role or side is None:
        raise generate.UserError("Tag one view each as Front, Top and Side (or Section) to build the solid")
    front, top = by_role["front"], by_role["top"]

    def box(obj):   # the view's centre on the sheet as a degenerate box, y down like the image
        x, z = obj.matrix_world.translation.x, obj.matrix_world.translation.z
        return (x, -z, x, -z)

    three = (front, side, top)
    masks, near = zip(*(view_mask(v, with_nearness=True) for v in three))
    inks = [view_ink(v) for v in three]
    if all(i is not None for i in inks):   # the lines inside the views, at the drawing's own pixels
        masks = [visual_hull.resize(m, *shape) for m, (_, shape) in zip(masks, inks)]
        near = [visual_hull.resize(n, *shape) for n, (_, shape) in zip(near, inks)]
        inks = [ink for ink, _ in inks]
    else:
        inks = None
    # each view has its own cell size (a relief's grid, or its drawing's pixels); carving compares the
    # views cell for cell, so bring them all to the finest cell first
    cells = [v.depthy.width * v.matrix_world.to_scale().x / max(1, m.shape[1]) for v, m in zip(three, masks)]
    finest = min(cells)
    masks = [visual_hull.rescale(m, c / finest) for m, c in zip(masks, cells)]
    near = [visual_hull.rescale(n, c / finest) for n, c in zip(near, cells)]
    if inks is not None:
        inks = [visual_hull.rescale(i, c / finest) for i, c in zip(inks, cells)]
    # dashes: gaps up to about 1 % of a sheet, which is about twice the front view's diagonal
    bridge = max(4, round(0.02 * float(np.hypot(*masks[0].shape))))
    try:
        solid = visual_hull.from_sheet_views(masks, [box(v) for v in (front, side, top)], resolution,
                                             near if refine_depth else None, inks, bridge)
    except ValueError as exc:
        raise generate.UserError(f"Cannot carve a solid: {exc}") from None
    width = front.depthy.width * front.matrix_world.to_scale().x
    solid.vertices *= width / max(1e-9, np.ptp(solid.vertices[:, 0]))
    for old in [o for o in collection.objects if o.depthy.is_sheet_solid]:
        if (len(old.data.vertices), len(old.data.polygons)) == (old.depthy.vert_count, old.depthy.face_count):
            mesh = old.data
            bpy.data.objects.remove(old)          # an untouched solid of ours is replaced …
            if mesh.users == 0:
                bpy.data.meshes.remove(mesh)
        else:
            old.depthy.is_sheet_solid = False     # … an edited one is the user's now, and stays
    right = max(o.matrix_world.translation.x + o.dimensions.x / 2 for o in views)
    location = (right + np.ptp(solid.vertices[:, 0]), 0.0, front.matrix_world.translation.z)
    return _add_solid(collection, solid, f"{collection.name.removesuffix(' sheet')} solid", location)
