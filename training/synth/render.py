"""Sphere tracing of a signed distance function into exact G-buffers: hit mask, depth along the view
axis, surface normals. Orthographic (front/side/top/back, oblique) or perspective cameras."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from .program import Program

BOUND = 1.6   # every solid lies inside this sphere


@dataclass
class Camera:
    forward: np.ndarray      # unit view direction (from the camera into the scene)
    up: np.ndarray
    half_size: float         # half the image extent at the target, world units
    center: np.ndarray       # world point at the image centre
    perspective: float = 0.0 # 0 = orthographic, else the eye distance from the centre


def camera_basis(cam: Camera):
    f = cam.forward / np.linalg.norm(cam.forward)
    r = np.cross(f, cam.up)
    if np.linalg.norm(r) < 1e-6:
        r = np.cross(f, np.array([0.0, 0.0, 1.0]) if abs(f[2]) < 0.9 else np.array([1.0, 0.0, 0.0]))
    r /= np.linalg.norm(r)
    u = np.cross(r, f)
    return f, r, u


def rays(cam: Camera, size: int, device=None):
    f, r, u = camera_basis(cam)
    s = (np.arange(size) + 0.5) / size * 2 - 1
    xs, ys = np.meshgrid(s, -s)
    plane = cam.center + cam.half_size * (xs[..., None] * r + ys[..., None] * u)
    if cam.perspective > 0:
        eye = cam.center - f * cam.perspective
        dirs = plane - eye
        dirs /= np.linalg.norm(dirs, axis=-1, keepdims=True)
        origins = np.broadcast_to(eye, plane.shape)
    else:
        dirs = np.broadcast_to(f, plane.shape)
        origins = plane - f * (BOUND * 2.5)
    to_t = lambda a: torch.from_numpy(np.ascontiguousarray(a.reshape(-1, 3), dtype=np.float32)).to(device)  # noqa: E731
    return to_t(origins), to_t(dirs), torch.from_numpy(f.astype(np.float32)).to(device)


def trace(shape, cam: Camera, size: int, steps: int = 96, eps: float = 1e-3):
    """G-buffers (size × size): mask bool, depth float32 (along the view axis), normals (…, 3)."""
    mask, depth, normals = trace_views(shape, [cam], size, steps, eps)
    return mask[0].numpy(), depth[0].numpy(), normals[0].numpy()


def trace_views(shape, cams: list, size: int, steps: int = 96, eps: float = 1e-3, device=None):
    """trace() of one solid from several cameras at once, on `device` (default the CPU): every view's
    rays march together, so each step evaluates the shape once for all of them (on a GPU the cost of a
    step is in launching its operations, not in the rays). Tensors (views, size, size[, 3]) on `device`."""
    return _trace(_one(shape), cams, size, steps, eps, device)


def trace_solids(shapes: list, cams: list, size: int, steps: int = 96, eps: float = 1e-3, device=None):
    """trace_views() of several solids at once: cams[s] are solid s's cameras. Every solid's rays march
    together and each step evaluates all the solids with one batched program (program.Program), so a
    step costs about what one solid's costs. Tensors (all views, size, size[, 3]), solid 0's views first."""
    return _trace(Solids(shapes, [len(c) * size * size for c in cams], device), [c for cs in cams for c in cs],
                  size, steps, eps, device)


def _trace(field, cams: list, size: int, steps: int, eps: float, device):
    origins, dirs, forward = _view_rays(cams, size, device)
    t, t_exit, inside = _bounding_sphere(origins, dirs)
    hit = _march(field, origins, dirs, t, t_exit, torch.nonzero(inside).squeeze(1), steps, eps)
    return _buffers(field, origins, dirs, forward, t, hit, (len(cams), size, size))[:3]


def _one(shape):
    """One solid as a distance field over (points, the rays they are on)."""
    return lambda points, rays: shape(points)


class Solids:
    """Several solids as one distance field over (points, rays): solid s owns the s-th block of
    `rays_per_solid` rays, and the rays asked for come in increasing order (as the march keeps them), so
    each solid's points are consecutive and program.Program evaluates them all at once."""

    def __init__(self, shapes: list, rays_per_solid: list, device=None):
        self.program = Program(shapes, device)
        self.count = len(shapes)
        self.solid_of_ray = torch.repeat_interleave(torch.arange(len(shapes), device=device),
                                                    torch.tensor(rays_per_solid, device=device))

    def __call__(self, points: torch.Tensor, rays: torch.Tensor) -> torch.Tensor:
        counts = torch.bincount(self.solid_of_ray[rays], minlength=self.count).tolist()
        return self.program.distance(points, counts)


