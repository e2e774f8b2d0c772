"""The sidebar panels draw without error in every state the new options create: each property they
show exists on its data, each operator exists, each icon is one Blender has. (Background mode has no
window to draw in, so a recording layout stands in for Blender's.)"""
import bpy
import pytest

from depthy_blender.blender import panel
from tests.blender.conftest import generate

ICONS = set(bpy.types.UILayout.bl_rna.functions["operator"].parameters["icon"].enum_items.keys())


class Recorder:
    """A UILayout stand-in that checks and records what a panel draws: ("prop", name) and
    ("operator", idname) in `shown`; every call with its arguments and whether its row is active in
    `log`."""

    def __init__(self, shown, log=None):
        self.shown, self.log = shown, [] if log is None else log
        self.use_property_split = self.enabled = self.active = True

    def column(self, **_):
        return Recorder(self.shown, self.log)

    row = box = column

    def prop(self, data, name, **kw):
        assert name in data.bl_rna.properties, name
        self._icon(kw)
        self.shown.append(("prop", name))
        self.log.append(("prop", name, kw, self.active))

    def operator(self, idname, **kw):
        group, name = idname.split(".")
        assert hasattr(getattr(bpy.ops, group), name), idname
        self._icon(kw)
        self.shown.append(("operator", idname))
        self.log.append(("operator", idname, kw, self.active))
        return OperatorSettings(idname, kw)

    def label(self, **kw):
        self._icon(kw)
        self.log.append(("label", kw.get("text"), kw, self.active))

    def _icon(self, kw):
        assert kw.get("icon", "NONE") in ICONS, kw["icon"]

    def separator(self, **_):
        pass

    def template_ID(self, data, name, **kw):
        self.log.append(("template_ID", name, kw, self.active))

    def progress(self, **kw):
        self.log.append(("progress", kw.get("text"), kw, self.active))


class OperatorSettings:
    """What UILayout.operator returns: the button's operator settings; each one set must exist on the
    operator, and is recorded in the button's arguments (`kw`) under "set"."""

    def __init__(self, idname, kw):
        group, name = idname.split(".")
        object.__setattr__(self, "_names", getattr(getattr(bpy.ops, group), name).get_rna_type().properties.keys())
        object.__setattr__(self, "_kw", kw)

    def __setattr__(self, name, value):
        assert name in self._names, name
        self._kw.setdefault("set", {})[name] = value


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


def test_the_faces_choices_are_the_pipelines_readings_as_read_by_default():
    from depthy_blender.blender import operators, props
    from depthy_blender.pipeline import drawing
    assert [item[0] for item in props.FACE_ITEMS] == list(drawing.FACES)
    assert bpy.context.scene.depthy.faces == "engine"
    rna = bpy.ops.depthy.generate.get_rna_type().properties["faces"]
    assert [item.identifier for item in rna.enum_items] == list(drawing.FACES) and "faces" in operators.REDO


def test_the_sheet_panel_offers_flat_faces_before_the_solid():
    names = [name for kind, name in drawn(panel.DEPTHY_PT_sheet) if kind == "prop"]
    assert names.index("sheet_flat_faces") == names.index("sheet_solid") - 1
    assert bpy.context.scene.depthy.sheet_flat_faces is True        # a sheet's views are square-on


def props_shown(panel_method, *args):
    """The properties a Generate panel part draws, in order, each with whether its row is active."""
    log = []
    panel_method(panel.DEPTHY_PT_generate, Recorder([], log), *args)
    return [(name, active) for kind, name, _, active in log if kind == "prop"], log


@pytest.mark.parametrize("source, second", [("EMPTY", []), ("IMAGE", [("template_ID", "image")]),
                                            ("FILE", [("prop", "filepath")])])
def test_the_source_row_shows_what_the_chosen_source_needs(source, second):
    settings = bpy.context.scene.depthy
    settings.source = source
    _, log = props_shown(panel.DEPTHY_PT_generate.draw_source, settings)
    assert [(kind, name) for kind, name, _, _ in log] == [("prop", "source")] + second
    assert log[0][2] == {"expand": True}
    if source == "IMAGE":
        assert log[1][2] == {"open": "image.open"}
    if source == "FILE":
        assert log[1][2] == {"text": ""}                       # the path alone: the row is labelled above


