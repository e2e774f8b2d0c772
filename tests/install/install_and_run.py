"""Run in a fresh process whose BLENDER_USER_* variables point at a temporary profile:
install the extension zip, enable it, generate from an image empty, print a JSON summary.

The packages the zip bundles are imported from the profile only (a finder refuses the test
environment's copies), so the summary proves the zip's own wheels work in this Python.
"""
import importlib.abc
import importlib.machinery
import json
import sys
from pathlib import Path

import bpy

BUNDLED = ("scipy", "PIL", "skimage", "ezdxf", "onnxruntime", "torch", "yaml")
site = Path(bpy.utils.user_resource("EXTENSIONS", path=".local")) / "lib" / \
    f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"


class FromProfileOnly(importlib.abc.MetaPathFinder):
    """Top-level imports of bundled packages come from the profile's extension wheels, or fail."""

    def find_spec(self, name, path=None, target=None):
        if name not in BUNDLED:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, [str(site)])
        if spec is None:
            raise ImportError(f"{name} is not bundled in the installed extension")
        return spec


for name in BUNDLED:
    assert name not in sys.modules, f"{name} was imported before the extension was installed"
sys.meta_path.insert(0, FromProfileOnly())

zip_path, drawing = sys.argv[1], sys.argv[2]
result = bpy.ops.extensions.package_install_files(filepath=zip_path, repo="user_default",
                                                  enable_on_install=True)
enabled = "bl_ext.user_default.depthy_blender" in bpy.context.preferences.addons
image = bpy.data.images.load(drawing)
empty = bpy.data.objects.new("reference", None)
empty.empty_display_type = "IMAGE"
empty.data = image
bpy.context.scene.collection.objects.link(empty)
bpy.context.view_layer.objects.active = empty
default_engine = bpy.context.scene.depthy.engine
generated = bpy.ops.depthy.generate()
obj = bpy.context.active_object
bundled = sorted(p.name for p in site.glob("*") if p.is_dir())
loaded_from = {name: str(Path(sys.modules[name].__file__).relative_to(site).parts[0])
               for name in BUNDLED if name in sys.modules}
print("SUMMARY " + json.dumps({
    "install": sorted(result), "enabled": enabled, "generate": sorted(generated),
    "object": obj.name, "is_result": obj.depthy.is_result, "engine": obj.depthy.engine,
    "ran_on": obj.depthy.ran_on, "why_cpu": obj.depthy.why_cpu, "python": list(sys.version_info[:2]),
    "default_engine": default_engine, "vertices": len(obj.data.vertices),
    "module": bpy.ops.depthy.generate.idname_py(), "bundled": bundled, "loaded_from": loaded_from,
}))
