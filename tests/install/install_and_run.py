"""Run in a fresh process whose BLENDER_USER_* variables point at a temporary profile:
install the extension zip, enable it, generate from an image empty, print a JSON summary."""
import json
import sys
from pathlib import Path

import bpy

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
site = Path(bpy.utils.user_resource("EXTENSIONS", path=".local")) / "lib"
bundled = sorted(p.name for p in site.glob("python*/site-packages/*") if p.is_dir())
print("SUMMARY " + json.dumps({
    "install": sorted(result), "enabled": enabled, "generate": sorted(generated),
    "object": obj.name, "is_result": obj.depthy.is_result, "engine": obj.depthy.engine,
    "default_engine": default_engine, "vertices": len(obj.data.vertices),
    "module": bpy.ops.depthy.generate.idname_py(), "bundled": bundled,
}))