def _view_rays(cams: list, size: int, device):
    """Every camera's rays one after another: (origins, directions, each ray's view direction)."""
    rays_of = [rays(cam, size, device) for cam in cams]
    origins = torch.cat([o for o, _, _ in rays_of])
    dirs = torch.cat([d for _, d, _ in rays_of])
    forward = torch.cat([f.expand(size * size, 3) for _, _, f in rays_of])
    return origins, dirs, forward


def hidden_layers(shape, cam: Camera, size: int, depth: np.ndarray, mask: np.ndarray, steps: int = 160,
                  eps: float = 1e-3):
    """The surfaces a hit ray meets behind the visible one, for hidden lines: the first exit from the
    material and the next entry after it. [(mask, depth, normals, facing), …] like trace(), where
    facing = |normal · ray| (near 0 where the ray grazes the surface)."""
    layers = hidden_layers_views(shape, [cam], size, torch.from_numpy(depth[None]), torch.from_numpy(mask[None]),
                                 steps, eps)
    return [tuple(b[0].numpy() for b in layer) for layer in layers]


def hidden_layers_views(shape, cams: list, size: int, depth: torch.Tensor, mask: torch.Tensor, steps: int = 160,
                        eps: float = 1e-3):
    """hidden_layers() of several views of one solid at once (depth and mask (views, size, size) on the
    device they are traced on, as trace_views gives them): two layers of (mask, depth, normals, facing)
    tensors (views, size, size[, 3])."""
    return _hidden_layers(_one(shape), cams, size, depth, mask, steps, eps)


def hidden_layers_solids(shapes: list, cams: list, size: int, depth: torch.Tensor, mask: torch.Tensor,
                         steps: int = 160, eps: float = 1e-3):
    """hidden_layers_views() of several solids at once (cams[s] solid s's cameras; depth and mask of all
    their views in that order, as trace_solids gives them)."""
    field = Solids(shapes, [len(c) * size * size for c in cams], depth.device)
    return _hidden_layers(field, [c for cs in cams for c in cs], size, depth, mask, steps, eps)


def _hidden_layers(field, cams: list, size: int, depth: torch.Tensor, mask: torch.Tensor, steps: int, eps: float):
    origins, dirs, forward = _view_rays(cams, size, depth.device)
    hit = mask.reshape(-1)
    along = (dirs * forward).sum(-1)
    t = (depth.reshape(-1).to(torch.float32) - (origins * forward).sum(-1)) / along
    t_exit = _bounding_sphere(origins, dirs)[1]
    layers = []
    for leave in (True, False):   # leave the material, then enter it again
        t = t + 4 * eps   # step off the surface we stand on
        hit = _march(field, origins, dirs, t, t_exit, torch.nonzero(hit).squeeze(1), steps, eps, leave)
        layers.append(_buffers(field, origins, dirs, forward, t, hit, (len(cams), size, size)))
    return layers


def _bounding_sphere(origins, dirs):
    """Ray parameters where each ray enters (≥ 0) and leaves the bounding sphere, and which rays meet it."""
    b = (origins * dirs).sum(-1)
    disc = b * b - ((origins * origins).sum(-1) - BOUND ** 2)
    sq = disc.clamp(min=0).sqrt()
    return (-b - sq).clamp(min=0), -b + sq, disc > 0


def _march(field, origins, dirs, t, t_exit, active, steps, eps, leave=False):
    """Sphere-trace the `active` rays (increasing indices), advancing t in place, until they reach a
    surface (within eps) — or, with leave, until they are outside the material; returns which rays got
    there. `field(points, rays)`: the distances at points on those rays."""
    found = torch.zeros(origins.shape[0], dtype=torch.bool, device=origins.device)
    for _ in range(steps):
        if active.numel() == 0:
            break
        d = field(origins[active] + dirs[active] * t[active, None], active)
        if leave:   # out only once truly outside: a grazing ray is still within eps of the surface just
            d, done = -d, d > 0   # behind where it entered; inside, |d| is the safe step
            d = d.clamp(min=eps)
        else:
            done = d < eps
        found[active[done]] = True
        t[active] += torch.where(done, torch.zeros_like(d), d * 0.9)
        active = active[~done & (t[active] < t_exit[active])]
    return found


def _buffers(field, origins, dirs, forward, t, found, grid):
    """(mask, depth along the view axis, normals, facing = |normal · ray|) at the ray parameters t, as
    tensors of shape `grid` (views, rows, columns)."""
    points = origins + dirs * t[:, None]
    normals = torch.zeros_like(points)
    idx = torch.nonzero(found).squeeze(1)
    if idx.numel():
        normals[idx] = _normals(field, points[idx], idx)
    facing = (normals * dirs).sum(-1).abs()
    return (found.reshape(grid), (points * forward).sum(-1).reshape(grid), normals.reshape(*grid, 3),
            facing.reshape(grid))


