"""The interactive path, driven by hand in background mode: invoke starts the worker and a timer, modal
polls it on timer events and finishes, Esc cancels with nothing changed, and the running flag and the
panel's task follow. Blender gives no window here, so the window manager's timer and handler calls are
recorded instead; everything else is the real operator code on real data."""
import threading
import time
from types import SimpleNamespace

import bpy
import numpy as np
import pytest

from depthy_blender.blender import generate as gen, operators
from depthy_blender.models import engine, engines
from tests.blender.conftest import scene_state


class Manager:
    """The real window manager's Depthy properties, with the timer and modal-handler calls recorded."""

    def __init__(self):
        self.calls = []

    def __getattr__(self, name):
        return getattr(bpy.context.window_manager, name)

    def __setattr__(self, name, value):
        if name == "calls":
            object.__setattr__(self, name, value)
        else:
            setattr(bpy.context.window_manager, name, value)

    def event_timer_add(self, step, window=None):
        self.calls.append(("timer", step, window))
        return "timer"

    def event_timer_remove(self, timer):
        self.calls.append(("remove", timer))

    def modal_handler_add(self, op):
        self.calls.append(("handler", op))

    @property
    def windows(self):
        return []


class Context:
    """bpy.context with the window manager above and a workspace whose status text is recorded."""

    def __init__(self):
        self.window_manager = Manager()
        self.window = "the artist's window"
        self.status = []
        self.workspace = SimpleNamespace(status_text_set=self.status.append)

    def __getattr__(self, name):
        return getattr(bpy.context, name)


def drawing_operator(request):
    """An object that runs the generate operator's own methods (Blender cannot make an operator
    instance outside its own call)."""
    op = SimpleNamespace(filepath="", task="drawing", reports=[])
    op.report = lambda kind, text: op.reports.append((sorted(kind)[0], text))
    op._request = lambda context: request if isinstance(context, Context) else None
    for name in ("_start_modal", "modal", "_on_event", "_finish", "_make_job"):
        setattr(op, name, getattr(operators.DEPTHY_OT_generate, name).__get__(op))
    op._build = operators.DEPTHY_OT_generate._build.__get__(op)
    return op


def tick(op, context, kind="TIMER", value="NOTHING"):
    return op.modal(context, SimpleNamespace(type=kind, value=value))


def test_invoke_runs_the_worker_and_modal_finishes(drawing_path):
    request = gen.Request(name="drawing", engine="inflate", path=str(drawing_path), resolution=48)
    op, context = drawing_operator(request), Context()
    assert op._start_modal(context) == {"RUNNING_MODAL"}
    wm = bpy.context.window_manager
    assert wm.depthy_running and wm.depthy_task == "drawing"
    assert (wm.depthy_progress, wm.depthy_status) == (0.0, "Starting")   # until the first tick
    assert context.window_manager.calls == [("timer", 0.1, "the artist's window"), ("handler", op)]
    assert tick(op, context, "MOUSEMOVE") == {"PASS_THROUGH"}          # other events pass on
    deadline = time.time() + 60
    result = {"RUNNING_MODAL"}
    while result == {"RUNNING_MODAL"} and time.time() < deadline:
        time.sleep(0.05)
        result = tick(op, context)
    assert result == {"FINISHED"}
    assert not wm.depthy_running and (wm.depthy_task, wm.depthy_status) == ("", "")
    assert context.window_manager.calls[-1] == ("remove", "timer")
    assert any("Esc to cancel" in s for s in context.status if s) and context.status[-1] is None
    assert bpy.context.active_object.depthy.is_result
    assert op.reports[-1][0] == "INFO" and "Created 'drawing relief'" in op.reports[-1][1]


def test_a_refused_request_starts_nothing():
    op, context = drawing_operator(None), Context()
    assert op._start_modal(context) == {"CANCELLED"}
    assert context.window_manager.calls == [] and not bpy.context.window_manager.depthy_running


def test_esc_cancels_and_changes_nothing(drawing_path):
    started = threading.Event()

    def slow(rgba, progress, cancel, options=None):
        started.set()
        for _ in range(400):
            engine.check_cancel(cancel)
            time.sleep(0.01)
        return engine.DepthResult(np.ones(rgba.shape[:2], np.float32), np.ones(rgba.shape[:2], bool))
    engines.register(engine.Engine("slow_modal_test", "Slow", "test only", slow))
    try:
        before = scene_state()
        request = gen.Request(name="drawing", engine="slow_modal_test", path=str(drawing_path), resolution=32)
        op, context = drawing_operator(request), Context()
        assert op._start_modal(context) == {"RUNNING_MODAL"}
        assert started.wait(30)
        assert tick(op, context, "A", "PRESS") == {"PASS_THROUGH"} and not op._job._cancel.is_set()
        assert tick(op, context, "ESC", "RELEASE") == {"PASS_THROUGH"} and not op._job._cancel.is_set()
        assert tick(op, context) == {"RUNNING_MODAL"}                       # still working: shown, kept
        wm = bpy.context.window_manager
        assert wm.depthy_status == op._job.stage == "Reading the image"
        assert wm.depthy_progress == pytest.approx(op._job.progress) == pytest.approx(0.02)
        assert context.status[-1] == f"Depthy: {op._job.stage} ({op._job.progress:.0%}) — Esc to cancel"
        assert tick(op, context, "ESC", "PRESS") == {"PASS_THROUGH"}
        result = {"RUNNING_MODAL"}
        deadline = time.time() + 30
        while result == {"RUNNING_MODAL"} and time.time() < deadline:
            time.sleep(0.02)
            result = tick(op, context)
        assert result == {"CANCELLED"}
        assert op.reports[-1] == ("WARNING", "Generation cancelled; nothing was changed")
        assert scene_state() == before and not bpy.context.window_manager.depthy_running
    finally:
        engines._REGISTRY.pop("slow_modal_test", None)


def test_a_running_job_disables_another_generate(drawing_path):
    """While one generation runs, Generate is greyed out with the reason."""
    wm = bpy.context.window_manager
    wm.depthy_running = True
    try:
        assert not bpy.ops.depthy.generate_file.poll()
    finally:
        wm.depthy_running = False
    assert bpy.ops.depthy.generate_file.poll()


def test_drop_is_offered_only_over_the_3d_view():
    handler = operators.DEPTHY_FH_drawing
    assert handler.poll_drop(SimpleNamespace(area=SimpleNamespace(type="VIEW_3D")))
    assert not handler.poll_drop(SimpleNamespace(area=SimpleNamespace(type="IMAGE_EDITOR")))
    assert not handler.poll_drop(SimpleNamespace(area=None))
