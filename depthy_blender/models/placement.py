"""Where Depthy's network runs, and why not on a GPU when it does not.

Two runtimes can carry the network: PyTorch (CPU, CUDA, Apple Metal) and ONNX Runtime (CPU, DirectML,
CUDA). A package ships one of them (build.py); the preference (Auto, CPU or a named GPU) and the GPUs
found here pick the device. The answer names itself for the artist ("CUDA fp16", "CPU (ONNX Runtime)")
and, when it is the CPU, says why ("this package has no GPU support", "no CUDA device found", …).
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import DepthyError
from . import package as packages

PREFERENCES = ("AUTO", "CPU", "CUDA", "MPS", "DIRECTML")
DEVICE_NAMES = {"cpu": "CPU", "cuda": "CUDA", "mps": "Apple Metal", "directml": "DirectML"}
ONNX_PROVIDERS = {"directml": "DmlExecutionProvider", "cuda": "CUDAExecutionProvider", "cpu": "CPUExecutionProvider"}
NO_DEVICE = {"CUDA": "no CUDA device found", "DirectML": "no DirectX 12 GPU found",
             "Metal": "Apple Metal is not available"}
OUT_OF_MEMORY = "fell back to CPU: out of GPU memory"


class PlacementError(DepthyError, RuntimeError):
    """The preference names a device this package or machine cannot use; the message says which."""


@dataclass(frozen=True)
class Placement:
    runtime: str                 # "torch" or "onnx"
    device: str                  # "cpu", "cuda", "mps" or "directml"
    why_cpu: str | None = None   # why no GPU is used (None on a GPU)

    @property
    def half(self) -> bool:
        """PyTorch GPUs run in half precision; ONNX Runtime keeps the exported float32 graph."""
        return self.runtime == "torch" and self.device in ("cuda", "mps")

    def label(self) -> str:
        text = f"{DEVICE_NAMES[self.device]} {'fp16' if self.half else 'fp32'}"
        return text + (" (ONNX Runtime)" if self.runtime == "onnx" else "")

    def on_cpu(self, why: str) -> "Placement":
        return Placement(self.runtime, "cpu", why)


def torch_gpus() -> list[str]:
    import torch
    found = ["cuda"] if torch.cuda.is_available() else []
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        found.append("mps")
    return found


def onnx_gpus() -> list[str]:
    import onnxruntime
    providers = set(onnxruntime.get_available_providers())
    return [device for device in ("directml", "cuda") if ONNX_PROVIDERS[device] in providers]


def why_no_gpu(package: packages.Package, torch_cuda_build: bool = False) -> str:
    """The artist-facing reason the CPU is used although Auto was chosen."""
    if package.gpu in NO_DEVICE:
        return NO_DEVICE[package.gpu]
    if package.name == "source" and torch_cuda_build:
        return NO_DEVICE["CUDA"]
    return "this package has no GPU support"


def choose(preference: str, runtime: str, gpus: list[str] | None = None,
           package: packages.Package | None = None) -> Placement:
    """The placement for `runtime` ("torch" or "onnx") under `preference`. `gpus` are the devices that
    runtime sees here (detected when None); `package` is this build (read when None)."""
    preference = str(preference).upper()
    if preference not in PREFERENCES:
        raise PlacementError(f"Device must be one of {', '.join(PREFERENCES)}, not {preference!r}")
    if gpus is None:
        gpus = torch_gpus() if runtime == "torch" else onnx_gpus()
    package = package or packages.current()
    if preference == "CPU":
        return Placement(runtime, "cpu", "CPU chosen in the preferences")
    if preference == "AUTO":
        if gpus:
            return Placement(runtime, gpus[0])
        return Placement(runtime, "cpu", why_no_gpu(package, runtime == "torch" and _torch_cuda_build()))
    wanted = preference.lower()
    if wanted not in gpus:
        reason = why_no_gpu(package, runtime == "torch" and _torch_cuda_build())
        raise PlacementError(f"{DEVICE_NAMES[wanted]} was chosen but cannot be used: {reason}")
    return Placement(runtime, wanted)


def _torch_cuda_build() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return getattr(torch.version, "cuda", None) is not None
