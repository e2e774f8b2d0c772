"""Preferences: the download is offered only with Blender's online access allowed, its failures are one
line, the device list names every GPU kind, and Free Loaded Models frees them."""
import os
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


def test_a_download_fetches_the_config_then_the_checkpoint_into_the_folder(tmp_path, monkeypatch):
    fetched = []
    fake = types.ModuleType("huggingface_hub")
    fake.hf_hub_download = lambda repo, name, local_dir: fetched.append((repo, name, local_dir,
                                                                        prefs._DOWNLOAD["status"]))
    monkeypatch.setitem(sys.modules, "huggingface_hub", fake)
    monkeypatch.setitem(prefs._DOWNLOAD, "running", False)
    monkeypatch.setitem(prefs._DOWNLOAD, "error", None)
    prefs._download(str(tmp_path))
    repo = prefs.triposr_engine.HF_REPO
    assert fetched == [(repo, "config.yaml", str(tmp_path), "Downloading config.yaml…"),   # the status names
                       (repo, "model.ckpt", str(tmp_path), "Downloading model.ckpt…")]     # the file under way
    assert (prefs._DOWNLOAD["status"], prefs._DOWNLOAD["error"]) == ("Downloaded", None)


def test_the_download_status_counts_what_has_arrived(tmp_path, monkeypatch):
    import threading
    import time
    (tmp_path / "sub").mkdir()
    (tmp_path / "config.yaml").write_bytes(b"x" * 1_000_000)
    (tmp_path / "sub" / "model.ckpt.part").write_bytes(b"x" * 2_400_000)
    monkeypatch.setitem(prefs._DOWNLOAD, "running", True)
    monkeypatch.setitem(prefs._DOWNLOAD, "status", "Downloading model.ckpt…")
    watcher = threading.Thread(target=prefs._watch_size, args=(str(tmp_path),))
    watcher.start()
    time.sleep(1.5)                                         # two counts, a second apart: not appended twice
    prefs._DOWNLOAD["running"] = False
    watcher.join(5)
    assert prefs._DOWNLOAD["status"] == "Downloading model.ckpt… (3 of ~1,680 MB)"


def test_the_count_leaves_other_statuses_alone(tmp_path, monkeypatch):
    import threading
    monkeypatch.setitem(prefs._DOWNLOAD, "running", True)
    monkeypatch.setitem(prefs._DOWNLOAD, "status", "Downloaded")
    watcher = threading.Thread(target=prefs._watch_size, args=(str(tmp_path),))
    watcher.start()
    prefs._DOWNLOAD["running"] = False
    watcher.join(5)
    assert prefs._DOWNLOAD["status"] == "Downloaded"


def test_the_weights_folder_is_blenders_data_folder_or_the_extensions_own(monkeypatch):
    assert prefs.default_triposr_folder() == os.path.join(bpy.utils.user_resource("DATAFILES"), "depthy", "triposr")
    asked = []
    monkeypatch.setattr(prefs, "ADDON_ID", "bl_ext.user_default.depthy_blender")
    monkeypatch.setattr(bpy.utils, "extension_path_user",
                        lambda package, path="", create=False: asked.append((package, path, create)) or "/ext/triposr")
    assert prefs.default_triposr_folder() == "/ext/triposr"
    assert asked == [("bl_ext.user_default.depthy_blender", "triposr", True)]   # kept across updates


def test_the_engines_get_the_preferences_and_the_scenes_settings(monkeypatch):
    s = bpy.context.scene.depthy
    s.triposr_output, s.foreground_ratio, s.mc_resolution, s.resolution = "RELIEF", 0.7, 192, 300
    assert prefs._prefs(bpy.context) is None                 # registered by hand here: no add-on entry
    options = prefs.engine_options(bpy.context)
    assert (options.device, options.depthy_resolution, options.triposr_folder) == \
        ("AUTO", depthy_engine.DEFAULT_SIZE, "")
    assert (options.triposr_output, options.mc_resolution, options.relief_resolution) == ("RELIEF", 192, 300)
    assert options.foreground_ratio == pytest.approx(0.7)
    chosen = types.SimpleNamespace(device="CUDA", depthy_size=384, triposr_folder="/weights/triposr")
    monkeypatch.setattr(prefs, "_prefs", lambda context: chosen)
    options = prefs.engine_options(bpy.context)
    assert (options.device, options.depthy_resolution, options.triposr_folder) == ("CUDA", 384, "/weights/triposr")
    for resolution, relief in ((32, 64), (1024, 512)):       # TripoSR's relief image: 64 to 512 px
        s.resolution = resolution
        assert prefs.engine_options(bpy.context).relief_resolution == relief


def test_the_add_ons_preferences_are_found_under_its_own_name():
    entry = types.SimpleNamespace(preferences="its preferences")
    addons = {prefs.ADDON_ID: entry}
    context = types.SimpleNamespace(preferences=types.SimpleNamespace(addons=addons))
    assert prefs._prefs(context) == "its preferences"
    addons.clear()
    assert prefs._prefs(context) is None
