"""The GPU checks, as one short script for the GPU machine, through the engines' own code.

    python benchmarks/gpu_check.py --device cuda --out OUT_FOLDER          # on the GPU machine (~2–3 min)
    python benchmarks/gpu_check.py --device cpu --small --out /tmp/check   # smoke test of the same code

1. Depthy on the device (fp16 on CUDA) against the CPU in fp32: the largest difference of normalised
   nearness over the figure on three examples, and times at 256², 512² and 1024² (one pass, and the
   engine's whole reading).
2. Depthy's out-of-memory fallback: GPU memory capped with `torch.cuda.set_per_process_memory_fraction`
   just above what the loaded network holds (the allocator's cached blocks handed back first, or they
   would serve the drawing under the cap), then a 1024² drawing through the engine's predict, which
   must answer on the CPU and say so.
3. TripoSR with random full-size weights (419 M parameters) on the device: image → scene codes, and
   mesh extraction coarse-to-fine against dense, with peak GPU memory. Random weights give a meaningless
   density, so each query runs the real network (its true cost) and then takes a known object's density,
   so the surface and the number of points coarse-to-fine needs are realistic (as triposr_speed.py).

Prints each figure and writes them all to OUT_FOLDER/gpu_check.json.
"""
import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from depthy_blender.models import depthy_engine, engines, placement  # noqa: E402
from depthy_blender.models.engine import EngineOptions  # noqa: E402
from triposr_speed import FULL_CONFIG, object_density  # noqa: E402

EXAMPLES = ("bracket", "gear", "bottle")


def sync(device):
    if device == "cuda":
        torch.cuda.synchronize()


