"""Fill Holes on plates drawn from above with a round boss, a pocket and drilled holes: what an artist who
fills the boss Depthy left out as a hole gets, against the figure Depthy finds and against Background:
Flood from Border, the one way to keep the boss there was before (it fills the drilled holes too).

    python benchmarks/fill_holes.py [--plates 16] [--size 320]

The plates are seeded: benchmarks/flip_areas.py's plate with a round boss and a rectangular pocket, and
two to four holes drilled through it near its corners. Depthy reads each drawing once; every reading is
then made from that one prediction, as the panel makes it (Faces: Flat, for a part drawn square-on):
- Depthy's figure: the figure the engine finds (the boss is a hole in it);
- + flips: the artist's flips on it (flip_areas.artist_flips: each drawn area read the wrong way round
  flipped where that lowers nRMSE);
- Flood from Border + flips: the figure flood-filled from the image's border, every closed line kept,
  the drilled holes included;
- Fill Holes + flips: Depthy's figure with the holes the artist fills (core/holes.filled, one point deep
  in each hole of which the true figure covers most: the boss), then the flips.
The artist is simulated from the truth (training/figure_mends.py simulates one on the evaluation's mesh
and Freestyle drawings). Scored as benchmarks/examples_quality.py scores the examples
(nRMSE and normal error on the true figure, mask IoU, proportion error); ratios are against Depthy's
figure read as flat faces, all from the same run.
"""
import argparse
import sys
import time
from pathlib import Path

import numpy as np
from scipy import ndimage

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import three_view_parts as parts  # noqa: E402
from benchmarks.examples_quality import scores  # noqa: E402
from benchmarks.flat_faces import ratio_lines, score_table  # noqa: E402
from benchmarks.flip_areas import BORDER_TOLERANCE, artist_flips, normalised, round_boss_and_pocket  # noqa: E402
from depthy_blender.core import flip, holes, images  # noqa: E402
from depthy_blender.models import engine, engines  # noqa: E402
from depthy_blender.pipeline import drawing  # noqa: E402

COVERED = 0.5   # share of a hole the true figure covers for the artist to fill it
READINGS = ("Depthy's figure", "+ flips", "Flood from Border + flips", "Fill Holes + flips")


def drilled_plate(seed: int) -> parts.Part:
    """round_boss_and_pocket's plate with two to four through-holes near its corners."""
    part = round_boss_and_pocket(seed)
    plate = part.add[0]
    rng = np.random.default_rng(20_000 + seed)
    (x0, y0, z0), (x1, y1, z1) = plate.lo, plate.hi
    radius = float(rng.uniform(0.04, 0.07)) * (y1 - y0)
    inset = 2.2 * radius
    corners = [(x0 + inset, y0 + inset), (x1 - inset, y0 + inset), (x0 + inset, y1 - inset), (x1 - inset, y1 - inset)]
    chosen = rng.choice(4, size=int(rng.integers(2, 5)), replace=False)
    drills = [parts.Cylinder("z", (corners[i][0], corners[i][1], 0.0), radius, z0 - 1, z1 + 1) for i in sorted(chosen)]
    return parts.Part(f"drilled-plate-{seed}", part.add, part.cut + drills)


def plates(count: int, size: int):
    for seed in range(count):
        rgba, truth = parts.single_view(drilled_plate(seed), "top", size)
        yield seed, rgba, truth


def artist_fills(mask: np.ndarray, truth: dict) -> list[tuple[float, float]]:
    """One point deep in each hole of `mask` the true figure covers at least COVERED of: what an artist
    who sees which closed lines are bosses would pick (core/holes's point for a hole)."""
    labels = holes.holes(mask)
    covered = ndimage.mean(truth["mask"], labels, np.arange(1, labels.max() + 1))
    return holes.deepest_points(labels, np.flatnonzero(np.asarray(covered) >= COVERED) + 1)


def reading(told, rgba, mask, truth):
    """Depthy's one prediction with the figure `mask`, read as flat faces, then the artist's flips."""
    flat = normalised(drawing.as_faces(engine.DepthResult(told.nearness, mask, {}, told.proportion), rgba,
                                       mask, "flat")[0])
    mended, count = artist_flips(flat, truth, flip.areas(rgba, mask, mask.shape))
    return flat, mended, count


def table(views) -> dict:
    """Every reading of `views` scored and printed; returns each reading's mean scores."""
    t0 = time.time()
    rows = {name: [] for name in READINGS}
    counts = {"fills": 0, "holes left": 0, "flips": 0, "views": 0}
    seconds = {"predict": 0.0, "fill": 0.0}
    for _, rgba, truth in views:
        began = time.perf_counter()
        told = engines.get("depthy").predict(rgba)
        read = time.perf_counter()
        points = artist_fills(told.mask, truth)
        filled_mask, filled, _ = holes.filled(told.mask, points)
        seconds["predict"] += read - began
        seconds["fill"] += time.perf_counter() - read
        flat, mended, _ = reading(told, rgba, told.mask, truth)
        border = images.flood_from_border(rgba, BORDER_TOLERANCE)
        rows["Depthy's figure"].append(scores(flat, truth))
        rows["+ flips"].append(scores(mended, truth))
        rows["Flood from Border + flips"].append(scores(reading(told, rgba, border, truth)[1], truth))
        _, fill_mended, flips = reading(told, rgba, filled_mask, truth)
        rows["Fill Holes + flips"].append(scores(fill_mended, truth))
        counts["fills"] += filled
        counts["holes left"] += holes.holes(filled_mask).max()
        counts["flips"] += flips
        counts["views"] += 1
    count = counts["views"]
    print(f"\nplates with a round boss, a pocket and drilled holes, from above: {count} views, Depthy read as "
          f"flat faces, {time.time() - t0:.0f} s")
    means = score_table(rows, 28)
    ratio_lines(means, READINGS[0], READINGS[1:])
    print(f"filled: {counts['fills']} holes on {count} views; left open: {counts['holes left']} holes; "
          f"flips after the fill: {counts['flips']}")
    print(f"time: finding and filling the holes {1000 * seconds['fill'] / count:.1f} ms a view, "
          f"{seconds['fill'] / seconds['predict']:.3f}× Depthy's predict in the same run")
    return means


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--plates", type=int, default=16, help="seeded plates, one view each")
    p.add_argument("--size", type=int, default=320, help="drawing size in pixels")
    args = p.parse_args(argv)
    table(plates(args.plates, args.size))


if __name__ == "__main__":
    main()
