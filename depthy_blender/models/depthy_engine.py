"""The Depthy engine: preprocessing, the network on PyTorch or ONNX Runtime, progress/cancel, and the
GPU → CPU fallback.

The reading around the network (resizing, mirror and second-scale averaging, upsampling) is numpy and
Pillow, so both runtimes give the same answer: Pillow's float resampling matches PyTorch's antialiased
bilinear interpolation to ~1e-5. A package ships one runtime's weights (build.py): `depthy-X.pt` for
PyTorch, `depthy-X.onnx` for ONNX Runtime.
"""
from __future__ import annotations

import threading
import time
from typing import Callable

import numpy as np
from PIL import Image

from ..core import images, proportion
from . import engine, placement as placements, weights

DEFAULT_SIZE = 256   # the largest size seen in training; much larger drawings look unlike the training data
_MODELS: dict[tuple[str, bool], object] = {}
_LOCK = threading.Lock()
# At the default size and below, the engine also reads the drawing at this fraction of the working size
# and averages the two answers (measured on the selection set: nRMSE 0.1554 → 0.1534 with weights 0.5.0,
# 0.1522 → 0.1510 with 0.6.0).
SECOND_SCALE = 0.75
Network = Callable[[np.ndarray], np.ndarray]   # (1, 3, H, W) float32 → (1, 2, H, W) float32


def torch_ready() -> str | None:
    """None when the PyTorch network can run here (torch and the .pt weights), else why not."""
    if _MODELS:
        return None   # a network handed in by use_model()
    try:
        import torch  # noqa: F401
    except ImportError:
        return "PyTorch is not installed"
    try:
        weights.locate()
    except weights.WeightsError as exc:
        return str(exc)
    return None


def runtime(wanted: str = "auto") -> str:
    """"torch" or "onnx": the one this package can run (PyTorch first where both are present, unless
    `wanted` names one)."""
    from . import depthy_onnx
    if wanted in ("auto", "torch") and torch_ready() is None:
        return "torch"
    if wanted in ("auto", "onnx") and depthy_onnx.available() is None:
        return "onnx"
    why = depthy_onnx.available() if wanted == "onnx" else torch_ready()
    raise engine.EngineError(f"Depthy cannot run: {why}")


def available(options: engine.EngineOptions = engine.DEFAULT_OPTIONS) -> str | None:
    why_torch = torch_ready()
    if why_torch is None:
        return None
    from . import depthy_onnx
    why_onnx = depthy_onnx.available()
    if why_onnx is None:
        return None
    if why_torch != "PyTorch is not installed":
        return why_torch
    return why_onnx if why_onnx != "ONNX Runtime is not installed" else "neither PyTorch nor ONNX Runtime is installed"


def get_model(device: str):
    """The PyTorch network on `device`, loaded once and cached (per device and precision)."""
    import torch
    from .depthy import Depthy
    half = placements.Placement("torch", device).half
    key = (device, half)
    with _LOCK:
        if key not in _MODELS:
            model = Depthy()
            state = {k: v.float() for k, v in weights.load_state_dict().items()}
            model.load_state_dict(state)
            _MODELS[key] = model.to(device=device, dtype=torch.float16 if half else torch.float32).eval()
        return _MODELS[key]


def use_model(model, device: str = "cpu") -> None:
    """Run this PyTorch network instead of the shipped weights (evaluation of training checkpoints)."""
    with _LOCK:
        _MODELS.clear()
        _MODELS[(device, placements.Placement("torch", device).half)] = model


def free_models() -> None:
    with _LOCK:
        _MODELS.clear()
    from . import depthy_onnx
    depthy_onnx.free_sessions()


def network(where: placements.Placement) -> Network:
    """The network as a numpy callable on `where`'s runtime and device."""
    if where.runtime == "onnx":
        from . import depthy_onnx
        return depthy_onnx.network(where.device)
    import torch
    model = get_model(where.device)
    dtype = torch.float16 if where.half else torch.float32

    def forward(x: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            t = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)).to(device=where.device, dtype=dtype)
            return model(t).float().cpu().numpy()
    return forward


def paper_composite(rgba: np.ndarray) -> np.ndarray:
    """Transparent pixels become white paper, as in the training drawings."""
    a = rgba[..., 3:4]
    return rgba[..., :3] * a + (1.0 - a)


