"""Add-on preferences: compute device and Depthy's working resolution; free cached models."""
import os
import threading

import bpy
from bpy.props import EnumProperty, IntProperty, StringProperty

from ..core import options
from ..errors import first_line
from ..models import depthy_engine, triposr_engine
from ..models.engine import EngineOptions

ADDON_ID = __package__.rsplit(".", 1)[0]   # "depthy_blender", or "bl_ext.<repo>.depthy_blender" as an extension


class DepthyPreferences(bpy.types.AddonPreferences):
    bl_idname = ADDON_ID

    device: EnumProperty(name="Device", description="Where the networks run", items=(
        ("AUTO", "Auto", "A GPU when this package has GPU support and one is here, else the CPU"),
        ("CPU", "CPU", "Always the CPU"),
        ("CUDA", "CUDA", "An NVIDIA GPU (the linux-x64-cuda package)"),
        ("MPS", "Apple Metal", "The GPU of an Apple Silicon Mac (the macos-arm64 package)"),
        ("DIRECTML", "DirectML", "Any DirectX 12 GPU on Windows (the windows-x64-gpu package)"),
    ), default="AUTO")
    depthy_size: IntProperty(name="Depthy Resolution", description="Longer image side the network sees",
                             default=depthy_engine.DEFAULT_SIZE, min=options.low("depthy_resolution"),
                             max=options.high("depthy_resolution"), step=32)
    triposr_folder: StringProperty(name="TripoSR Weights", subtype="DIR_PATH",
                                   description="Folder with the official config.yaml and model.ckpt "
                                               "(the Hugging Face cache is also searched)")

    def draw(self, context):  # pragma: no mutate block (Blender checks its callbacks' signatures)
        col = self.layout.column()
        col.use_property_split = True
        col.prop(self, "device")
        col.prop(self, "depthy_size")
        col.prop(self, "triposr_folder")
        row = col.row()
        row.enabled = bool(bpy.app.online_access) and not _DOWNLOAD["running"]
        row.operator("depthy.download_triposr", icon="IMPORT")
        if not bpy.app.online_access:
            col.label(text="Allow online access (Preferences ▸ System) to download", icon="INFO")
        if _DOWNLOAD["status"]:
            col.label(text=_DOWNLOAD["status"])
        col.operator("depthy.free_models", icon="TRASH")


class DEPTHY_OT_free_models(bpy.types.Operator):
    """Release the memory held by loaded networks (they load again when next needed)"""
    bl_idname = "depthy.free_models"
    bl_label = "Free Loaded Models"

    def execute(self, context):  # pragma: no mutate block (Blender checks its callbacks' signatures)
        depthy_engine.free_models()
        triposr_engine.free_models()
        self.report({"INFO"}, "Models freed")
        return {"FINISHED"}


_DOWNLOAD = {"running": False, "status": "", "error": None}


def default_triposr_folder() -> str:
    """The extension's own user folder (kept across updates), or Blender's data folder otherwise."""
    if ADDON_ID.startswith("bl_ext."):
        return bpy.utils.extension_path_user(ADDON_ID, path="triposr", create=True)
    return os.path.join(bpy.utils.user_resource("DATAFILES"), "depthy", "triposr")


