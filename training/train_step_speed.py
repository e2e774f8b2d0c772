"""Time of one Depthy training step on the CPU in the layouts and precisions train.py offers, measured
alternately in the same run against the plain float32 step (contiguous tensors, whole network); prints
the ratios.

    python -m training.train_step_speed [--size 256] [--batch 12] [--repeat 3] [--threads 2]
    python -m training.train_step_speed --flops [--size 256]    # the arithmetic of a step, per sample

Rows: whole network float32 (the baseline), channels-last float32, --freeze-stem (channels-last), and
--freeze-stem --bf16 (bfloat16 autocast, channels-last), the setting of runs that continue trained weights.
`--flops` instead counts the floating-point operations of one training step (forward and backward, the
whole network) per sample with PyTorch's FlopCounterMode, and the rate a run of 1,000 samples/s needs:
what a GPU's arithmetic must sustain, beside what the data must (training/README.md).
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from depthy_blender.models.depthy import Depthy  # noqa: E402
from training.train import channels_last, freeze_stem, train_mode, train_step  # noqa: E402

# label: (channels-last, stem frozen, bfloat16)
SETTINGS = {"whole network": (False, False, False), "channels-last": (True, False, False),
            "stem frozen": (True, True, False), "frozen + bf16": (True, True, True)}


def step_seconds(model, opt, batch, repeat, bf16):
    times = []
    for i in range(repeat + 1):   # the first step warms up (allocations, kernel selection)
        start = time.perf_counter()
        train_step(model, opt, *batch, aligned=True, bf16=bf16)
        if i:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def step_flops(size: int, batch: int = 2) -> float:
    """Floating-point operations of one training step (forward and backward of the whole network, its
    losses aside) per sample at size², counted by FlopCounterMode."""
    from torch.utils.flop_counter import FlopCounterMode
    model = Depthy()
    with FlopCounterMode(display=False) as counter:
        model(torch.rand(batch, 3, size, size)).float().mean().backward()
    return counter.get_total_flops() / batch


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--flops", action="store_true", help="count a step's arithmetic per sample instead of timing")
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--batch", type=int, default=12)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    if args.flops:
        per = step_flops(args.size)
        print(f"training step at {args.size}², forward and backward: {per / 1e9:.1f} GFLOP per sample; "
              f"1,000 samples/s needs {per * 1000 / 1e12:.1f} TFLOP/s")
        return
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    n, s = args.batch, args.size
    mask = torch.zeros(n, s, s, dtype=torch.bool)
    mask[:, s // 4:3 * s // 4, s // 4:3 * s // 4] = True
    img, near = torch.rand(n, 3, s, s), torch.rand(n, s, s)
    timings = {label: [] for label in SETTINGS}
    for _ in range(2):   # alternate, so a slow spell of the machine hits all
        for label, (last, frozen, bf16) in SETTINGS.items():
            model = Depthy()
            x = img
            if last:
                model, x = channels_last(model), img.contiguous(memory_format=torch.channels_last)
            if frozen:
                freeze_stem(model)
            train_mode(model)
            opt = torch.optim.AdamW(model.parameters(), lr=1e-5, weight_decay=1e-4)
            timings[label].append(step_seconds(model, opt, (x, near, mask), args.repeat, bf16))
    whole = min(timings["whole network"])
    print(f"training step, batch {n} at {s}², {args.threads} threads (best of 2 medians of {args.repeat})")
    for label, values in timings.items():
        t = min(values)
        print(f"{label:<14} {t:6.2f} s/step  {n / t:5.2f} samples/s  {whole / t:5.2f}× the whole network's speed")


if __name__ == "__main__":
    main()
