"""Which build of the add-on this is: the package name and the GPU kind it carries (written by build.py).

A source checkout has no package file; it then says "source" and infers the GPU kind from what is
installed, so the runtime choice and its messages work the same way in development.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

PACKAGE_FILE = Path(__file__).resolve().parents[1] / "package.json"
GPU_KINDS = ("CUDA", "DirectML", "Metal")


@dataclass(frozen=True)
class Package:
    name: str                  # e.g. "linux-x64", "linux-x64-cuda", "windows-x64-gpu", or "source"
    gpu: str | None            # one of GPU_KINDS, or None for a CPU-only package


def current(path: Path = PACKAGE_FILE) -> Package:
    try:
        data = json.loads(path.read_text())
        gpu = data.get("gpu")
        return Package(str(data["name"]), gpu if gpu in GPU_KINDS else None)
    except (OSError, ValueError, KeyError, AttributeError):
        return Package("source", None)
