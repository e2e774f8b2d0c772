"""How fast training drawings are made: the CPU generator (training.synth.dataset.sample, one process,
the baseline) against the device-side one (training.synth.batch_views, several views of a solid traced
and inked together), measured in the same run on the same seeds' worth of solids.

    python -m training.data_speed [--device cuda] [--size 256] [--views 8] [--seconds 30] [--processes 8]
    python -m training.data_speed --count-ops 8 [--size 256] [--views 8]

Prints drawings/s for each and the ratio. Every family of the shipped weights is on (make_cache.OPTIONS).
The CPU generator runs with one torch thread, as each of training.gpu_run's CPU workers does.
`--processes K` also times batch_views in K processes at once (each its own CUDA context) and prints
which `training/gpu_window.sh train` settings would make the most fresh drawings per second.
`--count-ops N` instead counts the torch operations the device generator dispatches for each of N solids
(PyTorch's profiler, on the CPU; a CUDA run dispatches the same ones, each a kernel launch or more). On a
GPU the march's rays cost little and each operation's launch is what is paid, so this count, not the CPU
time, says what the device path can reach there.
"""
import statistics
import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from training.make_cache import OPTIONS  # noqa: E402
from training.synth import batch_views, dataset  # noqa: E402

FIRST_SEED = 50_000_000


def rate(make, seconds: float, sync, first: int = FIRST_SEED, ready=None) -> tuple[float, int]:
    """Drawings per second of `make(seed) → count`, seeds one after another from `first` for about
    `seconds` (after a warm-up, and after `ready()` returns when given: a barrier shared by processes)."""
    make(first - 1)                      # warm-up: first calls build caches and kernels
    sync()
    if ready is not None:
        ready()
    start, seed, drawings = time.perf_counter(), first, 0
    while time.perf_counter() - start < seconds:
        drawings += make(seed)
        seed += 1
    sync()
    return drawings / (time.perf_counter() - start), drawings


def traced(device: torch.device, size: int, views: int):
    """make(seed) → how many drawings batch_views gives for that seed's solid (every family on)."""
    options = {name: True for name in batch_views.FAMILIES}
    return lambda seed: len(batch_views.views(seed, views, size, device, options)["mask"])


def _device_process(k: int, device: str, size: int, views: int, seconds: float, barrier, results) -> None:
    torch.set_num_threads(1)
    dev = torch.device(device)
    sync = (lambda: torch.cuda.synchronize(dev)) if dev.type == "cuda" else (lambda: None)
    per_s, drawings = rate(traced(dev, size, views), seconds, sync, first=FIRST_SEED + 1_000_000 * (k + 1),
                           ready=barrier.wait)
    results.put((per_s, drawings))


def processes_rate(processes: int, device: str, size: int, views: int, seconds: float) -> tuple[float, int]:
    """Drawings/s of batch_views in `processes` processes at once (spawned, one torch thread each, each
    its own CUDA context), timed together after every one has warmed up: the sum of their rates."""
    import multiprocessing
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(processes), context.Queue()
    workers = [context.Process(target=_device_process, args=(k, device, size, views, seconds, barrier, results))
               for k in range(processes)]
    for w in workers:
        w.start()
    got = [results.get() for _ in workers]
    for w in workers:
        w.join()
    return sum(r for r, _ in got), sum(n for _, n in got)


def advice(cpu_one: float, device_one: float, device_many: float, processes: int, cores: int = 14) -> str:
    """The gpu_window.sh train settings that make the most fresh drawings per second on `cores` worker
    cores, from the measured rates: a CPU worker's, the device generator in one process (the training
    process's thread, counted at half since it shares Python with the step), and in `processes` processes."""
    options = {
        "DATA=cpu": cores * cpu_one,
        "DATA=device": 0.5 * device_one + cores * cpu_one,
        f"DATA=device DEVICE_WORKERS={processes} WORKERS={cores - processes}":
            device_many + (cores - processes) * cpu_one,
    }
    best = max(options, key=options.get)
    return f"for gpu_window.sh train: {best} (about {options[best]:.0f} fresh drawings/s; " + \
        ", ".join(f"{k}: {v:.0f}" for k, v in options.items()) + ")"


def count_ops(solids: int, size: int, views: int) -> list[int]:
    """The torch operations batch_views dispatches (top-level aten calls) for each of `solids` solids."""
    from torch.profiler import ProfilerActivity, profile
    make = traced(torch.device("cpu"), size, views)
    make(FIRST_SEED - 1)                 # warm-up
    counts = []
    for seed in range(FIRST_SEED, FIRST_SEED + solids):
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            make(seed)
        counts.append(sum(1 for e in prof.events() if e.name.startswith("aten::")
                          and (e.cpu_parent is None or not e.cpu_parent.name.startswith("aten::"))))
    return counts


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--views", type=int, default=8)
    p.add_argument("--seconds", type=float, default=30, help="for each generator")
    p.add_argument("--processes", type=int, default=0, help="also time batch_views in this many processes at "
                   "once, and say which gpu_window.sh train settings make the most drawings")
    p.add_argument("--count-ops", type=int, metavar="N", help="count the device generator's operations for N "
                   "solids instead of timing")
    args = p.parse_args(argv)
    if args.count_ops:
        counts = count_ops(args.count_ops, args.size, args.views)
        print(f"batch_views, {args.views} views per solid at {args.size}²: torch operations per solid "
              f"{', '.join(f'{c:,}' for c in counts)}")
        print(f"median {statistics.median(counts):,.0f}, least {min(counts):,}, most {max(counts):,}, "
              f"mean {statistics.mean(counts):,.0f} ({statistics.mean(counts) / args.views:,.0f} per view)")
        return
    device = torch.device(args.device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    flags = {name: True for name in OPTIONS}
    torch.set_num_threads(1)             # as one of gpu_run's CPU workers
    cpu, cpu_n = rate(lambda s: (dataset.sample(s, args.size, **flags), 1)[1], args.seconds, lambda: None)
    dev, dev_n = rate(traced(device, args.size, args.views), args.seconds, sync)
    print(f"CPU generator (one process, torch threads {torch.get_num_threads()}): {cpu:.2f} drawings/s "
          f"({cpu_n} drawings at {args.size}²)")
    print(f"batch_views on {args.device}, {args.views} views per solid: {dev:.2f} drawings/s ({dev_n} drawings)")
    print(f"ratio: {dev / max(cpu, 1e-9):.2f}x the CPU generator")
    if args.processes:
        many, many_n = processes_rate(args.processes, args.device, args.size, args.views, args.seconds)
        print(f"batch_views on {args.device} in {args.processes} processes at once: {many:.2f} drawings/s "
              f"({many_n} drawings; {many / max(dev, 1e-9):.2f}x one process)")
        print(advice(cpu, dev, many, args.processes))


if __name__ == "__main__":
    main()
