"""Fill Holes and Cut Selected Areas on the evaluation's drawings of real meshes and on the same drawn by
Blender's Freestyle (training/evaluate.py's mesh and Freestyle sets): how much closer to the true figure an
artist gets who cuts each drawn area the true figure covers less than half of, then fills each hole it
covers most of (the order drawing.mend_figure applies them).

    python -m training.figure_mends [--sets meshes freestyle]

Depthy (the shipped weights, the engine's own predict at its default working size) reads each drawing
once; both readings are made from that one prediction and scored as read (no Faces), as
benchmarks/examples_quality.py scores the examples: nRMSE and normal error on the true figure, mask IoU,
proportion error. The plates with a round boss are benchmarks/fill_holes.py's.
"""
from __future__ import annotations

import argparse

import numpy as np
from scipy import ndimage

from benchmarks.examples_quality import scores
from benchmarks.fill_holes import COVERED, artist_fills
from benchmarks.flat_faces import score_table
from benchmarks.flip_areas import normalised
from depthy_blender.core import flat_faces, holes
from depthy_blender.models import engine, engines
from training import evaluate

READINGS = ("Depthy's figure", "+ the artist's cuts and fills")


def artist_cuts(rgba: np.ndarray, mask: np.ndarray, truth: dict) -> list[tuple[float, float]]:
    """One point deep in each drawn area of `mask` (core/flip's areas) of which the true figure covers less
    than COVERED: what an artist who sees which closed lines are holes would cut."""
    labels = flat_faces.faces(rgba, mask)
    if not labels.any():
        return []
    covered = np.asarray(ndimage.mean(truth["mask"], labels, np.arange(1, labels.max() + 1)))
    chosen = np.flatnonzero(covered < COVERED) + 1
    return [] if len(chosen) == labels.max() else holes.deepest_points(labels, chosen)


def evaluation_views(name: str):
    """training/evaluate.py's mesh drawings ("meshes") or the same drawn by Blender's Freestyle ("freestyle"),
    as (seed, rgba, truth)."""
    data = evaluate.mesh_test_set() if name == "meshes" else evaluate.freestyle_test_set()
    for i, image in enumerate(data["image"]):
        rgba = np.concatenate([image, np.ones(image.shape[:2] + (1,), np.float32)], -1)
        yield i, rgba, {"nearness": data["nearness"][i], "mask": data["mask"][i],
                        "proportion": float(data["proportion"][i])}


def mends_table(views, title: str) -> dict:
    """Depthy's figure, and the same with the artist's cuts and fills (mend_figure's order: cuts, then
    fills), each scored as read (no Faces); returns each reading's mean scores."""
    rows = {name: [] for name in READINGS}
    changed, cut_count, fill_count = [], 0, 0
    for _, rgba, truth in views:
        told = engines.get("depthy").predict(rgba)
        cuts = artist_cuts(rgba, told.mask, truth)
        mask, cut, _ = holes.cut(told.mask, rgba, cuts)
        mask, filled, _ = holes.filled(mask, artist_fills(mask, truth))
        mended = normalised(engine.DepthResult(told.nearness, mask, {}, told.proportion))
        before, after = scores(normalised(told), truth), scores(mended, truth)
        rows["Depthy's figure"].append(before)
        rows["+ the artist's cuts and fills"].append(after)
        cut_count, fill_count = cut_count + cut, fill_count + filled
        if cut or filled:
            changed.append((before["iou"], after["iou"]))
    count = len(rows[READINGS[0]])
    print(f"\n{title}: {count} views, Depthy as read")
    means = score_table(rows, 32)
    print(f"cut: {cut_count} areas, filled: {fill_count} holes, on {len(changed)} views; their mask IoU "
          + ", ".join(f"{a:.3f} → {b:.3f}" for a, b in changed))
    return means


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sets", nargs="+", choices=("meshes", "freestyle"), default=["meshes", "freestyle"],
                   help="evaluate.py's sets to read (the Freestyle set is drawn with Blender's Python module on "
                        "first use, then cached)")
    args = p.parse_args(argv)
    for name in args.sets:
        mends_table(evaluation_views(name), f"{name} (training/evaluate.py's set)")


if __name__ == "__main__":
    main()
