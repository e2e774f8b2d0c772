"""ink.draw for a batch of views at once, the image maths in torch on any device (a GPU's, for
training.gpu_run), the random choices drawn exactly as ink.draw draws them.

Each view has its own numpy Generator (and pen, for even lines). `plan` walks through ink.draw's
random draws in ink.draw's order on the CPU: the style, the line weights, the paper, the fill or shading,
the ink colour, the blur, the noise and the JPEG quality, and the small random arrays (sketchy warps,
breaks in even lines, centre lines). Those cost little. `draw` then inks every view of the batch with
tensor operations: line maps, soft lines of any width (an exact distance within the line's reach, so no
distance transform is needed), paper, fill, shading, blur and noise. Only the JPEG round trip leaves the
device, for the views whose plan has one.

Against ink.draw fed the same buffers and generators (tests/training/test_batch_views.py), on a CPU,
every pixel of every tested drawing agrees within 1e-5, JPEG and sketchy ones included. Two places could
in principle differ by more: a value within 1e-5 of a step between two 8-bit levels may round the other
way before JPEG (which spreads the change over its block), and a sketchy line's warped value within 1e-5
of the 0.3 threshold may fall on the other side.
Hidden lines (hidden_lines, from render.hidden_layers_views) are the same 1-px map as ink.hidden_lines
gives, the dashes' cells drawn on the CPU as ink draws them.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from . import ink

STYLES = ("lines", "fill", "shaded", "sketchy")
STYLE_SHARES = (0.55, 0.15, 0.15, 0.15)


@dataclass
class Plan:
    """One view's random choices, in the order ink.draw makes them."""
    style: str
    w_out: float
    w_in: float
    even: bool
    warp: tuple | None = None          # sketchy: (dy, dx) pixel offsets, (h, w) float64 each
    breaks: np.ndarray | None = None   # even lines with breaks: where the line is inked, (h, w) bool
    wobble: np.ndarray | None = None   # sketchy: the ink's strength, (h, w)
    centre: np.ndarray | None = None   # centre lines, (h, w) float32 (already × 0.9)
    paper: np.ndarray = field(default_factory=lambda: np.ones(3))
    fill: np.ndarray | None = None     # fill: the figure's colour
    light: np.ndarray | None = None    # shaded: the light's direction …
    base: np.ndarray | None = None     # … and the surface colour
    no_ink: bool = False               # shaded: drawn without lines
    ink_colour: np.ndarray = field(default_factory=lambda: np.zeros(3))
    blur: float = 0.0                  # the Gaussian's sigma, 0: none
    noise: np.ndarray | None = None    # (h, w, 3) float64
    jpeg: int = 0                      # quality, 0: none


def plan(mask: np.ndarray, rng: np.random.Generator, style: str | None = None,
         pen: np.random.Generator | None = None) -> Plan:
    """The draws ink.draw(mask, …, rng, style, hidden=None, pen=pen) makes, made here instead."""
    h, w = mask.shape
    res = max(h, w) / 256.0
    style = style or str(rng.choice(list(STYLES), p=list(STYLE_SHARES)))
    w_out = rng.uniform(1.5, 3.5) * res
    w_in = rng.uniform(0.8, 1.8) * res
    if pen is not None:
        w_out = w_in = pen.uniform(*ink.EVEN_WIDTH) * res
    p = Plan(style, float(w_out), float(w_in), pen is not None)
    if style == "sketchy":
        p.warp = tuple(ink._smooth_noise((h, w), rng, 16) * 1.5 * res for _ in range(2))
    if p.even and pen.random() < ink.BREAK_SHARE:
        p.breaks = ink._cells_on((h, w), pen, 3.0 * res, 0.9)
    if style == "sketchy":
        p.wobble = np.clip(ink._smooth_noise((h, w), rng, 8) * 0.8 + 1.2, 0.3, 1)
    if rng.random() < 0.3:
        p.centre = ink.centre_lines((h, w), mask, rng, w_in) * 0.9
    p.paper = np.clip(rng.uniform(0.85, 1.0) + rng.uniform(-0.03, 0.03, 3), 0, 1)
    if style == "fill":
        p.fill = rng.uniform(0.55, 0.95, 3)
    elif style == "shaded":
        light = rng.standard_normal(3)
        light[1] = -abs(light[1])
        p.light = light / np.linalg.norm(light)
        p.base = rng.uniform(0.4, 0.95, 3) if rng.random() < 0.5 else np.full(3, rng.uniform(0.5, 0.9))
        p.no_ink = bool(rng.random() < 0.4)
    p.ink_colour = rng.uniform(0.0, 0.25) + (np.array([0, 0, 0.2]) if rng.random() < 0.1 else np.zeros(3))
    if rng.random() < 0.5:
        p.blur = float(rng.uniform(0.3, 1.0))
    if rng.random() < 0.6:
        p.noise = rng.normal(0, rng.uniform(0.005, 0.03), (h, w, 3))
    if rng.random() < 0.35:
        p.jpeg = int(rng.integers(30, 95))
    return p


