"""From a drawing to relief arrays, with no Blender in it: read the image, run the engine, cut the
background, build the relief. The operator runs `compute` in a worker thread, the CLI and scripts call it
directly; the Blender layer only reads its settings into a Request and writes the Outcome into meshes.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from ..core import flat_faces, flip, holes, images, options, planar_faces, proportion, relief as relief_math
from ..errors import DepthyError, OptionError
from ..models import engine, engines
from ..models.engine import DEFAULT_OPTIONS, EngineOptions


@dataclass
class Request:
    name: str
    engine: str
    resolution: int = 256
    back: str = "none"
    triangles: bool = False
    background: str = "auto"            # "auto": the engine's figure; "border": flood fill from the border
    background_tolerance: float = 0.03
    options: EngineOptions = DEFAULT_OPTIONS   # how the engines run (device, Depthy size, TripoSR's settings)
    size: float = 1.0
    ratio: float = proportion.FALLBACK_RATIO   # used when auto_ratio is off
    auto_ratio: bool = True             # Auto (as drawn): the engine's proportion sets the Depth ratio
    faces: str = "engine"               # "flat" (drawn square-on), "planar" (a machined part, pictorial): FACES
    smoothing: float = 1.0
    base: float = relief_math.BASE      # a closed back's distance behind the relief, ÷ the width
    flips: tuple = ()                   # (u, v) points on the drawing, v down: their drawn areas are flipped
    fills: tuple = ()                   # (u, v) points on the drawing: the holes under them join the figure
    cuts: tuple = ()                    # (u, v) points on the drawing: the drawn areas under them are cut out
    rgba: np.ndarray | None = None      # from a datablock (read on the main thread)
    path: str | None = None             # from a file (decoded in compute)
    image_name: str | None = None
    empty_name: str | None = None
    messages: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    relief: relief_math.Relief | None
    messages: list[str]
    notes: list[str] = field(default_factory=list)   # from the engine, e.g. a GPU → CPU fallback
    whole_object: object = None                       # TripoSR's full object instead of a relief
    rgba: np.ndarray | None = None                    # the pixels read, for a texture Blender cannot load
    where: str = ""                                   # e.g. "Depthy · CUDA fp16 · 0.03 s"
    ratio: float = proportion.FALLBACK_RATIO          # the Depth ratio the relief was built with
    drawn_ratio: float | None = None                  # the ratio that draws it as deep as the engine sees it
    why_cpu: str = ""                                 # why no GPU was used, when none was
    flipped: int = 0                                  # the drawn areas flipped for the request's points
    flip_scale: float = 1.0                           # how much those flips grew the Depth ratio
    filled: int = 0                                   # the holes filled for the request's points
    cut: int = 0                                      # the drawn areas cut out for the request's points

    def ran_on(self) -> str:
        """One line for the status bar: where the engine ran and, on the CPU, why."""
        return f"{self.where} ({self.why_cpu})" if self.where and self.why_cpu else self.where


def read(path: str, max_side: int = images.MAX_SIDE) -> images.LoadedImage:
    """An image file as float RGBA, at most `max_side` pixels on its longer side."""
    return images.load_image(path, max_side=max_side)


def estimate(rgba: np.ndarray, engine_name: str, engine_options: EngineOptions = DEFAULT_OPTIONS,
             progress: engine.Progress | None = None, cancel: engine.Cancel | None = None):
    """The engine's answer for the drawing: a DepthResult (or a whole object from TripoSR)."""
    progress = progress or (lambda f, s: None)
    cancel = cancel or (lambda: False)
    engine.check_cancel(cancel)
    result = engines.get(engine_name).predict(rgba, progress, cancel, engine_options)
    engine.check_cancel(cancel)
    return result


def compute(req: Request, progress: engine.Progress, cancel: engine.Cancel) -> Outcome:
    """Depth and relief arrays; any thread. A failure the user can act on is a DepthyError."""
    messages = list(req.messages)
    rgba = req.rgba
    options.check_all(ratio=req.ratio, smoothing=req.smoothing, size=req.size, resolution=req.resolution,
                      background_tolerance=req.background_tolerance, base=req.base)
    if req.faces not in FACES:
        raise OptionError(f"Faces must be one of {', '.join(FACES)}, not {req.faces!r}")
    if rgba is None:
        progress(0.02, "Reading the image")
        loaded = images.load_image(req.path)
        rgba, messages = loaded.rgba, messages + loaded.messages
    # engines never need more pixels than a few per grid sample
    rgba, _ = images.downscale(rgba, max(1024, 2 * req.resolution))
    depth = estimate(rgba, req.engine, req.options, lambda f, s: progress(0.05 + 0.8 * f, s), cancel)
    notes = [depth.meta["note"]] if "note" in depth.meta else []
    where = dict(where=depth.meta.get("where", ""), why_cpu=depth.meta.get("why_cpu", ""))
    if not isinstance(depth, engine.DepthResult):   # a whole object, not a depth map
        return Outcome(None, messages, notes, whole_object=depth, **where)
    mask = depth.mask
    if req.background == "border":   # a photo: the artist's own background cut, not the engine's
        progress(0.86, "Separating the background")
        mask = images.flood_from_border(rgba, req.background_tolerance)
        if not mask.any():
            raise DepthyError("The border flood fill took the whole image: lower the background tolerance")
    mask, cut, filled = mend_figure(mask, rgba, req, notes)
    if req.faces != "engine":
        progress(0.87, FACES[req.faces][1])
        depth, note = as_faces(depth, rgba, mask, req.faces)
        if note:
            notes.append(note)
        else:
            where["where"] = f"{where['where'] or engines.get(req.engine).label} · {req.faces} faces"
    progress(0.88, "Building the relief")
    ratio, drawn = ratios(depth.proportion, mask, req.auto_ratio, req.ratio)
    built = relief_math.build(depth.nearness, mask, ratio, req.smoothing, req.resolution,
                              req.size, req.back, req.triangles, base=req.base)
    with_areas(built, rgba, mask)
    flipped, scale = 0, 1.0
    if req.flips:
        flipped, scale, note = flip_areas(built, req.flips, ratio, req.smoothing, req.base)
        ratio = ratio * scale
        drawn = None if drawn is None else min(drawn * scale, options.high("ratio"))
        if note:
            notes.append(note)
    return Outcome(built, messages, notes, rgba=rgba, ratio=ratio, drawn_ratio=drawn, flipped=flipped,
                   flip_scale=scale, filled=filled, cut=cut, **where)


