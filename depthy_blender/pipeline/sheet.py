"""From a drawing sheet to arrays, with no Blender in it: find the views (or take them from a list), a
relief per orthographic view, and optionally one solid carved from the front, side and top views. The
Blender layer (blender/sheet_generate.py) lays the results out as objects."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..core import dxf, images, options, proportion, relief as relief_math, sheets, visual_hull
from ..errors import DepthyError
from ..models import engine, engines
from ..models.engine import DEFAULT_OPTIONS, EngineOptions
from . import drawing

ORTHOGRAPHIC = ("front", "top", "side", "section", "unknown")
SOLID_ROLES = ("front", "top", "side", "section")
SHEET_SIDE = 3000   # sheets are worked on at most this large: enough for every line, quick to search


@dataclass
class SheetRequest:
    path: str
    engine: str
    views: list | None = None          # [{"box": [x0, y0, x1, y1], "role": str}] to skip detection
    solid: bool = False
    size: float = 4.0                  # sheet width in metres, for a raster sheet (a DXF has its own units)
    mm_per_px: float = 0.0             # a raster sheet's scale from the artist (0: unknown, use `size`)
    resolution: int = 192
    solid_resolution: int = 128       # voxels along the solid's longest side
    refine_depth: bool = False        # also carve with each view's nearness (depth hull)
    read_lines: bool = True           # cut the holes, slots and pockets the lines inside the views show
    ratio: float = proportion.FALLBACK_RATIO   # used when auto_ratio is off
    auto_ratio: bool = True            # each view as deep as the engine sees it drawn
    smoothing: float = 1.0
    flat_faces: bool = True            # each view's closed areas are flat faces (its views are square-on)
    options: EngineOptions = DEFAULT_OPTIONS


@dataclass
class SheetOutcome:
    shape: tuple[int, int]
    views: list[dict]
    reliefs: list[tuple[dict, relief_math.Relief]]
    solid: visual_hull.Solid | None
    messages: list[str] = field(default_factory=list)
    width_m: float = 4.0               # the sheet's width in metres (true size for a DXF with units)


AGREEMENT = 0.05   # views whose shared extents differ by more than this share disagree: no solid
SLACK_PX = 3       # … and by more than a pen's width or two (a plate's edge view is a few pixels thick)


def load_sheet(path: str, mm_per_px: float = 0.0) -> tuple[np.ndarray, list[str], float | None]:
    """A sheet (image or DXF) as float RGBA at most SHEET_SIDE pixels wide, any notes on reading it, and
    its true scale in metres per pixel of that image: a DXF's from its units, a raster's from the
    artist's `mm_per_px` of the file (None when a raster's scale is unknown)."""
    if path.lower().endswith(".dxf"):
        rgba, mm_per_drawn_px = dxf.render_to_scale(path, max_side=SHEET_SIDE)
        return rgba, [], mm_per_drawn_px / 1000.0
    loaded = images.load_image(path)
    rgba, _ = images.downscale(loaded.rgba, SHEET_SIDE)
    if mm_per_px <= 0:
        return rgba, loaded.messages, None
    file_px_per_px = loaded.source_size[0] / rgba.shape[1]   # the file may have been read smaller
    return rgba, loaded.messages, mm_per_px * file_px_per_px / 1000.0


def disagreement(front_box, side_box, top_box) -> str | None:
    """One line naming the views whose shared extents differ (front and plan share the width, front and
    side the height, plan and side the depth), or None when they agree within AGREEMENT or SLACK_PX."""
    def span(box, axis):   # axis 0: across (x), 1: down (y)
        return box[2 + axis] - box[axis]
    pairs = (("front", 0, front_box, "top", 0, top_box, "width"),
             ("front", 1, front_box, "side", 1, side_box, "height"),
             ("top", 1, top_box, "side", 0, side_box, "depth"))
    for a, axis_a, box_a, b, axis_b, box_b, what in pairs:
        sa, sb = span(box_a, axis_a), span(box_b, axis_b)
        if abs(sa - sb) > max(AGREEMENT * max(sa, sb), SLACK_PX):
            return (f"The {a} and {b} views disagree on the {what} ({sa} px against {sb} px, "
                    f"{abs(sa - sb) / max(sa, sb):.0%}): no solid was built rather than stretch one; "
                    "check the views' outlines")
    return None


def compute(req: SheetRequest, progress, cancel) -> SheetOutcome:
    progress(0.02, "Reading the sheet")
    if req.mm_per_px:
        options.check("mm_per_px", req.mm_per_px)
    rgba, messages, metres_per_px = load_sheet(req.path, req.mm_per_px)
    width_m = req.size if metres_per_px is None else metres_per_px * rgba.shape[1]
    rgb = images.on_white(rgba)
    if req.views is None:
        progress(0.1, "Finding the views")
        found = sheets.find_views(rgb)
        views = [{"box": list(map(int, v.box)), "role": v.role, "mask": v.mask} for v in found]
    else:
        views = [dict(v) for v in req.views]
    ortho = [v for v in views if v["role"] in ORTHOGRAPHIC]
    if not ortho:
        raise DepthyError("No orthographic views found on this sheet")
    chosen = engines.get(req.engine)
    reliefs = []
    for i, view in enumerate(ortho):
        engine.check_cancel(cancel)
        progress(0.15 + 0.7 * i / len(ortho), f"Depth of the {view['role']} view")
        x0, y0, x1, y1 = view["box"]
        crop = np.ascontiguousarray(rgba[y0:y1, x0:x1])
        try:
            depth = chosen.predict(crop, cancel=cancel, options=req.options)   # no progress within a view
            # the view's own outline beats the engine's guess on a crop full of dimensions and notes
            mask = view["mask"] if view.get("mask") is not None else depth.mask
            if req.flat_faces:
                depth, note = drawing.as_faces(depth, crop, mask)
                if note:
                    messages.append(f"{view['role']} view: {note}")
            view["ratio"], view["drawn_ratio"] = drawing.ratios(depth.proportion, mask, req.auto_ratio, req.ratio)
            built = drawing.with_areas(relief_math.build(depth.nearness, mask, view["ratio"], req.smoothing,
                                                         req.resolution,
                                                         size=width_m * max(x1 - x0, y1 - y0) / rgba.shape[1]),
                                       crop, mask)
        except (engine.EngineError, relief_math.ReliefError) as exc:
            messages.append(f"{view['role']} view skipped: {exc}")
            continue
        view.setdefault("mask", mask)
        view["nearness"] = np.where(mask, depth.nearness, np.nan)
        view["proportion"] = depth.proportion
        view["crop"] = crop   # the view's texture
        reliefs.append((view, built))
    solid = None
    if req.solid:
        progress(0.9, "Carving the solid from three views")
        solid, problem = _carve(req, rgba, rgb, ortho, width_m)
        if problem:
            messages.append(problem)
    return SheetOutcome(rgba.shape[:2], views, reliefs, solid, messages, width_m)


def _carve(req: SheetRequest, rgba: np.ndarray, rgb: np.ndarray, ortho: list[dict], width_m: float):
    """(the solid from the front, side and top views, or None; why not, or None)."""
    by_role = {v["role"]: v for v in ortho}
    side = by_role.get("side") or by_role.get("section")
    if "front" not in by_role or "top" not in by_role or side is None:
        return None, "Solid needs front, top and side views; some were not found"
    front, top = by_role["front"], by_role["top"]
    problem = disagreement(front["box"], side["box"], top["box"])
    if problem:
        return None, problem
    three = (front, side, top)
    masks = [np.asarray(v.get("mask")) if v.get("mask") is not None else
             images.figure_mask(rgba[v["box"][1]:v["box"][3], v["box"][0]:v["box"][2]]) for v in three]
    near = None
    if req.refine_depth and all(v.get("nearness") is not None for v in three):
        near = [v["nearness"] for v in three]
    inks = None
    if req.read_lines:
        inks = [sheets.ink_layers(rgb[v["box"][1]:v["box"][3], v["box"][0]:v["box"][2]])[0] for v in three]
    # a DXF's hidden lines are drawn whole; a raster's are dashed, with gaps up to about 1 % of the sheet
    bridge = 0 if req.path.lower().endswith(".dxf") else images.bridge_for(rgb.shape)
    solid = visual_hull.from_sheet_views(masks, [v["box"] for v in three], req.solid_resolution, near,
                                         inks, bridge)
    front_m = width_m * (front["box"][2] - front["box"][0]) / rgba.shape[1]
    solid.vertices *= front_m / max(1e-9, np.ptp(solid.vertices[:, 0]))
    return solid, None
