"""Depthy on two runtimes: where it runs (and why not on a GPU), the ONNX export's parity with PyTorch
on the CPU (the export itself is checked in test_depthy_export.py), the graph's checksum, and the
GPU → CPU fallbacks, all with no GPU present."""
import json
import shutil

import numpy as np
import pytest
from PIL import Image

from depthy_blender.models import depthy_engine, depthy_onnx, engines, placement, weights
from depthy_blender.models.package import Package
from tests.conftest import ROOT

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")
onnxruntime = pytest.importorskip("onnxruntime")

CPU_PACKAGE = Package("linux-x64", None)


@pytest.mark.parametrize("package, reason", [
    (Package("linux-x64", None), "this package has no GPU support"),
    (Package("windows-x64", None), "this package has no GPU support"),
    (Package("linux-x64-cuda", "CUDA"), "no CUDA device found"),
    (Package("windows-x64-gpu", "DirectML"), "no DirectX 12 GPU found"),
    (Package("macos-arm64", "Metal"), "Apple Metal is not available"),
])
def test_auto_without_a_gpu_says_why(package, reason):
    where = placement.choose("AUTO", "onnx", gpus=[], package=package)
    assert (where.device, where.why_cpu) == ("cpu", reason)
    assert where.label() == "CPU fp32 (ONNX Runtime)"


def test_auto_takes_the_gpu_the_runtime_sees():
    cuda = placement.choose("AUTO", "torch", gpus=["cuda"], package=Package("linux-x64-cuda", "CUDA"))
    assert (cuda.device, cuda.half, cuda.why_cpu, cuda.label()) == ("cuda", True, None, "CUDA fp16")
    dml = placement.choose("auto", "onnx", gpus=["directml"], package=Package("windows-x64-gpu", "DirectML"))
    assert (dml.device, dml.half, dml.label()) == ("directml", False, "DirectML fp32 (ONNX Runtime)")


def test_cpu_preference_and_unusable_choices():
    assert placement.choose("CPU", "torch", gpus=["cuda"], package=CPU_PACKAGE) == placement.Placement(
        "torch", "cpu", "CPU chosen in the preferences")
    assert placement.choose("cpu", "onnx", gpus=["directml"], package=CPU_PACKAGE).runtime == "onnx"
    with pytest.raises(placement.PlacementError, match="CUDA was chosen but cannot be used: this package has no GPU"):
        placement.choose("CUDA", "onnx", gpus=[], package=CPU_PACKAGE)
    with pytest.raises(placement.PlacementError,
                       match=r"^Device must be one of AUTO, CPU, CUDA, MPS, DIRECTML, not 'TPU'$"):
        placement.choose("TPU", "onnx", gpus=[], package=CPU_PACKAGE)


def test_a_named_gpu_the_runtime_sees_is_used_and_a_fallback_keeps_the_runtime():
    gpu = Package("windows-x64-gpu", "DirectML")
    assert placement.choose("DirectML", "onnx", gpus=["directml"], package=gpu) == placement.Placement(
        "onnx", "directml")
    cuda = placement.choose("CUDA", "torch", gpus=["cuda", "mps"], package=Package("linux-x64-cuda", "CUDA"))
    assert cuda == placement.Placement("torch", "cuda")
    assert cuda.on_cpu(placement.OUT_OF_MEMORY) == placement.Placement("torch", "cpu", placement.OUT_OF_MEMORY)


def test_detection_on_this_machine():
    gpus = placement.onnx_gpus()
    where = placement.choose("AUTO", "onnx", package=CPU_PACKAGE)
    assert where.device == (gpus[0] if gpus else "cpu")
    assert (where.why_cpu is None) == bool(gpus)


def test_package_file(tmp_path):
    from depthy_blender.models import package
    path = tmp_path / "package.json"
    path.write_text(json.dumps({"name": "windows-x64-gpu", "gpu": "DirectML"}))
    assert package.current(path) == Package("windows-x64-gpu", "DirectML")
    path.write_text(json.dumps({"name": "linux-x64", "gpu": "TPU"}))   # a GPU kind this code does not know
    assert package.current(path) == Package("linux-x64", None)
    path.write_text("{not json")
    assert package.current(path) == Package("source", None)
    assert package.current(tmp_path / "missing.json") == Package("source", None)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("onnx")
    path = depthy_onnx.export(folder)
    yield folder, path
    depthy_onnx.free_sessions()


