"""How fast training drawings are made: the CPU generator (training.synth.dataset.sample, one process,
the baseline) against the device-side one (training.synth.batch_views, several views of a solid traced
and inked together), measured in the same run on the same seeds' worth of solids.

    python -m training.data_speed [--device cuda] [--size 256] [--views 8] [--seconds 30] [--processes 8]
    python -m training.data_speed --count-ops 8 [--together 8] [--size 256] [--views 8]

Prints drawings/s for each and the ratio, then for `--together` (16) solids traced together
(batch_views.many), which is what training.gpu_run's device feed does. Every family of the shipped weights is on (make_cache.OPTIONS).
The CPU generator runs with one torch thread, as each of training.gpu_run's CPU workers does.
`--processes K` also times batch_views in K processes at once (each its own CUDA context) and prints
which `training/gpu_window.sh train` settings would make the most fresh drawings per second.
`--count-ops N` instead counts the torch operations the device generator dispatches for each of N solids
(PyTorch's profiler, on the CPU; a CUDA run dispatches the same ones, each a kernel launch or more). On a
GPU the march's rays cost little and each operation's launch is what is paid, so this count, not the CPU
time, says what the device path can reach there. `--together B` also counts them for the same solids
traced B at a time (batch_views.many: one batched program per march step for all of them).
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


def traced(device: torch.device, size: int, views: int, together: int = 1, first: int = FIRST_SEED):
    """make(seed) → how many drawings batch_views gives for that seed's solid (every family on); with
    `together` > 1, for block seed − first of `together` seeds from `first` on, traced together
    (batch_views.many): seeds first … first + together − 1 for make(first), and so on, so the blocks trace
    the solids make(first), make(first + 1), … trace one at a time."""
    options = {name: True for name in batch_views.FAMILIES}
    if together > 1:
        def block(seed):
            start = first + (seed - first) * together
            return len(batch_views.many(list(range(start, start + together)), views, size, device, options)["mask"])
        return block
    return lambda seed: len(batch_views.views(seed, views, size, device, options)["mask"])


def same_seeds(device: torch.device, size: int, views: int, together: int, sync) -> tuple[float, float]:
    """Seconds to trace the first block's `together` seeds (FIRST_SEED on) one at a time, and together:
    the like-for-like comparison (solids differ in cost by tens of times, so timed runs that cover
    different seeds compare the seeds as much as the paths)."""
    one, many = traced(device, size, views), traced(device, size, views, together)
    many(FIRST_SEED - 1)                 # warm-up of the batched path's kernels
    sync()
    start = time.perf_counter()
    for seed in range(FIRST_SEED, FIRST_SEED + together):
        one(seed)
    sync()
    middle = time.perf_counter()
    many(FIRST_SEED)
    sync()
    return middle - start, time.perf_counter() - middle


def _device_process(k: int, device: str, size: int, views: int, seconds: float, barrier, results,
                    together: int = 1) -> None:
    torch.set_num_threads(1)
    dev = torch.device(device)
    sync = (lambda: torch.cuda.synchronize(dev)) if dev.type == "cuda" else (lambda: None)
    first = FIRST_SEED + 1_000_000 * (k + 1)
    per_s, drawings = rate(traced(dev, size, views, together, first), seconds, sync, first=first, ready=barrier.wait)
    results.put((per_s, drawings))


def processes_rate(processes: int, device: str, size: int, views: int, seconds: float,
                   together: int = 1) -> tuple[float, int]:
    """Drawings/s of batch_views in `processes` processes at once (spawned, one torch thread each, each
    its own CUDA context; `together` solids traced together in each), timed together after every one has
    warmed up: the sum of their rates."""
    import multiprocessing
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(processes), context.Queue()
    workers = [context.Process(target=_device_process, args=(k, device, size, views, seconds, barrier, results, together))
               for k in range(processes)]
    for w in workers:
        w.start()
    got = [results.get() for _ in workers]
    for w in workers:
        w.join()
    return sum(r for r, _ in got), sum(n for _, n in got)


def options(cpu_one: float, device_one: float, device_many: float, processes: int,
            cores: int = 14) -> list[tuple[str, dict, float]]:
    """The gpu_window.sh train data settings worth comparing on `cores` worker cores, each as (label, the
    settings in full, fresh drawings/s expected) from the measured rates: a CPU worker's, the device
    generator in one process (the training process's thread, counted at half since it shares Python with
    the step), and in `processes` processes."""
    return [
        ("DATA=cpu", {"DATA": "cpu", "DEVICE_WORKERS": 0, "WORKERS": cores}, cores * cpu_one),
        ("DATA=device", {"DATA": "device", "DEVICE_WORKERS": 0, "WORKERS": cores},
         0.5 * device_one + cores * cpu_one),
        (f"DATA=device DEVICE_WORKERS={processes} WORKERS={cores - processes}",
         {"DATA": "device", "DEVICE_WORKERS": processes, "WORKERS": cores - processes},
         device_many + (cores - processes) * cpu_one),
    ]


def advice(cpu_one: float, device_one: float, device_many: float, processes: int, cores: int = 14) -> str:
    """The line that says which of `options` makes the most fresh drawings per second, and what each makes."""
    choices = options(cpu_one, device_one, device_many, processes, cores)
    label, _, best = max(choices, key=lambda c: c[2])
    return f"for gpu_window.sh train: {label} (about {best:.0f} fresh drawings/s; " + \
        ", ".join(f"{k}: {v:.0f}" for k, _, v in choices) + ")"


def write_advice(path: str, cpu_one: float, device_one: float, device_many: float, processes: int,
                 cores: int = 14) -> None:
    """The best of `options` as shell assignments, one per line, for gpu_window.sh train to read when it is
    called without them (the next call must come within the machine's 30 s warm time: no time to copy
    numbers from a log)."""
    _, settings, _ = max(options(cpu_one, device_one, device_many, processes, cores), key=lambda c: c[2])
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text("".join(f"{name}={value}\n" for name, value in settings.items()))


def _ops(make) -> int:
    """The torch operations `make()` dispatches (top-level aten calls: each a kernel launch or more on CUDA)."""
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        make()
    return sum(1 for e in prof.events() if e.name.startswith("aten::")
               and (e.cpu_parent is None or not e.cpu_parent.name.startswith("aten::")))


def count_ops(solids: int, size: int, views: int, together: int = 0) -> tuple[list[int], list[int]]:
    """The torch operations batch_views dispatches for each of `solids` solids traced one at a time
    (views), and, with `together` > 0, for the same seeds `together` at a time (many): (per solid, per
    batch of `together`; the second empty without it)."""
    make = traced(torch.device("cpu"), size, views)
    make(FIRST_SEED - 1)                 # warm-up
    seeds = list(range(FIRST_SEED, FIRST_SEED + solids))
    alone = [_ops(lambda: make(seed)) for seed in seeds]
    options = {name: True for name in batch_views.FAMILIES}
    batches = [seeds[k:k + together] for k in range(0, solids, together)] if together else []
    many = [_ops(lambda: batch_views.many(b, views, size, torch.device("cpu"), options)) for b in batches]
    return alone, many


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
    p.add_argument("--together", type=int, default=16, metavar="B", help="also time batch_views.many, B solids "
                   "traced together (the processes too, and the advice takes it); with --count-ops, also count "
                   "the same solids traced B at a time; 0 or 1: one at a time only")
    p.add_argument("--advice-file", metavar="PATH", help="with --processes: also write the advised settings "
                   "there as shell assignments (DATA=…, DEVICE_WORKERS=…, WORKERS=…)")
    args = p.parse_args(argv)
    if args.count_ops:
        counts, together = count_ops(args.count_ops, args.size, args.views, args.together if args.together > 1 else 0)
        print(f"batch_views, {args.views} views per solid at {args.size}²: torch operations per solid "
              f"{', '.join(f'{c:,}' for c in counts)}")
        print(f"median {statistics.median(counts):,.0f}, least {min(counts):,}, most {max(counts):,}, "
              f"mean {statistics.mean(counts):,.0f} ({statistics.mean(counts) / args.views:,.0f} per view)")
        if together:
            per_solid = sum(together) / args.count_ops
            print(f"the same {args.count_ops} solids traced {args.together} at a time (batch_views.many): "
                  f"operations per batch {', '.join(f'{c:,}' for c in together)}; {per_solid:,.0f} per solid, "
                  f"{statistics.mean(counts) / per_solid:.1f}x fewer than one at a time")
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
    together = max(1, args.together)
    if together > 1:
        dev, dev_n = rate(traced(device, args.size, args.views, together), args.seconds, sync)
        print(f"batch_views.many on {args.device}, {together} solids traced together: {dev:.2f} drawings/s "
              f"({dev_n} drawings; {dev / max(cpu, 1e-9):.2f}x the CPU generator)")
        alone, both = same_seeds(device, args.size, args.views, together, sync)
        print(f"the same {together} solids (seeds {FIRST_SEED:,} on): one at a time {alone:.2f} s, together "
              f"{both:.2f} s: {alone / max(both, 1e-9):.2f}x")
    if args.processes:
        many, many_n = processes_rate(args.processes, args.device, args.size, args.views, args.seconds, together)
        print(f"batch_views on {args.device} in {args.processes} processes at once, {together} solids together in "
              f"each: {many:.2f} drawings/s ({many_n} drawings; {many / max(dev, 1e-9):.2f}x one process)")
        print(advice(cpu, dev, many, args.processes))
        if args.advice_file:
            write_advice(args.advice_file, cpu, dev, many, args.processes)
            print(f"advice written to {args.advice_file}")


if __name__ == "__main__":
    main()