def line_maps(mask: torch.Tensor, depth: torch.Tensor, normals: torch.Tensor, crease_deg: float = 30.0,
              jump_at: torch.Tensor | None = None, slope_aware: bool = False):
    """ink.line_maps for views (V, H, W): (outline, inner) 1-px maps. `jump_at` (V,): each view's depth
    jump (default ink.visible_lines' own, 5 % of the view's depth range, at least 0.02); slope_aware: a
    step is a jump only if it is also 3× the steps either side."""
    inf = torch.tensor(float("inf"), device=depth.device)
    d = torch.where(mask, depth, inf)
    if jump_at is None:
        jump_at = depth_jump(mask, depth)
    outline = _edges(mask) & mask
    jump = torch.zeros_like(mask)
    for axis in (1, 2):
        n = d.shape[axis] - 1
        a, b = d.narrow(axis, 0, n), d.narrow(axis, 1, n)
        diff = (a - b).abs()
        big = torch.isfinite(diff) & (diff > jump_at[:, None, None])
        if slope_aware:
            pad = torch.full_like(diff.narrow(axis, 0, 1), float("inf"))
            before = torch.cat([pad, diff.narrow(axis, 0, n - 1)], axis)
            after = torch.cat([diff.narrow(axis, 1, n - 1), pad], axis)
            big &= ~(diff <= 3 * torch.fmin(before, after))
        jump.narrow(axis, 0, n).logical_or_(big & (a < b))
        jump.narrow(axis, 1, n).logical_or_(big & (b < a))
    cos_limit = float(np.cos(np.radians(crease_deg)))
    crease = torch.zeros_like(mask)
    for axis in (1, 2):
        n = mask.shape[axis] - 1
        both = mask.narrow(axis, 0, n) & mask.narrow(axis, 1, n)
        turned = (normals.narrow(axis, 0, n) * normals.narrow(axis, 1, n)).sum(-1) < cos_limit
        crease.narrow(axis, 0, n).logical_or_(both & turned)
    return outline, (jump | crease) & mask & ~outline


def depth_jump(mask: torch.Tensor, depth: torch.Tensor) -> torch.Tensor:
    """ink._depth_jump of each view: 5 % of its depth range over the mask, at least 0.02 (0.02 without a
    figure)."""
    inf = torch.tensor(float("inf"), device=depth.device)
    spread = (torch.where(mask, depth, -inf).amax((1, 2)) - torch.where(mask, depth, inf).amin((1, 2))).clamp(min=0)
    return torch.where(mask.any(2).any(1), torch.clamp(0.05 * spread, min=0.02), torch.full_like(spread, 0.02))


def dilate(a: torch.Tensor, iterations: int = 1) -> torch.Tensor:
    """scipy.ndimage.binary_dilation(a, iterations=…) of each view (V, H, W): its 4-neighbour cross, the
    border outside."""
    for _ in range(iterations):
        grown = a.clone()
        grown[:, 1:] |= a[:, :-1]
        grown[:, :-1] |= a[:, 1:]
        grown[:, :, 1:] |= a[:, :, :-1]
        grown[:, :, :-1] |= a[:, :, 1:]
        a = grown
    return a


