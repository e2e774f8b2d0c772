"""Where the TripoSR engine finds the official weights (the chosen folder, then the Hugging Face cache,
newest snapshot first), what it says when they are missing, and the density query's chunk per device."""
import os
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from depthy_blender.models import engine, triposr_engine  # noqa: E402


def weights_folder(path, complete=True, mtime=None):
    path.mkdir(parents=True)
    (path / "config.yaml").write_text("model: x\n")
    if complete:
        (path / "model.ckpt").write_bytes(b"\0")
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


@pytest.fixture
def no_cache(monkeypatch, tmp_path):
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "empty-home"))


def snapshots(hub):
    return hub / "models--stabilityai--TripoSR" / "snapshots"


def test_the_cache_is_found_from_hf_hub_cache_then_hf_home_then_the_home_folder(monkeypatch, tmp_path):
    hub = tmp_path / "hub-cache"
    old = weights_folder(snapshots(hub) / "zzz", mtime=1_000_000)    # names in the other order: by time, not name
    new = weights_folder(snapshots(hub) / "aaa", mtime=2_000_000)
    weights_folder(tmp_path / "hub-cache" / "models--other--Model" / "snapshots" / "ccc")
    monkeypatch.setenv("HF_HUB_CACHE", str(hub))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "elsewhere"))
    assert triposr_engine.hf_cache_folders() == [new, old]             # newest first, the official repo only
    monkeypatch.delenv("HF_HUB_CACHE")
    home_hub = tmp_path / "hf-home" / "hub"
    in_home = weights_folder(snapshots(home_hub) / "ddd")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    assert triposr_engine.hf_cache_folders() == [in_home]
    monkeypatch.delenv("HF_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    in_user = weights_folder(snapshots(tmp_path / "user" / ".cache" / "huggingface" / "hub") / "eee")
    assert triposr_engine.hf_cache_folders() == [in_user]


def test_the_chosen_folder_comes_first_and_an_incomplete_one_is_passed_over(monkeypatch, tmp_path):
    hub = tmp_path / "hub"
    cached = weights_folder(snapshots(hub) / "snap")
    monkeypatch.setenv("HF_HUB_CACHE", str(hub))
    chosen = weights_folder(tmp_path / "mine")
    assert triposr_engine.find_weights(str(chosen)) == chosen
    assert triposr_engine.find_weights("") == cached
    half = weights_folder(tmp_path / "half", complete=False)            # config.yaml without model.ckpt
    assert triposr_engine.find_weights(str(half)) == cached
    (snapshots(hub) / "snap" / "model.ckpt").unlink()
    assert triposr_engine.find_weights(str(half)) is None
    weights_folder(tmp_path / "work")
    monkeypatch.chdir(tmp_path / "work")                                 # no folder set: not the working folder
    assert triposr_engine.find_weights("") is None and triposr_engine.find_weights() is None


def test_native_axes_become_blenders_in_float32():
    out = triposr_engine.native_to_blender(np.array([[1.0, 2.0, 3.0]]))     # float64 in
    assert out.dtype == np.float32 and out.tolist() == [[2.0, -1.0, 3.0]]


def test_missing_weights_or_packages_are_one_line_naming_what_to_do(no_cache, monkeypatch, tmp_path):
    assert triposr_engine.available(engine.EngineOptions()) == (
        "TripoSR weights not found (no folder set; nor in the Hugging Face cache). Set the folder with "
        "config.yaml and model.ckpt in the add-on preferences, or use the download button there")
    chosen = str(tmp_path / "nowhere")
    assert triposr_engine.available(engine.EngineOptions(triposr_folder=chosen)).startswith(
        f"TripoSR weights not found ({chosen}; nor in the Hugging Face cache). ")
    ready = weights_folder(tmp_path / "ready")
    assert triposr_engine.available(engine.EngineOptions(triposr_folder=str(ready))) is None
    for module in ("torch", "yaml", "skimage"):
        with monkeypatch.context() as m:
            m.setitem(sys.modules, module, None)
            assert triposr_engine.available(engine.EngineOptions(triposr_folder=str(ready))) == (
                f"the Python package '{module}' is missing")


@pytest.mark.parametrize("free, chunk", [
    (8 << 20, 65536),              # 8 MiB free: the floor
    (1 << 30, (1 << 30) // 4 // 1024),
    (80 << 30, 4 << 20),           # 80 GiB free: the ceiling
])
def test_the_cuda_chunk_is_a_quarter_of_free_memory_within_bounds(monkeypatch, free, chunk):
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda: (free, 96 << 30))
    assert triposr_engine.fitted_chunk("cuda") == chunk


def test_the_chunk_on_the_cpu_and_on_metal():
    assert triposr_engine.fitted_chunk("cpu") == 262144
    assert triposr_engine.fitted_chunk("mps") == 1 << 20