class DEPTHY_OT_download_triposr(bpy.types.Operator):
    """Download the official TripoSR weights (config.yaml and the 1.7 GB model.ckpt) from Hugging Face"""
    bl_idname = "depthy.download_triposr"
    bl_label = "Download TripoSR Weights"

    _timer = None
    _thread = None

    @classmethod
    def poll(cls, context):  # pragma: no mutate block (Blender checks its callbacks' signatures)
        if not bpy.app.online_access:
            cls.poll_message_set("Allow online access (Preferences ▸ System ▸ Network) to download")
            return False
        if _DOWNLOAD["running"]:
            cls.poll_message_set("A download is already running")
            return False
        return True

    def execute(self, context):  # pragma: no mutate block (Blender checks its callbacks' signatures)
        try:
            import huggingface_hub  # noqa: F401
        except ImportError:
            self.report({"ERROR"}, "huggingface_hub is not installed; download config.yaml and model.ckpt from "
                                   f"https://huggingface.co/{triposr_engine.HF_REPO} into a folder and set it above")
            return {"CANCELLED"}
        prefs = _prefs(context)
        folder = bpy.path.abspath(prefs.triposr_folder) if prefs and prefs.triposr_folder else default_triposr_folder()
        os.makedirs(folder, exist_ok=True)
        _DOWNLOAD.update(running=True, status="Starting download", error=None)
        self._thread = threading.Thread(target=_download, args=(folder,), daemon=True)
        self._thread.start()
        if prefs is not None:
            prefs.triposr_folder = folder
        self._timer = context.window_manager.event_timer_add(0.5, window=context.window)
        context.window_manager.modal_handler_add(self)
        return {"RUNNING_MODAL"}

    def modal(self, context, event):  # pragma: no mutate block (Blender checks its callbacks' signatures)
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        for area in context.screen.areas if context.screen else []:
            area.tag_redraw()
        if self._thread.is_alive():
            return {"RUNNING_MODAL"}
        context.window_manager.event_timer_remove(self._timer)
        _DOWNLOAD["running"] = False
        if _DOWNLOAD["error"]:
            self.report({"ERROR"}, _DOWNLOAD["error"])
            return {"CANCELLED"}
        self.report({"INFO"}, "TripoSR weights downloaded")
        return {"FINISHED"}


def _download(folder: str) -> None:
    from huggingface_hub import hf_hub_download
    watcher = threading.Thread(target=_watch_size, args=(folder,), daemon=True)
    watcher.start()
    try:
        for name in ("config.yaml", "model.ckpt"):
            _DOWNLOAD["status"] = f"Downloading {name}…"
            hf_hub_download(triposr_engine.HF_REPO, name, local_dir=folder)
        _DOWNLOAD["status"] = "Downloaded"
    except Exception as exc:   # network, disk or permission: shown to the user as one sentence
        _DOWNLOAD["error"] = f"Download failed: {first_line(exc)}"
        _DOWNLOAD["status"] = ""


def _watch_size(folder: str) -> None:
    import time
    while _DOWNLOAD["running"]:
        total = sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(folder) for f in files)
        if _DOWNLOAD["status"].startswith("Downloading"):
            _DOWNLOAD["status"] = f"{_DOWNLOAD['status'].split(' (')[0]} ({total / 1e6:,.0f} of ~1,680 MB)"
        time.sleep(1.0)


def _prefs(context):
    addon = context.preferences.addons.get(ADDON_ID)
    return addon.preferences if addon else None


def engine_options(context) -> EngineOptions:
    """The engines' options for a generation: the preferences' device, Depthy size and TripoSR folder,
    and the scene's TripoSR settings. Each request carries its own copy."""
    prefs = _prefs(context)
    scene = context.scene.depthy
    return EngineOptions(
        device=prefs.device if prefs else "AUTO",
        depthy_resolution=prefs.depthy_size if prefs else depthy_engine.DEFAULT_SIZE,
        triposr_folder=bpy.path.abspath(prefs.triposr_folder) if prefs and prefs.triposr_folder else "",
        triposr_output=scene.triposr_output, foreground_ratio=scene.foreground_ratio,
        mc_resolution=scene.mc_resolution, relief_resolution=max(64, min(512, scene.resolution)))


CLASSES = (DepthyPreferences, DEPTHY_OT_free_models, DEPTHY_OT_download_triposr)


_register_classes, _unregister_classes = bpy.utils.register_classes_factory(CLASSES)


def register():
    _register_classes()


def unregister():
    _unregister_classes()
    depthy_engine.free_models()
    triposr_engine.free_models()