def hidden_lines(mask: torch.Tensor, depth: torch.Tensor, normals: torch.Tensor, layers: list,
                 cells: torch.Tensor) -> torch.Tensor:
    """ink.hidden_lines for views (V, H, W): `layers` from render.hidden_layers_views, `cells` (V, H, W)
    the dashes' cells drawn as ink._cells_on draws them (batch_views.hidden_cells)."""
    jump_at = depth_jump(mask, depth)
    outline, inner = line_maps(mask, depth, normals, jump_at=jump_at)
    behind = torch.zeros_like(mask)
    for k, (m, d, n, facing) in enumerate(layers):
        o, i = line_maps(m, d, n, jump_at=jump_at, slope_aware=True)
        lines = i if k == 0 else o | i
        found = lines & ~dilate(m & (facing < 0.35))
        behind |= found & m.any(2).any(1)[:, None, None]       # (a layer with no surface adds nothing)
    band = max(2, round(max(mask.shape[1:]) / 64))
    keep_off = dilate(inner, 2) | dilate(outline, band)
    return behind & mask & ~keep_off & cells


def _edges(a: torch.Tensor) -> torch.Tensor:
    e = torch.zeros_like(a)
    for axis in (1, 2):
        n = a.shape[axis] - 1
        differ = a.narrow(axis, 0, n) != a.narrow(axis, 1, n)
        e.narrow(axis, 0, n).logical_or_(differ)
        e.narrow(axis, 1, n).logical_or_(differ)
    return e


def thick(lines: torch.Tensor, width: torch.Tensor, faint: torch.Tensor) -> torch.Tensor:
    """ink._thick for views (V, H, W) with a width and a faint flag each: the soft line reaches
    width / 2 + 0.5 px from the 1-px line, so the distance to the line is only needed that far, and the
    nearest line pixel within that reach is found among the offsets of a small disk (exact)."""
    reach = float(width.max()) / 2 + 0.5 if len(width) else 0.0
    r = int(np.ceil(reach))
    h, w = lines.shape[1:]
    inf = float("inf")
    dist = torch.full(lines.shape, inf, device=lines.device)
    padded = F.pad(lines, (r, r, r, r))
    for dy in range(-r, r + 1):
        for dx in range(-r, r + 1):
            length = float(np.hypot(dy, dx))
            if length >= reach:
                continue
            shifted = padded[:, r + dy:r + dy + h, r + dx:r + dx + w]
            dist = torch.where(shifted, torch.minimum(dist, torch.tensor(length, device=lines.device)), dist)
    half = (width / 2 + 0.5)[:, None, None]
    soft = (half.double() - dist.double()).clamp(0, 1).float()
    thin = lines.float() * torch.where(faint, width, torch.ones_like(width))[:, None, None]
    plain = (width <= 1.0) | ~lines.any(2).any(1)
    return torch.where(plain[:, None, None], thin, soft)


def _warp(lines: torch.Tensor, dy: torch.Tensor, dx: torch.Tensor) -> torch.Tensor:
    """scipy.ndimage.map_coordinates(lines, [y + dy, x + dx], order=1) > 0.3 (zero outside)."""
    h, w = lines.shape[-2:]
    yy, xx = torch.meshgrid(torch.arange(h, device=lines.device, dtype=torch.float64),
                            torch.arange(w, device=lines.device, dtype=torch.float64), indexing="ij")
    grid = torch.stack([(xx + dx) / (w - 1) * 2 - 1, (yy + dy) / (h - 1) * 2 - 1], -1)
    out = F.grid_sample(lines.double()[None, None], grid[None], mode="bilinear", padding_mode="zeros",
                        align_corners=True)
    return out[0, 0] > 0.3


def _blur(img: torch.Tensor, sigma: float) -> torch.Tensor:
    """scipy.ndimage.gaussian_filter(img, (sigma, sigma, 0)) of one (H, W, 3) image: truncated at 4
    sigma, edges mirrored through the border pixel (scipy's "reflect")."""
    radius = int(4.0 * sigma + 0.5)
    x = torch.arange(-radius, radius + 1, dtype=torch.float64, device=img.device)
    kernel = torch.exp(-0.5 * (x / sigma) ** 2)
    kernel = (kernel / kernel.sum())
    out = img.double().permute(2, 0, 1)[:, None]                      # (3, 1, H, W)
    for dim in (2, 3):
        n = out.shape[dim]
        idx = torch.arange(-radius, n + radius, device=img.device)
        idx = torch.where(idx < 0, -idx - 1, idx)
        idx = torch.where(idx >= n, 2 * n - 1 - idx, idx)
        out = out.index_select(dim, idx)
        k = kernel.view(1, 1, -1, 1) if dim == 2 else kernel.view(1, 1, 1, -1)
        out = F.conv2d(out, k)
    return out[:, 0].permute(1, 2, 0).float()


