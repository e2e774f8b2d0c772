"""Depthy inference time per resolution on the CPU (and the GPU when there is one), and its size.

    python benchmarks/depthy_speed.py [--repeat 5] [--threads N]

Each row times one network pass and the engine's whole inference at that working size (resizing; up to
the default 256² four passes averaged, the drawing and its mirror image at that size and at 0.75 of it;
one pass above) against the inflate engine on the same drawing in the same run, and the engine against
the 1-second budget for 512² on the CPU.
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from depthy_blender.core import images  # noqa: E402
from depthy_blender.models import backends, depthy_engine, weights  # noqa: E402
from depthy_blender.models.depthy import Depthy, parameter_count  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "gear.png"


def timed(fn, repeat):
    fn()   # warm-up (allocations, kernel selection)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--threads", type=int, default=torch.get_num_threads())
    p.add_argument("--sizes", type=int, nargs="+", default=[256, 512, 1024])
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    model = Depthy()
    try:
        model.load_state_dict({k: v.float() for k, v in weights.load_state_dict().items()})
        source = "shipped weights"
    except weights.WeightsError:
        source = "random weights (none shipped; speed is the same)"
    model.eval()
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    params = parameter_count(model)
    print(f"Depthy: {params:,} parameters ({params * 2 / 1e6:.1f} MB in fp16), {source}; "
          f"torch {torch.__version__}, {args.threads} CPU threads, median of {args.repeat}")
    print(f"{'device':>6} {'size':>6} {'1 pass':>8} {'engine':>8} {'inflate':>9} {'engine/inflate':>15} "
          f"{'vs 1 s budget':>14}")
    drawing = images.load_image(EXAMPLE).rgba
    inflate = backends.get("inflate")
    for device in devices:
        dtype = torch.float16 if device == "cuda" else torch.float32
        net = model.to(device=device, dtype=dtype)
        depthy_engine.use_model(net, device)
        for size in args.sizes:
            rgba = np.asarray(torch.nn.functional.interpolate(
                torch.from_numpy(drawing).permute(2, 0, 1)[None], size=(size, size), mode="bilinear")[0].permute(1, 2, 0))
            x = torch.from_numpy(np.ascontiguousarray(rgba[..., :3])).permute(2, 0, 1)[None].to(device, dtype)

            def one_pass():
                with torch.inference_mode():
                    net(x)
                if device == "cuda":
                    torch.cuda.synchronize()
            rgb = np.ascontiguousarray(rgba[..., :3])
            t_pass = timed(one_pass, args.repeat)
            t = timed(lambda: depthy_engine.run_network(rgb, device, size), args.repeat)
            t_inflate = timed(lambda: inflate.predict(np.ascontiguousarray(rgba)), args.repeat)
            print(f"{device:>6} {size:>5}² {t_pass:7.3f}s {t:7.3f}s {t_inflate:8.3f}s {t / t_inflate:14.1f}× "
                  f"{t / 1.0:13.2f}×")
    depthy_engine.free_models()


if __name__ == "__main__":
    main()
