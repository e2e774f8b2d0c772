"""A second renderer for the real-mesh evaluation set: the same meshes, seeded views and exact depth as
training/synth/meshes.py, but the drawing is made by Blender (Cycles with Freestyle line art) instead of
our own ink. Depthy never trained on this style, so its score here says how well it generalises to
drawings made some other way. training/evaluate.py --freestyle builds the set on first use.

Needs the bpy module (pip install bpy==5.0.1, as `make setup` does); each view starts from Blender's
factory startup file, so nothing carries over between drawings and the result depends only on the seeds.
"""
from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np

from training.synth import meshes, truth
from training.synth.render import Camera, camera_basis

STYLE_SEED = 90_000   # styles use their own seeds, so the cameras (and truth) match the meshes set


def choose_style(rng: np.random.Generator) -> dict:
    """Line art on white (most), flat colour fill or grey shading under a sun; line weight, crease angle,
    dashed hidden lines and paper tone drawn at random."""
    kind = rng.choice(["lines", "fill", "shaded"], p=[0.5, 0.2, 0.3])
    return {
        "kind": str(kind),
        "thickness": float(rng.uniform(0.8, 2.2)),
        "crease_deg": float(rng.uniform(120, 150)),
        "hidden": bool(rng.random() < 0.3),
        "fill": tuple(float(c) for c in rng.uniform(0.6, 1.0, 3)),
        "light": tuple(float(c) for c in rng.normal(0, 0.5, 3)),
        "paper": float(rng.uniform(0.9, 1.0)),
    }


def draw(verts: np.ndarray, faces: np.ndarray, cam: Camera, size: int, style: dict) -> tuple[np.ndarray, np.ndarray]:
    """(RGB drawing on paper, coverage alpha), both size × size floats, of the mesh seen by `cam`."""
    import bpy
    bpy.ops.wm.read_homefile(use_empty=True, use_factory_startup=True)
    scene = bpy.context.scene
    mesh = bpy.data.meshes.new("figure")
    mesh.from_pydata(verts.tolist(), [], faces.tolist())
    mesh.update()
    obj = bpy.data.objects.new("figure", mesh)
    scene.collection.objects.link(obj)
    obj.data.materials.append(_material(style))
    _camera(scene, cam)
    _lighting(scene, cam, style)
    _render_settings(scene, size)
    _freestyle(scene, style)
    with tempfile.TemporaryDirectory() as tmp:
        scene.render.filepath = str(Path(tmp) / "drawing.png")
        bpy.ops.render.render(write_still=True)
        from PIL import Image
        rgba = np.asarray(Image.open(scene.render.filepath).convert("RGBA"), np.float32) / 255.0
    alpha = rgba[..., 3:4]
    image = rgba[..., :3] * alpha + style["paper"] * (1.0 - alpha)
    return image.astype(np.float32), alpha[..., 0]


def _material(style):
    import bpy
    mat = bpy.data.materials.new("figure")
    if mat.node_tree is None:   # Blender before 5.0 makes node trees only on request
        mat.use_nodes = True
    nodes, links = mat.node_tree.nodes, mat.node_tree.links
    nodes.clear()
    out = nodes.new("ShaderNodeOutputMaterial")
    if style["kind"] == "shaded":
        shader = nodes.new("ShaderNodeBsdfDiffuse")
        shader.inputs["Color"].default_value = (0.8, 0.8, 0.8, 1.0)
    else:   # emission: the fill colour exactly, no shading
        shader = nodes.new("ShaderNodeEmission")
        colour = style["fill"] if style["kind"] == "fill" else (1.0, 1.0, 1.0)
        shader.inputs["Color"].default_value = (*_linear(colour), 1.0)
    links.new(shader.outputs[0], out.inputs["Surface"])
    return mat


def _linear(srgb):
    """Display (sRGB) colour → the scene-linear value that the Standard view transform shows as it."""
    c = np.asarray(srgb, np.float64)
    return tuple(float(v) for v in np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4))


