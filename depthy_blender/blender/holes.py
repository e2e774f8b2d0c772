"""Fill Holes and Cut Selected Areas on a relief mesh: the holes the selected vertices touch and the drawn
areas they lie on (core/holes), and the holes filled and areas cut so far, remembered on the object as
points on the drawing, which every Regenerate makes again (drawing.Request.fills and .cuts)."""
import numpy as np

from ..core import flip, holes
from ..errors import DepthyError, counted
from . import mesh_io, props


def unedited(obj) -> None:
    """A DepthyError when the relief cannot be made again without losing the artist's edits."""
    problem = props.slider_problem(obj)
    if problem:
        raise DepthyError(problem.replace("sliders are off", "changing the figure is off"))


def after_fill(obj) -> tuple[list, list]:
    """(the fills, the cuts) once the holes a selected vertex touches are filled: a hole that was cut
    forgets its cut. A DepthyError says why nothing can be filled."""
    unedited(obj)
    s = obj.depthy
    _, cells, _ = mesh_io.read_slider_data(obj.data)
    shape = (s.grid_rows, s.grid_cols)
    new = holes.points_to_fill(cells, shape, mesh_io.selected_vertices(obj.data))
    return holes.toggled(props.remembered(obj, "fills"), props.remembered(obj, "cuts"), new, holes.hole_grid(cells, shape))


def after_cut(obj) -> tuple[list, list]:
    """(the fills, the cuts) once the drawn areas a selected vertex lies on are cut out: an area that was a
    filled hole forgets its fill. A DepthyError says why nothing can be cut."""
    unedited(obj)
    s = obj.depthy
    _, cells, _ = mesh_io.read_slider_data(obj.data)
    areas, selected = mesh_io.read_areas(obj.data), mesh_io.selected_vertices(obj.data)
    if areas is None:   # a relief made before the drawn areas were stored
        areas = np.zeros(len(selected), np.int32)
    grid = flip.area_grid(cells, areas, (s.grid_rows, s.grid_cols))
    new = holes.area_points(grid, areas[selected])
    cuts, fills = holes.toggled(props.remembered(obj, "cuts"), props.remembered(obj, "fills"), new, grid)
    return fills, cuts


def regenerated(outcome) -> str:
    """What the status line says of the figure's mends after Regenerate made them again; "" for none."""
    notes = []
    if outcome.filled:
        notes.append(f"{counted(outcome.filled, 'filled hole')} kept")
    if outcome.cut:
        notes.append(f"{counted(outcome.cut, 'cut area')} kept")
    return "; ".join(notes)
