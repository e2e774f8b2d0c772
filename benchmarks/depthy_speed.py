"""Depthy inference time per working size, on each runtime this machine has, against the inflate engine.

    python benchmarks/depthy_speed.py [--repeat 5] [--threads N] [--sizes 256 512 1024]

Rows: PyTorch on the CPU (the source checkout and the torch packages), ONNX Runtime on the CPU (the
linux-x64 and windows-x64 packages; the graph is exported from the shipped weights into a temporary
folder first), and PyTorch on CUDA in fp16 when there is a GPU. For each working size it times one
network pass, and the engine's whole `predict` on the drawing (resizing, the four averaged passes up to
256², one pass above, the mask) against the inflate engine's whole `predict` on the same drawing in the
same run: like for like. The last column is the engine against the 1-second budget for 512² on the CPU.
"""
import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from depthy_blender.core import images  # noqa: E402
from depthy_blender.models import depthy_engine, depthy_onnx, engines, weights  # noqa: E402
from depthy_blender.models.engine import EngineOptions  # noqa: E402
from depthy_blender.models.placement import Placement  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "gear.png"


def timed(fn, repeat):
    fn()   # warm-up (allocations, kernel selection, session start)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def placements(onnx_ready: bool) -> list[tuple[Placement, str]]:
    rows = [(Placement("torch", "cpu"), "PyTorch CPU fp32")]
    if onnx_ready:
        rows.append((Placement("onnx", "cpu"), "ONNX Runtime CPU fp32"))
    if torch.cuda.is_available():
        rows.append((Placement("torch", "cuda"), "PyTorch CUDA fp16"))
    return rows


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--threads", type=int, default=torch.get_num_threads())
    p.add_argument("--sizes", type=int, nargs="+", default=[256, 512, 1024])
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    export_dir = Path(tempfile.mkdtemp(prefix="depthy-onnx-"))
    try:
        depthy_onnx.export(export_dir)
        pt, _ = weights.locate()
        shutil.copy2(pt, export_dir / pt.name)   # both runtimes' weights in one folder
        weights.WEIGHTS_DIR = export_dir
        onnx_ready = depthy_onnx.available() is None
    except ImportError:
        onnx_ready = False
    card = weights.model_card()
    print(f"Depthy {card['name']}: {card['parameters']:,} parameters; torch {torch.__version__}, "
          f"{args.threads} CPU threads, median of {args.repeat}; drawing {EXAMPLE.name}")
    print(f"{'where':>22} {'size':>6} {'1 pass':>8} {'engine':>8} {'inflate':>9} {'engine/inflate':>15} "
          f"{'vs 1 s budget':>14}")
    drawing = images.load_image(EXAMPLE).rgba
    inflate, depthy = engines.get("inflate"), engines.get("depthy")
    for where, label in placements(onnx_ready):
        net = depthy_engine.network(where)
        for size in args.sizes:
            rgba = np.ascontiguousarray(depthy_engine.resize(
                drawing.transpose(2, 0, 1)[None], (size, size))[0].transpose(1, 2, 0))
            options = EngineOptions(device=where.device.upper(), depthy_resolution=size, depthy_runtime=where.runtime)
            x = np.ascontiguousarray(rgba[..., :3].transpose(2, 0, 1)[None])

            def one_pass():
                net(x)
                if where.device == "cuda":
                    torch.cuda.synchronize()
            t_pass = timed(one_pass, args.repeat)
            t = timed(lambda: depthy.predict(rgba, options=options), args.repeat)
            t_inflate = timed(lambda: inflate.predict(rgba), args.repeat)
            print(f"{label:>22} {size:>5}² {t_pass:7.3f}s {t:7.3f}s {t_inflate:8.3f}s {t / t_inflate:14.1f}× "
                  f"{t / 1.0:13.2f}×")
    depthy_engine.free_models()


if __name__ == "__main__":
    main()