@pytest.fixture
def onnx_only(exported, monkeypatch):
    """The engine as a package without PyTorch sees it: the exported graph, no .pt."""
    folder, _ = exported
    monkeypatch.setattr(weights, "WEIGHTS_DIR", folder)
    monkeypatch.setattr(depthy_engine, "torch_ready", lambda: "PyTorch is not installed")
    depthy_onnx.free_sessions()
    yield folder
    depthy_onnx.free_sessions()


def _normalised(near, mask):
    v = near[mask]
    return (near - v.min()) / (v.max() - v.min())


@pytest.mark.parametrize("example, size", [("bracket", 256), ("gear", 256), ("bottle", 512)])
def test_onnx_matches_torch_on_the_cpu(onnx_only, example, size):
    rgb = np.asarray(Image.open(ROOT / "examples" / f"{example}.png").convert("RGB"), np.float32) / 255
    near_t, prob_t = depthy_engine.run_network(rgb, placement.Placement("torch", "cpu"), size)
    near_o, prob_o = depthy_engine.run_network(rgb, placement.Placement("onnx", "cpu"), size)
    mask = prob_t > 0.5
    assert mask.sum() > 1000
    assert np.abs(_normalised(near_t, mask) - _normalised(near_o, mask))[mask].max() <= 1e-3
    assert np.abs(prob_t - prob_o).max() <= 1e-3


def test_onnx_pads_a_size_off_the_stride_as_torch_does(exported):
    """Neither side of 200 × 136 is a multiple of 32: the graph gets the picture with its edge pixels
    replicated out to 224 × 160 and the answer cropped back, as the PyTorch network pads inside."""
    folder, _ = exported
    rgb = np.asarray(Image.open(ROOT / "examples" / "gear.png").convert("RGB"), np.float32) / 255
    x = np.ascontiguousarray(rgb[56:456:2, 120:392:2].transpose(2, 0, 1)[None])   # (1, 3, 200, 136)
    answer = depthy_onnx.network(folder=folder)(x)                                    # on the CPU by default
    with torch.no_grad():
        expected = depthy_engine.get_model("cpu")(torch.from_numpy(x)).numpy()
    assert answer.shape == expected.shape == (1, 2, 200, 136)
    assert np.abs(answer - expected).max() <= 1e-3


class FakeSession:
    """ONNX Runtime's InferenceSession as a machine without the asked-for GPU answers: the CPU provider
    takes over whatever was asked first (stands in for a DirectML or CUDA provider that cannot start)."""
    made = []

    def __init__(self, path, options, providers):
        self.providers = providers
        FakeSession.made.append((path, options.log_severity_level, providers))

    def get_providers(self):
        return [p for p in self.providers if p == "CPUExecutionProvider"] or self.providers


def test_a_session_asks_for_its_gpu_then_the_cpu_and_says_which_gpu_failed(exported, monkeypatch):
    folder, path = exported
    FakeSession.made.clear()
    monkeypatch.setattr(onnxruntime, "InferenceSession", FakeSession)
    depthy_onnx.free_sessions()
    try:
        assert depthy_onnx.session(folder=folder).providers == ["CPUExecutionProvider"]   # the CPU by default
        with pytest.raises(RuntimeError, match="^no DirectX 12 GPU found$"):
            depthy_onnx.session("directml", folder=folder)
        with pytest.raises(RuntimeError, match="^no CUDA device found$"):
            depthy_onnx.session("cuda", folder=folder)
        assert FakeSession.made == [
            (str(path), 3, ["CPUExecutionProvider"]),
            (str(path), 3, ["DmlExecutionProvider", "CPUExecutionProvider"]),
            (str(path), 3, ["CUDAExecutionProvider", "CPUExecutionProvider"])]
    finally:
        depthy_onnx.free_sessions()


