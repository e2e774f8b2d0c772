"""Peak memory of `depth` on a huge, tiny palette PNG, against decoding it the plain way.

    python benchmarks/decode_memory.py [--side 32000]

A SIDE × SIDE palette PNG (a drawing: white paper, one black rectangle) is about 1 MB on disk. Ours
is the whole `python -m depthy_blender depth` command with the inflate engine (decode under a byte
budget, reduce a band of rows at a time, run the engine, write the .npy). The baseline is what the reader
did before: decode, convert the whole image to RGB, then reduce it to 4096 px — only the decoding, no
engine and no output, so it flatters the baseline. Each runs in its own process;
the figure is that process's peak resident memory. Target (issue 52): ≤ 1.5 GB for 32000².
"""
import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

MAKE = """
import sys
from PIL import Image, ImageDraw
side = int(sys.argv[2])
img = Image.new("P", (side, side), 0)
img.putpalette([255, 255, 255, 0, 0, 0] + [0] * 762)
ImageDraw.Draw(img).rectangle((side // 4, side // 3, 3 * side // 4, 2 * side // 3), outline=1, width=max(2, side // 500))
img.save(sys.argv[1], optimize=True)
"""

NAIVE = """
import sys
from PIL import Image
Image.MAX_IMAGE_PIXELS = None
with Image.open(sys.argv[1]) as img:
    img.load()
    small = img.convert("RGB").reduce(-(-max(img.size) // 4096))
print(small.size)
"""


def peak_gb(cmd) -> tuple[float, subprocess.CompletedProcess]:
    """Peak RSS of the one child process `cmd` (a fresh wrapper process, so no earlier child counts)."""
    wrapper = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
               "sys.stderr.write(r.stderr[-2000:]); sys.exit(r.returncode)")
    done = subprocess.run([sys.executable, "-c", wrapper, *cmd], capture_output=True, text=True, cwd=ROOT)
    kib = int(done.stdout.strip().splitlines()[-1]) if done.stdout.strip() else 0
    return kib / 1024 ** 2, done


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--side", type=int, default=32000)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        png = Path(tmp) / "huge.png"
        subprocess.run([sys.executable, "-c", MAKE, str(png), str(args.side)], check=True)
        naive, done = peak_gb([sys.executable, "-c", NAIVE, str(png)])
        naive_note = "" if done.returncode == 0 else " (failed: " + done.stderr.strip().splitlines()[-1][:80] + ")"
        ours, done = peak_gb([sys.executable, "-m", "depthy_blender", "depth", str(png), "-o",
                              str(Path(tmp) / "near.npy"), "--backend", "inflate"])
        if done.returncode:
            sys.exit(f"depth failed: {done.stderr[-1000:]}")
        npy_mb = (Path(tmp) / "near.npy").stat().st_size / 1e6
        print(f"{args.side}×{args.side} palette PNG, {png.stat().st_size / 1e6:.2f} MB on disk")
        print(f"{'':34} {'peak RSS':>9}")
        print(f"{'previous reader: convert, reduce':34} {naive:8.2f}G{naive_note}")
        print(f"{'depth command, inflate engine':34} {ours:8.2f}G   (.npy written: {npy_mb:.0f} MB)")
        print(f"ours / previous: {ours / naive:.2f}×; target ≤ 1.5 GB: {'met' if ours <= 1.5 else 'NOT met'}")


if __name__ == "__main__":
    main()
