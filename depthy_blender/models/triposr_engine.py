"""The TripoSR engine: find the user's official weights, cache the model, and produce either a full
object (marching cubes + vertex colours) or a relief (input-view depth) with progress and cancel."""
from __future__ import annotations

import glob
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import device as devices, engine

HF_REPO = "stabilityai/TripoSR"
_MODELS: dict[tuple, object] = {}
_LOCK = threading.Lock()


@dataclass
class MeshResult:
    vertices: np.ndarray     # (V, 3) float32, Blender frame (input view faces −Y)
    faces: np.ndarray        # (F, 3) int32, outward
    colours: np.ndarray      # (V, 3) float32 linear-ish RGB in [0, 1]
    meta: dict


def hf_cache_folders() -> list[Path]:
    """Snapshot folders of the official repo in the Hugging Face cache, newest first."""
    hub = os.environ.get("HF_HUB_CACHE") or os.path.join(
        os.environ.get("HF_HOME") or os.path.join(os.path.expanduser("~"), ".cache", "huggingface"), "hub")
    snaps = glob.glob(os.path.join(hub, "models--stabilityai--TripoSR", "snapshots", "*"))
    return [Path(p) for p in sorted(snaps, key=os.path.getmtime, reverse=True)]


def find_weights(folder: str = "") -> Path | None:
    """The chosen folder, else the Hugging Face cache: the first with config.yaml and model.ckpt."""
    candidates = ([Path(folder)] if folder else []) + hf_cache_folders()
    for folder in candidates:
        if (folder / "config.yaml").is_file() and (folder / "model.ckpt").is_file():
            return folder
    return None


def available(options: engine.EngineOptions = engine.DEFAULT_OPTIONS) -> str | None:
    for module in ("torch", "yaml", "skimage"):
        try:
            __import__(module)
        except ImportError:
            return f"the Python package '{module}' is missing"
    if find_weights(options.triposr_folder) is None:
        where = options.triposr_folder or "no folder set"
        return (f"TripoSR weights not found ({where}; nor in the Hugging Face cache). Set the folder with "
                "config.yaml and model.ckpt in the add-on preferences, or use the download button there")
    return None


def get_model(folder: Path, device: str):
    from .triposr import TripoSR
    dtype = devices.dtype_for(device)
    key = (str(folder), device, str(dtype))
    with _LOCK:
        if key not in _MODELS:
            _MODELS.clear()   # one TripoSR at a time: it is 1.7 GB
            _MODELS[key] = TripoSR.from_folder(folder, device=device, dtype=dtype)
        return _MODELS[key]


def free_models() -> None:
    with _LOCK:
        _MODELS.clear()


def native_to_blender(v: np.ndarray) -> np.ndarray:
    """The input camera sits on native +x with z up; Blender's front view looks along +Y, so native
    +x → −Y and native +y (image right) → +X: (x, y, z) ↦ (y, −x, z)."""
    return np.stack([v[:, 1], -v[:, 0], v[:, 2]], 1).astype(np.float32)


def fitted_chunk(device: str) -> int:
    """Points per density query: ~1 kB of activations each, sized to a quarter of free GPU memory."""
    if device == "cuda":
        import torch
        free, _ = torch.cuda.mem_get_info()
        return int(max(65536, min(4 << 20, free // 4 // 1024)))
    return 262144 if device == "cpu" else 1 << 20


def _run(rgba, progress, cancel, device, options: engine.EngineOptions, chunk=None):
    from .triposr import TripoSRError, preprocess
    folder = find_weights(options.triposr_folder)
    progress(0.02, "Loading TripoSR")
    try:
        model = get_model(folder, device)
    except TripoSRError as exc:
        raise engine.EngineError(str(exc)) from None
    engine.check_cancel(cancel)
    image, framing = preprocess.prepare(rgba, options.foreground_ratio, model.cond_image_size)

    def blocks(fraction):
        engine.check_cancel(cancel)
        progress(0.1 + 0.3 * fraction, "Encoding the image")
    codes = model.encode(image, blocks)[0]
    check = lambda: engine.check_cancel(cancel)  # noqa: E731
    chunk = chunk or fitted_chunk(device)
    if options.triposr_output == "RELIEF":
        progress(0.45, "Rendering depth from the input view")
        depth, opacity = model.render_input_depth(codes, options.relief_resolution, chunk=max(256, chunk // 128),
                                                  cancel=check)
        h, w = rgba.shape[:2]
        depth_img = preprocess.unframe(depth, framing, (h, w))
        opacity_img = preprocess.unframe(opacity, framing, (h, w))
        mask = opacity_img > 0.5
        if not mask.any():
            raise engine.EngineError("TripoSR saw no object in this image")
        nearness = np.where(mask, depth_img.max() - depth_img, 0).astype(np.float32)
        return engine.DepthResult(nearness, mask, {"engine": "triposr", "device": device})
    progress(0.45, "Evaluating density")
    result, colours = model.extract_mesh(codes, options.mc_resolution, chunk=chunk, cancel=check,
                                         progress=lambda f, s: progress(0.45 + 0.4 * f, s))
    if len(result.faces) == 0:
        raise engine.EngineError("TripoSR found no surface (try another image or a lower foreground ratio)")
    progress(0.9, "Colouring")
    return MeshResult(native_to_blender(result.vertices), result.faces, colours,
                      {"engine": "triposr", "device": device, "queries": result.queries,
                       "dense_queries": result.dense_queries})


def predict(rgba, progress, cancel, options: engine.EngineOptions = engine.DEFAULT_OPTIONS):
    try:
        device = devices.choose(options.device)
    except (RuntimeError, ValueError) as exc:
        raise engine.EngineError(str(exc)) from None
    attempts = [(device, None)]
    if device != "cpu":   # out of GPU memory: first smaller chunks, then the CPU
        attempts += [(device, fitted_chunk(device) // 8), ("cpu", None)]
    for i, (where, chunk) in enumerate(attempts):
        try:
            result = _run(rgba, progress, cancel, where, options, chunk)
        except engine.Cancelled:
            raise
        except Exception as exc:
            if i == len(attempts) - 1 or not devices.is_out_of_memory(exc):
                raise
            devices.empty_cache(where)
            if attempts[i + 1][0] != where:
                free_models()
            continue
        if i:
            how = "smaller chunks" if where == device else "the CPU"
            result.meta["note"] = f"{device.upper()} ran out of memory; TripoSR used {how} instead"
        return result


ENGINE = engine.Engine(
    "triposr", "TripoSR", "Full 3D object (or relief) from a product image; needs the official weights",
    predict, available_fn=available, quality_rank=1)
