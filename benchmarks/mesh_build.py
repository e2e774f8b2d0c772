"""Mesh build speed: our relief build vs Mesh.from_pydata vs Grid + Displace (applied); slider latency.

    python benchmarks/mesh_build.py [--sizes 256 512 1024] [--repeat 3]

All make the same N×N-sample height field in the same Blender process; the table shows median seconds
and how many times faster ours is. The methods run in interleaved rounds (one warm-up round, then
`--repeat` timed rounds, each in a rotated order), so every method meets the same allocator history —
run back to back, whichever goes first after a large free pays the kernel's page faults. `ours first`
is ours' first build at that size, before any other method ran at that size (heap not yet grown).
`from_pydata` gets ready-made Python lists of tuples (what add-ons commonly build) and, as its best
case, lists of lists from ndarray.tolist(); list building is not timed. It builds the same mesh as
ours — geometry and the UV map (set from a Python list with foreach_set); `geometry only` leaves the
UV map out. Ours includes computing the relief from the nearness map, and also writes the three slider
attributes.
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bpy  # noqa: E402

import depthy_blender  # noqa: E402
from depthy_blender.blender import mesh_io, props  # noqa: E402
from depthy_blender.core import relief  # noqa: E402


def height_field(n):
    yy, xx = np.mgrid[0:n, 0:n] / (n - 1) - 0.5
    return (np.cos(6 * xx) * np.cos(4 * yy) + 1.5).astype(np.float32)


def timed(fn):
    bpy.ops.wm.read_homefile(use_empty=True)
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def interleaved_medians(methods: dict, repeat: int) -> dict:
    """Median seconds per method over `repeat` rounds after one untimed warm-up round; round r starts
    at method r (mod count), so no method always follows the same one."""
    names = list(methods)
    for name in names:
        timed(methods[name])
    times = {name: [] for name in names}
    for r in range(repeat):
        for name in names[r % len(names):] + names[:r % len(names)]:
            times[name].append(timed(methods[name]))
    return {name: statistics.median(t) for name, t in times.items()}


def ours(near):
    def run():
        r = relief.build(near, np.ones(near.shape, bool), ratio=0.2, resolution=near.shape[0])
        mesh_io.create_mesh(r, "ours")
    return run


def from_pydata(near, as_tuples=True, with_uvs=True):
    """The add-on way: Python lists into Mesh.from_pydata, then (as ours makes one too) the UV map from
    a flat Python list through the fastest bulk call, foreach_set."""
    r = relief.build(near, np.ones(near.shape, bool), ratio=0.2, resolution=near.shape[0])
    verts, faces = r.verts.tolist(), r.faces.tolist()
    if as_tuples:   # what a Python loop building (x, y, z) and (a, b, c, d) tuples hands over
        verts, faces = [tuple(v) for v in verts], [tuple(f) for f in faces]
    uvs = r.uvs.astype(np.float32).ravel().tolist()

    def run():
        mesh = bpy.data.meshes.new("pydata")
        mesh.from_pydata(verts, [], faces)
        if with_uvs:
            mesh.uv_layers.new(name="UVMap").data.foreach_set("uv", uvs)
        mesh.update()
    return run


def grid_displace(near):
    n = near.shape[0]

    def run():
        image = bpy.data.images.new("height", n, n, float_buffer=True)
        rgba = np.repeat(near[::-1, :, None] / near.max(), 4, axis=2)
        image.pixels.foreach_set(rgba.ravel().astype(np.float32))
        bpy.ops.mesh.primitive_grid_add(x_subdivisions=n - 1, y_subdivisions=n - 1, size=1.0)
        obj = bpy.context.active_object
        texture = bpy.data.textures.new("height", "IMAGE")
        texture.image = image
        mod = obj.modifiers.new("Displace", "DISPLACE")
        mod.texture, mod.texture_coords, mod.strength = texture, "UV", 0.2
        bpy.ops.object.modifier_apply(modifier=mod.name)
    return run


def slider_update(near, repeat=10):
    bpy.ops.wm.read_homefile(use_empty=True)
    r = relief.build(near, np.ones(near.shape, bool), ratio=0.2, resolution=near.shape[0])
    obj = bpy.data.objects.new("relief", mesh_io.create_mesh(r, "relief"))
    bpy.context.scene.collection.objects.link(obj)
    s = obj.depthy
    s.is_result, (s.grid_rows, s.grid_cols), s.width = True, r.grid_shape, r.width
    s.vert_count, s.face_count = len(obj.data.vertices), len(obj.data.polygons)
    times = []
    for i in range(repeat):
        start = time.perf_counter()
        s.ratio = 0.1 + 0.05 * (i % 5)          # the update callback rewrites the heights
        s.smoothing = 1.0 + (i % 3)
        times.append((time.perf_counter() - start) / 2)
    assert props.slider_problem(obj) is None
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512, 1024])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    depthy_blender.register()
    print(f"Blender {bpy.app.version_string}, numpy {np.__version__}; median of {args.repeat} interleaved rounds after a warm-up round, seconds")
    print("pydata = Mesh.from_pydata with the UV map; vs = how many times faster ours is")
    print(f"{'N':>5} {'ours first':>10} {'ours':>7} {'pydata(tuples)':>15} {'pydata(lists)':>14} {'geometry only':>14} "
          f"{'grid+displace':>14} {'vs tuples':>10} {'vs lists':>9} {'vs geometry':>12} {'vs displace':>12} "
          f"{'slider update':>14}")
    for n in args.sizes:
        near = height_field(n)
        t_cold = timed(ours(near))
        t = interleaved_medians({"ours": ours(near), "tuples": from_pydata(near),
                                 "lists": from_pydata(near, as_tuples=False),
                                 "geometry": from_pydata(near, as_tuples=False, with_uvs=False),
                                 "displace": grid_displace(near)},
                                args.repeat)
        t_slider = slider_update(near)
        print(f"{n:>5} {t_cold:10.3f} {t['ours']:7.3f} {t['tuples']:15.3f} {t['lists']:14.3f} {t['geometry']:14.3f} "
              f"{t['displace']:14.3f} {t['tuples'] / t['ours']:9.1f}× {t['lists'] / t['ours']:8.1f}× "
              f"{t['geometry'] / t['ours']:11.1f}× {t['displace'] / t['ours']:11.1f}× {t_slider * 1000:11.1f} ms")


if __name__ == "__main__":
    main()
