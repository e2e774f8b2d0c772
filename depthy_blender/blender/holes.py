"""Fill Holes and Cut Selected Areas on a relief mesh: the holes the selected vertices touch and the drawn
areas they lie on (core/holes), and the holes filled and areas cut so far, remembered on the object as
points on the drawing, which every Regenerate makes again (drawing.Request.fills and .cuts)."""
import json

import numpy as np

from ..core import flip, holes
from ..errors import DepthyError
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
    return holes.toggled(remembered(obj, "fills"), remembered(obj, "cuts"), new, holes.hole_grid(cells, shape))


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
    cuts, fills = holes.toggled(remembered(obj, "cuts"), remembered(obj, "fills"), new, grid)
    return fills, cuts


def remembered(obj, kind: str) -> list:
    """The remembered points of the object's filled holes (`kind` "fills") or cut areas ("cuts"); none
    when unreadable."""
    try:
        points = json.loads(getattr(obj.depthy, kind) or "[]")
        return [(float(u), float(v)) for u, v in points]
    except (ValueError, TypeError):
        return []


def stored(points) -> str:
    """The points as the object keeps them."""
    return json.dumps([list(p) for p in points]) if points else ""
