"""Build the installable extension zips: one per package, each for Blender 4.2 LTS to 5.3.

    python build.py --list                       every package, what it carries, its pinned wheels
    python build.py --package linux-x64          build and validate dist/depthy_blender-<version>-linux-x64.zip
    python build.py --package linux-x64 --offline   the same from wheels already downloaded
    python build.py --lock                       resolve the pins again and rewrite packages.lock.json

A package is a platform plus the runtime it carries (PACKAGES below). Its wheels are not whatever this
machine happens to have: `--lock` resolves the pins against the package registry alone (local wheel
folders and pip configuration are ignored) for both Pythons Blender uses, cp311 (Blender 4.2–5.0) and
cp313 (5.1–5.3), and records every wheel's file name, address and sha256 in packages.lock.json. A build
downloads exactly those files (checked against their sha256) into wheels/, so two machines build the
same zip. Both Pythons' wheels go into the one zip; Blender installs the ones that match it.

Packages that run Depthy on ONNX Runtime carry the graph exported from the shipped weights at build
time (models/depthy_onnx.py, needs torch and onnx here); the others carry the PyTorch weights.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
from depthy_blender.models import weights  # noqa: E402  (the weights to stage; its sha256 checks wheels too)

LOCK = ROOT / "packages.lock.json"
WHEELS = ROOT / "wheels"

# Blender's Pythons: the tag, the numpy Blender bundles (pinned so dependencies resolve against it; its
# wheel is then left out, since a second numpy would break Blender), and the Blender releases.
PYTHONS = {
    "3.11": {"abi": "cp311", "numpy": "numpy==1.26.4", "blender": "4.2 LTS – 5.0", "range": ("4.2.0", "5.1.0")},
    "3.13": {"abi": "cp313", "numpy": "numpy==2.2.6", "blender": "5.1 – 5.3", "range": ("5.1.0", None)},
}
# uv's names for Blender's platforms (macOS: PyTorch's wheels need 14.0, set where uv runs)
UV_PLATFORMS = {"linux-x64": "x86_64-manylinux_2_28", "windows-x64": "x86_64-pc-windows-msvc",
                "macos-arm64": "aarch64-apple-darwin"}
COMMON = ["scipy==1.17.1", "pillow==13.0.0", "scikit-image==0.26.0", "ezdxf==1.4.5"]
TRIPOSR = ["pyyaml==6.0.3", "huggingface_hub==2.4.0"]    # TripoSR's config and its weights download
TORCH = "torch==2.13.0"
LEFT_OUT = {"numpy", "setuptools"}   # Blender's own; declared by torch but never imported at run time


@dataclass(frozen=True)
class Package:
    name: str
    platform: str             # Blender's platform name
    gpu: str | None           # what the GPU runs on, or None
    depthy: str               # Depthy's runtime: "onnx" or "torch"
    pins: tuple[str, ...]     # beyond COMMON
    on_gpu: str               # which engines use the GPU
    note: str

    def requirements(self, python: str) -> list[str]:
        return [*COMMON, *self.pins, PYTHONS[python]["numpy"]]


PACKAGES = {p.name: p for p in (
    Package("linux-x64", "linux-x64", None, "onnx", ("onnxruntime==1.32.0",), "none",
            "CPU. Depthy and Inflate on ONNX Runtime; no PyTorch, so no TripoSR (take linux-x64-cuda)"),
    Package("linux-x64-cuda", "linux-x64", "CUDA", "torch", (TORCH, *TRIPOSR), "Depthy, TripoSR",
            "PyTorch's CUDA build from the registry with its NVIDIA runtime wheels; also runs on the CPU"),
    Package("windows-x64", "windows-x64", None, "onnx", ("onnxruntime==1.32.0",), "none",
            "CPU. Depthy and Inflate on ONNX Runtime; no TripoSR (take windows-x64-gpu)"),
    Package("windows-x64-gpu", "windows-x64", "DirectML", "onnx",
            ("onnxruntime-directml==1.24.4", TORCH, *TRIPOSR), "Depthy",
            "Depthy on any DirectX 12 GPU through ONNX Runtime DirectML; TripoSR on the CPU "
            "(the registry's Windows PyTorch has no GPU support)"),
    Package("macos-arm64", "macos-arm64", "Metal", "torch", (TORCH, *TRIPOSR), "Depthy, TripoSR",
            "PyTorch with Apple Metal (MPS); macOS 14 or later, as PyTorch's wheels need"),
)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--package", "--platform", dest="package", choices=sorted(PACKAGES),
                        help="the package to build (see --list)")
    parser.add_argument("--list", action="store_true", help="show every package and its pinned wheels")
    parser.add_argument("--lock", action="store_true", help="resolve the pins again into packages.lock.json")
    parser.add_argument("--offline", action="store_true", help="use only wheels already in wheels/")
    parser.add_argument("--out", default=str(ROOT / "dist"), help="output folder (default dist/)")
    parser.add_argument("--python", choices=sorted(PYTHONS), help="one Python's wheels only, in a zip limited "
                        "to that Python's Blender releases (default: both, one zip for Blender 4.2–5.3)")
    args = parser.parse_args(argv)
    if args.lock:
        write_lock(sorted(PACKAGES) if not args.package else [args.package])
    if args.list:
        print(describe(read_lock()))
    if args.package:
        package = PACKAGES[args.package]
        pythons = [args.python] if args.python else list(PYTHONS)
        wheels = fetch_wheels(package, read_lock(), args.offline, pythons)
        zip_path = build_zip(package, wheels, Path(args.out), args.python)
        validate(zip_path)
        print(f"built and validated {zip_path} ({zip_path.stat().st_size / 1e6:.0f} MB, {len(wheels)} wheels)")
    if not (args.lock or args.list or args.package):
        parser.error("give --package NAME, --list or --lock")
    return 0


# ---- resolution (the lock) ----------------------------------------------------------------------

def registry_env() -> dict:
    """pip's environment with every local source switched off: no configuration files (find-links,
    extra indexes, constraints), no PIP_* settings but the certificate and the timeout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1")
    for kept in ("PIP_CERT", "PIP_DEFAULT_TIMEOUT"):
        if kept in os.environ:
            env[kept] = os.environ[kept]
    return env


