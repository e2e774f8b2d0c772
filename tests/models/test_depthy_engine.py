"""The Depthy engine around its network, with hand-worked answers: which runtime runs it and why not, the
GPU's half precision (run here on the CPU), the reading's resampling, the paper under transparent pixels,
the mask, the progress, the notes, and which failures fall back to the CPU.

A stand-in network (any callable from a (1, 3, H, W) tensor to a (1, 2, H, W) one, given to use_model) stands
for the weights where the weights' answer is not the point."""
import math
import re
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from depthy_blender.core import images, proportion  # noqa: E402
from depthy_blender.models import depthy_engine, depthy_onnx, engine, placement, weights  # noqa: E402
from tests.conftest import outline_drawing  # noqa: E402

NOT_TORCH = "PyTorch is not installed"
NOT_ONNX = "ONNX Runtime is not installed"


@pytest.fixture
def stand_in_network():
    """use_model(fn) for one test; the shipped weights come back after it."""
    def use(fn, device="cpu"):
        depthy_engine.use_model(fn, device)
        return fn
    yield use
    depthy_engine.free_models()


def constant(near: float, logit: float):
    """A network answering every pixel with `near` and the figure logit `logit`."""
    def net(x):
        return torch.stack([torch.full(x.shape[-2:], near), torch.full(x.shape[-2:], logit)])[None]
    return net


def rectangle(near: float = 0.25, right_half_logit: float = 10.0):
    """A network that sees the drawing's rectangle as the figure (logit 10, or `right_half_logit` in the
    rectangle's right half) and paper around it (logit -10), at any working size."""
    def net(x):
        h, w = x.shape[-2:]
        rows = (torch.arange(h, dtype=torch.float32) + 0.5).view(h, 1) * 120 / h
        cols = (torch.arange(w, dtype=torch.float32) + 0.5).view(1, w) * 160 / w
        inside = (rows > 25) & (rows < 96) & (cols > 30) & (cols < 131)
        logit = torch.where(inside, 10.0, -10.0).expand(h, w).clone()
        logit[inside.expand(h, w) & (cols >= 80).expand(h, w)] = right_half_logit
        return torch.stack([torch.full((h, w), near), logit])[None]
    return net


def drawing_rgba():
    """The 160 × 120 outline drawing (rectangle columns 30–130, rows 25–95), as the engines get it."""
    return images.pil_to_rgba(outline_drawing())


def no_progress(fraction, stage):
    pass


def never():
    return False


# --- which runtime, and why not ---------------------------------------------------------------------

@pytest.mark.parametrize("torch_why, onnx_why, wanted, answer", [
    (None, None, "auto", "torch"),          # PyTorch first where both are present
    (None, None, "torch", "torch"),
    (None, None, "onnx", "onnx"),
    (NOT_TORCH, None, "auto", "onnx"),
    (None, NOT_ONNX, "auto", "torch"),
    (NOT_TORCH, None, "torch", "Depthy cannot run: PyTorch is not installed"),   # never the other runtime
    (None, NOT_ONNX, "onnx", "Depthy cannot run: ONNX Runtime is not installed"),
    ("weights missing", "graph missing", "auto", "Depthy cannot run: weights missing"),
])
def test_the_runtime_is_the_one_asked_for_or_the_first_that_can_run(monkeypatch, torch_why, onnx_why, wanted, answer):
    monkeypatch.setattr(depthy_engine, "torch_ready", lambda: torch_why)
    monkeypatch.setattr(depthy_onnx, "available", lambda *a, **k: onnx_why)
    if answer in ("torch", "onnx"):
        assert depthy_engine.runtime(wanted) == answer
    else:
        with pytest.raises(engine.EngineError) as caught:
            depthy_engine.runtime(wanted)
        assert str(caught.value) == answer


@pytest.mark.parametrize("torch_why, onnx_why, answer", [
    (None, NOT_ONNX, None),
    ("weights modified", None, None),
    (NOT_TORCH, "graph missing", "graph missing"),        # the package ships ONNX: its reason
    ("weights modified", NOT_ONNX, "weights modified"),   # the package ships PyTorch: its reason
    (NOT_TORCH, NOT_ONNX, "neither PyTorch nor ONNX Runtime is installed"),
])
def test_why_depthy_cannot_run_names_the_runtime_the_package_ships(monkeypatch, torch_why, onnx_why, answer):
    monkeypatch.setattr(depthy_engine, "torch_ready", lambda: torch_why)
    monkeypatch.setattr(depthy_onnx, "available", lambda *a, **k: onnx_why)
    assert depthy_engine.available() == answer


