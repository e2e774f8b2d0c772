"""How fast training drawings are made: the CPU generator (training.synth.dataset.sample, one process,
the baseline) against the device-side one (training.synth.batch_views, several views of a solid traced
and inked together), measured in the same run on the same seeds' worth of solids.

    python -m training.data_speed [--device cuda] [--size 256] [--views 8] [--seconds 30]

Prints drawings/s for each and the ratio. Every family of the shipped weights is on (make_cache.OPTIONS).
"""
import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from training.make_cache import OPTIONS  # noqa: E402
from training.synth import batch_views, dataset  # noqa: E402

FIRST_SEED = 50_000_000


def rate(make, seconds: float, sync) -> tuple[float, int]:
    """Drawings per second of `make(seed) → count`, seeds one after another for about `seconds`."""
    make(FIRST_SEED - 1)                 # warm-up: first calls build caches and kernels
    sync()
    start, seed, drawings = time.perf_counter(), FIRST_SEED, 0
    while time.perf_counter() - start < seconds:
        drawings += make(seed)
        seed += 1
    sync()
    return drawings / (time.perf_counter() - start), drawings


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--views", type=int, default=8)
    p.add_argument("--seconds", type=float, default=30, help="for each generator")
    args = p.parse_args(argv)
    device = torch.device(args.device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    flags = {name: True for name in OPTIONS}
    cpu, cpu_n = rate(lambda s: (dataset.sample(s, args.size, **flags), 1)[1], args.seconds, lambda: None)
    options = {name: True for name in batch_views.FAMILIES}
    dev, dev_n = rate(lambda s: len(batch_views.views(s, args.views, args.size, device, options)["mask"]),
                      args.seconds, sync)
    print(f"CPU generator (one process, torch threads {torch.get_num_threads()}): {cpu:.2f} drawings/s "
          f"({cpu_n} drawings at {args.size}²)")
    print(f"batch_views on {args.device}, {args.views} views per solid: {dev:.2f} drawings/s ({dev_n} drawings)")
    print(f"ratio: {dev / max(cpu, 1e-9):.2f}x the CPU generator")


if __name__ == "__main__":
    main()
