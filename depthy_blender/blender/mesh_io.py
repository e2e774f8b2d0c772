"""Relief arrays ↔ bpy meshes through bulk attribute access; in-place height updates for the sliders.

The raw nearness, grid cell and side of every vertex are stored as mesh attributes so the sliders keep
working after save and reload (see core/relief.py for what they mean).
"""
from __future__ import annotations

import bpy
import numpy as np

from ..core import relief as relief_math

RAW, CELL, SIDE = "depthy_raw", "depthy_cell", "depthy_side"
WRITTEN = "depthy_z"    # the heights the add-on last wrote: a difference means the artist moved vertices
AREA = "depthy_area"    # the drawn area each vertex lies on (core/flip), when the drawing closes areas
COLOUR = "Col"
SLIDER_ATTRIBUTES = (RAW, CELL, SIDE, WRITTEN, AREA)


def create_mesh(relief: relief_math.Relief, name: str) -> bpy.types.Mesh:
    """A mesh from relief arrays. Edges come precomputed, so Blender never has to derive them."""
    mesh = bpy.data.meshes.new(name)
    faces = relief.faces
    corners = faces.shape[1]
    mesh.vertices.add(len(relief.verts))
    mesh.edges.add(len(relief.edges))
    mesh.loops.add(faces.size)
    mesh.polygons.add(len(faces))
    _set(mesh, "position", "vector", relief.verts, np.float32)
    _set(mesh, ".edge_verts", "value", relief.edges, np.int32)
    _set(mesh, ".corner_vert", "value", faces, np.int32)
    _set(mesh, ".corner_edge", "value", relief.corner_edges, np.int32)
    mesh.polygons.foreach_set("loop_start", np.arange(0, faces.size, corners, dtype=np.int32))
    mesh.update()
    uv = mesh.attributes.new("UVMap", "FLOAT2", "CORNER")
    uv.data.foreach_set("vector", np.ascontiguousarray(relief.uvs, np.float32).ravel())
    _new(mesh, RAW, "FLOAT", "value", relief.raw)
    _new(mesh, CELL, "INT", "value", relief.cells)
    _new(mesh, SIDE, "FLOAT", "value", relief.sides)
    _new(mesh, WRITTEN, "FLOAT", "value", np.ascontiguousarray(relief.verts[:, 2], np.float32))
    if relief.areas is not None:
        _new(mesh, AREA, "INT", "value", np.ascontiguousarray(relief.areas, np.int32))
    if hasattr(mesh, "shade_smooth"):
        mesh.shade_smooth()
    return mesh


def create_coloured_mesh(vertices: np.ndarray, faces: np.ndarray, colours: np.ndarray, name: str) -> bpy.types.Mesh:
    """A triangle mesh with a per-vertex colour attribute (TripoSR's full object)."""
    mesh = bpy.data.meshes.new(name)
    mesh.vertices.add(len(vertices))
    mesh.loops.add(faces.size)
    mesh.polygons.add(len(faces))
    _set(mesh, "position", "vector", vertices, np.float32)
    _set(mesh, ".corner_vert", "value", faces, np.int32)
    mesh.polygons.foreach_set("loop_start", np.arange(0, faces.size, 3, dtype=np.int32))
    mesh.update(calc_edges=True)
    rgba = np.concatenate([colours, np.ones((len(colours), 1))], 1).astype(np.float32)
    attr = mesh.color_attributes.new(COLOUR, "FLOAT_COLOR", "POINT")
    attr.data.foreach_set("color", rgba.ravel())
    mesh.color_attributes.active_color = attr
    if hasattr(mesh, "shade_smooth"):
        mesh.shade_smooth()
    return mesh


