"""The Turned engine against Depthy and silhouette inflation on lathe parts drawn from the side, whose
true depth is known: the two turned examples (examples/bottle.png, examples/turned_part.png) and seeded
turned solids from the training generator, stepped shafts and smooth pot or bottle bodies, standing or
lying, in every drawing style the generator has.

    python benchmarks/turned_parts.py [--count 40]

Each engine runs its own `predict` on the drawing as the add-on reads it, and is scored as
benchmarks/examples_quality.py scores the examples: nRMSE after the best non-negative scale + shift,
the normal error in degrees, mask IoU, and the proportion error of the relief Auto depth builds. The
last lines are Turned ÷ Depthy and Turned ÷ inflation, measured in the same run. Needs PyTorch (the
generator and Depthy).
"""
import argparse
import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "examples"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import examples_quality  # noqa: E402
import make_examples  # noqa: E402
from depthy_blender.models import engines  # noqa: E402
from training.synth import sdf, solids  # noqa: E402

ENGINES = ("turned", "depthy", "inflate")
MEASURES = ("nrmse", "normal", "iou", "proportion")
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
    made = make_examples.drawn(shape, (0.0, 0.0, -1.0), (0.0, 1.0, 0.0), None, np.random.default_rng(seed), SIZE)
    rgb = made["image"].astype(np.float32) / 255.0
    rgba = np.concatenate([rgb, np.ones(rgb.shape[:2] + (1,), np.float32)], -1)
    truth = {"nearness": made["nearness"].astype(np.float64), "mask": made["mask"], "proportion": made["proportion"]}
    return rgba, truth, kind


def score_all(rgba: np.ndarray, truth: dict) -> dict:
    """Each engine's scores on one drawing, and whether Turned left a note (took it for no turned part)."""
    out = {}
    for name in ENGINES:
        result = engines.get(name).predict(rgba, lambda f, s: None, lambda: False)
        out[name] = examples_quality.scores(result, truth)
        if name == "turned":
            out["noted"] = "note" in result.meta
    return out


def summary(title: str, rows: list[dict]) -> None:
    print(f"{title} ({len(rows)} drawings)")
    print(f"  {'engine':<8} {'nRMSE':>7} {'normal°':>8} {'IoU':>6} {'proport':>8}")
    means = {e: {m: float(np.mean([r[e][m] for r in rows])) for m in MEASURES} for e in ENGINES}
    for e in ENGINES:
        print(f"  {e:<8} " + " ".join(f"{means[e][m]:{w}.{p}f}" for m, w, p in
                                       (("nrmse", 7, 4), ("normal", 8, 2), ("iou", 6, 3), ("proportion", 8, 4))))
    for base in ("depthy", "inflate"):
        ratio = {m: means["turned"][m] / means[base][m] for m in ("nrmse", "normal", "proportion")}
        wins = sum(all(r["turned"][m] < r[base][m] for m in ("nrmse", "normal", "proportion")) for r in rows)
        print(f"  Turned ÷ {base:<8} nRMSE {ratio['nrmse']:.3f}  normal {ratio['normal']:.3f}  proportion "
              f"{ratio['proportion']:.3f}; better on all three on {wins} of {len(rows)}")
    print(f"  Turned took {sum(r['noted'] for r in rows)} of {len(rows)} for no turned part (its note)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=40, help="generated turned parts (default 40)")
    args = parser.parse_args(argv)
    examples = []
    for name in ("bottle", "turned_part"):
        rgba, truth = examples_quality.load(name)
        examples.append(score_all(rgba, truth))
    summary("the turned examples", examples)
    generated, kinds = [], {}
    for seed in range(FIRST_SEED, FIRST_SEED + args.count):
        rgba, truth, kind = drawing(seed)
        generated.append(score_all(rgba, truth))
        kinds[kind.split()[0]] = kinds.get(kind.split()[0], 0) + 1
    summary(f"generated turned parts, seeds {FIRST_SEED:,} on ({', '.join(f'{n} {k}s' for k, n in sorted(kinds.items()))})",
            generated)


if __name__ == "__main__":
    main()