def resize(x: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """(B, C, H, W) float32 resized to `shape` (h, w) with antialiased bilinear resampling (Pillow's,
    which PyTorch's `interpolate(..., antialias=True)` reproduces; plain bilinear when enlarging)."""
    h, w = shape
    if x.shape[-2:] == (h, w):
        return x
    out = np.empty(x.shape[:2] + (h, w), np.float32)
    for b in range(x.shape[0]):
        for c in range(x.shape[1]):
            plane = Image.fromarray(np.ascontiguousarray(x[b, c], dtype=np.float32), mode="F")
            out[b, c] = np.asarray(plane.resize((w, h), Image.Resampling.BILINEAR))
    return out


def resized_to(x: np.ndarray, size: int) -> np.ndarray:
    """(B, C, H, W) resized so its longer side is `size` (at least 32 px each way), antialiased."""
    h, w = x.shape[-2:]
    scale = size / max(h, w)
    return resize(x, (max(32, round(h * scale)), max(32, round(w * scale))))


def _read(net: Network, x: np.ndarray, mirror: bool) -> np.ndarray:
    out = net(x)
    if mirror:
        # a drawing and its mirror image have mirrored depth; averaging both answers evens out the
        # network's left/right quirks (measured: ~1 % lower nRMSE on every evaluation set). The passes
        # run one after the other so peak memory stays that of one.
        out = (out + net(np.ascontiguousarray(x[..., ::-1]))[..., ::-1]) / 2
    return out


def read_at_scales(x: np.ndarray, size: int, read: Network, second_scale: bool) -> np.ndarray:
    """`read` of x resized to `size`, averaged (when `second_scale`) with its reading at SECOND_SCALE of that
    size, upsampled to match."""
    out = read(resized_to(x, size))
    if second_scale:
        second = read(resized_to(x, round(size * SECOND_SCALE)))
        out = (out + resize(second, out.shape[-2:])) / 2
    return out


def run_network(rgb: np.ndarray, device: str | placements.Placement = "cpu", size: int = DEFAULT_SIZE,
                mirror_average: bool = True, scale_average: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(nearness, mask probability) at the image's size; the longer side is resized to `size`. Up to the
    default size the answer averages the mirror image and a second, smaller scale; larger working sizes
    (a user's choice for detail) take one pass, so 512² stays within the 1-second budget. `device` is a
    placement, or a device name on this package's runtime."""
    where = device if isinstance(device, placements.Placement) else placements.Placement(runtime(), device)
    net = network(where)
    h, w = rgb.shape[:2]
    x = np.ascontiguousarray(rgb, dtype=np.float32).transpose(2, 0, 1)[None]
    small = size <= DEFAULT_SIZE   # the working image's longer side is `size`
    mirror = small and mirror_average
    out = read_at_scales(x, size, lambda t: _read(net, t, mirror), small and scale_average)
    out = resize(out, (h, w))
    return out[0, 0], 1.0 / (1.0 + np.exp(-out[0, 1]))


def is_out_of_memory(exc: BaseException) -> bool:
    """A GPU allocation failure of either runtime: PyTorch's (device.is_out_of_memory), or ONNX Runtime's,
    whose exceptions say so only in their message."""
    from . import device as devices
    text = str(exc).lower()
    return devices.is_out_of_memory(exc) or any(m in text for m in ("out of memory", "e_outofmemory",
                                                                      "failed to allocate"))


def _empty_cache(where: placements.Placement) -> None:
    if where.runtime == "torch":
        from . import device as devices
        devices.empty_cache(where.device)


def predict(rgba, progress, cancel, options: engine.EngineOptions = engine.DEFAULT_OPTIONS):
    progress(0.05, "Loading Depthy")

    def read(where):
        return run_network(rgb, where, options.depthy_resolution, options.mirror_average, options.scale_average)
    try:
        kind = runtime(options.depthy_runtime)
        where = placements.choose(options.device, kind)
        try:
            network(where)
        except RuntimeError as exc:   # a GPU provider that cannot start: the CPU still can
            if where.device == "cpu" or isinstance(exc, weights.WeightsError):
                raise
            where = where.on_cpu(f"fell back to CPU: {exc}")
            network(where)
    except (RuntimeError, ValueError) as exc:   # no such device, or missing/modified weights
        raise engine.EngineError(str(exc)) from None
    engine.check_cancel(cancel)
    progress(0.3, f"Estimating depth ({placements.DEVICE_NAMES[where.device]})")
    rgb = paper_composite(rgba)
    started = time.perf_counter()
    try:
        nearness, prob = read(where)
    except Exception as exc:
        if where.device == "cpu" or not is_out_of_memory(exc):
            raise
        _empty_cache(where)   # the GPU ran out of memory: the CPU is slower but has room
        where = where.on_cpu(placements.OUT_OF_MEMORY)
        started = time.perf_counter()
        nearness, prob = read(where)
    seconds = time.perf_counter() - started
    engine.check_cancel(cancel)
    progress(0.9, "Finishing")
    if images.has_alpha_mask(rgba):
        mask = rgba[..., 3] > 0.5
    else:   # the network drops centre lines and notes; the paper flood fill vetoes anything off the drawing
        mask = images.trim_to_drawing(prob > 0.5, rgba)
    mask = images.drop_specks(mask, 1e-3)
    if not mask.any():
        raise engine.EngineError("No figure found: Depthy sees only paper in this image")
    meta = {"engine": "depthy", "device": where.device, "runtime": where.runtime,
            "where": f"Depthy · {where.label()} · {seconds:.2f} s"}
    if where.why_cpu:
        meta["why_cpu"] = where.why_cpu
    if where.why_cpu and where.why_cpu.startswith("fell back"):
        meta["note"] = f"Depthy {where.why_cpu}"
    drawn = proportion.from_nearness(nearness, mask, units=nearness_units())
    return engine.DepthResult(nearness.astype(np.float32), mask, meta, drawn)


def nearness_units() -> str:
    """What the shipped weights' raw nearness was taught (their model card), for Auto depth: [0, 1] over
    each figure (proportion.UNIT_RANGE, every release so far) or depth in figure widths."""
    try:
        return weights.model_card().get("inference", {}).get("nearness", proportion.UNIT_RANGE)
    except (weights.WeightsError, OSError, ValueError):
        return proportion.UNIT_RANGE


ENGINE = engine.Engine("depthy", "Depthy", "Learned depth for drawings (shipped weights, runs offline)", predict,
                       available_fn=available, quality_rank=100)
