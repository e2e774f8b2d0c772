"""The Depthy engine: preprocessing, cached model, inference with progress/cancel and GPU → CPU fallback."""
from __future__ import annotations

import threading

import numpy as np

from ..core import images
from . import backends, device as devices, weights

DEFAULT_SIZE = 256   # the largest size seen in training; much larger drawings look unlike the training data
_MODELS: dict[tuple[str, str], object] = {}
_LOCK = threading.Lock()
# At the default size and below, the engine also reads the drawing at this fraction of the working size
# and averages the two answers (measured on the selection set: nRMSE 0.1554 → 0.1534 with weights 0.5.0,
# 0.1522 → 0.1510 with 0.6.0).
SECOND_SCALE = 0.75
settings = {"device": "AUTO", "size": DEFAULT_SIZE, "mirror_average": True,   # set by the add-on preferences / the CLI
            "scale_average": True}


def available() -> str | None:
    try:
        import torch  # noqa: F401
    except ImportError:
        return "PyTorch is not installed"
    try:
        weights.locate()
    except weights.WeightsError as exc:
        return str(exc)
    return None


def get_model(device: str):
    """The network on `device`, loaded once and cached (per device and precision)."""
    import torch
    from .depthy import Depthy
    dtype = devices.dtype_for(device)
    key = (device, str(dtype))
    with _LOCK:
        if key not in _MODELS:
            model = Depthy()
            state = {k: v.float() for k, v in weights.load_state_dict().items()}
            model.load_state_dict(state)
            _MODELS[key] = model.to(device=device, dtype=dtype).eval()
        return _MODELS[key]


def use_model(model, device: str = "cpu") -> None:
    """Run this network instead of the shipped weights (evaluation of training checkpoints)."""
    with _LOCK:
        _MODELS.clear()
        _MODELS[(device, str(devices.dtype_for(device)))] = model


def free_models() -> None:
    with _LOCK:
        _MODELS.clear()


def paper_composite(rgba: np.ndarray) -> np.ndarray:
    """Transparent pixels become white paper, as in the training drawings."""
    a = rgba[..., 3:4]
    return rgba[..., :3] * a + (1.0 - a)


def resized_to(x, size: int):
    """(B, C, H, W) resized so its longer side is `size` (at least 32 px each way), antialiased."""
    import torch.nn.functional as F
    h, w = x.shape[-2:]
    scale = size / max(h, w)
    target = (max(32, round(h * scale)), max(32, round(w * scale)))
    return F.interpolate(x, size=target, mode="bilinear", align_corners=False, antialias=True)


def _read(model, x, mirror: bool):
    out = model(x).float()
    if mirror:
        # a drawing and its mirror image have mirrored depth; averaging both answers evens out the
        # network's left/right quirks (measured: ~1 % lower nRMSE on every evaluation set). The passes
        # run one after the other so peak memory stays that of one.
        out = (out + model(x.flip(-1)).float().flip(-1)) / 2
    return out


def read_at_scales(x, size: int, read, second_scale: bool):
    """`read` of x resized to `size`, averaged (when `second_scale`) with its reading at SECOND_SCALE of that
    size, upsampled to match."""
    import torch.nn.functional as F
    out = read(resized_to(x, size))
    if second_scale:
        second = read(resized_to(x, round(size * SECOND_SCALE)))
        out = (out + F.interpolate(second, size=out.shape[-2:], mode="bilinear", align_corners=False)) / 2
    return out


def run_network(rgb: np.ndarray, device: str, size: int = DEFAULT_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """(nearness, mask probability) at the image's size; the longer side is resized to `size`. Up to the
    default size the answer averages the mirror image and a second, smaller scale; larger working sizes
    (a user's choice for detail) take one pass, so 512² stays within the 1-second budget."""
    import torch
    import torch.nn.functional as F
    model = get_model(device)
    dtype = devices.dtype_for(device)
    h, w = rgb.shape[:2]
    x = torch.from_numpy(np.ascontiguousarray(rgb, dtype=np.float32)).permute(2, 0, 1)[None]
    small = size <= DEFAULT_SIZE   # the working image's longer side is `size`
    mirror = small and settings["mirror_average"]
    with torch.inference_mode():
        out = read_at_scales(x, size, lambda t: _read(model, t.to(device=device, dtype=dtype), mirror),
                             small and settings["scale_average"])
        out = F.interpolate(out, size=(h, w), mode="bilinear", align_corners=False).cpu()
    return out[0, 0].numpy(), torch.sigmoid(out[0, 1]).numpy()


def predict(rgba, progress, cancel, **_):
    progress(0.05, "Loading Depthy")
    try:
        device = devices.choose(settings["device"])
        get_model(device)
    except (RuntimeError, ValueError) as exc:   # no such device, or missing/modified weights
        raise backends.BackendError(str(exc)) from None
    backends.check_cancel(cancel)
    progress(0.3, f"Estimating depth ({device.upper()})")
    rgb = paper_composite(rgba)
    try:
        nearness, prob = run_network(rgb, device, settings["size"])
        note = None
    except Exception as exc:
        if device == "cpu" or not devices.is_out_of_memory(exc):
            raise
        devices.empty_cache(device)   # the GPU ran out of memory: the CPU is slower but has room
        nearness, prob = run_network(rgb, "cpu", settings["size"])
        device, note = "cpu", f"{device.upper()} ran out of memory; Depthy ran on the CPU instead"
    backends.check_cancel(cancel)
    progress(0.9, "Finishing")
    if images.has_alpha_mask(rgba):
        mask = rgba[..., 3] > 0.5
    else:   # the network drops centre lines and notes; the paper flood fill vetoes anything off the drawing
        mask = images.trim_to_drawing(prob > 0.5, rgba)
    mask = images.drop_specks(mask, 1e-3)
    if not mask.any():
        raise backends.BackendError("No figure found: Depthy sees only paper in this image")
    meta = {"engine": "depthy", "device": device}
    if note:
        meta["note"] = note
    return backends.DepthResult(nearness.astype(np.float32), mask, meta)


def register() -> None:
    backends.register(backends.Backend(
        "depthy", "Depthy", "Learned depth for drawings (shipped weights, runs offline)", predict,
        available_fn=available, quality_rank=100))
