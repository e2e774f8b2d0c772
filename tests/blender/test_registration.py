"""Disabling the add-on takes away everything enabling it added, and enabling it again works (the
Preferences checkbox, or an update that reloads it)."""
import pytest

bpy = pytest.importorskip("bpy")

import depthy_blender  # noqa: E402
from depthy_blender.blender import operators, panel, prefs, props  # noqa: E402

RUNTIME = ("depthy_running", "depthy_progress", "depthy_status", "depthy_task")


def test_disabling_removes_every_property_and_class_and_enabling_again_restores_them():
    classes = [*props.CLASSES, *operators.CLASSES, *panel.CLASSES, *prefs.CLASSES]
    assert all(c.is_registered for c in classes)
    depthy_blender.unregister()
    try:
        assert not hasattr(bpy.types.Scene, "depthy") and not hasattr(bpy.types.Object, "depthy")
        assert not any(hasattr(bpy.types.WindowManager, name) for name in RUNTIME)
        assert not any(c.is_registered for c in classes)
    finally:
        depthy_blender.register()
    assert all(c.is_registered for c in classes)
    assert hasattr(bpy.types.Scene, "depthy") and hasattr(bpy.types.Object, "depthy")
    assert all(hasattr(bpy.types.WindowManager, name) for name in RUNTIME)
    bpy.ops.wm.read_homefile(use_empty=True)
    assert bpy.context.scene.depthy.auto_ratio and bpy.context.window_manager.depthy_running is False
