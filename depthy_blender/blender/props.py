"""Scene generation settings, per-object relief settings (the live sliders) and job progress.

A slider change lands in `refresh_relief`, which recomputes vertex heights from what the mesh stores
(core/relief.vertex_z) and writes them in place (mesh_io.set_z).
"""

import json

import bpy
from bpy.props import (BoolProperty, EnumProperty, FloatProperty, IntProperty, PointerProperty,
                       StringProperty)

from ..core import options, relief as relief_math
from ..models import engines
from ..models.engine import DEFAULT_OPTIONS
from . import mesh_io

_ENGINE_ITEMS: list[list[tuple[str, str, str]]] = []   # every list handed out stays alive: Blender keeps
                                                       # pointers to enum item strings, never copies


# the panel's and Adjust Last Operation's choices of pipeline/drawing.FACES
FACE_ITEMS = (
    ("engine", "As Read", "Each face as the engine reads it: right for round bodies and freehand drawings"),
    ("flat", "Flat (Square-on)", "A part drawn square-on (a plate, a gear, a flange): each area the lines close is "
                                 "one flat face facing you, at the height the engine gives it"),
    ("planar", "Planar (Machined)", "A machined part in a pictorial view (a bracket, a block): each area the lines "
                                    "close is one flat face at its own slant, the faces joined at their creases"),
)


def engine_items(context=None):
    """The engines, best first; one that cannot run here says so in its name and tooltip."""
    from . import prefs
    options = prefs.engine_options(context) if context is not None and context.scene else DEFAULT_OPTIONS
    ranked = sorted(engines.all_engines(), key=lambda b: -b.quality_rank)
    items = []
    for b in ranked:
        why = b.available(options)
        items.append((b.name, b.label if why is None else f"{b.label} (unavailable)",
                      b.description if why is None else f"Cannot run: {why}"))
    if not _ENGINE_ITEMS or _ENGINE_ITEMS[-1] != items:
        _ENGINE_ITEMS.append(items)
    return _ENGINE_ITEMS[-1]


# ---- live sliders ------------------------------------------------------------------------------------

def slider_problem(obj: bpy.types.Object) -> str | None:
    """Why the sliders cannot change this object right now, or None when they can."""
    settings = obj.depthy
    if not settings.is_result or obj.type != "MESH":
        return "Not a Depthy relief"
    if obj.mode == "EDIT":
        return "Leave Edit Mode to use the sliders"
    mesh = obj.data
    if (len(mesh.vertices), len(mesh.polygons)) != (settings.vert_count, settings.face_count) \
            or mesh_io.read_slider_data(mesh) is None:
        return "Mesh was edited: sliders are off so your edits are kept (Generate again for a new relief)"
    if mesh_io.heights_edited(mesh):
        return "Vertices were moved: sliders are off so your edits are kept (Generate again for a new relief)"
    return None


def refresh_relief(obj: bpy.types.Object) -> str | None:
    """Rewrite the relief heights from the sliders; returns the reason if it cannot."""
    problem = slider_problem(obj)
    if problem:
        return problem
    s = obj.depthy
    raw, cells, sides = mesh_io.read_slider_data(obj.data)
    z = relief_math.vertex_z(raw, cells, sides, (s.grid_rows, s.grid_cols), s.width,
                             s.ratio, s.smoothing, s.invert, s.base)
    mesh_io.set_z(obj.data, z)
    return None


def remembered(obj: bpy.types.Object, kind: str) -> list:
    """The points (u, v) on the drawing a relief keeps for Regenerate: of its flipped areas (`kind`
    "flips"), filled holes ("fills") or cut areas ("cuts"); none when unreadable."""
    try:
        points = json.loads(getattr(obj.depthy, kind) or "[]")
        return [(float(u), float(v)) for u, v in points]
    except (ValueError, TypeError):
        return []


def stored(points) -> str:
    """Points (u, v) as a relief keeps them (JSON; "" for none)."""
    return json.dumps([list(p) for p in points]) if points else ""


def _on_slider(self, context):  # pragma: no mutate block (Blender checks an update callback's signature)
    refresh_relief(self.id_data)