def draw(mask: torch.Tensor, depth: torch.Tensor, normals: torch.Tensor, plans: list[Plan],
         hidden: torch.Tensor | None = None) -> torch.Tensor:
    """RGB float32 images (V, H, W, 3) in [0, 1] of views (V, H, W) inked by their plans; `hidden`
    (V, H, W) bool: dashed hidden lines (hidden_lines), inked thin except in the shaded style."""
    device = mask.device
    as_t = lambda a, dtype=torch.float32: torch.as_tensor(np.asarray(a), dtype=dtype, device=device)  # noqa: E731
    outline, inner = line_maps(mask, depth, normals)
    hidden = hidden.clone() if hidden is not None else None
    for k, p in enumerate(plans):
        if p.warp is not None:
            dy, dx = as_t(p.warp[0], torch.float64), as_t(p.warp[1], torch.float64)
            outline[k], inner[k] = _warp(outline[k], dy, dx), _warp(inner[k], dy, dx)
            if hidden is not None and hidden[k].any():
                hidden[k] = _warp(hidden[k], dy, dx)
    even = torch.tensor([p.even for p in plans], device=device)
    ink_map = torch.maximum(thick(outline, as_t([p.w_out for p in plans]), even),
                            thick(inner, as_t([p.w_in for p in plans]), even))
    for k, p in enumerate(plans):
        if p.breaks is not None:
            ink_map[k] = ink_map[k] * as_t(p.breaks)
    if hidden is not None:
        dashed = thick(hidden, as_t([max(1.0, 0.8 * p.w_in) for p in plans]), torch.zeros_like(even)) * 0.9
        drawn = torch.tensor([p.style != "shaded" for p in plans], device=device)[:, None, None] & hidden.any(2).any(1)[:, None, None]
        ink_map = torch.where(drawn, torch.maximum(ink_map, dashed), ink_map)
    for k, p in enumerate(plans):
        if p.wobble is not None:
            ink_map[k] = ink_map[k] * as_t(p.wobble)
        if p.centre is not None:
            ink_map[k] = torch.maximum(ink_map[k], as_t(p.centre))
    img = as_t(np.stack([p.paper for p in plans]))[:, None, None, :].expand(*mask.shape, 3).clone()
    for k, p in enumerate(plans):
        if p.fill is not None:
            img[k][mask[k]] = as_t(p.fill)
        elif p.light is not None:
            lambert = (-(normals[k].double() @ as_t(p.light, torch.float64))).clamp(0, 1)
            shade = ((0.35 + 0.65 * lambert)[..., None] * as_t(p.base, torch.float64)).float()
            img[k][mask[k]] = shade[mask[k]]
            if p.no_ink:
                ink_map[k] = 0
    colour = as_t(np.stack([p.ink_colour for p in plans]))[:, None, None, :]
    img = img * (1 - ink_map[..., None]) + colour * ink_map[..., None]
    out = []
    for k, p in enumerate(plans):
        view = _blur(img[k], p.blur) if p.blur else img[k]
        if p.noise is not None:
            view = (view.double() + as_t(p.noise, torch.float64))
        view = view.clamp(0, 1).float()
        if p.jpeg:
            view = _jpeg(view, p.jpeg)
        out.append(view)
    return torch.stack(out)


def _jpeg(view: torch.Tensor, quality: int) -> torch.Tensor:
    """The JPEG round trip ink's degradation makes, through Pillow on the CPU."""
    buf = io.BytesIO()
    Image.fromarray((view.cpu().numpy() * 255).astype(np.uint8)).save(buf, "JPEG", quality=quality)
    return torch.from_numpy(np.asarray(Image.open(buf), dtype=np.float32) / 255.0).to(view.device)

