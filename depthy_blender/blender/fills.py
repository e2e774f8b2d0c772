"""Fill Holes on a relief mesh: which holes the selected vertices touch (core/holes), and the holes filled
so far, remembered on the object as points on the drawing, which every Regenerate fills again
(drawing.Request.fills)."""
import json

from ..core import holes
from ..errors import DepthyError
from . import mesh_io, props


def unedited(obj) -> None:
    """A DepthyError when the relief cannot be made again without losing the artist's edits."""
    problem = props.slider_problem(obj)
    if problem:
        raise DepthyError(problem.replace("sliders are off", "filling is off"))


def points_to_fill(obj) -> list:
    """One point (u, v) for each hole of the relief a selected vertex touches; a DepthyError says why
    there is none, or why the relief cannot be made again (unedited)."""
    unedited(obj)
    s = obj.depthy
    _, cells, _ = mesh_io.read_slider_data(obj.data)
    return holes.points_to_fill(cells, (s.grid_rows, s.grid_cols), mesh_io.selected_vertices(obj.data))


def remembered(obj) -> list:
    """The remembered points of the object's filled holes (none when unreadable)."""
    try:
        points = json.loads(obj.depthy.fills or "[]")
        return [(float(u), float(v)) for u, v in points]
    except (ValueError, TypeError):
        return []


def stored(points) -> str:
    """The points as the object keeps them."""
    return json.dumps([list(p) for p in points]) if points else ""