class DepthyResultSettings(bpy.types.PropertyGroup):
    # Sliders
    ratio: FloatProperty(name="Depth Ratio", description="Relief thickness as a fraction of the mesh width",
                         default=0.2, min=options.low("ratio"), max=options.high("ratio"), step=1, precision=3,
                         update=_on_slider)
    smoothing: FloatProperty(name="Smoothing", description="Gaussian smoothing of the heights, in grid cells",
                             default=0.0, min=options.low("smoothing"), max=options.high("smoothing"), step=10,
                             precision=2, update=_on_slider)
    invert: BoolProperty(name="Invert", description="Swap near and far", default=False, update=_on_slider)
    base: FloatProperty(name="Base", description="A closed back's distance behind the relief's lowest point, "
                        "as a fraction of the mesh width", default=relief_math.BASE, min=options.low("base"),
                        max=options.high("base"), step=1, precision=3, update=_on_slider)
    closed: BoolProperty(name="Closed Back", default=False)
    drawn_ratio: FloatProperty(name="As Drawn", description="The depth ratio that makes the figure as deep as "
                               "the engine sees it drawn (negative: the engine could not tell)", default=-1.0)
    # What the mesh was built with (read by the sliders)
    is_result: BoolProperty(name="Depthy Relief", default=False)
    flips: StringProperty(name="Flipped Areas", description="One point (u, v) on the drawing for each drawn area "
                          "flipped, so Regenerate flips it again (JSON)")
    flip_scale: FloatProperty(name="Flip Scale", description="How much the flips grew the Depth ratio: Regenerate "
                              "builds the unflipped reading at the ratio divided by it, then flips", default=1.0)
    loose_flips: BoolProperty(name="Single-Vertex Flips", description="Vertices were flipped apart from their "
                              "drawn areas, which Regenerate cannot flip again", default=False)
    fills: StringProperty(name="Filled Holes", description="One point (u, v) on the drawing inside each hole "
                          "filled, so Regenerate fills it again (JSON)")
    cuts: StringProperty(name="Cut Areas", description="One point (u, v) on the drawing inside each drawn area "
                         "cut out, so Regenerate cuts it again (JSON)")
    made_with: StringProperty(name="Made With", description="The engine and mesh settings the relief was made "
                              "with, which Fill Holes keeps (JSON)")
    grid_rows: IntProperty(name="Grid Rows", default=0)
    grid_cols: IntProperty(name="Grid Columns", default=0)
    width: FloatProperty(name="Width", description="Mesh width the depth ratio refers to", default=1.0)
    vert_count: IntProperty(name="Vertices at Generation", default=0)
    face_count: IntProperty(name="Faces at Generation", default=0)
    engine: StringProperty(name="Engine", description="Engine that made the depth")
    ran_on: StringProperty(name="Ran On", description="Where the engine ran, in what precision, and how long")
    # Where the relief came from, for Regenerate
    source_path: StringProperty(name="Source File", subtype="FILE_PATH")
    source_image: StringProperty(name="Source Image")
    size: FloatProperty(name="Size", description="Longer side the relief was built to", default=1.0)
    why_cpu: StringProperty(name="Why the CPU", description="Why the engine did not use a GPU")
    # Sheets: which view of the sheet this relief is (reassignable), and the solid built from them
    sheet_role: EnumProperty(name="View", description="Which view of the sheet this relief is; the solid is "
                             "built from the front, top and side views", items=(
        ("NONE", "Not a Sheet View", ""),
        ("front", "Front", "Seen from the front"),
        ("top", "Top", "Seen from above (the plan)"),
        ("side", "Side", "Seen from the side"),
        ("section", "Section", "A cut view; stands in for the side view when there is none"),
        ("unknown", "Unused", "Not used for the solid"),
    ), default="NONE")
    is_sheet_solid: BoolProperty(name="Solid from Sheet Views", default=False)


# ---- generation settings -----------------------------------------------------------------------------