def timed(fn, device, repeat=5):
    fn()
    sync(device)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        sync(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def example(name):
    return np.asarray(Image.open(ROOT / "examples" / f"{name}.png").convert("RGB"), np.float32) / 255


def depthy_parity_and_speed(device, sizes):
    where, cpu = placement.Placement("torch", device), placement.Placement("torch", "cpu")
    parity = {}
    for name in EXAMPLES:
        rgb = example(name)
        ref, prob = depthy_engine.run_network(rgb, cpu)
        got, _ = depthy_engine.run_network(rgb, where)
        mask = prob > 0.5
        norm = lambda a: (a - a[mask].min()) / (a[mask].max() - a[mask].min())  # noqa: E731
        parity[name] = float(np.abs(norm(ref) - norm(got))[mask].max())
        print(f"Depthy {where.label()} vs CPU fp32, {name}: max |Δ normalised nearness| {parity[name]:.2e}")
    net = depthy_engine.network(where)
    speed = {}
    for size in sizes:
        x = np.random.default_rng(0).random((1, 3, size, size), dtype=np.float32)
        rgb = np.ascontiguousarray(x[0].transpose(1, 2, 0))
        one = timed(lambda: net(x), device)
        engine = timed(lambda: depthy_engine.run_network(rgb, where, size), device)
        speed[size] = {"pass_s": one, "engine_s": engine}
        print(f"Depthy {where.label()} {size}²: one pass {one * 1e3:.1f} ms, engine {engine * 1e3:.1f} ms")
    return {"placement": where.label(), "max_diff": parity, "speed": speed}


def depthy_out_of_memory(device):
    if device != "cuda":
        print("Depthy out-of-memory fallback: needs CUDA, skipped")
        return {"skipped": "no CUDA"}
    options = EngineOptions(device="CUDA", depthy_resolution=1024, depthy_runtime="torch")
    depthy_engine.get_model("cuda")
    # the cap is checked only when the allocator asks CUDA for more: blocks it keeps cached from the speed
    # runs would serve a 1024² reading without ever reaching it, so they are handed back first
    torch.cuda.empty_cache()
    total = torch.cuda.get_device_properties(0).total_memory
    cap = (torch.cuda.memory_allocated() + (64 << 20)) / total
    torch.cuda.set_per_process_memory_fraction(cap)
    try:
        rgb = example("gear")
        rgba = np.concatenate([rgb, np.ones(rgb.shape[:2] + (1,), np.float32)], -1)
        result = engines.get("depthy").predict(rgba, options=options)
    finally:
        torch.cuda.set_per_process_memory_fraction(1.0)
    out = {"cap_fraction": cap, "device": result.meta["device"], "why_cpu": result.meta.get("why_cpu"),
           "where": result.meta["where"]}
    print(f"Depthy with GPU memory capped at {cap:.4f}: {out['where']} — {out['why_cpu']}")
    return out


def triposr(device, resolution, small):
    from depthy_blender.models.triposr import extract
    from depthy_blender.models.triposr.system import TripoSR
    config = FULL_CONFIG
    if small:   # smoke test: same code, a network small enough for a CPU
        config = json.loads(json.dumps(FULL_CONFIG))
        config.update(cond_image_size=64, tokenizer={"plane_size": 8, "num_channels": 64})
        config["image_tokenizer"]["vit"] = {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4,
                                            "intermediate_size": 64, "patch_size": 16, "image_size": 48}
        config["backbone"].update(in_channels=64, num_attention_heads=4, attention_head_dim=16, num_layers=2,
                                  cross_attention_dim=32)
        config["post_processor"] = {"in_channels": 64, "out_channels": 8}
        config["decoder"].update(in_channels=24, n_neurons=16)
    torch.manual_seed(0)
    dtype = torch.float16 if device == "cuda" else torch.float32
    model = TripoSR(config).to(device=device, dtype=dtype).eval()
    params = sum(p.numel() for p in model.parameters())
    image = torch.rand(1, 3, config["cond_image_size"], config["cond_image_size"])
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    encode_s = timed(lambda: model.encode(image), device, repeat=3)
    codes = model.encode(image)[0]

    def density(points):
        with torch.inference_mode():
            model.field(codes, points)
        return object_density(points)
    rows = {}
    for name, coarse in (("coarse_to_fine", True), ("dense", False)):
        sync(device)
        start = time.perf_counter()
        result = extract.extract(density, resolution, 25.0, coarse_to_fine=coarse, chunk=1 << 20)
        sync(device)
        rows[name] = {"seconds": time.perf_counter() - start, "queries": int(result.queries),
                      "faces": int(len(result.faces))}
    peak = torch.cuda.max_memory_allocated() / 2 ** 30 if device == "cuda" else None
    c, d = rows["coarse_to_fine"], rows["dense"]
    print(f"TripoSR {params / 1e6:.0f} M parameters, {device} {str(dtype)[6:]}: encode {encode_s:.3f} s; "
          f"extraction {resolution}³ coarse-to-fine {c['seconds']:.2f} s ({c['queries']:,} queries), dense "
          f"{d['seconds']:.2f} s ({d['queries']:,}); {d['seconds'] / c['seconds']:.1f}× faster, same faces: "
          f"{c['faces'] == d['faces']}" + (f"; peak GPU memory {peak:.2f} GiB" if peak is not None else ""))
    return {"parameters": params, "dtype": str(dtype), "encode_s": encode_s, "resolution": resolution,
            "extraction": rows, "peak_gpu_gib": peak}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", choices=("cuda", "cpu"), default="cuda")
    p.add_argument("--out", required=True, help="folder for gpu_check.json")
    p.add_argument("--small", action="store_true", help="small sizes and a small TripoSR: a CPU smoke test")
    args = p.parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        sys.exit("no CUDA device here: run with --device cpu --small for the smoke test")
    log = {"command": " ".join(sys.argv), "torch": torch.__version__, "python": platform.python_version(),
           "gpu": torch.cuda.get_device_name(0) if args.device == "cuda" else None}
    print(f"torch {log['torch']}, {log['gpu'] or 'CPU'}")
    log["depthy"] = depthy_parity_and_speed(args.device, [64, 128] if args.small else [256, 512, 1024])
    log["depthy_out_of_memory"] = depthy_out_of_memory(args.device)
    log["triposr"] = triposr(args.device, 32 if args.small else 256, args.small)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "gpu_check.json").write_text(json.dumps(log, indent=1) + "\n")
    print(f"wrote {out / 'gpu_check.json'}")


if __name__ == "__main__":
    main()
