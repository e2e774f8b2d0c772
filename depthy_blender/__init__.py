"""Depthy for Blender: turn a drawing into a relief mesh with live depth sliders.

Only register()/unregister() live here; importing the package does not import bpy, so the
headless CLI (python -m depthy_blender) works without Blender's layer.
"""


def register():
    from .blender import props, prefs, operators, panel
    prefs.register()
    props.register()
    operators.register()
    panel.register()


def unregister():
    from .blender import props, prefs, operators, panel
    panel.unregister()
    operators.unregister()
    props.unregister()
    prefs.unregister()