def _camera(scene, cam: Camera):
    import bpy
    from mathutils import Matrix, Vector
    f, r, u = camera_basis(cam)
    data = bpy.data.cameras.new("view")
    data.type = "ORTHO"
    data.ortho_scale = 2 * cam.half_size
    data.clip_start, data.clip_end = 0.01, 10.0
    obj = bpy.data.objects.new("view", data)
    scene.collection.objects.link(obj)
    rotation = Matrix([r, u, -f]).transposed()   # camera x = right, y = up, looking down its −z
    obj.matrix_world = Matrix.Translation(Vector(cam.center - 3.0 * f)) @ rotation.to_4x4()
    scene.camera = obj


def _lighting(scene, cam: Camera, style):
    import bpy
    from mathutils import Vector
    world = bpy.data.worlds.new("paper")
    scene.world = world
    if world.node_tree is None:
        world.use_nodes = True
    background = world.node_tree.nodes["Background"]
    background.inputs["Color"].default_value = (1.0, 1.0, 1.0, 1.0)
    background.inputs["Strength"].default_value = 0.35
    if style["kind"] != "shaded":
        return
    f, _, _ = camera_basis(cam)
    towards = Vector(f + np.array(style["light"])).normalized()   # roughly from behind the viewer
    sun = bpy.data.objects.new("sun", bpy.data.lights.new("sun", "SUN"))
    sun.data.energy = 3.0
    sun.rotation_euler = towards.to_track_quat("-Z", "Y").to_euler()
    scene.collection.objects.link(sun)


def _render_settings(scene, size):
    scene.render.engine = "CYCLES"
    scene.cycles.device = "CPU"
    scene.cycles.samples = 8
    scene.cycles.seed = 0
    scene.cycles.use_denoising = False
    scene.render.film_transparent = True
    scene.render.resolution_x = scene.render.resolution_y = size
    scene.render.resolution_percentage = 100
    scene.render.image_settings.file_format = "PNG"
    scene.render.image_settings.color_mode = "RGBA"
    scene.view_settings.view_transform = "Standard"


def _freestyle(scene, style):
    import bpy
    scene.render.use_freestyle = True
    scene.render.line_thickness_mode = "ABSOLUTE"
    layer = scene.view_layers[0]
    layer.use_freestyle = True
    settings = layer.freestyle_settings
    settings.crease_angle = math.radians(style["crease_deg"])
    visible = settings.linesets[0] if len(settings.linesets) else settings.linesets.new("visible")
    visible.select_by_visibility = True
    visible.visibility = "VISIBLE"
    visible.linestyle = visible.linestyle or bpy.data.linestyles.new("visible")
    visible.linestyle.color = (0.0, 0.0, 0.0)
    visible.linestyle.thickness = style["thickness"]
    if style["hidden"]:
        hidden = settings.linesets.new("hidden")
        hidden.select_by_visibility = True
        hidden.visibility = "HIDDEN"
        hidden.linestyle = bpy.data.linestyles.new("hidden")
        hidden.linestyle.color = (0.3, 0.3, 0.3)
        hidden.linestyle.thickness = max(0.7, 0.6 * style["thickness"])
        hidden.linestyle.use_dashed_line = True
        hidden.linestyle.dash1, hidden.linestyle.gap1 = 6, 4


def view_sample(path: Path, view: str, size: int, seed: int, style_seed: int) -> dict:
    """One drawing with its exact nearness and mask; `seed` gives the same camera as meshes.view_sample."""
    verts, faces = meshes.load_unit(path)
    cam = meshes.view_camera(view, np.random.default_rng(seed))
    mask, depth, normals = meshes.rasterise(verts, faces, cam, size)
    style = choose_style(np.random.default_rng(style_seed))
    image, _ = draw(verts, faces, cam, size, style)
    planes, ratio = truth.of_view(mask, depth, normals, cam)
    return {"image": image, "nearness": meshes.nearness_of(depth, mask), "mask": mask,
            "info": f"{path.name} @ {view} ({style['kind']}{', hidden lines' if style['hidden'] else ''})",
            "planes": planes, "proportion": ratio}