def _normals(field, p, rays, h=1e-3):
    k = torch.tensor([[1, -1, -1], [-1, -1, 1], [-1, 1, -1], [1, 1, 1]], dtype=torch.float32, device=p.device)
    g = sum(k[i] * field(p + k[i] * h, rays)[:, None] for i in range(4))
    return g / torch.linalg.vector_norm(g, dim=-1, keepdim=True).clamp(min=1e-9)


def random_camera(rng: np.random.Generator, kind: str | None = None) -> tuple[Camera, str]:
    """Mostly orthographic principal views, also oblique/isometric and a few perspective ones; `kind`
    ("principal", "oblique" or "perspective") asks for one kind."""
    if kind is None:
        kind = rng.choice(["principal", "oblique", "perspective"], p=[0.6, 0.3, 0.1])
    if kind == "principal":
        axis = int(rng.integers(0, 3))
        sign = rng.choice([-1.0, 1.0])
        forward = np.zeros(3)
        forward[axis] = sign
        up = np.array([0.0, 0.0, 1.0]) if axis != 2 else np.array([0.0, 1.0, 0.0])
        name = {0: "side", 1: "front" if sign > 0 else "back", 2: "top"}[axis]
    else:
        az = rng.uniform(0, 2 * math.pi)
        el = rng.uniform(math.radians(15), math.radians(50)) * rng.choice([1, 1, -1])
        if kind == "oblique" and rng.random() < 0.4:   # true isometric
            az = math.pi / 4 + int(rng.integers(0, 4)) * math.pi / 2
            el = math.atan(1 / math.sqrt(2))
        forward = -np.array([math.cos(el) * math.cos(az), math.cos(el) * math.sin(az), math.sin(el)])
        up = np.array([0.0, 0.0, 1.0])
        name = str(kind)
    persp = float(rng.uniform(3.0, 6.0)) if kind == "perspective" else 0.0
    return Camera(forward, up, BOUND, np.zeros(3), persp), name


def frame(shape, cam: Camera, rng: np.random.Generator, probe: int = 48) -> Camera:
    """Zoom and shift the camera so the solid spans a random 35–90 % of the image (a coarse trace
    finds its extent first)."""
    return frame_views(shape, [cam], rng, probe)[0]


def frame_views(shape, cams: list, rng: np.random.Generator, probe: int = 48, device=None) -> list:
    """frame() of each camera in turn, its coarse trace made for all of them at once (trace_views); the
    random zoom and shift are drawn camera by camera, as frame() draws them."""
    masks = trace_views(shape, cams, probe, steps=64, device=device)[0].cpu().numpy()
    return [_framed(cam, mask, rng, probe) for cam, mask in zip(cams, masks)]


def frame_solids(shapes: list, cams: list, rngs: list, probe: int = 48, device=None) -> list:
    """frame_views() of several solids, the coarse traces made together (trace_solids); solid s's zooms
    and shifts are drawn from rngs[s] camera by camera, as frame_views() draws them."""
    masks = trace_solids(shapes, cams, probe, steps=64, device=device)[0].cpu().numpy()
    out, at = [], 0
    for cs, rng in zip(cams, rngs):
        out.append([_framed(cam, mask, rng, probe) for cam, mask in zip(cs, masks[at:at + len(cs)])])
        at += len(cs)
    return out


def _framed(cam: Camera, mask: np.ndarray, rng: np.random.Generator, probe: int) -> Camera:
    if not mask.any():
        return cam
    ys, xs = np.nonzero(mask)
    to_plane = lambda i: ((i + 0.5) / probe * 2 - 1) * cam.half_size  # noqa: E731
    x0, x1 = to_plane(xs.min() - 1), to_plane(xs.max() + 1)
    y0, y1 = -to_plane(ys.max() + 1), -to_plane(ys.min() - 1)
    extent = max(x1 - x0, y1 - y0) / 2
    half = extent / rng.uniform(0.35, 0.9)
    slack = half - extent
    _, r, u = camera_basis(cam)
    mid = cam.center + (x0 + x1) / 2 * r + (y0 + y1) / 2 * u
    shift = rng.uniform(-1, 1, 2) * slack * 0.9
    return Camera(cam.forward, cam.up, half, mid - shift[0] * r - shift[1] * u, cam.perspective)
