"""Planar Faces on machined parts drawn in pictorial views: the parts of benchmarks/three_view_parts.py
(plates, blocks with pockets and cross holes, L-brackets, bosses, shafts, housings, channels), meshed and
drawn in isometric and in one seeded pictorial view each, with the mesh's exact truth.

    python -m training.pictorial_parts [--count 32] [--first 0] [--freestyle]

Drawn by our ink (training/synth/ink.py, in its random styles: lines, flat fill, shaded, sketchy) or,
with --freestyle, by Blender's Freestyle in the styles training/blender_drawings.py picks (needs bpy).
Depthy and inflation each run their own `predict` on the drawing as the add-on reads it, then the same
answer is read as planar faces (pipeline/drawing.as_faces); all are scored as training/evaluate.py
scores a drawing. The last lines are planar faces ÷ the engine's own reading, from the same run, and
the time planar faces take beside Depthy's predict. Parts from --first on; the parts of seeds 1000 on
were the ones the constants of core/planar_faces.py were chosen on, apart from the first ones this
reports.
"""
from __future__ import annotations

import argparse

import numpy as np

from benchmarks import three_view_parts as parts
from training import evaluate, square_parts
from training.synth import meshes
from training.synth.render import Camera

SIZE = 320
STYLE_SEED = 44_000_000   # the views' and styles' seeds, apart from every training cache and evaluation set
VIEWS = ("iso", "pictorial")


def pictorial_camera(rng: np.random.Generator) -> Camera:
    """An orthographic camera looking down on the part from the front and one side: 20–70° round from
    the front, 15–45° above, left or right; the figure fills 60–90 % of the frame."""
    turn = np.radians(rng.uniform(20.0, 70.0)) * rng.choice([-1.0, 1.0])
    rise = np.radians(rng.uniform(15.0, 45.0))
    eye = np.array([np.sin(turn) * np.cos(rise), -np.cos(turn) * np.cos(rise), np.sin(rise)])
    return Camera(-eye, np.array([0.0, 0.0, 1.0]), 1.0 / rng.uniform(0.6, 0.9), np.zeros(3))


def view(seed: int, name: str, freestyle: bool = False) -> tuple[np.ndarray, dict]:
    """Part `seed` seen from `name` (iso, pictorial), meshed and drawn, and its exact truth."""
    verts, faces = square_parts.part_mesh(parts.generated(seed))
    rng = np.random.default_rng(STYLE_SEED + 2 * seed + VIEWS.index(name))
    cam = meshes.view_camera("iso", rng) if name == "iso" else pictorial_camera(rng)
    return square_parts.drawn(verts, faces, cam, rng, freestyle)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--count", type=int, default=32, help="parts, each drawn in isometric and one other pictorial "
                                                         "view (default 32)")
    p.add_argument("--first", type=int, default=0, help="the first part's seed (default 0)")
    p.add_argument("--freestyle", action="store_true", help="drawn by Blender's Freestyle (needs bpy)")
    args = p.parse_args(argv)
    evaluate.limit_threads()
    seconds = {}
    rows = [square_parts.score_all(*view(seed, name, args.freestyle), faces="planar", seconds=seconds)
            for seed in range(args.first, args.first + args.count) for name in VIEWS]
    by = "Freestyle" if args.freestyle else "our ink"
    print(f"machined parts drawn in pictorial views by {by}: {len(rows)} views of {args.count} parts")
    print("\n".join(square_parts.summary(rows, faces="planar")))
    print(f"  time: planar faces {1000 * seconds['faces'] / len(rows):.1f} ms per view, "
          f"{seconds['faces'] / seconds['predict']:.3f}× Depthy's own predict in the same run")


if __name__ == "__main__":
    main()