def resolve(package: Package, python: str, constraints: list[str] = ()) -> list[dict]:
    """The wheels `package` needs on `python`, from the registry only, without downloading them.

    uv resolves for the target platform (pip would judge markers such as `platform_system == "Linux"`
    by the machine it runs on) and writes a PEP 751 lock naming the one wheel file of each version that
    fits the target, with its address, size and sha256. `constraints` pin versions (`name==version`).
    """
    with tempfile.TemporaryDirectory() as tmp:
        wanted, locked = Path(tmp) / "requirements.in", Path(tmp) / "pylock.toml"
        wanted.write_text("\n".join(package.requirements(python)) + "\n")
        pinned = Path(tmp) / "constraints.txt"
        pinned.write_text("".join(f"{c}\n" for c in constraints))
        subprocess.run(
            [sys.executable, "-m", "uv", "pip", "compile", "--quiet", "--no-config", "--python-version", python,
             "--python-platform", UV_PLATFORMS[package.platform], "--only-binary", ":all:", str(wanted),
             "--constraint", str(pinned), "-o", str(locked)],
            check=True, env=dict(registry_env(), MACOSX_DEPLOYMENT_TARGET="14.0"))
        entries = tomllib.loads(locked.read_text())["packages"]
    wheels = []
    for entry in entries:
        if normalise(entry["name"]) in LEFT_OUT:
            continue
        # where both a compiled and a pure-Python wheel fit, take the compiled one, as pip does
        wheel = min(entry["wheels"], key=lambda w: w["url"].endswith("-none-any.whl"))
        wheels.append({"file": wheel["url"].rsplit("/", 1)[-1], "url": wheel["url"], "size": wheel["size"],
                       "sha256": wheel["hashes"]["sha256"]})
    return sorted(wheels, key=lambda w: w["file"])


