"""The sidebar panels draw without error in every state the new options create: each property they
show exists on its data, each operator exists, each icon is one Blender has. (Background mode has no
window to draw in, so a recording layout stands in for Blender's.)"""
import bpy
import pytest

from depthy_blender.blender import panel
from tests.blender.conftest import generate

ICONS = set(bpy.types.UILayout.bl_rna.functions["operator"].parameters["icon"].enum_items.keys())


class Recorder:
    """A UILayout stand-in that checks and records what a panel draws."""

    def __init__(self, shown):
        self.shown = shown
        self.use_property_split = self.enabled = self.active = True

    def column(self, **_):
        return Recorder(self.shown)

    row = box = column

    def prop(self, data, name, **kw):
        assert name in data.bl_rna.properties, name
        self._icon(kw)
        self.shown.append(("prop", name))

    def operator(self, idname, **kw):
        group, name = idname.split(".")
        assert hasattr(getattr(bpy.ops, group), name), idname
        self._icon(kw)
        self.shown.append(("operator", idname))

    def label(self, **kw):
        self._icon(kw)

    def _icon(self, kw):
        assert kw.get("icon", "NONE") in ICONS, kw["icon"]

    def separator(self, **_):
        pass

    def template_ID(self, *_, **__):
        pass

    def progress(self, **_):
        pass


def drawn(panel_class):
    shown = []
    methods = {k: v for k, v in vars(panel_class).items() if callable(v)}   # draw and its helpers
    panel_class.draw(type("Panel", (), {**methods, "layout": Recorder(shown)})(), bpy.context)
    return shown


@pytest.mark.parametrize("back", ["none", "flat"])
def test_the_generate_panel_shows_auto_depth_and_the_base_for_closed_backs(back):
    settings = bpy.context.scene.depthy
    settings.back = back
    shown = drawn(panel.DEPTHY_PT_generate)
    assert ("prop", "auto_ratio") in shown and ("prop", "ratio") in shown
    assert (("prop", "base") in shown) == (back != "none")
    assert ("operator", "depthy.generate") in shown


def test_the_relief_panel_offers_the_as_drawn_depth_and_a_closed_reliefs_base(drawing_path):
    generate(source="FILE", filepath=str(drawing_path), back="flat")
    shown = drawn(panel.DEPTHY_PT_relief)
    assert ("operator", "depthy.ratio_as_drawn") in shown and ("prop", "base") in shown
    generate(source="FILE", filepath=str(drawing_path), back="none", engine="luminance")
    shown = drawn(panel.DEPTHY_PT_relief)     # no as-drawn depth to go back to, no back to put a base under
    assert ("operator", "depthy.ratio_as_drawn") not in shown and ("prop", "base") not in shown
    assert ("prop", "ratio") in shown


def test_the_sheet_panel_draws():
    assert drawn(panel.DEPTHY_PT_sheet)