def test_pytorch_is_ready_only_with_torch_and_its_weights(monkeypatch):
    depthy_engine.free_models()
    assert depthy_engine.torch_ready() is None           # this environment: torch and the shipped .pt
    monkeypatch.setattr(weights, "locate", lambda *a, **k: (_ for _ in ()).throw(weights.WeightsError("no weights here")))
    assert depthy_engine.torch_ready() == "no weights here"
    monkeypatch.setitem(sys.modules, "torch", None)       # import torch fails
    assert depthy_engine.torch_ready() == NOT_TORCH


# --- the network on its device and precision --------------------------------------------------------

def test_a_network_handed_in_for_a_gpu_is_the_one_that_gpu_runs(stand_in_network):
    net = stand_in_network(constant(0.0, 0.0), "cuda")
    assert depthy_engine.get_model("cuda") is net        # cached under CUDA's precision, not loaded again


def test_the_gpus_half_precision_reads_as_the_full_one(monkeypatch):
    """What CUDA and Apple Metal run, on the CPU: the shipped weights in fp16, fed fp16, answer fp32 numpy
    within 0.05 of the fp32 network (their nearness spans about 9)."""
    depthy_engine.free_models()
    x = np.random.default_rng(0).random((1, 3, 64, 96)).astype(np.float32)
    try:
        full = depthy_engine.network(placement.Placement("torch", "cpu"))(x)
        monkeypatch.setattr(placement.Placement, "half", property(lambda self: self.runtime == "torch"))
        model = depthy_engine.get_model("cpu")
        assert next(model.parameters()).dtype == torch.float16
        half = depthy_engine.network(placement.Placement("torch", "cpu"))(x)
    finally:
        depthy_engine.free_models()
    assert half.dtype == np.float32 and half.shape == full.shape == (1, 2, 64, 96)
    assert np.abs(half - full).max() < 0.05 < np.abs(full).max()


def test_the_mask_probability_is_the_logistic_of_the_second_channel(stand_in_network):
    stand_in_network(constant(0.25, math.log(3)))
    near, prob = depthy_engine.run_network(np.zeros((30, 50, 3)))   # the default device is the CPU
    assert near.shape == prob.shape == (30, 50)
    assert np.allclose(near, 0.25, atol=1e-6) and np.allclose(prob, 0.75, atol=1e-6)


def test_a_device_name_runs_on_the_packages_runtime(monkeypatch):
    """An ONNX package's run_network(rgb, "cpu") runs ONNX Runtime, not PyTorch."""
    used = []

    def network(where):
        used.append(where)
        return lambda x: np.zeros((1, 2, *x.shape[-2:]), np.float32)
    monkeypatch.setattr(depthy_engine, "runtime", lambda wanted="auto": "onnx")
    monkeypatch.setattr(depthy_engine, "network", network)
    depthy_engine.run_network(np.zeros((30, 50, 3)), "cpu")
    assert used == [placement.Placement("onnx", "cpu")]


# --- the reading's resampling and paper -------------------------------------------------------------

def test_transparent_pixels_become_white_paper():
    rgba = np.array([[[1, 0, 0, 1], [0, 0, 0, 0], [0.2, 0.2, 0.2, 0.5]]], np.float32)
    assert np.allclose(depthy_engine.paper_composite(rgba), [[[1, 0, 0], [1, 1, 1], [0.6, 0.6, 0.6]]])


def test_resampling_is_pytorchs_antialiased_bilinear():
    """The ONNX and PyTorch packages read the drawing the same way because this equals torch's own."""
    x = np.random.default_rng(1).random((1, 2, 40, 60)).astype(np.float32)
    down = depthy_engine.resize(x, (17, 23))
    expected = torch.nn.functional.interpolate(torch.from_numpy(x), size=(17, 23), mode="bilinear",
                                               antialias=True, align_corners=False).numpy()
    assert down.dtype == np.float32 and np.abs(down - expected).max() < 1e-4
    small = x[..., :10, :12].copy()
    up = depthy_engine.resize(small, (25, 31))
    expected = torch.nn.functional.interpolate(torch.from_numpy(small), size=(25, 31), mode="bilinear",
                                               align_corners=False).numpy()
    assert up.dtype == np.float32 and np.abs(up - expected).max() < 1e-4
    assert depthy_engine.resize(x, (40, 60)) is x


@pytest.mark.parametrize("shape, size, answer", [
    ((100, 200), 256, (128, 256)),
    ((20, 1000), 256, (32, 256)),     # never under 32 px: the encoder's stride
    ((1000, 20), 192, (192, 32)),
])
def test_the_longer_side_is_the_working_size_and_each_side_at_least_32(shape, size, answer):
    assert depthy_engine.resized_to(np.zeros((1, 3, *shape), np.float32), size).shape[-2:] == answer


# --- out of memory ----------------------------------------------------------------------------------

