"""Add-on preferences: compute device and Depthy's working resolution; free cached models."""
import bpy
from bpy.props import EnumProperty, IntProperty

from ..models import depthy_engine

ADDON_ID = __package__.rsplit(".", 1)[0]   # "depthy_blender", or "bl_ext.<repo>.depthy_blender" as an extension


class DepthyPreferences(bpy.types.AddonPreferences):
    bl_idname = ADDON_ID

    device: EnumProperty(name="Device", description="Where the networks run", items=(
        ("AUTO", "Auto", "A GPU when PyTorch sees one (CUDA, then Apple Metal), else the CPU"),
        ("CPU", "CPU", "Always the CPU"),
        ("CUDA", "CUDA", "An NVIDIA GPU"),
        ("MPS", "Apple Metal", "The GPU of an Apple Silicon Mac"),
    ), default="AUTO")
    depthy_size: IntProperty(name="Depthy Resolution", description="Longer image side the network sees",
                             default=depthy_engine.DEFAULT_SIZE, min=128, max=2048, step=32)

    def draw(self, context):
        col = self.layout.column()
        col.use_property_split = True
        col.prop(self, "device")
        col.prop(self, "depthy_size")
        col.operator("depthy.free_models", icon="TRASH")


class DEPTHY_OT_free_models(bpy.types.Operator):
    """Release the memory held by loaded networks (they load again when next needed)"""
    bl_idname = "depthy.free_models"
    bl_label = "Free Loaded Models"

    def execute(self, context):
        depthy_engine.free_models()
        self.report({"INFO"}, "Models freed")
        return {"FINISHED"}


def apply(context) -> None:
    """Hand the preferences to the engines (called before each generation)."""
    addon = context.preferences.addons.get(ADDON_ID)
    prefs = addon.preferences if addon else None
    depthy_engine.settings["device"] = prefs.device if prefs else "AUTO"
    depthy_engine.settings["size"] = prefs.depthy_size if prefs else depthy_engine.DEFAULT_SIZE


CLASSES = (DepthyPreferences, DEPTHY_OT_free_models)


def register():
    for cls in CLASSES:
        bpy.utils.register_class(cls)


def unregister():
    for cls in reversed(CLASSES):
        bpy.utils.unregister_class(cls)
    depthy_engine.free_models()
