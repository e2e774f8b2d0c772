"""The mesh-build benchmark's fairness machinery: interleaved rounds and a from_pydata baseline that
builds the same mesh as ours (same vertices, faces and UV map)."""
import sys
from pathlib import Path

import numpy as np
import bpy

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import mesh_build  # noqa: E402


def test_rounds_rotate_so_no_method_always_goes_first():
    calls = []
    methods = {name: (lambda n=name: calls.append(n)) for name in "abc"}
    medians = mesh_build.interleaved_medians(methods, repeat=3)
    assert set(medians) == {"a", "b", "c"}
    assert calls[:3] == ["a", "b", "c"]                            # warm-up round
    assert calls[3:] == ["a", "b", "c", "b", "c", "a", "c", "a", "b"]


def _mesh_arrays(mesh):
    n, loops = len(mesh.vertices), len(mesh.loops)
    co, corner, uv = np.empty(n * 3, np.float32), np.empty(loops, np.int32), np.empty(loops * 2, np.float32)
    mesh.vertices.foreach_get("co", co)
    mesh.loops.foreach_get("vertex_index", corner)
    mesh.uv_layers[0].data.foreach_get("uv", uv)
    return co, corner, uv


def test_from_pydata_baseline_builds_the_same_mesh_as_ours():
    near = mesh_build.height_field(24)
    mesh_build.ours(near)()
    mesh_build.from_pydata(near)()
    ours, theirs = bpy.data.meshes["ours"], bpy.data.meshes["pydata"]
    assert len(ours.polygons) == len(theirs.polygons) == 23 * 23
    for a, b in zip(_mesh_arrays(ours), _mesh_arrays(theirs)):
        np.testing.assert_allclose(a, b, atol=1e-6)
