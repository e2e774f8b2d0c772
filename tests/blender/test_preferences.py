"""Preferences: the download is offered only with Blender's online access allowed, its failures are one
line, the device list names every GPU kind, and Free Loaded Models frees them."""
import sys
import types

import bpy
import pytest

from depthy_blender.blender import prefs
from depthy_blender.models import depthy_engine, weights


@pytest.fixture
def online():
    system = bpy.context.preferences.system
    before = system.use_online_access
    yield system
    system.use_online_access = before


def test_download_needs_online_access(online):
    online.use_online_access = False
    assert not bpy.app.online_access and not bpy.ops.depthy.download_triposr.poll()
    with pytest.raises(RuntimeError, match=r"Allow online access \(Preferences ▸ System ▸ Network\)"):
        bpy.ops.depthy.download_triposr()
    online.use_online_access = True
    assert bpy.app.online_access and bpy.ops.depthy.download_triposr.poll()


def test_one_download_at_a_time(online):
    online.use_online_access = True
    prefs._DOWNLOAD["running"] = True
    try:
        assert not bpy.ops.depthy.download_triposr.poll()
    finally:
        prefs._DOWNLOAD["running"] = False


def test_a_failed_download_is_one_line(tmp_path, monkeypatch):
    def refused(repo, name, local_dir):
        raise OSError("Connection refused\nretry 1 of 3\nretry 2 of 3")
    fake = types.ModuleType("huggingface_hub")
    fake.hf_hub_download = refused
    monkeypatch.setitem(sys.modules, "huggingface_hub", fake)
    monkeypatch.setitem(prefs._DOWNLOAD, "running", False)
    monkeypatch.setitem(prefs._DOWNLOAD, "error", None)
    prefs._download(str(tmp_path))
    assert prefs._DOWNLOAD["error"] == "Download failed: Connection refused"
    assert prefs._DOWNLOAD["status"] == ""


def test_device_choices_name_every_gpu_kind():
    items = {i.identifier for i in prefs.DepthyPreferences.bl_rna.properties["device"].enum_items}
    assert items == {"AUTO", "CPU", "CUDA", "MPS", "DIRECTML"}


@pytest.mark.skipif(depthy_engine.torch_ready() is not None, reason="needs PyTorch and the shipped weights")
def test_free_loaded_models():
    depthy_engine.get_model("cpu")
    assert depthy_engine._MODELS
    assert bpy.ops.depthy.free_models() == {"FINISHED"}
    assert not depthy_engine._MODELS
    assert weights.locate()   # the files stay; only memory is freed