def write_lock(names: list[str]) -> None:
    lock = read_lock() if LOCK.is_file() else {"packages": {}}
    for name in names:
        package = PACKAGES[name]
        lock["packages"][name] = resolved = {}
        for python in PYTHONS:   # pure-Python wheels as the oldest Python resolved them (see shared_pure)
            resolved[python] = resolve(package, python, shared_pure(resolved))
        print(f"locked {name}: " + ", ".join(f"cp{p.replace('.', '')} {len(w)} wheels"
                                             for p, w in lock["packages"][name].items()), file=sys.stderr)
    lock["packages"] = dict(sorted(lock["packages"].items()))
    LOCK.write_text(json.dumps(lock, indent=1) + "\n")


def shared_pure(resolved: dict[str, list[dict]]) -> list[str]:
    """`name==version` of the pure-Python wheels already chosen. Blender installs one version of each
    distribution, the newest among the zip's wheels that fit its Python, so a pure-Python wheel must be
    the same version for every Python (networkx 3.7, say, would be taken on Python 3.11 too, which it
    does not support)."""
    pins = {}
    for wheels in resolved.values():
        for wheel in wheels:
            if wheel["file"].endswith("-none-any.whl"):
                name, version = wheel["file"].split("-")[:2]
                pins[name] = f"{name}=={version}"
    return sorted(pins.values())


def read_lock() -> dict:
    if not LOCK.is_file():
        sys.exit(f"{LOCK.name} is missing: run python build.py --lock")
    return json.loads(LOCK.read_text())


def locked_wheels(package: Package, lock: dict, pythons=tuple(PYTHONS)) -> list[dict]:
    """The package's wheels for `pythons`, each file once (pure-Python wheels serve both)."""
    try:
        per_python = lock["packages"][package.name]
    except KeyError:
        sys.exit(f"{package.name} is not in {LOCK.name}: run python build.py --lock --package {package.name}")
    unique = {w["file"]: w for python in pythons for w in per_python[python]}
    return [unique[f] for f in sorted(unique)]


def describe(lock: dict) -> str:
    lines = []
    for package in PACKAGES.values():
        lines.append(f"{package.name}  (Blender {PYTHONS['3.11']['blender']} and {PYTHONS['3.13']['blender']}; "
                     f"GPU: {package.gpu or 'none'}; on the GPU: {package.on_gpu}; Depthy on "
                     f"{'ONNX Runtime' if package.depthy == 'onnx' else 'PyTorch'})")
        lines.append(f"    {package.note}")
        for python, wheels in lock["packages"].get(package.name, {}).items():
            runtime = [w["file"] for w in wheels if dist_name(w["file"]) in RUNTIME_DISTS]
            megabytes = sum(w["size"] for w in wheels) / 1e6
            lines.append(f"    cp{python.replace('.', '')}: {len(wheels)} wheels, {megabytes:,.0f} MB; " + ", ".join(runtime))
    return "\n".join(lines)


RUNTIME_DISTS = {"torch", "onnxruntime", "onnxruntime_directml"}


# ---- download and build -----------------------------------------------------------------------

def fetch_wheels(package: Package, lock: dict, offline: bool, pythons=tuple(PYTHONS)) -> list[Path]:
    WHEELS.mkdir(exist_ok=True)
    paths = []
    for wheel in locked_wheels(package, lock, pythons):
        path = WHEELS / wheel["file"]
        if not (path.is_file() and weights.sha256(path) == wheel["sha256"]):
            if offline:
                sys.exit(f"{wheel['file']} is not in {WHEELS} (run without --offline)")
            download(wheel["url"], path, wheel["sha256"])
        paths.append(path)
    return paths


