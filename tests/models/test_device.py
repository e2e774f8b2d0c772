"""TripoSR's device choice, precision and out-of-memory test (models/device.py), and the torch side of
Depthy's placement (models/placement.py): what this CPU-only machine has, and a CUDA machine stood in by
patching torch's own answers."""
import pytest

torch = pytest.importorskip("torch")

from depthy_blender.models import device, placement  # noqa: E402
from depthy_blender.models.package import Package  # noqa: E402


@pytest.fixture
def cuda_here(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)


@pytest.fixture
def no_mps(monkeypatch):
    if getattr(torch.backends, "mps", None) is not None:
        monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)


def test_without_a_gpu_auto_and_cpu_are_the_cpu_and_a_named_gpu_is_refused_in_one_line(monkeypatch, no_mps):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert device.choose() == device.choose("auto") == device.choose("CPU") == "cpu"
    with pytest.raises(RuntimeError, match="^CUDA was chosen but no CUDA GPU is available to PyTorch here$"):
        device.choose("cuda")
    with pytest.raises(RuntimeError, match="^MPS was chosen but Apple Metal is not available to PyTorch here$"):
        device.choose("MPS")
    with pytest.raises(ValueError, match=r"^Device must be one of AUTO, CPU, CUDA, MPS, not 'TPU'$"):
        device.choose("tpu")


def test_with_cuda_auto_takes_it_and_the_cpu_can_still_be_chosen(cuda_here, no_mps):
    assert device.choose("AUTO") == device.choose("Cuda") == "cuda"
    assert device.choose("CPU") == "cpu"
    assert placement.torch_gpus() == ["cuda"]


def test_half_precision_on_gpus_only():
    assert device.dtype_for("cuda") == device.dtype_for("mps") == torch.float16
    assert device.dtype_for("cpu") == torch.float32


def test_the_cache_emptied_is_the_devices_own(monkeypatch):
    emptied = []
    monkeypatch.setattr(torch.cuda, "empty_cache", lambda: emptied.append("cuda"))
    if hasattr(torch, "mps"):
        monkeypatch.setattr(torch.mps, "empty_cache", lambda: emptied.append("mps"))
    device.empty_cache("cpu")
    assert emptied == []
    device.empty_cache("cuda")
    assert emptied == ["cuda"]
    if hasattr(torch, "mps"):
        device.empty_cache("mps")
        assert emptied == ["cuda", "mps"]


class OutOfMemoryError(Exception):
    """Named as PyTorch's is, but neither a RuntimeError nor saying "out of memory"."""


@pytest.mark.parametrize("exc, is_oom", [
    (MemoryError(), True),
    (OutOfMemoryError("allocation failed"), True),
    (torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"), True),
    (RuntimeError("MPS backend OUT OF MEMORY"), True),
    (RuntimeError("CUDA error: an illegal memory access was encountered"), False),
    (ValueError("out of memory"), False),          # not an allocation failure of either kind
    (Exception("OutOfMemoryError"), False),        # the name in a message is not the type's name
])
def test_out_of_memory_is_told_by_type_name_or_a_runtime_errors_message(exc, is_oom):
    assert device.is_out_of_memory(exc) is is_oom


def test_the_torch_placement_here_and_on_a_cuda_machine(monkeypatch, no_mps):
    """This machine's CPU torch wheel: no GPU, and a source checkout says the package has none. With a
    CUDA build of torch but no device, a source checkout says no CUDA device was found."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    source = Package("source", None)
    monkeypatch.setattr(torch.version, "cuda", None)
    assert placement.torch_gpus() == []
    assert placement.choose("AUTO", "torch", package=source).why_cpu == "this package has no GPU support"
    monkeypatch.setattr(torch.version, "cuda", "13.0")
    assert placement.choose("AUTO", "torch", package=source) == placement.Placement(
        "torch", "cpu", "no CUDA device found")
    # ONNX Runtime does not read torch's build: its source checkout without a GPU has no GPU support
    assert placement.choose("AUTO", "onnx", gpus=[], package=source).why_cpu == "this package has no GPU support"
    with pytest.raises(placement.PlacementError, match="CUDA was chosen but cannot be used: no CUDA device found"):
        placement.choose("CUDA", "torch", package=source)
    with pytest.raises(placement.PlacementError, match="cannot be used: this package has no GPU support"):
        placement.choose("CUDA", "onnx", gpus=[], package=source)
    assert placement.why_no_gpu(Package("linux-x64", None), torch_cuda_build=True) == "this package has no GPU support"


@pytest.fixture
def metal_here(monkeypatch):
    """An Apple Silicon Mac's torch, stood in: Metal (MPS) available, no CUDA."""
    if getattr(torch.backends, "mps", None) is None:
        pytest.skip("this torch has no MPS backend to stand in for")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)


def test_on_a_mac_auto_takes_metal(metal_here):
    assert device.choose() == device.choose("mps") == "mps"
    assert device.choose("CPU") == "cpu"
    assert placement.torch_gpus() == ["mps"]
    with pytest.raises(RuntimeError, match="CUDA was chosen but no CUDA GPU"):
        device.choose("CUDA")


def test_cuda_comes_before_metal_when_both_answer(metal_here, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert device.choose() == "cuda"
    assert placement.torch_gpus() == ["cuda", "mps"]


def test_a_torch_without_cuda_build_information_or_no_torch_at_all_is_no_cuda_build(monkeypatch):
    import sys
    assert placement.why_no_gpu(Package("source", None)) == "this package has no GPU support"
    monkeypatch.setattr(torch.version, "cuda", "13.0")
    assert placement._torch_cuda_build()
    monkeypatch.delattr(torch.version, "cuda")
    assert not placement._torch_cuda_build()
    monkeypatch.setitem(sys.modules, "torch", None)          # `import torch` raises ImportError
    assert not placement._torch_cuda_build()
