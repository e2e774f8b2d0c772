"""Blender tier: the add-on registered into the bpy module once; every test starts from an empty file."""
import numpy as np
import pytest

bpy = pytest.importorskip("bpy")

import depthy_blender  # noqa: E402

_SESSION = {}   # what the session did: registered the add-on, pytest's exit status


@pytest.fixture(scope="session", autouse=True)
def registered():
    depthy_blender.register()
    _SESSION["registered"] = True
    yield


@pytest.fixture(autouse=True)
def empty_file():
    """An empty file; the fast, weight-free inflate engine unless a test picks another."""
    bpy.ops.wm.read_homefile(use_empty=True)
    bpy.context.scene.depthy.engine = "inflate"
    yield


def scene_state():
    """Everything a failed generate must leave untouched."""
    return (sorted(o.name for o in bpy.data.objects), len(bpy.data.meshes), len(bpy.data.materials),
            len(bpy.data.images))


def image_empty(path, name="reference", size=2.0, location=(1.0, 2.0, 3.0)):
    image = bpy.data.images.load(str(path))
    empty = bpy.data.objects.new(name, None)
    empty.empty_display_type = "IMAGE"
    empty.data = image
    empty.empty_display_size = size
    empty.location = location
    bpy.context.scene.collection.objects.link(empty)
    bpy.context.view_layer.objects.active = empty
    return empty


def world_positions(*objs):
    """Every vertex of the objects, in world space, as one (V, 3) array."""
    from depthy_blender.blender import mesh_io
    parts = []
    for obj in objs:
        m = np.array(obj.matrix_world)
        parts.append(mesh_io.get_positions(obj.data) @ m[:3, :3].T + m[:3, 3])
    return np.concatenate(parts)


def z_of(obj):
    from depthy_blender.blender import mesh_io
    return mesh_io.get_positions(obj.data)[:, 2].copy()


def generate(**settings):
    """Generate with these panel settings; a ratio given without auto_ratio means that ratio (Auto Depth off)."""
    s = bpy.context.scene.depthy
    if "ratio" in settings:
        settings.setdefault("auto_ratio", False)
    for key, value in settings.items():
        setattr(s, key, value)
    assert bpy.ops.depthy.generate() == {"FINISHED"}
    return bpy.context.active_object


def pytest_sessionfinish(session, exitstatus):
    _SESSION["status"] = int(exitstatus)


def pytest_unconfigure(config):
    """Blender 4.2's Python module segfaults at interpreter exit after registering PropertyGroups;
    after pytest's summary, leave with pytest's own status instead (no effect on 5.x)."""
    from depthy_blender.blender import headless
    if _SESSION.pop("registered", False):   # a run that selected no Blender test never registered the add-on
        depthy_blender.unregister()           # (popped: mutation testing runs several sessions in one process)
    headless.end_process(_SESSION.get("status", 0))
