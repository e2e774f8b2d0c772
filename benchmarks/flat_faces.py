"""Flat faces on parts drawn square-on: each engine as it reads the drawing, and the same read as flat faces
(pipeline/drawing.as_faces, the panel's Flat Faces), against the exact depth.

    python benchmarks/flat_faces.py [--parts 48] [--size 320]

The drawings are single views (front, side, top) of the machined parts of benchmarks/three_view_parts.py,
eight families from plates with holes to stepped shafts, each seen square-on and drawn with its visible
edges only; their depth is exact (each ray's nearest surface), not from the training generator. Scored as
benchmarks/examples_quality.py scores the examples: nRMSE after the best non-negative scale + shift, the
normal error in degrees, mask IoU and the proportion error of the relief Auto depth builds. Views whose
truth is one flat face (a plate from above) score 0 for every reading whose best scale is 0, so the
table also gives the means over the views that show steps (the ratios of nRMSE and normal error are the
same there). The ratios are flat faces ÷ the engine's own reading, from the same run.
"""
import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import three_view_parts as parts  # noqa: E402
from benchmarks.examples_quality import scores  # noqa: E402
from depthy_blender.models import engines  # noqa: E402
from depthy_blender.pipeline import drawing  # noqa: E402

FAMILIES = ("plate", "pocket block", "L-bracket", "cross hole", "boss", "stepped shaft", "housing", "channel")
MEASURES = ("nrmse", "normal", "iou", "proportion")


def drawings(count: int, size: int):
    """(part seed, view, rgba, truth) of every view of the first `count` generated parts."""
    for seed in range(count):
        part = parts.generated(seed)
        for view in parts.VIEWS:
            rgba, truth = parts.single_view(part, view, size)
            yield seed, view, rgba, truth


def readings(rgba: np.ndarray, name: str, seconds: dict | None = None) -> dict:
    """{reading: DepthResult}: the engine's own answer and the same read as flat faces; `seconds`
    gathers the time each took under (name, "engine") and (name, "flat faces")."""
    t0 = time.perf_counter()
    told = engines.get(name).predict(rgba)
    t1 = time.perf_counter()
    flat, _ = drawing.as_faces(told, rgba, told.mask)
    if seconds is not None:
        for key, spent in (((name, "engine"), t1 - t0), ((name, "flat faces"), time.perf_counter() - t1)):
            seconds[key] = seconds.get(key, 0.0) + spent
    return {name: told, f"{name} + flat faces": flat}


def mean(rows: list[dict]) -> dict:
    return {m: float(np.mean([r[m] for r in rows])) for m in MEASURES}


def ratio(a: dict, b: dict, measure: str) -> str:
    return f"{a[measure] / b[measure]:.3f}" if b[measure] > 0 else "n/a (both 0)"


def score_table(rows: dict, width: int) -> dict:
    """Print each reading's mean scores (`rows`: reading → its views' scores) under a header, the names
    `width` wide; returns the means."""
    print(f"{'reading':<{width}} {'nRMSE':>7} {'normal°':>8} {'IoU':>6} {'proport':>8}")
    means = {name: mean(r) for name, r in rows.items()}
    for name, m in means.items():
        print(f"{name:<{width}} {m['nrmse']:7.4f} {m['normal']:8.2f} {m['iou']:6.3f} {m['proportion']:8.4f}")
    return means


def ratio_lines(means: dict, base: str, names) -> None:
    """Print each reading in `names` against the reading `base`: its nRMSE, normal and proportion error
    ratios."""
    for name in names:
        m = means[name]
        print(f"{name} ÷ {base}: nRMSE {ratio(m, means[base], 'nrmse')}, normal error "
              f"{ratio(m, means[base], 'normal')}, proportion error {ratio(m, means[base], 'proportion')}")


def wins(rows: dict, engine_name: str) -> int:
    """Views where flat faces score lower on nRMSE, normal error and proportion error, or equal where
    both are 0 (a view of one flat face)."""
    return sum(all(f[m] < e[m] or f[m] == e[m] == 0 for m in ("nrmse", "normal", "proportion"))
               for e, f in zip(rows[engine_name], rows[f"{engine_name} + flat faces"]))


def sheet_views(count: int, folder: Path):
    """(part seed, {(view role, flat faces): DepthResult-like answer}, {role: truth}) of each of the first
    `count` generated parts drawn as a third-angle sheet (hidden lines dashed), read by the sheet pipeline
    (pipeline/sheet.compute, Depthy, the views' boxes given) with Flat Faces off and on."""
    from PIL import Image

    from depthy_blender.models import engine
    from depthy_blender.pipeline import sheet
    for seed in range(count):
        part = parts.generated(seed)
        lo, hi = part.bounds
        px_per_mm = 380 / float(np.max(hi - lo))
        rgb, boxes = parts.sheet(part, px_per_mm=px_per_mm)
        path = folder / f"sheet-{seed}.png"
        Image.fromarray(rgb).save(path)
        views = [{"box": list(box), "role": role} for role, box in boxes.items()]
        answers, truths = {}, {}
        for flat in (False, True):
            request = sheet.SheetRequest(str(path), "depthy", views=views, flat_faces=flat, resolution=64)
            for view, _ in sheet.compute(request, lambda f, s: None, lambda: False).reliefs:
                near = np.nan_to_num(view["nearness"]).astype(np.float32)
                answers[(view["role"], flat)] = engine.DepthResult(near, view["mask"], {}, view["proportion"])
                truths[view["role"]] = parts.view_truth(part, view["role"], px_per_mm)
        yield seed, answers, truths


