"""Flip Selected Areas on parts drawn square-on: what an artist who flips each area Depthy reads the
wrong way round gets, against the flat reading alone and against Invert, the one fix there was before.

    python benchmarks/flip_areas.py [--parts 24] [--size 320]

The drawings and their exact depth are benchmarks/flat_faces.py's (single square-on views of the
machined parts of benchmarks/three_view_parts.py), read by Depthy as flat faces (the panel's Faces:
Flat). The artist is simulated from the truth, as one who sees which way each face should go:
- Invert: the flat reading inverted where that lowers its nRMSE (the artist ticks Invert when the relief
  looks inside out);
- flips: the drawn areas (core/flip.areas) taken in turn, largest first; an area whose step against the
  level around it (the medians core/flip reads, BESIDE samples round it) has the wrong sign, where the
  true step is at least STEP of the true depth range, is flipped as Flip Selected Areas flips it from one
  selected vertex, and the flip kept where it lowers the nRMSE (the artist undoes one that looks worse,
  as Invert is ticked only where it helps). The flips kept per view are counted;
- Invert + flips: Invert where it helps, then the flips still wanted.
A second set, plates with both a raised boss and a sunk pocket seen from above (`--mixed`, seeded), has
areas that stand out and areas that sink, the case Invert cannot mend; a third (`--round`) gives them a
round boss, which Depthy's figure leaves out as a drilled hole, and reads them with the panel's
Background: Flood from Border, which keeps it. Scored as
benchmarks/examples_quality.py scores the examples. Every reading comes from the same run; the
ratios are against the flat reading.
"""
import argparse
import sys
import time
from pathlib import Path

import numpy as np
from scipy import ndimage

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.examples_quality import flip_areas, scores  # noqa: E402
from benchmarks import three_view_parts as parts  # noqa: E402
from benchmarks.flat_faces import drawings, ratio_lines, score_table  # noqa: E402
from depthy_blender.core import flip, images, relief  # noqa: E402
from depthy_blender.models import engine, engines  # noqa: E402
from depthy_blender.pipeline import drawing  # noqa: E402

STEP = 0.02   # share of the true depth range: a smaller true step is no face an artist would flip


def step(values: np.ndarray, area: np.ndarray, mask: np.ndarray) -> float:
    """The area's median `values` less the median within flip.BESIDE pixels round it on the figure."""
    ring = ndimage.binary_dilation(area, iterations=flip.BESIDE) & mask & ~area
    if not ring.any():
        return 0.0
    return float(np.median(values[area]) - np.median(values[ring]))


def artist_flips(result, truth: dict, areas: np.ndarray) -> tuple[object, int]:
    """(the reading after the flips an artist who sees the truth keeps, how many areas were flipped): an
    area is flipped when its step has the wrong sign, and the flip kept when it lowers the nRMSE (the
    artist undoes one that looks worse)."""
    mask = result.mask
    true = truth["nearness"]
    span = np.ptp(true[truth["mask"]]) if truth["mask"].any() else 0.0
    labels, sizes = np.unique(areas[mask], return_counts=True)
    flipped, current = [], result
    error = scores(result, truth)["nrmse"]
    for label in labels[np.argsort(-sizes, kind="stable")]:
        area = mask & (areas == label)
        if label == 0 or area.sum() == mask.sum():
            continue
        truth_step = step(true, area & truth["mask"], truth["mask"])
        if abs(truth_step) < STEP * span or step(current.nearness, area, mask) * truth_step >= 0:
            continue
        trial = flip_areas(result, areas, flipped + [label])
        trial_error = scores(trial, truth)["nrmse"]
        if trial_error < error:
            flipped, current, error = flipped + [label], trial, trial_error
    return current, len(flipped)


def boss_and_pocket(seed: int) -> parts.Part:
    """A plate with a square boss standing on it and a rectangular pocket sunk in it, sizes from `seed`
    (a round boss drawn from above is read as a drilled hole, which no flip mends)."""
    rng = np.random.default_rng(10_000 + seed)
    U = lambda a, b: float(rng.uniform(a, b))      # noqa: E731
    w, d, t = U(100, 150), U(60, 100), U(10, 18)
    b = U(0.25, 0.4) * d
    boss = parts.Box((-w / 4 - b / 2, -b / 2, t), (-w / 4 + b / 2, b / 2, t + U(6, 16)))
    pw, pd = U(0.2, 0.3) * w, U(0.3, 0.5) * d
    pocket = parts.Box((w / 4 - pw / 2, -pd / 2, t - U(0.3, 0.7) * t), (w / 4 + pw / 2, pd / 2, t + 1))
    return parts.Part(f"boss-pocket-{seed}", [parts.Box((-w / 2, -d / 2, 0), (w / 2, d / 2, t)), boss], [pocket])