class DepthySceneSettings(bpy.types.PropertyGroup):
    # Source
    source: EnumProperty(name="Source", description="Where the drawing comes from", items=(
        ("EMPTY", "Image Empty", "The active image empty (Add ▸ Image ▸ Reference)"),
        ("IMAGE", "Image", "An image already loaded in this file"),
        ("FILE", "File", "An image file on disk"),
    ), default="EMPTY")
    image: PointerProperty(name="Image", description="Drawing to convert", type=bpy.types.Image)
    filepath: StringProperty(name="File", description="Drawing file to convert", subtype="FILE_PATH")
    # Engine
    engine: EnumProperty(name="Engine", description="How depth is estimated from the drawing",
                         items=lambda self, context: engine_items(context))
    # Mesh
    resolution: IntProperty(name="Resolution", description="Grid samples along the longer image side",
                            default=256, min=options.low("resolution"), max=options.high("resolution"))
    back: EnumProperty(name="Back", description="What closes the relief behind", items=(
        ("none", "None", "Open relief surface"),
        ("flat", "Flat", "Closed solid with a flat back"),
        ("mirror", "Mirror", "Closed solid, mirrored relief on the back"),
    ), default="none")
    triangles: BoolProperty(name="Triangles", description="Triangles instead of quads", default=False)
    faces: EnumProperty(name="Faces", description="How each area the drawing's lines close is read",
                        items=FACE_ITEMS, default="engine")
    background: EnumProperty(name="Background", description="What is cut away around the figure", items=(
        ("AUTO", "Auto", "The engine's figure: right for drawings on paper and images with transparency"),
        ("BORDER", "Flood from Border", "For photos: everything reachable from the image border through "
                                        "smooth colour changes is background (a backdrop's gradient too)"),
    ), default="AUTO")
    background_tolerance: FloatProperty(name="Tolerance", description="Largest colour step between "
                                        "neighbouring pixels the background fill crosses (higher: takes more)",
                                        default=0.03, min=options.low("background_tolerance"),
                                        max=options.high("background_tolerance"), step=1, precision=3)
    size: FloatProperty(name="Size", description="Longer side of the mesh when there is no image empty",
                        default=1.0, min=options.low("size"), max=options.high("size"), soft_max=100.0, unit="LENGTH")
    # TripoSR
    triposr_output: EnumProperty(name="Output", description="What TripoSR makes", items=(
        ("FULL", "Full Object", "A closed 3D object with vertex colours (marching cubes)"),
        ("RELIEF", "Relief", "TripoSR's depth from the image's view, as a relief with live sliders"),
    ), default="FULL")
    foreground_ratio: FloatProperty(name="Foreground Ratio", description="Share of TripoSR's input the object fills",
                                    default=0.85, min=options.low("foreground_ratio"), max=options.high("foreground_ratio"))
    mc_resolution: IntProperty(name="Mesh Resolution", description="Marching-cubes grid size (higher: finer, slower)",
                               default=256, min=options.low("mc_resolution"), max=options.high("mc_resolution"))
    # Sheets
    sheet_path: StringProperty(name="Sheet", description="Drawing sheet: an image or a DXF file", subtype="FILE_PATH")
    sheet_mm_per_px: FloatProperty(name="Scale (mm per px)", description="A raster sheet's scale, for a "
                                   "true-size solid (0: unknown). A DXF's units set its own",
                                   default=0.0, min=0.0, max=options.high("mm_per_px"), precision=4)
    sheet_solid: BoolProperty(name="Solid from Views", description="Also carve one solid from the front, "
                              "side and top views, with the holes, slots and pockets their lines show",
                              default=True)
    sheet_flat_faces: BoolProperty(name="Flat Faces", description="Each view's areas closed by lines are flat faces, "
                                   "as a machined part's square-on views show them; off: each view's depth as the "
                                   "engine reads it (for round parts)", default=True)
    solid_resolution: IntProperty(name="Solid Resolution", description="Least voxels along the solid's longest "
                                  "side; raised so the thinnest wall is at least three voxels thick",
                                  default=128, min=options.low("solid_resolution"),
                                  max=options.high("solid_resolution"))
    solid_refine_depth: BoolProperty(name="Refine with Depth", description="Also carve away what lies in front "
                                     "of each view's estimated surface (depth hull). Needs accurate depth: with "
                                     "today's engines it removes more than it should", default=False)
    # Starting slider values
    auto_ratio: BoolProperty(name="Auto Depth (as Drawn)", description="A new relief is as deep as the engine "
                             "sees the figure drawn (a plate stays flat, a round body round); off: it starts "
                             "at the Starting Depth Ratio. Either way the Depth Ratio slider changes it live",
                             default=True)
    ratio: FloatProperty(name="Starting Depth Ratio", description="Depth ratio a new relief starts with when "
                         "Auto Depth is off (then change it live in the Relief panel)",
                         default=0.2, min=options.low("ratio"), max=options.high("ratio"), step=1, precision=3)
    smoothing: FloatProperty(name="Starting Smoothing", description="Smoothing a new relief starts with, in grid "
                             "cells (then change it live in the Relief panel)",
                             default=1.0, min=options.low("smoothing"), max=options.high("smoothing"), step=10, precision=2)
    base: FloatProperty(name="Base", description="A closed back's distance behind the relief's lowest point, as "
                        "a fraction of the width (a plate drawn square-on is still this thick)",
                        default=relief_math.BASE, min=options.low("base"), max=options.high("base"), step=1,
                        precision=3)


CLASSES = (DepthyResultSettings, DepthySceneSettings)


_register_classes, _unregister_classes = bpy.utils.register_classes_factory(CLASSES)


def register():
    _register_classes()
    bpy.types.Object.depthy = PointerProperty(type=DepthyResultSettings)
    bpy.types.Scene.depthy = PointerProperty(type=DepthySceneSettings)
    wm = bpy.types.WindowManager   # runtime only: neither saved nor undone
    wm.depthy_running = BoolProperty(default=False)
    wm.depthy_progress = FloatProperty(name="Progress", default=0.0, min=0.0, max=1.0, subtype="FACTOR")
    wm.depthy_status = StringProperty(name="Status", default="")
    wm.depthy_task = StringProperty(name="Task", default="")   # "drawing" or "sheet": which panel shows progress


def unregister():
    for attr in ("depthy_running", "depthy_progress", "depthy_status", "depthy_task"):
        delattr(bpy.types.WindowManager, attr)
    del bpy.types.Scene.depthy
    del bpy.types.Object.depthy
    _unregister_classes()