def sheets_table(count: int) -> None:
    import tempfile
    rows = {False: [], True: []}
    with tempfile.TemporaryDirectory() as folder:
        for _, answers, truths in sheet_views(count, Path(folder)):
            for (role, flat), answer in answers.items():
                rows[flat].append(scores(answer, truths[role]))
    print(f"\nsheets: {len(rows[False])} views of {count} parts, third-angle sheets with hidden lines dashed, "
          f"Depthy through the sheet pipeline")
    for flat, label in ((False, "flat faces off"), (True, "flat faces on (default)")):
        m = mean(rows[flat])
        print(f"{label:<24} {m['nrmse']:7.4f} {m['normal']:8.2f} {m['iou']:6.3f} {m['proportion']:8.4f}")
    off, on = mean(rows[False]), mean(rows[True])
    print(f"on ÷ off: nRMSE {ratio(on, off, 'nrmse')}, normal error {ratio(on, off, 'normal')}, proportion error "
          f"{ratio(on, off, 'proportion')}")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--parts", type=int, default=48, help="generated parts, six per family at the default")
    p.add_argument("--size", type=int, default=320, help="drawing size in pixels")
    p.add_argument("--sheets", type=int, default=0, metavar="N",
                   help="also read the first N parts drawn as three-view sheets through the sheet pipeline, "
                        "with Flat Faces off and on (its default there)")
    args = p.parse_args(argv)
    t0 = time.time()
    rows, families, stepped, seconds = {}, {}, {}, {}
    for seed, view, rgba, truth in drawings(args.parts, args.size):
        has_steps = np.ptp(truth["nearness"][truth["mask"]]) > 0
        for engine_name in ("depthy", "inflate"):
            for reading, result in readings(rgba, engine_name, seconds).items():
                row = scores(result, truth)
                rows.setdefault(reading, []).append(row)
                families.setdefault((FAMILIES[seed % 8], reading), []).append(row)
                if has_steps:
                    stepped.setdefault(reading, []).append(row)
    count = len(rows["depthy"])
    with_steps = len(stepped.get("depthy", []))
    stepped = {r: stepped.get(r) or [dict.fromkeys(MEASURES, float("nan"))] for r in rows}
    print(f"{count} square-on views of {args.parts} parts ({with_steps} with steps), "
          f"{args.size}² px, {time.time() - t0:.0f} s")
    print(f"{'reading':<24} {'nRMSE':>7} {'normal°':>8} {'IoU':>6} {'proport':>8}   "
          f"{'views with steps: nRMSE':>24} {'normal°':>8} {'proport':>8}")
    means = {}
    for reading in rows:
        a, s = mean(rows[reading]), mean(stepped[reading])
        means[reading] = (a, s)
        print(f"{reading:<24} {a['nrmse']:7.4f} {a['normal']:8.2f} {a['iou']:6.3f} {a['proportion']:8.4f}   "
              f"{s['nrmse']:24.4f} {s['normal']:8.2f} {s['proportion']:8.4f}")
    for engine_name in ("depthy", "inflate"):
        (a, s), (fa, fs) = means[engine_name], means[f"{engine_name} + flat faces"]
        print(f"flat faces ÷ {engine_name}: nRMSE {ratio(fa, a, 'nrmse')}, normal error {ratio(fa, a, 'normal')}, "
              f"proportion error {ratio(fa, a, 'proportion')} (views with steps: proportion error "
              f"{ratio(fs, s, 'proportion')}); better on all three on {wins(rows, engine_name)} of {count} views")
    print(f"\n{'family':<14} " + " ".join(f"{r:>24}" for r in rows) + "   (nRMSE / normal°)")
    for family in FAMILIES:
        if (family, "depthy") not in families:   # fewer parts than families
            continue
        cells = [mean(families[(family, r)]) for r in rows]
        print(f"{family:<14} " + " ".join(f"{c['nrmse']:15.4f} / {c['normal']:5.1f}" for c in cells))
    flat, own = seconds[("depthy", "flat faces")], seconds[("depthy", "engine")]
    print(f"\ntime: flat faces {1000 * flat / count:.1f} ms per view, {flat / own:.3f}× Depthy's own predict "
          f"({1000 * own / count:.1f} ms) in the same run")
    if args.sheets:
        sheets_table(args.sheets)


if __name__ == "__main__":
    main()
