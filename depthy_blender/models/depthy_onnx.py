"""Depthy as an ONNX graph: exported from the shipped weights when a package is built (needs torch and
onnx), and run with ONNX Runtime in packages that carry no PyTorch (needs only onnxruntime and numpy).

The graph takes rgb (1, 3, H, W) float32 in [0, 1] with H and W multiples of 32 and answers
(1, 2, H, W): nearness and the figure-mask logit, as `Depthy.forward` does. Weights are stored as
float16 initializers, each cast to float32 inside the graph; the shipped state dict is float16, and batch
norm is left unfolded, so the stored numbers are the shipped ones exactly.
"""
from __future__ import annotations

import json
import threading
import warnings
from pathlib import Path

import numpy as np

from . import weights

OPSET = 17
MULTIPLE = 32                    # the encoder's total stride
_SESSIONS: dict[tuple[str, str], object] = {}
_LOCK = threading.Lock()


# ---- export (build time: torch + onnx) -----------------------------------------------------------

def export(out_folder: Path, name: str = weights.DEPTHY_NAME, folder: Path = weights.WEIGHTS_DIR) -> Path:
    """Write `<name>.onnx` and a copy of the model card with an `onnx` entry (sha256 of the graph, the
    sha256 of the weights it came from) into `out_folder`; returns the graph's path."""
    import onnx
    import torch
    from .depthy import Depthy
    state, card = weights.load_verified(name, folder)
    model = Depthy()
    model.load_state_dict({k: v.float() for k, v in state.items()})
    model.eval()
    out_folder = Path(out_folder)
    out_folder.mkdir(parents=True, exist_ok=True)
    path = out_folder / f"{name}.onnx"
    example = torch.rand(1, 3, 8 * MULTIPLE, 6 * MULTIPLE, generator=torch.Generator().manual_seed(0))
    plain = out_folder / f"{name}.float32.onnx"
    with warnings.catch_warnings():   # the tracer's notes on the padding branch, which the graph never needs
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (example,), str(plain), dynamo=False, opset_version=OPSET,
                          do_constant_folding=False, input_names=["rgb"], output_names=["out"],
                          dynamic_axes={"rgb": {2: "height", 3: "width"}, "out": {2: "height", 3: "width"}})
    graph = onnx.load(str(plain))
    plain.unlink()
    halve_initializers(graph)
    onnx.checker.check_model(graph)
    onnx.save(graph, str(path))
    card = dict(card, onnx={
        "file": path.name, "sha256": weights.sha256(path), "size_bytes": path.stat().st_size,
        "from_sha256": card["sha256"], "opset": OPSET, "torch": torch.__version__, "onnx": onnx.__version__,
        "input": "rgb (1, 3, H, W) float32 in [0, 1]; H, W multiples of 32",
        "output": "out (1, 2, H, W): nearness, figure-mask logit"})
    (out_folder / f"{name}.json").write_text(json.dumps(card, indent=2) + "\n")
    return path


def halve_initializers(graph) -> int:
    """Store every float32 weight as float16 and cast it back to float32 where it is used; returns how
    many were halved. Lossless for weights that are float16 numbers already (the shipped ones)."""
    from onnx import TensorProto, helper, numpy_helper
    kept, casts, halved = [], [], 0
    for tensor in graph.graph.initializer:
        if tensor.data_type != TensorProto.FLOAT or int(np.prod(tensor.dims)) < 16:
            kept.append(tensor)
            continue
        half = numpy_helper.from_array(numpy_helper.to_array(tensor).astype(np.float16), f"{tensor.name}.fp16")
        kept.append(half)
        casts.append(helper.make_node("Cast", [half.name], [tensor.name], to=TensorProto.FLOAT,
                                      name=f"{tensor.name}.cast"))
        halved += 1
    del graph.graph.initializer[:]
    graph.graph.initializer.extend(kept)
    nodes = casts + list(graph.graph.node)
    del graph.graph.node[:]
    graph.graph.node.extend(nodes)
    return halved


# ---- inference (run time: onnxruntime) -----------------------------------------------------------

def available(name: str = weights.DEPTHY_NAME, folder: Path | None = None) -> str | None:
    """None when ONNX Runtime and an exported graph are both here (in `folder`, by default the
    add-on's weights folder), else why not."""
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return "ONNX Runtime is not installed"
    try:
        weights.locate_onnx(name, folder or weights.WEIGHTS_DIR)
    except weights.WeightsError as exc:
        return str(exc)
    return None


def session(device: str = "cpu", name: str = weights.DEPTHY_NAME, folder: Path | None = None):
    """An inference session on `device` ("cpu", "directml" or "cuda"), created once per device. A GPU
    provider that cannot start raises RuntimeError, so the caller can fall back to the CPU."""
    import onnxruntime
    from .placement import NO_DEVICE, ONNX_PROVIDERS
    folder = folder or weights.WEIGHTS_DIR
    with _LOCK:
        key = (str(folder / name), device)
        if key not in _SESSIONS:
            path = weights.verified_onnx(name, folder)
            providers = [ONNX_PROVIDERS[device]] + ([] if device == "cpu" else [ONNX_PROVIDERS["cpu"]])
            options = onnxruntime.SessionOptions()
            options.log_severity_level = 3
            made = onnxruntime.InferenceSession(str(path), options, providers=providers)
            if made.get_providers()[0] != ONNX_PROVIDERS[device]:
                raise RuntimeError(NO_DEVICE.get("DirectML" if device == "directml" else "CUDA"))
            _SESSIONS[key] = made
        return _SESSIONS[key]


def network(device: str = "cpu", name: str = weights.DEPTHY_NAME, folder: Path | None = None):
    """A callable (1, 3, H, W) float32 → (1, 2, H, W) float32 for any H, W: the paper is replicated
    out to the next multiple of 32 and the answer cropped back, as the PyTorch network does inside."""
    run = session(device, name, folder)

    def forward(x: np.ndarray) -> np.ndarray:
        h, w = x.shape[-2:]
        pad = ((0, 0), (0, 0), (0, (-h) % MULTIPLE), (0, (-w) % MULTIPLE))
        padded = np.pad(np.ascontiguousarray(x, dtype=np.float32), pad, mode="edge")
        return run.run(None, {"rgb": padded})[0][..., :h, :w]
    return forward


def free_sessions() -> None:
    with _LOCK:
        _SESSIONS.clear()
