"""The GPU check script runs end to end on the CPU (its smoke mode), so it is ready when a GPU is lent."""
import json
import subprocess
import sys

import numpy as np
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
    spec = importlib.util.spec_from_file_location("benchmarks.gpu_check", ROOT / "benchmarks" / "gpu_check.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("fails", [False, True])
def test_the_memory_cap_is_set_after_the_cache_is_handed_back_and_always_lifted(monkeypatch, capsys, fails):
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
    monkeypatch.setattr(torch.cuda, "get_device_properties",
                        lambda index: {0: types.SimpleNamespace(total_memory=1 << 30)}[index])
    monkeypatch.setattr(torch.cuda, "set_per_process_memory_fraction", lambda f: calls.append(("cap", f)))

    def predict(rgba, options):
        calls.append(("predict", options.device, options.depthy_resolution, options.depthy_runtime, rgba.shape[2],
                      rgba.dtype, float(rgba[..., 3].min())))
        if fails:
            raise engine.EngineError("stand-in failure")
        return types.SimpleNamespace(meta={"device": "cpu", "why_cpu": "fell back to CPU: out of GPU memory",
                                           "where": "Depthy · CPU · 9.00 s"})
    monkeypatch.setattr(check.engines, "get", lambda name: {"depthy": types.SimpleNamespace(predict=predict)}[name])
    if fails:
        with pytest.raises(engine.EngineError):
            check.depthy_out_of_memory("cuda")
    else:
        assert check.depthy_out_of_memory("cuda") == {"cap_fraction": 100 / 1024, "device": "cpu",
                                                       "why_cpu": "fell back to CPU: out of GPU memory",
                                                       "where": "Depthy · CPU · 9.00 s"}
        assert capsys.readouterr().out == ("Depthy with GPU memory capped at 0.0977: Depthy · CPU · 9.00 s — "
                                           "fell back to CPU: out of GPU memory\n")
    assert calls == [("model", "cuda"), ("empty",), ("cap", 100 / 1024),
                     ("predict", "CUDA", 1024, "torch", 4, np.float32, 1.0), ("cap", 1.0)]


def test_parity_is_the_largest_difference_of_nearness_normalised_over_the_cpus_figure(monkeypatch, capsys):
    """With the engine stood in: the device's reading is the CPU's × 3 + 2 (the same once normalised)
    but for one pixel 0.3 higher (0.1 of the range), and wild off the figure, which must not count."""
    check = _gpu_check()
    mask = np.zeros((8, 8), bool)
    mask[2:6, 1:7] = True
    ref = np.zeros((8, 8), np.float32)
    ref[:, 1:7] = np.linspace(0, 1, 6)
    ref[~mask] = -5.0
    got = ref * 3 + 2
    got[3, 3] += 0.3
    got[~mask] = 100.0
    prob = np.where(mask, 0.9, 0.1)
    calls = []

    def run_network(rgb, where, size=None):
        calls.append((rgb.shape, where.device, size, where.runtime))
        return (ref, prob) if len(calls) % 2 else (got, prob * 0.0)     # the CPU's reading first; its mask counts
    monkeypatch.setattr(check.depthy_engine, "run_network", run_network)
    passes, nets = [], []
    monkeypatch.setattr(check.depthy_engine, "network", lambda where: nets.append((where.runtime, where.device)) or
                        (lambda x: passes.append(x)))
    out = check.depthy_parity_and_speed("cpu", [4])
    assert out["placement"] == "CPU fp32" and set(out["max_diff"]) == set(check.EXAMPLES)
    assert all(v == pytest.approx(0.1, rel=1e-5) for v in out["max_diff"].values())
    assert set(out["speed"]) == {4} and set(out["speed"][4]) == {"pass_s", "engine_s"}
    seeded = np.random.default_rng(0).random((1, 3, 4, 4), dtype=np.float32)
    assert len(passes) == 6 and all(x.dtype == np.float32 and np.array_equal(x, seeded) for x in passes)   # warm-up + 5
    assert calls[6:] == [((4, 4, 3), "cpu", 4, "torch")] * 6 and nets == [("torch", "cpu")]
    assert {c[2:] for c in calls[:6]} == {(None, "torch")} and {c[1] for c in calls[:6]} == {"cpu"}
    printed = capsys.readouterr().out
    assert "Depthy CPU fp32 vs CPU fp32, bracket: max |Δ normalised nearness| 1.00e-01" in printed
    speed = out["speed"][4]
    assert (f"Depthy CPU fp32 4²: one pass {speed['pass_s'] * 1e3:.1f} ms, engine {speed['engine_s'] * 1e3:.1f} ms"
            in printed)


def test_the_device_reading_is_asked_of_the_torch_runtime_on_the_device_and_the_reference_of_the_cpu(monkeypatch):
    check = _gpu_check()
    asked = []
    mask = np.ones((4, 4), bool)
    reading = (np.arange(16, dtype=np.float32).reshape(4, 4), np.where(mask, 0.9, 0.1))

    def run_network(rgb, where, size=None):
        asked.append((where.runtime, where.device, where.half))
        return reading
    monkeypatch.setattr(check.depthy_engine, "run_network", run_network)
    monkeypatch.setattr(check.depthy_engine, "network", lambda where: None)
    out = check.depthy_parity_and_speed("cuda", [])
    assert out["placement"] == "CUDA fp16" and out["max_diff"] == {name: 0.0 for name in check.EXAMPLES}
    assert asked[:2] == [("torch", "cpu", False), ("torch", "cuda", True)] and len(asked) == 6


def test_an_example_is_the_png_as_rgb_in_0_to_1():
    from PIL import Image
    check = _gpu_check()
    rgb = check.example("gear")
    png = np.asarray(Image.open(ROOT / "examples" / "gear.png").convert("RGB"))
    assert rgb.dtype == np.float32 and rgb.shape == png.shape and rgb.shape[2] == 3
    assert np.array_equal(rgb, png.astype(np.float32) / 255) and rgb.max() == 1.0


def test_a_timing_is_the_median_of_five_runs_after_a_warm_up_each_waited_for(monkeypatch):
    import torch
    check = _gpu_check()
    clock, synced, runs = iter(range(100)), [], []
    monkeypatch.setattr(check.time, "perf_counter", lambda: float(next(clock)) ** 2)
    monkeypatch.setattr(check, "sync", lambda device: synced.append(device))
    # the clock reads k² at its k-th reading: runs of 1² - 0², 3² - 2², … 9² - 8² = 1, 5, 9, 13, 17
    assert check.timed(lambda: runs.append(1), "cuda") == 9
    assert len(runs) == 6 and synced == ["cuda"] * 6
    waited = []
    monkeypatch.setattr(torch.cuda, "synchronize", lambda: waited.append(1))
    check = _gpu_check()
    check.sync("cpu")
    assert waited == []
    check.sync("cuda")
    assert waited == [1]


def test_the_small_triposr_runs_its_real_network_for_every_query_and_both_extractions_agree(capsys):
    check = _gpu_check()
    out = check.triposr("cpu", 48, small=True)
    assert out["dtype"] == "torch.float32" and out["resolution"] == 48 and out["peak_gpu_gib"] is None
    assert 0 < out["parameters"] < 1_000_000 and out["encode_s"] > 0                # the smoke network, not 419 M
    fine, dense = out["extraction"]["coarse_to_fine"], out["extraction"]["dense"]
    assert dense["queries"] == 48 ** 3 and 0 < fine["queries"] < dense["queries"] / 2    # at 48³ it skips most
    assert fine["faces"] == dense["faces"] > 0 and fine["seconds"] > 0 and dense["seconds"] > 0
    line = capsys.readouterr().out
    assert "cpu float32: encode" in line and "extraction 48³ coarse-to-fine" in line and "same faces: True" in line
    assert f"coarse-to-fine {fine['seconds']:.2f} s ({fine['queries']:,} queries)" in line
    assert f"{dense['seconds'] / fine['seconds']:.1f}× faster" in line
    assert "peak GPU memory" not in line


def test_the_check_refuses_cuda_where_there_is_none_and_writes_its_log(monkeypatch, tmp_path, capsys):
    import platform

    import torch
    check = _gpu_check()
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(sys, "argv", ["gpu_check.py", "--out", str(tmp_path)])
    with pytest.raises(SystemExit, match="no CUDA device here: run with --device cpu --small"):
        check.main()
    asked = []
    monkeypatch.setattr(check, "depthy_parity_and_speed", lambda device, sizes: asked.append((device, sizes)) or {"d": 1})
    monkeypatch.setattr(check, "depthy_out_of_memory", lambda device: asked.append(device) or {"m": 2})
    monkeypatch.setattr(check, "triposr", lambda device, resolution, small: asked.append((device, resolution, small))
                        or {"t": 3})
    runs = ((["--device", "cpu", "--small"], "cpu", [64, 128], 32), (["--device", "cpu"], "cpu", [256, 512, 1024], 256),
            ([], "cuda", [256, 512, 1024], 256))
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda index: {0: "NVIDIA H200"}[index])
    for k, (given, device, sizes, resolution) in enumerate(runs):
        asked.clear()
        if device == "cuda":
            monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
        out = tmp_path / f"run{k}" / "nested"
        argv = ["gpu_check.py", *given, "--out", str(out)]
        monkeypatch.setattr(sys, "argv", argv)
        check.main()
        assert asked == [(device, sizes), device, (device, resolution, "--small" in given)]
        log = json.loads((out / "gpu_check.json").read_text())
        assert log == {"command": " ".join(argv), "torch": torch.__version__, "python": platform.python_version(),
                       "gpu": "NVIDIA H200" if device == "cuda" else None, "depthy": {"d": 1},
                       "depthy_out_of_memory": {"m": 2}, "triposr": {"t": 3}}
        assert (out / "gpu_check.json").read_text() == json.dumps(log, indent=1) + "\n"
        printed = capsys.readouterr().out
        assert printed.splitlines() == [f"torch {torch.__version__}, {'NVIDIA H200' if device == 'cuda' else 'CPU'}",
                                        f"wrote {out / 'gpu_check.json'}"]


def test_without_cuda_the_fallback_is_skipped_and_says_so(capsys):
    assert _gpu_check().depthy_out_of_memory("cpu") == {"skipped": "no CUDA"}
    assert capsys.readouterr().out == "Depthy out-of-memory fallback: needs CUDA, skipped\n"


def test_each_size_is_timed_on_the_device_and_printed_in_milliseconds(monkeypatch, capsys):
    check = _gpu_check()
    mask = np.ones((4, 4), bool)
    monkeypatch.setattr(check.depthy_engine, "run_network",
                        lambda rgb, where, size=None: (np.arange(16.0).reshape(4, 4), np.where(mask, 0.9, 0.1)))
    monkeypatch.setattr(check.depthy_engine, "network", lambda where: lambda x: None)
    devices = []
    times = iter([0.0123, 0.5])
    monkeypatch.setattr(check, "timed", lambda fn, device: devices.append(device) or next(times))
    out = check.depthy_parity_and_speed("cpu", [8])
    assert devices == ["cpu", "cpu"] and out["speed"] == {8: {"pass_s": 0.0123, "engine_s": 0.5}}
    assert "Depthy CPU fp32 8²: one pass 12.3 ms, engine 500.0 ms\n" in capsys.readouterr().out