def test_sessions_are_made_once_per_graph_and_device(exported, tmp_path):
    folder, _ = exported
    for item in folder.iterdir():
        shutil.copy(item, tmp_path / item.name)
    depthy_onnx.free_sessions()
    try:
        first = depthy_onnx.session("cpu", folder=folder)
        assert depthy_onnx.session("cpu", folder=folder) is first
        other = depthy_onnx.session("cpu", folder=tmp_path)          # the same graph in another folder
        assert other is not first and depthy_onnx.session("cpu", folder=tmp_path) is other
        depthy_onnx.free_sessions()
        assert depthy_onnx.session("cpu", folder=folder) is not first
    finally:
        depthy_onnx.free_sessions()


def test_without_onnx_runtime_the_reason_is_the_one_the_engine_recognises(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    assert depthy_onnx.available() == "ONNX Runtime is not installed"
    monkeypatch.setattr(depthy_engine, "torch_ready", lambda: "PyTorch is not installed")
    assert depthy_engine.available() == "neither PyTorch nor ONNX Runtime is installed"


def test_onnx_engine_reports_where_it_ran(onnx_only, drawing_path):
    rgba = np.asarray(Image.open(drawing_path).convert("RGBA"), np.float32) / 255
    result = engines.get("depthy").predict(rgba)
    assert result.meta["runtime"] == "onnx" and result.meta["device"] == "cpu"
    assert result.meta["where"].startswith("Depthy · CPU fp32 (ONNX Runtime) · ")
    assert result.meta["why_cpu"] == "this package has no GPU support" and "note" not in result.meta


def test_directml_that_cannot_start_falls_back(onnx_only, drawing_path, monkeypatch):
    monkeypatch.setattr(placement, "onnx_gpus", lambda: ["directml"])
    rgba = np.asarray(Image.open(drawing_path).convert("RGBA"), np.float32) / 255
    result = engines.get("depthy").predict(rgba)
    assert result.meta["device"] == "cpu"
    assert result.meta["why_cpu"] == "fell back to CPU: no DirectX 12 GPU found"


def test_tampered_graph_is_refused(exported, tmp_path):
    folder, path = exported
    for item in folder.iterdir():
        shutil.copy(item, tmp_path / item.name)
    graph = tmp_path / path.name
    data = bytearray(graph.read_bytes())
    data[-100] ^= 1
    graph.write_bytes(bytes(data))
    with pytest.raises(weights.WeightsError, match="does not match its model card"):
        weights.verified_onnx(folder=tmp_path)
    card = tmp_path / f"{weights.DEPTHY_NAME}.json"
    card.write_text(json.dumps({k: v for k, v in json.loads(card.read_text()).items() if k != "onnx"}))
    with pytest.raises(weights.WeightsError, match="does not describe"):
        weights.verified_onnx(folder=tmp_path)
    assert "not installed" in depthy_onnx.available(folder=tmp_path / "nowhere")


def test_torch_out_of_memory_falls_back_to_cpu(drawing_path, monkeypatch):
    monkeypatch.setattr(placement, "torch_gpus", lambda: ["cuda"])
    real = depthy_engine.network
    used = []

    def network(where):
        used.append(where.device)
        if where.device == "cuda":
            def out_of_memory(x):
                raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
            return out_of_memory
        return real(where)
    monkeypatch.setattr(depthy_engine, "network", network)
    monkeypatch.setattr(depthy_engine, "_empty_cache", lambda where: used.append(f"freed {where.device}"))
    rgba = np.asarray(Image.open(drawing_path).convert("RGBA"), np.float32) / 255
    result = engines.get("depthy").predict(rgba)
    assert used[:3] == ["cuda", "cuda", "freed cuda"] and used[-1] == "cpu"
    assert result.meta["device"] == "cpu" and result.meta["why_cpu"] == placement.OUT_OF_MEMORY
    assert result.meta["note"] == "Depthy fell back to CPU: out of GPU memory"
    assert result.meta["where"].startswith("Depthy · CPU fp32 · ")
