"""Bad inputs give a clear message and leave the scene unchanged; cancel changes nothing."""
import threading

import bpy
import pytest
from PIL import Image

from depthy_blender.blender import generate as gen, operators
from depthy_blender.models import engine, engines
from tests.blender.conftest import image_empty, scene_state
from tests.conftest import outline_drawing


def _fails_cleanly(tmp_path, make_file, message):
    path = make_file(tmp_path)
    before = scene_state()
    s = bpy.context.scene.depthy
    s.source, s.filepath = "FILE", str(path)
    with pytest.raises(RuntimeError, match=message):
        bpy.ops.depthy.generate()
    assert scene_state() == before


def _write(name, data):
    def make(tmp_path):
        path = tmp_path / name
        path.write_bytes(data)
        return path
    return make


def _image(name, img):
    def make(tmp_path):
        path = tmp_path / name
        img.save(path)
        return path
    return make


@pytest.mark.parametrize("make_file, message", [
    (lambda tmp: tmp / "missing.png", "not found"),
    (_write("zero.png", b""), "empty"),
    (_write("corrupt.png", b"\x89PNG\r\n\x1a\n" + b"\x00garbage" * 100), "Cannot read"),
    (_write("notes.jpg", "plain text, not an image".encode()), "Cannot read"),
    (_image("white.png", Image.new("RGB", (200, 150), "white")), "No figure"),
    (_image("dot.png", Image.new("L", (1, 1), 0)), "1×1"),
], ids=["missing", "zero-bytes", "corrupt", "text-as-jpg", "all-white", "one-pixel"])
def test_bad_file_leaves_scene_unchanged(tmp_path, make_file, message):
    _fails_cleanly(tmp_path, make_file, message)


def test_no_image_empty_selected_is_a_message():
    before = scene_state()
    bpy.context.scene.depthy.source = "EMPTY"
    with pytest.raises(RuntimeError, match="Select an image empty"):
        bpy.ops.depthy.generate()
    assert scene_state() == before


def test_image_datablock_with_missing_file(tmp_path, drawing_path):
    path = tmp_path / "gone.png"
    outline_drawing().save(path)
    image = bpy.data.images.load(str(path))
    path.unlink()
    image.reload()
    empty = image_empty(drawing_path)
    empty.data = image
    before = scene_state()
    with pytest.raises(RuntimeError, match="no pixels"):
        bpy.ops.depthy.generate()
    assert scene_state() == before


def test_non_ascii_path_works(tmp_path):
    path = tmp_path / "чертёж 図面 é.png"
    outline_drawing().save(path)
    s = bpy.context.scene.depthy
    s.source, s.filepath = "FILE", str(path)
    assert bpy.ops.depthy.generate() == {"FINISHED"}
    assert bpy.context.active_object.name == "чертёж 図面 é relief"


def test_huge_image_is_downscaled_with_a_message(huge_drawing_path, capsys):
    s = bpy.context.scene.depthy
    s.source, s.filepath = "FILE", str(huge_drawing_path)
    assert bpy.ops.depthy.generate() == {"FINISHED"}
    assert "downscaled" in capsys.readouterr().out
    assert bpy.context.active_object.depthy.is_result


def _slow_engine(started: threading.Event):
    def predict(rgba, progress, cancel, options=None):
        started.set()
        for _ in range(500):
            engine.check_cancel(cancel)
            threading.Event().wait(0.01)
        raise AssertionError("cancel was never seen")
    return engine.Engine("slow_test", "Slow", "test only", predict)


def test_cancel_stops_the_worker_and_changes_nothing(drawing_path):
    started = threading.Event()
    engines.register(_slow_engine(started))
    request = gen.Request(name="x", engine="slow_test", path=str(drawing_path))
    job = operators.Job(request)
    before = scene_state()
    job.start()
    assert started.wait(5)
    job.cancel()
    job.thread.join(5)
    assert not job.thread.is_alive() and job.cancelled and job.outcome is None and job.error is None
    assert scene_state() == before


def test_worker_error_becomes_a_message(drawing_path):
    def broken(rgba, progress, cancel, options=None):
        raise ValueError("boom")
    engines.register(engine.Engine("broken_test", "Broken", "test only", broken))
    job = operators.Job(gen.Request(name="x", engine="broken_test", path=str(drawing_path)))
    job.start()
    job.thread.join(5)
    assert job.error == "Generation failed unexpectedly: boom"


def test_operator_boundary_bad_option_is_one_line_and_changes_nothing(drawing_path):
    """The operator's boundary: a value Blender's own clamp lets through (NaN) is one line, no object."""
    before = scene_state()
    with pytest.raises(RuntimeError, match=r"Depth ratio \(thickness ÷ width\) must be a finite number, not nan"):
        bpy.ops.depthy.generate_file(filepath=str(drawing_path), ratio=float("nan"))
    assert scene_state() == before


def test_operator_boundary_bad_image_is_one_line(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n broken")
    before = scene_state()
    with pytest.raises(RuntimeError) as caught:
        bpy.ops.depthy.generate_file(filepath=str(bad))
    message = str(caught.value).strip()
    assert "Cannot read bad.png" in message and "Traceback" not in message and len(message.splitlines()) == 1
    assert scene_state() == before
