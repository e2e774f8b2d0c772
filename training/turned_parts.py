"""The Turned engine against Depthy and silhouette inflation on lathe parts drawn from the side, whose
true depth is known: seeded solids of revolution from the generator (stepped shafts and smooth pot or
bottle bodies, standing or lying), in every drawing style the generator has, or (--freestyle) the same
solids meshed and drawn by Blender's Freestyle, the second renderer. The two turned examples are scored
by benchmarks/examples_quality.py.

    python -m training.turned_parts [--count 40] [--freestyle]

Each engine runs its own `predict` on the drawing as the add-on reads it, and is scored as
training/evaluate.py scores a drawing (drawing_scores): nRMSE after the best non-negative scale +
shift, the normal error in degrees, mask IoU, and the proportion error of the relief Auto depth builds
from the engine's own proportion. The last lines are Turned ÷ Depthy and Turned ÷ inflation, measured
in the same run.
"""
from __future__ import annotations

import argparse
import math

import numpy as np

import torch
from skimage import measure

from depthy_blender.models import engines
from training import evaluate
from training.synth import framed, meshes, sdf, solids, truth

ENGINES = ("turned", "depthy", "inflate")
MEASURES = ("nrmse", "normal_deg", "iou", "proportion_auto")
COMPARED = ("nrmse", "normal_deg", "proportion_auto")
FIRST_SEED = 41_000_000   # apart from every training cache and evaluation set
SIZE = 384


def turned_solid(seed: int):
    """(solid, what it is) for a seed: even seeds a stepped shaft, odd ones a smooth pot or bottle body,
    revolved about y; a third of them laid across the view."""
    rng = np.random.default_rng(seed)
    if seed % 2 == 0:
        radius, half = float(rng.uniform(0.3, 0.6)), float(rng.uniform(0.5, 0.9))
        shape, kind = sdf.revolve(sdf.polygon2d(solids.random_profile(rng, radius, half))), "shaft"
    else:
        radius, half = float(rng.uniform(0.3, 0.7)), float(rng.uniform(0.4, 0.85))
        shape, kind = sdf.revolve(sdf.polygon2d(solids.smooth_profile(rng, radius, half))), "pot"
    if rng.random() < 1 / 3:
        return sdf.transform(shape, sdf.rotation_matrix((0.0, 0.0, math.pi / 2)), (0.0, 0.0, 0.0)), kind + " lying"
    return shape, kind + " standing"


def drawing(seed: int) -> tuple[np.ndarray, dict, str]:
    """(float RGBA drawing, truth, what it is) of the seed's solid seen from the side, in a style its seed picks."""
    shape, kind = turned_solid(seed)
    made = framed.draw(shape, (0.0, 0.0, -1.0), (0.0, 1.0, 0.0), None, np.random.default_rng(seed), SIZE)
    rgb = made["image"].astype(np.float32) / 255.0
    rgba = np.concatenate([rgb, np.ones(rgb.shape[:2] + (1,), np.float32)], -1)
    return rgba, {k: made[k] for k in ("nearness", "mask", "proportion")}, kind


GRID = 96   # samples a side of the cube the solid is meshed in for Freestyle


def solid_mesh(shape) -> tuple[np.ndarray, np.ndarray]:
    """(vertices, faces) of the solid's surface, marching cubes on a GRID³ sampling of [−1, 1]³, turned
    so that the generator's y (a standing part's axis) is the meshes' up (+z), then centred and scaled
    into the unit sphere (meshes.to_unit, as meshes.load_unit does)."""
    axis = torch.linspace(-1.0, 1.0, GRID)
    points = torch.stack(torch.meshgrid(axis, axis, axis, indexing="ij"), -1).reshape(-1, 3)
    with torch.no_grad():
        field = shape(points).reshape(GRID, GRID, GRID).numpy()
    verts, faces, _, _ = measure.marching_cubes(field, 0.0, spacing=(2.0 / (GRID - 1),) * 3)
    verts = verts - 1.0
    verts = np.stack([verts[:, 0], -verts[:, 2], verts[:, 1]], 1)   # a quarter turn about x: y becomes z
    return meshes.to_unit(verts), faces.astype(np.int64)