def read_slider_data(mesh: bpy.types.Mesh):
    """(raw, cells, sides) stored on the mesh, or None if any is missing or not stored per vertex."""
    n = len(mesh.vertices)
    out = []
    for name, dtype in ((RAW, np.float32), (CELL, np.int32), (SIDE, np.float32)):
        attr = mesh.attributes.get(name)
        if attr is None or attr.domain != "POINT":   # a POINT attribute has one value per vertex
            return None
        buf = np.empty(n, dtype)
        attr.data.foreach_get("value", buf)
        out.append(buf)
    return tuple(out)


def read_areas(mesh: bpy.types.Mesh) -> np.ndarray | None:
    """The drawn area of every vertex, or None when the relief has none stored."""
    attr = mesh.attributes.get(AREA)
    if attr is None or attr.domain != "POINT":
        return None
    areas = np.empty(len(mesh.vertices), np.int32)
    attr.data.foreach_get("value", areas)
    return areas


def selected_vertices(mesh: bpy.types.Mesh) -> np.ndarray:
    """bool per vertex: selected in Edit Mode (as last written back to the mesh)."""
    chosen = np.zeros(len(mesh.vertices), bool)
    mesh.vertices.foreach_get("select", chosen)
    return chosen


def set_raw(mesh: bpy.types.Mesh, raw: np.ndarray) -> None:
    """Replace the stored nearness the sliders build heights from."""
    mesh.attributes[RAW].data.foreach_set("value", np.ascontiguousarray(raw, np.float32))


def set_z(mesh: bpy.types.Mesh, z: np.ndarray) -> None:
    """Replace only the relief axis of every vertex; x/y (and anything else) stay as they are."""
    positions = np.empty(len(mesh.vertices) * 3, np.float32)
    mesh.attributes["position"].data.foreach_get("vector", positions)
    positions[2::3] = z
    mesh.attributes["position"].data.foreach_set("vector", positions)
    # a write through the attribute leaves the mesh's cached bounds as they were; assigning one vertex
    # through `vertices` tags the positions as changed (writing them all that way is 300× slower), so
    # Dimensions and Frame Selected follow the new heights
    if len(mesh.vertices):
        mesh.vertices[0].co = mesh.vertices[0].co
    written = mesh.attributes.get(WRITTEN) or mesh.attributes.new(WRITTEN, "FLOAT", "POINT")
    written.data.foreach_set("value", np.ascontiguousarray(positions[2::3]))
    mesh.update()


def heights_edited(mesh: bpy.types.Mesh, tolerance: float = 1e-5) -> bool:
    """True when some vertex height differs from what the add-on last wrote (the artist moved it).
    A relief saved before the heights were remembered counts as unedited."""
    written = mesh.attributes.get(WRITTEN)
    if written is None or written.domain != "POINT":
        return False
    stored = np.empty(len(mesh.vertices), np.float32)
    written.data.foreach_get("value", stored)
    z = get_positions(mesh)[:, 2]
    scale = max(1.0, float(np.abs(stored).max(initial=0.0)))
    return bool(np.abs(z - stored).max(initial=0.0) > tolerance * scale)


def get_positions(mesh: bpy.types.Mesh) -> np.ndarray:
    positions = np.empty(len(mesh.vertices) * 3, np.float32)
    mesh.attributes["position"].data.foreach_get("vector", positions)
    return positions.reshape(-1, 3)


def strip_slider_data(mesh: bpy.types.Mesh) -> None:
    for name in SLIDER_ATTRIBUTES:
        attr = mesh.attributes.get(name)
        if attr is not None:
            mesh.attributes.remove(attr)


def _set(mesh, name, prop, values, dtype):
    """Bulk write into a built-in attribute (Blender 4.x names: position, .edge_verts, .corner_*)."""
    mesh.attributes[name].data.foreach_set(prop, np.ascontiguousarray(values, dtype=dtype).ravel())


def _new(mesh, name, data_type, prop, values):
    attr = mesh.attributes.new(name, data_type, "POINT")
    attr.data.foreach_set(prop, np.ascontiguousarray(values).ravel())
