"""TripoSR on the CPU with random full-size weights: image → scene codes, and mesh extraction at 256³,
coarse-to-fine vs dense (the official method), with peak memory. Each part runs in its own process so
peak RAM is its own.

    python benchmarks/triposr_speed.py [--resolution 256]

Random weights give a meaningless density, so extraction evaluates the real full-size network at every
queried point (its true cost) and then replaces the value by a known object's density (a rounded,
holed block) so the surface — and therefore the number of points coarse-to-fine needs — is realistic.
"""
import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FULL_CONFIG = {
    "cond_image_size": 512,
    "image_tokenizer": {"pretrained_model_name_or_path": "facebook/dino-vitb16"},
    "tokenizer": {"plane_size": 32, "num_channels": 1024},
    "backbone": {"in_channels": 1024, "num_attention_heads": 16, "attention_head_dim": 64, "num_layers": 16,
                 "cross_attention_dim": 768},
    "post_processor": {"in_channels": 1024, "out_channels": 40},
    "decoder": {"in_channels": 120, "n_neurons": 64, "n_hidden_layers": 9},
    "renderer": {"radius": 0.87, "density_bias": -1.0, "num_samples_per_ray": 128},
}


def object_density(p):
    import torch
    q = p.abs() - torch.tensor([0.5, 0.35, 0.25])
    block = q.clamp(min=0).norm(dim=-1) + q.max(dim=-1).values.clamp(max=0) - 0.05
    hole = 0.15 - p[:, [0, 1]].norm(dim=-1)
    sd = torch.maximum(block, hole)
    return (25.0 - 300.0 * sd).clamp(min=0)


def part(name, resolution):
    import torch
    from depthy_blender.models.triposr import extract
    from depthy_blender.models.triposr.system import TripoSR
    torch.manual_seed(0)
    torch.set_num_threads(2)
    model = TripoSR(FULL_CONFIG).eval()
    image = torch.rand(1, 3, 512, 512)
    start = time.perf_counter()
    codes = model.encode(image)[0]
    encode_s = time.perf_counter() - start
    out = {"part": name, "encode_s": encode_s}
    if name != "encode":
        def density(points):
            with torch.inference_mode():
                model.field(codes, points)          # the real cost of a query
            return object_density(points)
        start = time.perf_counter()
        result = extract.extract(density, resolution, 25.0, coarse_to_fine=(name == "coarse_to_fine"))
        out.update(extract_s=time.perf_counter() - start, queries=result.queries, faces=int(len(result.faces)))
    out["peak_rss_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2
    print("RESULT " + json.dumps(out))


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--resolution", type=int, default=256)
    p.add_argument("--part")
    args = p.parse_args()
    if args.part:
        return part(args.part, args.resolution)
    rows = {}
    for name in ("encode", "coarse_to_fine", "dense"):
        proc = subprocess.run([sys.executable, __file__, "--part", name, "--resolution", str(args.resolution)],
                              capture_output=True, text=True)
        line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
        if proc.returncode or not line:
            sys.exit(f"{name} failed:\n{proc.stderr[-2000:]}")
        rows[name] = json.loads(line[-1][7:])
    e, c, d = rows["encode"], rows["coarse_to_fine"], rows["dense"]
    print(f"TripoSR, random full-size weights (419 M parameters), CPU, 2 threads, resolution {args.resolution}³")
    print(f"image → scene codes: {e['encode_s']:.1f} s, peak RAM {e['peak_rss_gb']:.2f} GB")
    print(f"{'extraction':<16} {'seconds':>8} {'queries':>12} {'faces':>8} {'peak RAM':>9}")
    for name, r in (("coarse-to-fine", c), ("dense", d)):
        print(f"{name:<16} {r['extract_s']:8.1f} {r['queries']:12,} {r['faces']:8,} {r['peak_rss_gb']:8.2f}G")
    print(f"coarse-to-fine vs dense: {d['queries'] / c['queries']:.1f}× fewer queries, "
          f"{d['extract_s'] / c['extract_s']:.1f}× faster; same face count: {c['faces'] == d['faces']}")


if __name__ == "__main__":
    main()