def download(url: str, path: Path, sha256: str) -> None:
    part = path.with_suffix(".part")
    with urllib.request.urlopen(url, timeout=180) as response, open(part, "wb") as f:
        shutil.copyfileobj(response, f, 1 << 20)
    if weights.sha256(part) != sha256:
        part.unlink()
        sys.exit(f"{path.name}: sha256 differs from {LOCK.name}; nothing was kept")
    part.replace(path)


def build_zip(package: Package, wheels: list[Path], out_dir: Path, python: str | None = None) -> Path:
    manifest = tomllib.loads((ROOT / "blender_manifest.toml").read_text())
    stage = ROOT / "build" / package.name
    shutil.rmtree(stage, ignore_errors=True)
    shutil.copytree(ROOT / "depthy_blender", stage,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "weights", "package.json"))
    stage_weights(package, stage / "weights")
    (stage / "package.json").write_text(json.dumps({"name": package.name, "gpu": package.gpu}) + "\n")
    (stage / "wheels").mkdir()
    for wheel in wheels:
        shutil.copy2(wheel, stage / "wheels" / wheel.name)
    text = (ROOT / "blender_manifest.toml").read_text()
    listed = ",\n".join(f'  "./wheels/{w.name}"' for w in wheels)
    text = text.replace("[permissions]", f'platforms = ["{package.platform}"]\nwheels = [\n{listed},\n]\n\n'
                        "[permissions]", 1)
    suffix = package.name
    if python:   # one Python's wheels: limit the zip to the Blender releases that run it
        low, high = PYTHONS[python]["range"]
        text = re.sub(r'^blender_version_min = ".*"$', f'blender_version_min = "{low}"', text, flags=re.M)
        if high:
            text = text.replace(f'blender_version_min = "{low}"',
                                f'blender_version_min = "{low}"\nblender_version_max = "{high}"', 1)
        suffix += f"-{PYTHONS[python]['abi']}"
    (stage / "blender_manifest.toml").write_text(text)
    out_dir.mkdir(parents=True, exist_ok=True)
    zip_path = out_dir / f"{manifest['id']}-{manifest['version']}-{suffix}.zip"
    zip_path.unlink(missing_ok=True)
    subprocess.run([sys.executable, str(blender_ext_tool()), "build", "--source-dir", str(stage),
                    "--output-filepath", str(zip_path)], check=True, stdout=subprocess.DEVNULL)
    return zip_path


def stage_weights(package: Package, folder: Path) -> None:
    """The shipped weights in the package's runtime: the .pt as it is, or the ONNX graph exported from it."""
    folder.mkdir(parents=True)
    if package.depthy == "torch":
        for path in weights.locate():
            shutil.copy2(path, folder / path.name)
        return
    try:
        from depthy_blender.models import depthy_onnx
        depthy_onnx.export(folder)
    except ImportError as exc:
        sys.exit(f"{package.name} carries Depthy as ONNX, exported here from the weights; that needs torch "
                 f"and onnx in this Python ({exc})")


def validate(zip_path: Path) -> None:
    subprocess.run([sys.executable, str(blender_ext_tool()), "validate", str(zip_path)], check=True)


def blender_ext_tool() -> Path:
    """Blender's extension CLI, from the bpy module (no Blender binary needed)."""
    import importlib.util
    spec = importlib.util.find_spec("bpy")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("build.py needs the bpy module for Blender's extension tool: pip install bpy==5.0.1")
    base = Path(next(iter(spec.submodule_search_locations)))
    found = sorted(base.glob("*/scripts/addons_core/bl_pkg/cli/blender_ext.py"))
    if not found:
        sys.exit(f"blender_ext.py not found under {base}")
    return found[-1]


def dist_name(wheel: str) -> str:
    """The distribution a wheel file name belongs to, normalised (scikit_image-0.26.0-… → scikit_image)."""
    return normalise(wheel.split("-")[0])


def normalise(project: str) -> str:
    """A project name as wheel file names spell it: scikit-image → scikit_image."""
    return re.sub(r"[-_.]+", "_", project).lower()


if __name__ == "__main__":
    sys.exit(main())