@pytest.mark.parametrize("exc, answer", [
    (torch.cuda.OutOfMemoryError("x"), True),     # PyTorch's, told by its type
    (RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB"), True),
    (Exception("[ONNXRuntimeError] : 6 : RUNTIME_EXCEPTION : Failed to allocate memory for requested buffer"), True),
    (Exception("DirectML: E_OUTOFMEMORY (0x8007000E)"), True),
    (Exception("[ONNXRuntimeError] : 1 : FAIL : CUDA failure 2: out of memory"), True),   # not a RuntimeError
    (RuntimeError("CUDA error: an illegal memory access was encountered"), False),
])
def test_either_runtimes_out_of_memory_is_recognised(exc, answer):
    assert depthy_engine.is_out_of_memory(exc) is answer


def test_only_pytorch_has_a_cache_to_empty(monkeypatch):
    from depthy_blender.models import device
    emptied = []
    monkeypatch.setattr(device, "empty_cache", emptied.append)
    depthy_engine._empty_cache(placement.Placement("onnx", "directml"))
    depthy_engine._empty_cache(placement.Placement("torch", "cuda"))
    assert emptied == ["cuda"]


# --- predict ----------------------------------------------------------------------------------------

def test_predict_reports_progress_where_it_ran_and_its_answer(stand_in_network):
    stand_in_network(rectangle())
    seen = []
    result = depthy_engine.predict(drawing_rgba(), lambda f, s: seen.append((f, s)), never)
    assert seen == [(0.05, "Loading Depthy"), (0.3, "Estimating depth (CPU)"), (0.9, "Finishing")]
    assert result.nearness.dtype == np.float32 and result.nearness.shape == (120, 160)
    assert set(result.meta) == {"engine", "device", "runtime", "where", "why_cpu"}   # no note: nothing fell back
    assert result.meta["why_cpu"] == placement.choose("AUTO", "torch").why_cpu
    assert (result.meta["engine"], result.meta["device"], result.meta["runtime"]) == ("depthy", "cpu", "torch")
    seconds = re.fullmatch(r"Depthy · CPU fp32 · (\d+\.\d\d) s", result.meta["where"])
    assert seconds and float(seconds.group(1)) < 60
    # the rectangle, read at 256 and 192 px and brought back to 160: all of it but a pixel or two at corners
    assert result.mask.sum() == pytest.approx(101 * 71, abs=4) and result.mask[26:95, 31:130].all()
    assert not result.mask[:25].any() and not result.mask[96:].any()


@pytest.mark.parametrize("mirror, scales, widths", [
    (True, False, [160, 160]),        # the drawing and its mirror image
    (False, True, [160, 120]),        # the working size and 3/4 of it
    (False, False, [160]),
])
def test_predict_reads_as_the_options_say(stand_in_network, mirror, scales, widths):
    seen = []

    def net(x):
        seen.append(x.shape[-1])
        return constant(0.25, 10.0)(x)
    stand_in_network(net)
    options = engine.EngineOptions(depthy_resolution=160, mirror_average=mirror, scale_average=scales)
    depthy_engine.predict(drawing_rgba(), no_progress, never, options)
    assert seen == widths


def test_an_alpha_channel_is_the_figure(stand_in_network):
    stand_in_network(constant(0.25, -10.0))         # the network sees no figure: alpha decides
    rgba = np.ones((40, 60, 4), np.float32)
    rgba[..., 3] = 0
    rgba[5:30, 10:50, 3] = 1
    rgba[30, 10:50, 3] = 0.5                # half transparent is not the figure
    result = depthy_engine.predict(rgba, no_progress, never)
    assert np.array_equal(result.mask, rgba[..., 3] > 0.5) and result.mask.sum() == 25 * 40


def test_a_pixel_the_network_is_unsure_of_is_not_figure(stand_in_network):
    """Logit 0 (probability exactly 1/2) in the rectangle's right half: only the left half is the figure."""
    stand_in_network(rectangle(right_half_logit=0.0))
    options = engine.EngineOptions(mirror_average=False, scale_average=False, depthy_resolution=160)
    mask = depthy_engine.predict(drawing_rgba(), no_progress, never, options).mask
    assert mask[:, :80].sum() == 50 * 71 and not mask[:, 80:].any()


def test_only_paper_is_one_line(stand_in_network):
    stand_in_network(constant(0.25, -10.0))
    with pytest.raises(engine.EngineError) as caught:
        depthy_engine.predict(drawing_rgba(), no_progress, never)
    assert str(caught.value) == "No figure found: Depthy sees only paper in this image"


def test_auto_depth_reads_the_nearness_in_the_units_the_weights_were_taught(stand_in_network, monkeypatch):
    def ramp(x):
        h, w = x.shape[-2:]
        rows = torch.arange(h, dtype=torch.float32).view(h, 1).expand(h, w)
        return torch.stack([rows / h, torch.full((h, w), 10.0)])[None]
    stand_in_network(ramp)
    monkeypatch.setattr(weights, "model_card", lambda *a, **k: {"inference": {"nearness": proportion.FIGURE_WIDTHS}})
    result = depthy_engine.predict(drawing_rgba(), no_progress, never)
    assert result.proportion == proportion.from_nearness(result.nearness, result.mask, units=proportion.FIGURE_WIDTHS)
    assert result.proportion != proportion.from_nearness(result.nearness, result.mask, units=proportion.UNIT_RANGE)


@pytest.mark.parametrize("card, answer", [
    ({}, proportion.UNIT_RANGE),                       # a card from before the field
    ({"inference": {}}, proportion.UNIT_RANGE),
    ({"inference": {"nearness": proportion.FIGURE_WIDTHS}}, proportion.FIGURE_WIDTHS),
    (weights.WeightsError("no card"), proportion.UNIT_RANGE),
])
def test_the_nearness_units_default_to_every_release_so_far(monkeypatch, card, answer):
    def model_card(*args, **kwargs):
        if isinstance(card, Exception):
            raise card
        return card
    monkeypatch.setattr(weights, "model_card", model_card)
    assert depthy_engine.nearness_units() == answer


def test_a_device_that_is_no_device_is_one_line():
    with pytest.raises(engine.EngineError) as caught:
        depthy_engine.predict(drawing_rgba(), no_progress, never, engine.EngineOptions(device="TPU"))
    assert str(caught.value) == "Device must be one of AUTO, CPU, CUDA, MPS, DIRECTML, not 'TPU'"


@pytest.fixture
def on_cuda(monkeypatch, stand_in_network):
    """PyTorch sees a CUDA GPU; `fail[device]` is what the network raises there (when it is set) when it
    is made ("start") or run ("read"). Returns (fail, calls)."""
    monkeypatch.setattr(placement, "torch_gpus", lambda: ["cuda"])
    stand_in_network(constant(0.25, 10.0), "cpu")
    real = depthy_engine.network
    fail, calls = {}, []

    def network(where):
        calls.append(("start", where.device))
        if ("start", where.device) in fail:
            raise fail[("start", where.device)]
        if ("read", where.device) in fail:
            def broken(x):
                calls.append(("read", where.device))
                raise fail[("read", where.device)]
            return broken
        return real(where.on_cpu("stand-in")) if where.device == "cuda" else real(where)
    monkeypatch.setattr(depthy_engine, "network", network)
    monkeypatch.setattr(depthy_engine, "_empty_cache", lambda where: calls.append(("empty", where.device)))
    return fail, calls


def test_a_gpu_that_cannot_start_falls_back_to_the_cpu_and_says_so(on_cuda):
    fail, calls = on_cuda
    fail[("start", "cuda")] = RuntimeError("CUDA driver too old")
    result = depthy_engine.predict(drawing_rgba(), no_progress, never)
    assert result.meta["device"] == "cpu" and result.meta["why_cpu"] == "fell back to CPU: CUDA driver too old"
    assert result.meta["note"] == "Depthy fell back to CPU: CUDA driver too old"


def test_modified_weights_are_never_a_reason_to_try_the_cpu(on_cuda):
    fail, calls = on_cuda
    fail[("start", "cuda")] = weights.WeightsError("depthy.pt was modified")
    with pytest.raises(engine.EngineError, match="^depthy.pt was modified$"):
        depthy_engine.predict(drawing_rgba(), no_progress, never)
    assert calls == [("start", "cuda")]


def test_a_cpu_that_cannot_start_is_not_tried_again(on_cuda):
    fail, calls = on_cuda
    fail[("start", "cpu")] = RuntimeError("broken install")
    with pytest.raises(engine.EngineError, match="^broken install$"):
        depthy_engine.predict(drawing_rgba(), no_progress, never, engine.EngineOptions(device="CPU"))
    assert calls == [("start", "cpu")]


def test_a_gpu_error_that_is_not_memory_is_not_hidden_by_the_cpu(on_cuda):
    fail, calls = on_cuda
    fail[("read", "cuda")] = RuntimeError("CUDA error: an illegal memory access was encountered")
    with pytest.raises(RuntimeError, match="illegal memory access"):
        depthy_engine.predict(drawing_rgba(), no_progress, never)
    assert ("start", "cpu") not in calls


def test_out_of_memory_on_the_cpu_is_not_tried_again(on_cuda):
    fail, calls = on_cuda
    fail[("read", "cpu")] = MemoryError()
    with pytest.raises(MemoryError):
        depthy_engine.predict(drawing_rgba(), no_progress, never, engine.EngineOptions(device="CPU"))
    assert calls == [("start", "cpu"), ("start", "cpu"), ("read", "cpu")] and ("empty", "cpu") not in calls
