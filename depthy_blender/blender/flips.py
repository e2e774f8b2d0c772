"""Flip Selected Areas on a relief mesh: flip what is selected (core/flip), remember the drawn areas
flipped on the object, and flip them again on the relief Regenerate makes, so a flip is not lost."""
import json

import numpy as np

from ..core import flip, options
from ..errors import DepthyError
from . import mesh_io, props


def flip_selection(obj, whole: bool = True) -> int:
    """Mirror the selected areas' nearness and rewrite the heights. Returns how many connected parts were
    flipped; a DepthyError says why none could be. Whole drawn areas are remembered for Regenerate."""
    problem = props.slider_problem(obj)
    if problem:
        raise DepthyError(problem.replace("sliders are off", "flipping is off"))
    mesh, s = obj.data, obj.depthy
    raw, cells, _ = mesh_io.read_slider_data(mesh)
    selected, areas = mesh_io.selected_vertices(mesh), mesh_io.read_areas(mesh)
    chosen = flip.chosen_cells(cells, selected, areas, whole)
    new_raw, count = flip.flipped(raw, cells, (s.grid_rows, s.grid_cols), chosen)
    _write(obj, raw, new_raw)
    if whole and areas is not None and (areas[selected] > 0).all():
        grid = flip.area_grid(cells, areas, (s.grid_rows, s.grid_cols))
        s.flips = json.dumps(flip.remember(remembered(obj), grid, cells, selected, areas))
    else:
        s.loose_flips = True
    return count


def replay(obj) -> str:
    """Flip the remembered areas on a relief just made again; a note for the status line ("" if none)."""
    points, s = remembered(obj), obj.depthy
    notes = []
    if s.loose_flips:
        notes.append("flips of single vertices were not kept")
        s.loose_flips = False
    if not points:
        return "; ".join(notes)
    raw, cells, _ = mesh_io.read_slider_data(obj.data)
    areas = mesh_io.read_areas(obj.data)
    grid = flip.area_grid(cells, areas if areas is not None else np.zeros(len(cells), np.int32),
                          (s.grid_rows, s.grid_cols))
    labels, lost = flip.replayed(points, grid)
    if labels.size:
        chosen = cells[np.isin(grid.ravel()[cells], labels)]
        try:
            _write(obj, raw, flip.flipped(raw, cells, grid.shape, chosen)[0])
            notes.insert(0, f"{labels.size} flipped area{'s' if labels.size != 1 else ''} kept")
        except flip.FlipError:   # the new relief is all flipped areas
            notes.insert(0, "the flipped areas now cover the whole relief: not flipped (Invert flips it all)")
    if lost:
        notes.append(f"{lost} flipped area{'s' if lost != 1 else ''} not found on the new relief")
    return "; ".join(notes)


def remembered(obj) -> list:
    """The remembered points of the object's flipped areas (none when unreadable)."""
    try:
        points = json.loads(obj.depthy.flips or "[]")
        return [(float(u), float(v)) for u, v in points]
    except (ValueError, TypeError):
        return []


def _write(obj, raw: np.ndarray, new_raw: np.ndarray) -> None:
    """Store the new nearness; the Depth ratio (and the as-drawn one) grow with its range, so every height
    not flipped stays where it was, and `flip_scale` keeps how much for Regenerate; then one refresh of
    the heights."""
    s = obj.depthy
    grown = flip.span_scale(raw, new_raw)
    mesh_io.set_raw(obj.data, new_raw)
    high = options.high("ratio")
    before = s.ratio
    s["ratio"] = min(before * grown, high)    # without the slider's update: one refresh below
    if s.drawn_ratio >= 0:
        s["drawn_ratio"] = min(s.drawn_ratio * grown, high)
    if before > 0:
        s["flip_scale"] = s.flip_scale * s.ratio / before
    props.refresh_relief(obj)