def freestyle_drawing(seed: int) -> tuple[np.ndarray, dict, str]:
    """drawing()'s solid meshed and drawn from the front by Blender's Freestyle in the style its seed
    picks (training/blender_drawings.py), with the mesh's exact truth."""
    from training import blender_drawings
    shape, kind = turned_solid(seed)
    verts, faces = solid_mesh(shape)
    cam = meshes.view_camera("front", np.random.default_rng(seed))
    mask, depth, normals = meshes.rasterise(verts, faces, cam, SIZE)
    image, _ = blender_drawings.draw(verts, faces, cam, SIZE, blender_drawings.choose_style(np.random.default_rng(seed)))
    _, ratio = truth.of_view(mask, depth, normals, cam)
    rgba = np.concatenate([image.astype(np.float32), np.ones(image.shape[:2] + (1,), np.float32)], -1)
    return rgba, {"nearness": meshes.nearness_of(depth, mask), "mask": mask, "proportion": ratio}, kind


def score_all(rgba: np.ndarray, known: dict) -> dict:
    """Each engine's scores on one drawing against its truth `known`, and whether Turned left its note
    (took it for no turned part)."""
    data = {key: np.asarray([value]) for key, value in known.items()}
    out = {}
    for name in ENGINES:
        result = engines.get(name).predict(rgba, lambda f, s: None, lambda: False)
        out[name] = evaluate.drawing_scores([(result.nearness, result.mask)], data, [result.proportion])[0]
        if name == "turned":
            out["noted"] = "note" in result.meta
    return out


def summary(rows: list[dict]) -> list[str]:
    """The table's lines: each engine's means, then Turned ÷ each other engine, and on how many drawings
    Turned is better on all three compared measures."""
    means = {e: {m: float(np.mean([r[e][m] for r in rows])) for m in MEASURES} for e in ENGINES}
    lines = [f"  {'engine':<8} {'nRMSE':>7} {'normal°':>8} {'IoU':>6} {'proport':>8}"]
    lines += [f"  {e:<8} {means[e]['nrmse']:7.4f} {means[e]['normal_deg']:8.2f} {means[e]['iou']:6.3f} "
              f"{means[e]['proportion_auto']:8.4f}" for e in ENGINES]
    for base in ENGINES[1:]:
        ratio = {m: means["turned"][m] / means[base][m] for m in COMPARED}
        wins = sum(all(r["turned"][m] < r[base][m] for m in COMPARED) for r in rows)
        lines.append(f"  Turned ÷ {base:<8} nRMSE {ratio['nrmse']:.3f}  normal {ratio['normal_deg']:.3f}  proportion "
                     f"{ratio['proportion_auto']:.3f}; better on all three on {wins} of {len(rows)}")
    lines.append(f"  Turned took {sum(r['noted'] for r in rows)} of {len(rows)} for no turned part (its note)")
    return lines


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--count", type=int, default=40, help="turned parts to draw and score (default 40)")
    p.add_argument("--freestyle", action="store_true",
                   help="draw them with Blender's Freestyle (needs bpy) instead of the generator's ink")
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    evaluate.limit_threads()
    rows, kinds = [], {}
    draw = freestyle_drawing if args.freestyle else drawing
    for seed in range(FIRST_SEED, FIRST_SEED + args.count):
        rgba, known, kind = draw(seed)
        rows.append(score_all(rgba, known))
        kinds[kind.split()[0]] = kinds.get(kind.split()[0], 0) + 1
    made = ", ".join(f"{n} {k}s" for k, n in sorted(kinds.items()))
    drawn_by = "Freestyle" if args.freestyle else "the generator's ink"
    print(f"turned parts, seeds {FIRST_SEED:,} on ({made}; {len(rows)} drawings by {drawn_by})")
    print("\n".join(summary(rows)))


if __name__ == "__main__":
    main()