# how each face of the figure is read: name → (the reading, what the progress bar says while it runs)
FACES = {
    "engine": (None, ""),
    "flat": (flat_faces.read, "Flattening the faces"),
    "planar": (planar_faces.read, "Fitting a plane to each face"),
}


def as_faces(depth: engine.DepthResult, rgba: np.ndarray, mask: np.ndarray,
             faces: str = "flat") -> tuple[engine.DepthResult, str | None]:
    """The engine's answer read as flat faces seen square-on (core/flat_faces) or as planar faces
    (core/planar_faces), with a one-line note and unchanged where the drawing closes no areas. The
    figure keeps the depth the engine gave its faces: the proportion shrinks as the nearness range does
    (the bends flattened away were part of it)."""
    nearness, note = FACES[faces][0](depth.nearness, rgba, mask)
    if note:
        return depth, note
    before, after = np.ptp(depth.nearness[mask]), np.ptp(nearness[mask])
    kept = depth.proportion
    if kept is not None and before > 0:
        kept = float(kept * after / before)
    return replace(depth, nearness=nearness, proportion=kept), None


def with_areas(built: relief_math.Relief, rgba: np.ndarray, mask: np.ndarray) -> relief_math.Relief:
    """`built` with each vertex's drawn area (core/flip.areas), which Flip Selected Areas grows a
    selection to."""
    built.areas = flip.areas(rgba, mask, built.grid_shape).ravel()[built.cells]
    return built


def mend_figure(mask: np.ndarray, rgba: np.ndarray, req: Request, notes: list) -> tuple[np.ndarray, int, int]:
    """(the figure with the request's areas cut out, then its holes filled, how many areas were cut, how many
    holes were filled); a note for points on nothing is added to `notes`."""
    cut = filled = 0
    if req.cuts:
        mask, cut, missed = holes.cut(mask, rgba, req.cuts)
        if missed:
            notes.append(f"{missed} of the points to cut {'is' if missed == 1 else 'are'} on no drawn area")
    if req.fills:
        mask, filled, note = fill_holes(mask, req.fills, req.resolution)
        if note:
            notes.append(note)
    return mask, cut, filled


def fill_holes(mask: np.ndarray, points, resolution: int) -> tuple[np.ndarray, int, str]:
    """(the figure with the holes under `points` in it, how many were filled, a note naming points on no
    hole or ""). A point kept on the relief's grid may land a little off its hole on the image: it reaches
    two grid samples at `resolution`."""
    reach = holes.reach_for(mask.shape, relief_math.grid_shape_for(mask.shape, resolution))
    mask, count, missed = holes.filled(mask, points, reach)
    if not missed:
        return mask, count, ""
    return mask, count, (f"{missed} of the points to fill {'is' if missed == 1 else 'are'} on no hole "
                         "(the figure is there already)")


def flip_areas(built: relief_math.Relief, points, ratio: float, smoothing: float,
               base: float) -> tuple[int, float, str | None]:
    """Flip the drawn areas under the drawing's `points` (u, v; core/flip) in `built`, its heights made
    again at the Depth ratio grown with the nearness range. Returns (how many areas were flipped, how much
    the ratio grows, a one-line note for points on no area or a flip of the whole relief, else None)."""
    grid = flip.area_grid(built.cells, built.areas, built.grid_shape)
    labels, lost = flip.replayed(points, grid)
    note = f"{lost} of the points to flip {'is' if lost == 1 else 'are'} on no drawn area" if lost else None
    if not labels.size:
        return 0, 1.0, note
    chosen = built.cells[np.isin(grid.ravel()[built.cells], labels)]
    try:
        raw, _ = flip.flipped(built.raw, built.cells, built.grid_shape, chosen)
    except flip.FlipError:
        return 0, 1.0, "The areas to flip are the whole relief: not flipped (Invert flips it all)"
    grown = flip.grown(ratio, built.raw, raw)
    built.raw = raw
    built.verts[:, 2] = relief_math.vertex_z(raw, built.cells, built.sides, built.grid_shape, built.width,
                                             grown, smoothing, base=base)
    return int(labels.size), (grown / ratio if ratio > 0 else 1.0), note


def ratios(figure_proportion: float | None, mask: np.ndarray, auto: bool, ratio: float) -> tuple[float, float | None]:
    """(the Depth ratio to build with, the as-drawn one). The as-drawn ratio builds the figure as deep as
    the engine says it is drawn, within the slider's range; None when the engine cannot say. Auto builds
    with it where there is one; otherwise the artist's `ratio` is used."""
    if figure_proportion is None or not np.isfinite(figure_proportion) or not mask.any():
        return ratio, None
    drawn = float(np.clip(proportion.ratio_for(figure_proportion, mask), options.low("ratio"), options.high("ratio")))
    return (drawn if auto else ratio), drawn