def round_boss_and_pocket(seed: int) -> parts.Part:
    """boss_and_pocket's plate with a round boss of the same height in place of the square one."""
    part = boss_and_pocket(seed)
    plate, square = part.add
    radius = (square.hi[0] - square.lo[0]) / 2
    centre = ((square.lo[0] + square.hi[0]) / 2, 0.0, 0.0)
    boss = parts.Cylinder("z", centre, radius, square.lo[2], square.hi[2])
    return parts.Part(f"round-boss-pocket-{seed}", [plate, boss], part.cut)


def mixed_drawings(count: int, size: int, make=boss_and_pocket):
    for seed in range(count):
        rgba, truth = parts.single_view(make(seed), "top", size)
        yield seed, "top", rgba, truth


def normalised(result, invert: bool = False):
    """The reading's nearness in [0, 1] over its figure (inverted: near and far swapped), as a relief's
    heights are."""
    return engine.DepthResult(relief.normalise(result.nearness, result.mask, invert), result.mask, {},
                              result.proportion)


BORDER_TOLERANCE = 0.03   # the panel's Background tolerance by default


def table(views, title: str, background: str = "auto") -> None:
    """Every reading of `views` scored, with the figure the engine finds or (background "border") the
    paper flood-filled from the image's border, as the panel's Background: Flood from Border cuts it."""
    t0 = time.time()
    rows = {"depthy": [], "flat": [], "flat + Invert where it helps": [], "flat + artist's flips": [],
            "flat + Invert + flips": []}
    clicks, inverts, both, seconds = [], 0, [], {"predict": 0.0, "areas": 0.0}
    for _, _, rgba, truth in views:
        began = time.perf_counter()
        told = normalised(engines.get("depthy").predict(rgba))
        read = time.perf_counter()
        if background == "border":
            mask = images.flood_from_border(rgba, BORDER_TOLERANCE)
            told = normalised(engine.DepthResult(told.nearness, mask, {}, told.proportion))
        areas = flip.areas(rgba, told.mask, told.mask.shape)     # what every Generate now adds
        seconds["predict"] += read - began
        seconds["areas"] += time.perf_counter() - read
        flat = normalised(drawing.as_faces(told, rgba, told.mask)[0])
        flat_row, inverted_row = scores(flat, truth), scores(normalised(flat, invert=True), truth)
        mended, count = artist_flips(flat, truth, areas)
        invert = inverted_row["nrmse"] < flat_row["nrmse"]
        inverts += invert
        after_invert, more = artist_flips(normalised(flat, invert=invert), truth, areas)
        rows["depthy"].append(scores(told, truth))
        rows["flat"].append(flat_row)
        rows["flat + Invert where it helps"].append(inverted_row if invert else flat_row)
        rows["flat + artist's flips"].append(scores(mended, truth))
        rows["flat + Invert + flips"].append(scores(after_invert, truth))
        clicks.append(count)
        both.append(more)
    count = len(clicks)
    print(f"\n{title}: {count} views, Depthy read as flat faces, {time.time() - t0:.0f} s")
    ratio_lines(score_table(rows, 30), "flat", list(rows)[2:])
    beats = sum(f["nrmse"] < i["nrmse"] for f, i in zip(rows["flat + artist's flips"],
                                                         rows["flat + Invert where it helps"]))
    print(f"flips kept: {sum(clicks)} areas on {sum(c > 0 for c in clicks)} of {count} views; they beat Invert "
          f"where it helps on nRMSE on {beats} views; Invert helps on {inverts} views, after it "
          f"{sum(both)} areas are flipped on {sum(b > 0 for b in both)} views")
    print(f"time: the drawn areas {1000 * seconds['areas'] / count:.1f} ms a view, "
          f"{seconds['areas'] / seconds['predict']:.3f}× Depthy's predict in the same run")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--parts", type=int, default=24, help="generated machined parts, three views each")
    p.add_argument("--mixed", type=int, default=16, help="plates with a boss and a pocket, seen from above")
    p.add_argument("--round", type=int, default=16, help="the same plates with a round boss (Depthy's figure "
                                                         "leaves it out), read with Background: Flood from Border")
    p.add_argument("--size", type=int, default=320, help="drawing size in pixels")
    args = p.parse_args(argv)
    if args.parts:
        table(drawings(args.parts, args.size), f"machined parts, square-on views of {args.parts} parts, "
                                                f"{args.size}² px")
    if args.mixed:
        table(mixed_drawings(args.mixed, args.size), f"plates with a boss and a pocket from above, "
                                                     f"{args.size}² px")
    if args.round:
        table(mixed_drawings(args.round, args.size, round_boss_and_pocket),
              f"plates with a round boss and a pocket from above, Background: Flood from Border, {args.size}² px",
              background="border")


if __name__ == "__main__":
    main()
