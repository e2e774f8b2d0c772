"""Triplane field: sample the three planes at world points, decode density and colour with the NeRF
MLP, and volume-render expected depth and opacity along camera rays."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


class NeRFMLP(nn.Module):
    """Linear layers with SiLU between them; `layers.{0,2,…}` as in the checkpoint."""

    def __init__(self, in_channels, n_neurons, n_hidden_layers, out_channels=4):
        super().__init__()
        mods = [nn.Linear(in_channels, n_neurons), nn.SiLU()]
        for _ in range(n_hidden_layers - 1):
            mods += [nn.Linear(n_neurons, n_neurons), nn.SiLU()]
        mods.append(nn.Linear(n_neurons, out_channels))
        self.layers = nn.Sequential(*mods)

    def forward(self, x):
        return self.layers(x)


def sample_planes(planes: torch.Tensor, points: torch.Tensor, radius: float) -> torch.Tensor:
    """planes (3, C, H, W), points (N, 3) world → features (N, 3·C): plane 0 at (x, y), 1 at (x, z),
    2 at (y, z), bilinear, zero outside."""
    u = points / radius
    coords = torch.stack([u[:, [0, 1]], u[:, [0, 2]], u[:, [1, 2]]], dim=0).unsqueeze(1)   # (3, 1, N, 2)
    feats = F.grid_sample(planes, coords.to(planes.dtype), mode="bilinear", padding_mode="zeros",
                          align_corners=False)                                                # (3, C, 1, N)
    return feats.squeeze(2).permute(2, 0, 1).reshape(points.shape[0], -1)


def decode(decoder: NeRFMLP, features: torch.Tensor, density_bias: float = -1.0):
    out = decoder(features).float()
    return torch.exp(out[:, 0] + density_bias), torch.sigmoid(out[:, 1:4])


def input_view_rays(resolution: int, distance: float = 1.9, fov_deg: float = 40.0):
    """Rays of the input camera: on +x looking at the origin, z up (image right = +y), row 0 at the top."""
    half = math.tan(math.radians(fov_deg) / 2)
    s = (torch.arange(resolution, dtype=torch.float32) + 0.5) / resolution * 2 - 1
    yy, xx = torch.meshgrid(-s, s, indexing="ij")
    forward = torch.tensor([-1.0, 0.0, 0.0])
    right = torch.tensor([0.0, 1.0, 0.0])
    up = torch.tensor([0.0, 0.0, 1.0])
    dirs = forward + half * (xx[..., None] * right + yy[..., None] * up)
    dirs = dirs / dirs.norm(dim=-1, keepdim=True)
    origin = torch.tensor([distance, 0.0, 0.0])
    return origin.expand_as(dirs).reshape(-1, 3), dirs.reshape(-1, 3)


def render_depth(density_fn, origins, dirs, radius: float, samples: int = 128, chunk: int = 4096,
                 cancel=None):
    """Expected depth (distance along the ray) and opacity, by 128 midpoint samples between box entry
    and exit with δ = 1/samples, α = 1 − exp(−δσ), T = cumprod(1 − α + 1e−10), w = T·α."""
    box = radius * 0.999
    inv = 1.0 / torch.where(dirs.abs() < 1e-9, torch.full_like(dirs, 1e-9), dirs)
    t0, t1 = (-box - origins) * inv, (box - origins) * inv
    t_near = torch.minimum(t0, t1).max(dim=-1).values.clamp(min=0)
    t_far = torch.maximum(t0, t1).min(dim=-1).values
    hits = t_far > t_near
    depth = torch.zeros(len(origins))
    opacity = torch.zeros(len(origins))
    idx = torch.nonzero(hits).squeeze(1)
    mids = (torch.arange(samples, dtype=torch.float32) + 0.5) / samples
    for start in range(0, len(idx), chunk):
        if cancel:
            cancel()
        rows = idx[start:start + chunk]
        t = t_near[rows, None] + (t_far - t_near)[rows, None] * mids            # (R, S)
        pts = origins[rows, None] + dirs[rows, None] * t[..., None]             # (R, S, 3)
        sigma = density_fn(pts.reshape(-1, 3)).reshape(len(rows), samples)
        alpha = 1 - torch.exp(-sigma / samples)
        trans = torch.cumprod(torch.cat([torch.ones(len(rows), 1), 1 - alpha + 1e-10], dim=1), dim=1)[:, :-1]
        w = trans * alpha
        acc = w.sum(1)
        opacity[rows] = acc
        depth[rows] = (w * t).sum(1) / acc.clamp(min=1e-8)
    return depth, opacity
