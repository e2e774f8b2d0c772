"""Flat Faces on machined parts drawn square-on by Blender's Freestyle, the second renderer: the parts of
benchmarks/three_view_parts.py (whose own square-on drawings benchmarks/flat_faces.py scores) meshed and
drawn from the front, the side and above in the styles training/blender_drawings.py picks, with the
mesh's exact truth.

    python -m training.square_parts [--count 16]

Depthy and inflation each run their own `predict` on the drawing as the add-on reads it, then the same
answer is read as flat faces (pipeline/drawing.as_faces); all are scored as training/evaluate.py
scores a drawing (drawing_scores). The last lines are flat faces ÷ the engine's own reading, from the
same run. Needs bpy (Freestyle).
"""
from __future__ import annotations

import argparse
import time

import numpy as np
from skimage import measure

from benchmarks import three_view_parts as parts
from depthy_blender.models import engine, engines
from depthy_blender.pipeline import drawing
from training import evaluate
from training.synth import ink, meshes, truth

ENGINES = ("depthy", "inflate")
MEASURES = ("nrmse", "normal_deg", "iou", "proportion_auto")
COMPARED = ("nrmse", "normal_deg", "proportion_auto")
GRID = 96        # voxels along the part's longest side for its mesh
SIZE = 320
STYLE_SEED = 43_000_000   # the styles' seeds, apart from every training cache and evaluation set


def part_mesh(part: parts.Part) -> tuple[np.ndarray, np.ndarray]:
    """(vertices, faces) of the part's surface: marching cubes on its occupancy, GRID voxels along its
    longest side (padded with one empty layer so the surface closes), in the unit sphere (meshes.to_unit).
    x right, y back, z up, as meshes.VIEWS expects."""
    lo, hi = (np.asarray(b, float) for b in part.bounds)
    cell = float(np.max(hi - lo)) / GRID
    shape = tuple(int(n) for n in np.maximum(1, np.ceil((hi - lo) / cell)))
    occupancy = np.pad(part.occupancy(shape), 1).astype(np.float32)
    spacing = tuple(float(s) for s in (hi - lo) / np.asarray(shape))
    verts, faces, _, _ = measure.marching_cubes(occupancy, 0.5, spacing=spacing)
    return meshes.to_unit(verts), faces.astype(np.int64)


def freestyle_view(seed: int, view: str) -> tuple[np.ndarray, dict]:
    """Part `seed`'s `view` (front, side, top), meshed and drawn by Freestyle, and its exact truth."""
    verts, faces = part_mesh(parts.generated(seed))
    rng = np.random.default_rng(STYLE_SEED + 3 * seed + sorted(meshes.VIEWS).index(view))
    return drawn(verts, faces, meshes.view_camera(view, rng), rng)


def drawn(verts: np.ndarray, faces: np.ndarray, cam, rng: np.random.Generator,
          freestyle: bool = True) -> tuple[np.ndarray, dict]:
    """(rgba, truth) of a mesh seen by `cam`, SIZE² px: drawn by Freestyle in a style `rng` picks, or by
    our ink (training/synth/ink.py) in one it picks; the truth exact from the mesh."""
    mask, depth, normals = meshes.rasterise(verts, faces, cam, SIZE)
    if freestyle:
        from training import blender_drawings
        image, _ = blender_drawings.draw(verts, faces, cam, SIZE, blender_drawings.choose_style(rng))
    else:
        image = ink.draw(mask, depth, normals, rng)
    _, ratio = truth.of_view(mask, depth, normals, cam)
    rgba = np.concatenate([image.astype(np.float32), np.ones(image.shape[:2] + (1,), np.float32)], -1)
    return rgba, {"nearness": meshes.nearness_of(depth, mask), "mask": mask, "proportion": ratio}


def score_all(rgba: np.ndarray, known: dict, faces: str = "flat", seconds: dict | None = None) -> dict:
    """{reading: scores} of each engine's own answer and of the same read as `faces` faces (flat, or
    planar: pipeline/drawing.FACES); a drawing with nothing on it is an empty answer for both, as
    training/evaluate.py scores it. `seconds`, when given, adds up Depthy's predict ("predict") and its
    reading as faces ("faces")."""
    data = {key: np.asarray([value]) for key, value in known.items()}
    out = {}
    for name in ENGINES:
        try:
            start = time.perf_counter()
            told = engines.get(name).predict(rgba, lambda f, s: None, lambda: False)
            middle = time.perf_counter()
            read, _ = drawing.as_faces(told, rgba, told.mask, faces)
            if seconds is not None and name == "depthy":
                seconds["predict"] = seconds.get("predict", 0.0) + middle - start
                seconds["faces"] = seconds.get("faces", 0.0) + time.perf_counter() - middle
        except engine.EngineError:   # nothing drawn (Freestyle found no stroke): scored as evaluate.py does
            told = read = engine.DepthResult(np.zeros(rgba.shape[:2], np.float32), np.zeros(rgba.shape[:2], bool))
        for reading, result in ((name, told), (f"{name} + {faces} faces", read)):
            out[reading] = evaluate.drawing_scores([(result.nearness, result.mask)], data, [result.proportion])[0]
    return out


def summary(rows: list[dict], faces: str = "flat") -> list[str]:
    """Each reading's means, then `faces` faces ÷ each engine's own reading and on how many drawings
    they are better on all three compared measures (or both 0)."""
    readings = list(rows[0])
    means = {r: {m: float(np.mean([row[r][m] for row in rows])) for m in MEASURES} for r in readings}
    lines = [f"  {'reading':<22} {'nRMSE':>7} {'normal°':>8} {'IoU':>6} {'proport':>8}"]
    lines += [f"  {r:<22} {means[r]['nrmse']:7.4f} {means[r]['normal_deg']:8.2f} {means[r]['iou']:6.3f} "
              f"{means[r]['proportion_auto']:8.4f}" for r in readings]
    for name in ENGINES:
        read = f"{name} + {faces} faces"
        ratio = {m: means[read][m] / means[name][m] if means[name][m] > 0 else float("nan") for m in COMPARED}
        wins = sum(all(row[read][m] < row[name][m] or row[read][m] == row[name][m] == 0 for m in COMPARED)
                   for row in rows)
        lines.append(f"  {faces} faces ÷ {name:<8} nRMSE {ratio['nrmse']:.3f}  normal {ratio['normal_deg']:.3f}  "
                     f"proportion {ratio['proportion_auto']:.3f}; better on all three on {wins} of {len(rows)}")
    return lines


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--count", type=int, default=16, help="parts, each drawn from the front, the side and above "
                                                         "(default 16)")
    args = p.parse_args(argv)
    evaluate.limit_threads()
    rows = [score_all(*freestyle_view(seed, view)) for seed in range(args.count) for view in parts.VIEWS]
    print(f"machined parts drawn square-on by Freestyle: {len(rows)} views of {args.count} parts")
    print("\n".join(summary(rows)))


if __name__ == "__main__":
    main()
