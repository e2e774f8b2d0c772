"""The GPU check script runs end to end on the CPU (its smoke mode), so it is ready when a GPU is lent."""
import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytest.importorskip("torch")


def test_gpu_check_smoke_on_the_cpu(tmp_path):
    result = subprocess.run([sys.executable, "benchmarks/gpu_check.py", "--device", "cpu", "--small",
                             "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    log = json.loads((tmp_path / "gpu_check.json").read_text())
    assert set(log["depthy"]["max_diff"]) == {"bracket", "gear", "bottle"}
    assert max(log["depthy"]["max_diff"].values()) == 0.0          # CPU against itself
    assert log["depthy_out_of_memory"] == {"skipped": "no CUDA"}
    extraction = log["triposr"]["extraction"]
    assert extraction["coarse_to_fine"]["faces"] == extraction["dense"]["faces"] > 0
    assert "Depthy CPU fp32 128²: one pass" in result.stdout


def _gpu_check():
    import importlib.util
    spec = importlib.util.spec_from_file_location("gpu_check", ROOT / "benchmarks" / "gpu_check.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("fails", [False, True])
def test_the_memory_cap_is_set_after_the_cache_is_handed_back_and_always_lifted(monkeypatch, fails):
    """PyTorch checks a memory fraction only when it asks CUDA for more, so blocks cached by the speed runs
    would serve the capped reading: the cache must be emptied before the cap (stand-ins for torch.cuda and
    the engine record the order, since this machine has no GPU)."""
    import types

    import torch
    from depthy_blender.models import engine
    check = _gpu_check()
    calls = []
    monkeypatch.setattr(check.depthy_engine, "get_model", lambda device: calls.append(("model", device)))
    monkeypatch.setattr(torch.cuda, "empty_cache", lambda: calls.append(("empty",)))
    monkeypatch.setattr(torch.cuda, "memory_allocated", lambda: 36 << 20)
    monkeypatch.setattr(torch.cuda, "get_device_properties", lambda index: types.SimpleNamespace(total_memory=1 << 30))
    monkeypatch.setattr(torch.cuda, "set_per_process_memory_fraction", lambda f: calls.append(("cap", f)))

    def predict(rgba, options):
        calls.append(("predict", options.device, options.depthy_resolution, options.depthy_runtime, rgba.shape[2]))
        if fails:
            raise engine.EngineError("stand-in failure")
        return types.SimpleNamespace(meta={"device": "cpu", "why_cpu": "fell back to CPU: out of GPU memory",
                                           "where": "Depthy · CPU · 9.00 s"})
    monkeypatch.setattr(check.engines, "get", lambda name: types.SimpleNamespace(predict=predict))
    if fails:
        with pytest.raises(engine.EngineError):
            check.depthy_out_of_memory("cuda")
    else:
        assert check.depthy_out_of_memory("cuda") == {"cap_fraction": 100 / 1024, "device": "cpu",
                                                       "why_cpu": "fell back to CPU: out of GPU memory",
                                                       "where": "Depthy · CPU · 9.00 s"}
    assert calls == [("model", "cuda"), ("empty",), ("cap", 100 / 1024), ("predict", "CUDA", 1024, "torch", 4),
                     ("cap", 1.0)]
