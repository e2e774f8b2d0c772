"""Build the installable extension zip for one platform.

    python build.py --platform linux-x64 [--offline]

Downloads that platform's wheels (requirements-addon.txt and their dependencies, minus numpy, which
Blender bundles) into wheels/<platform>/, stages depthy_blender/ + a manifest listing those wheels, builds
dist/depthy_blender-<version>-<platform>.zip with Blender's extension tool and validates it.
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent
PLATFORM_TAGS = {
    "linux-x64": ["manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_17_x86_64",
                  "manylinux2014_x86_64"],
    "windows-x64": ["win_amd64"],
    "macos-arm64": ["macosx_14_0_arm64", "macosx_12_0_arm64", "macosx_11_0_arm64"],
    "macos-x64": ["macosx_10_13_x86_64", "macosx_10_9_x86_64"],
}
BLENDER_BUNDLED = {"numpy"}            # shipped with Blender: a second copy would break it
NOT_NEEDED = {"setuptools"}            # declared by torch, never imported at run time by us
PYTHON = "3.11"                        # Blender 4.2 – 5.x


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--platform", required=True, choices=sorted(PLATFORM_TAGS))
    parser.add_argument("--offline", action="store_true", help="use wheels already in wheels/<platform>/")
    parser.add_argument("--out", default=str(ROOT / "dist"), help="output folder (default dist/)")
    args = parser.parse_args(argv)
    wheels = fetch_wheels(args.platform, args.offline)
    zip_path = build_zip(args.platform, wheels, Path(args.out))
    validate(zip_path)
    print(f"built and validated {zip_path} ({zip_path.stat().st_size / 1e6:.0f} MB, {len(wheels)} wheels)")
    return 0


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


def fetch_wheels(platform: str, offline: bool) -> list[Path]:
    folder = ROOT / "wheels" / platform
    folder.mkdir(parents=True, exist_ok=True)
    if not offline:
        cmd = [sys.executable, "-m", "pip", "download", "--only-binary=:all:", "--python-version", PYTHON,
               "--implementation", "cp", "--abi", "cp311", "-d", str(folder), "-r", str(ROOT / "requirements-addon.txt")]
        for tag in PLATFORM_TAGS[platform]:
            cmd += ["--platform", tag]
        # pin numpy to Blender's so dependencies resolve against it; its wheel is then left out
        cmd += ["numpy==1.26.4"]
        subprocess.run(cmd, check=True)
    wheels = sorted(p for p in folder.glob("*.whl") if _dist_name(p) not in BLENDER_BUNDLED | NOT_NEEDED)
    wanted = {_norm(re.split(r"[=<>~!;\[ ]", line, 1)[0]) for line in _requirements()}
    missing = wanted - {_dist_name(p) for p in wheels}
    if missing:
        sys.exit(f"missing wheels for {platform}: {', '.join(sorted(missing))} (run without --offline)")
    return _newest_per_dist(wheels)


def build_zip(platform: str, wheels: list[Path], out_dir: Path) -> Path:
    manifest = tomllib.loads((ROOT / "blender_manifest.toml").read_text())
    stage = ROOT / "build" / platform
    shutil.rmtree(stage, ignore_errors=True)
    shutil.copytree(ROOT / "depthy_blender", stage, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (stage / "wheels").mkdir()
    for wheel in wheels:
        shutil.copy2(wheel, stage / "wheels" / wheel.name)
    text = (ROOT / "blender_manifest.toml").read_text()
    listed = ",\n".join(f'  "./wheels/{w.name}"' for w in wheels)
    text = text.replace("[permissions]", f'platforms = ["{platform}"]\nwheels = [\n{listed},\n]\n\n[permissions]', 1)
    (stage / "blender_manifest.toml").write_text(text)
    out_dir.mkdir(parents=True, exist_ok=True)
    zip_path = out_dir / f"{manifest['id']}-{manifest['version']}-{platform}.zip"
    zip_path.unlink(missing_ok=True)
    subprocess.run([sys.executable, str(blender_ext_tool()), "build", "--source-dir", str(stage),
                    "--output-filepath", str(zip_path)], check=True, stdout=subprocess.DEVNULL)
    return zip_path


def validate(zip_path: Path) -> None:
    subprocess.run([sys.executable, str(blender_ext_tool()), "validate", str(zip_path)], check=True)


def _requirements() -> list[str]:
    lines = (ROOT / "requirements-addon.txt").read_text().splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]


def _dist_name(wheel: Path) -> str:
    return _norm(wheel.name.split("-")[0])


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _newest_per_dist(wheels: list[Path]) -> list[Path]:
    """One wheel per distribution (a re-download after a version bump leaves the old file behind)."""
    by_dist: dict[str, Path] = {}
    for wheel in wheels:
        current = by_dist.get(_dist_name(wheel))
        if current is None or wheel.stat().st_mtime > current.stat().st_mtime:
            by_dist[_dist_name(wheel)] = wheel
    return sorted(by_dist.values())


if __name__ == "__main__":
    sys.exit(main())
