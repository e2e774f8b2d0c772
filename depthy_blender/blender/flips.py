"""Flip Selected Areas on a relief mesh: flip what is selected (core/flip) and remember the drawn areas
flipped on the object, which Regenerate asks the pipeline to flip again (drawing.Request.flips), so a
flip is not lost."""
import numpy as np

from ..core import flip
from ..errors import DepthyError, counted
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
        s.flips = props.stored(flip.remember(props.remembered(obj, "flips"), grid, cells, selected, areas))
    else:
        s.loose_flips = True
    return count


def regenerated(obj, outcome) -> str:
    """What the status line says of the flips after Regenerate made `obj` again (the pipeline flipped the
    remembered areas: drawing.flip_areas); "" when there were none."""
    notes = []
    if outcome.flipped:
        notes.append(f"{counted(outcome.flipped, 'flipped area')} kept")
    if obj.depthy.loose_flips:
        notes.append("flips of single vertices were not kept")
        obj.depthy.loose_flips = False
    return "; ".join(notes)


def _write(obj, raw: np.ndarray, new_raw: np.ndarray) -> None:
    """Store the new nearness; the Depth ratio (and the as-drawn one) grow with its range, so every height
    not flipped stays where it was, and `flip_scale` keeps how much for Regenerate; then one refresh of
    the heights."""
    s = obj.depthy
    mesh_io.set_raw(obj.data, new_raw)
    before = s.ratio
    s["ratio"] = flip.grown(before, raw, new_raw)    # without the slider's update: one refresh below
    if s.drawn_ratio >= 0:
        s["drawn_ratio"] = flip.grown(s.drawn_ratio, raw, new_raw)
    if before > 0:
        s["flip_scale"] = s.flip_scale * s.ratio / before
    props.refresh_relief(obj)
