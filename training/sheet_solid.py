"""Solid from three views on synthetic sheets: volume IoU of the visual hull, and of the hull refined
with each engine's nearness (depth hull), against the true solid.

    python -m training.sheet_solid [--seeds 20] [--resolution 64] [--tolerance 2] [--engines depthy inflate]

Each sheet (training/synth/sheets.py) draws one solid in three views; the views are found on the sheet
(core/sheets.py), the hull is carved from their masks (core/visual_hull.py) and refined with the
nearness the engine predicts for each view crop. The truth is the solid's signed distance sampled on
the hull's own voxel grid (the hull and the solid have the same bounding box: orthographic silhouettes
keep the extents). "exact" refines with the true nearness of the three views: the most a depth hull can
add. Sheets where the three views are not all found are counted and skipped.
"""
import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from depthy_blender.core import sheets, visual_hull  # noqa: E402
from depthy_blender.models import engines as registry  # noqa: E402
from training.synth import render  # noqa: E402
from training.synth import sheets as synthetic_sheets  # noqa: E402


def truth_voxels(shape, like: np.ndarray, fine: int = 96) -> np.ndarray:
    """The solid on the same grid as `like` (x right, y back, z up), over the solid's bounding box."""
    axis = (torch.arange(fine) + 0.5) / fine * 2 * render.BOUND - render.BOUND
    inside = np.zeros((fine,) * 3, bool)
    for i in range(fine):   # slab by slab: bounded memory
        x = axis[i].expand(fine, fine)
        y, z = torch.meshgrid(axis, axis, indexing="ij")
        inside[i] = (shape(torch.stack([x, y, z], -1).reshape(-1, 3)) < 0).reshape(fine, fine).numpy()
    idx = [np.nonzero(inside.any(axis=tuple(a for a in range(3) if a != k)))[0] for k in range(3)]
    box = inside[idx[0].min():idx[0].max() + 1, idx[1].min():idx[1].max() + 1, idx[2].min():idx[2].max() + 1]
    picks = [np.minimum(((np.arange(n) + 0.5) * box.shape[k] / n).astype(int), box.shape[k] - 1)
             for k, n in enumerate(like.shape)]
    return box[np.ix_(*picks)]


def exact_nearness(occ):
    """True nearness images (row 0 at the top, NaN off the figure) of the front, right and top views."""
    def image(o):   # o [across, depth from the viewer, up]
        depth = np.where(o.any(axis=1), -np.argmax(o, axis=1).astype(np.float64), np.nan)
        return depth.T[::-1]
    return image(occ), image(occ[::-1].transpose(1, 0, 2)), image(occ[:, :, ::-1].transpose(0, 2, 1))


def views_of(sample):
    found = {v.role: v for v in sheets.find_views(sample["image"])}
    side = found.get("side") or found.get("section")
    if "front" not in found or "top" not in found or side is None:
        return None
    return found["front"], side, found["top"]


def nearness(engine, image, view):
    x0, y0, x1, y1 = view.box
    crop = np.concatenate([image[y0:y1, x0:x1], np.ones((y1 - y0, x1 - x0, 1), np.float32)], -1)
    near = engine.predict(crop, lambda f, s: None, None).nearness.astype(np.float64)
    near[~view.mask] = np.nan
    return near


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--resolution", type=int, default=64)
    parser.add_argument("--engines", nargs="+", default=["depthy", "inflate"])
    parser.add_argument("--tolerance", type=float, default=2.0, help="voxels kept in front of a surface")
    args = parser.parse_args()
    torch.set_num_threads(2)
    engines = {name: registry.get(name) for name in args.engines}
    methods = ["exact", *engines]
    scores = {"hull": []} | {name: [] for name in methods}
    carved = {name: [] for name in methods}
    missing, start = 0, time.perf_counter()
    for seed in range(args.start, args.start + args.seeds):
        sample = synthetic_sheets.sample(seed)
        found = views_of(sample)
        if found is None:
            missing += 1
            continue
        front, side, top = found
        angle = visual_hull.projection(front.box, top.box)
        side_mask = visual_hull.as_right_view(side.mask, side.box, front.box, angle)
        hull = visual_hull.carve(front.mask, side_mask, top.mask, args.resolution)
        truth = truth_voxels(sample["shape"], hull)
        scores["hull"].append(visual_hull.iou(hull, truth))
        line = [f"seed {seed:>3}: hull {scores['hull'][-1]:.3f}"]
        for name in methods:
            if name == "exact":
                f, s, t = exact_nearness(truth)
            else:
                f, s, t = (nearness(engines[name], sample["image"], v) for v in (front, side, top))
                s = visual_hull.as_right_view(s, side.box, front.box, angle)
            refined = visual_hull.refine(hull, f, s, t, tolerance=args.tolerance)
            scores[name].append(visual_hull.iou(refined, truth))
            carved[name].append((hull & ~refined).sum() / hull.sum())
            line.append(f"+{name} {scores[name][-1]:.3f}")
        print("  ".join(line), flush=True)
    done = len(scores["hull"])
    print(f"{done} sheets scored ({missing} without all three views found), {time.perf_counter() - start:.0f} s, "
          f"{args.resolution} voxels along the longest side, tolerance {args.tolerance:g} voxels")
    if not done:
        return
    hull_mean = np.mean(scores["hull"])
    print(f"{'method':<22} {'mean IoU':>9} {'median':>7} {'min':>6} {'vs hull':>8} {'carved':>7} {'better/worse':>13}")
    print(f"{'visual hull':<22} {hull_mean:9.3f} {np.median(scores['hull']):7.3f} {np.min(scores['hull']):6.3f}")
    for name in methods:
        diff = np.array(scores[name]) - np.array(scores["hull"])
        print(f"{'hull + ' + name + ' depth':<22} {np.mean(scores[name]):9.3f} {np.median(scores[name]):7.3f} "
              f"{np.min(scores[name]):6.3f} {np.mean(scores[name]) / hull_mean:7.3f}× {np.mean(carved[name]):6.1%} "
              f"{(diff > 0.005).sum():>6}/{(diff < -0.005).sum():<6}")


if __name__ == "__main__":
    main()