def test_the_options_follow_the_settings_that_make_them_matter():
    s = bpy.context.scene.depthy
    s.engine, s.source, s.background, s.back, s.auto_ratio = "inflate", "EMPTY", "AUTO", "none", True
    shown, _ = props_shown(panel.DEPTHY_PT_generate.draw_options, s)
    assert shown == [("engine", True), ("faces", True), ("resolution", True), ("background", True),
                     ("back", True), ("triangles", True), ("auto_ratio", True), ("ratio", False), ("smoothing", True)]
    s.source, s.background, s.back, s.auto_ratio = "FILE", "BORDER", "flat", False
    shown, _ = props_shown(panel.DEPTHY_PT_generate.draw_options, s)
    assert [n for n, _ in shown] == ["engine", "faces", "resolution", "background", "background_tolerance",
                                     "back", "base", "triangles", "size", "auto_ratio", "ratio", "smoothing"]
    assert dict(shown)["ratio"] is True                         # the ratio is the artist's once Auto is off


@pytest.mark.parametrize("engine, back, hint", [("turned", "none", True), ("turned", "flat", True),
                                                ("turned", "mirror", False), ("inflate", "none", False)])
def test_turned_points_to_the_mirrored_back_until_it_is_chosen(engine, back, hint):
    s = bpy.context.scene.depthy
    s.engine, s.back, s.source = engine, back, "EMPTY"
    _, log = props_shown(panel.DEPTHY_PT_generate.draw_options, s)
    labels = [(name, kw.get("icon")) for kind, name, kw, _ in log if kind == "label"]
    assert labels == ([("Back Mirror makes the whole turned part", "INFO")] if hint else [])
    names = [name for kind, name, _, _ in log]
    assert not hint or names.index("back") < names.index("Back Mirror makes the whole turned part")


def test_triposr_shows_its_own_settings_and_the_relief_ones_only_for_a_relief():
    s = bpy.context.scene.depthy
    s.engine, s.triposr_output, s.source = "triposr", "FULL", "EMPTY"
    shown, _ = props_shown(panel.DEPTHY_PT_generate.draw_options, s)
    assert [n for n, _ in shown] == ["engine", "triposr_output", "foreground_ratio", "mc_resolution"]
    s.triposr_output = "RELIEF"
    shown, _ = props_shown(panel.DEPTHY_PT_generate.draw_options, s)
    assert [n for n, _ in shown][:5] == ["engine", "triposr_output", "foreground_ratio", "faces", "resolution"]
    assert "mc_resolution" not in [n for n, _ in shown]


def test_progress_shows_in_the_panel_of_the_running_task_only():
    wm = bpy.context.window_manager
    wm.depthy_running, wm.depthy_task, wm.depthy_progress, wm.depthy_status = True, "drawing", 0.25, "Building"
    try:
        log = []
        panel.draw_progress(Recorder([], log), bpy.context, "drawing")
        assert [(kind, name) for kind, name, _, _ in log] == [("progress", "Building"), ("label", "Esc cancels")]
        assert log[0][2] == {"factor": pytest.approx(0.25), "type": "BAR", "text": "Building"}
        assert log[1][2] == {"text": "Esc cancels", "icon": "INFO"}
        log.clear()
        panel.draw_progress(Recorder([], log), bpy.context, "sheet")
        assert log == []
        wm.depthy_running = False
        log.clear()
        panel.draw_progress(Recorder([], log), bpy.context, "drawing")
        assert log == []
    finally:
        wm.depthy_running, wm.depthy_task = False, ""


def test_the_run_row_is_progress_then_the_button():
    log = []
    panel.DEPTHY_PT_generate.draw_run(panel.DEPTHY_PT_generate, Recorder([], log), bpy.context)
    assert log == [("operator", "depthy.generate", {"icon": "MOD_DISPLACE"}, True)]
    wm = bpy.context.window_manager
    wm.depthy_running, wm.depthy_task, wm.depthy_status = True, "drawing", "Building"
    try:
        log.clear()
        panel.DEPTHY_PT_generate.draw_run(panel.DEPTHY_PT_generate, Recorder([], log), bpy.context)
        assert [(kind, name) for kind, name, _, _ in log] == [("progress", "Building"), ("label", "Esc cancels"),
                                                              ("operator", "depthy.generate")]
    finally:
        wm.depthy_running, wm.depthy_task = False, ""


def test_engines_are_named_as_the_artist_knows_them():
    assert panel.engine_label("inflate") == "Inflate"
    assert panel.engine_label("gone engine") == "gone engine" and panel.engine_label("") == "unknown"
