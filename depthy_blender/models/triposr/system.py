"""TripoSR: config.yaml + model.ckpt → the network, strictly loaded with weights_only=True.

Public interface (also used for parity checks against the official code):
    model = TripoSR.from_folder(path, device="cpu")
    codes = model.encode(images)              # (B, 3, 512, 512) in [0, 1] → (B, 3, 40, 64, 64)
    sigma, rgb = model.query(codes, points)   # (B, N, 3) world → (B, N), (B, N, 3)
"""
from __future__ import annotations

import pickle
import re
from pathlib import Path

import torch
from torch import nn

from ...errors import DepthyError
from . import backbone, extract, nerf, vit

CONFIG_NAME, CHECKPOINT_NAME = "config.yaml", "model.ckpt"


class TripoSRError(DepthyError, RuntimeError):
    """Missing, incomplete or mismatched TripoSR files, with a message meant for the user."""


MAX_CONFIG_BYTES = 64 * 1024     # the official config.yaml is about 1 kB
MAX_CONFIG_EVENTS = 5000         # YAML parse events (scalars, mappings, …) in the whole file
MAX_REFERENCE_DEPTH = 16         # `${a}` → `${b}` → … chains followed


def read_config(path: Path) -> dict:
    """The YAML config with `${a.b}` references resolved (what omegaconf would do for this file).
    Bounded: size, number of YAML events, no anchors or aliases (a 1 kB file of nested aliases expands
    to gigabytes), and reference chains that end."""
    import yaml
    path = Path(path)
    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            raise TripoSRError(f"{path.name} is {path.stat().st_size:,} bytes; a TripoSR config is about 1 kB")
        text = path.read_text()
        for count, event in enumerate(yaml.parse(text)):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise TripoSRError(f"{path.name} uses YAML anchors or aliases, which a TripoSR config never does")
            if count > MAX_CONFIG_EVENTS:
                raise TripoSRError(f"{path.name} is far larger than a TripoSR config")
        cfg = yaml.safe_load(text)
    except (OSError, UnicodeError, yaml.YAMLError) as exc:
        raise TripoSRError(f"Cannot read {path}: {exc}") from None
    if not isinstance(cfg, dict):
        raise TripoSRError(f"{path} is not a TripoSR config")

    def lookup(dotted):
        node = cfg
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                raise TripoSRError(f"{path.name}: ${{{dotted}}} refers to nothing")
            node = node[part]
        return node

    def resolve(node, chain=()):
        if isinstance(node, dict):
            return {k: resolve(v, chain) for k, v in node.items()}
        if isinstance(node, str):
            m = re.fullmatch(r"\$\{([^}]+)\}", node.strip())
            if m:
                ref = m.group(1)
                if ref in chain:
                    raise TripoSRError(f"{path.name}: ${{{ref}}} refers back to itself")
                if len(chain) >= MAX_REFERENCE_DEPTH:
                    raise TripoSRError(f"{path.name}: ${{{ref}}} is reached through more than "
                                       f"{MAX_REFERENCE_DEPTH} references")
                return resolve(lookup(ref), chain + (ref,))
        return node
    return resolve(cfg)


class TripoSR(nn.Module):
    def __init__(self, cfg: dict):
        super().__init__()
        try:
            self.cond_image_size = int(cfg.get("cond_image_size", 512))
            vit_cfg = dict(vit.DINO_VITB16, **(cfg.get("image_tokenizer", {}).get("vit") or {}))
            tok, bb, post, dec, ren = (cfg[k] for k in ("tokenizer", "backbone", "post_processor", "decoder", "renderer"))
            self.image_tokenizer = vit.ImageTokenizer(vit_cfg)
            self.tokenizer = backbone.Triplane1DTokenizer(tok["plane_size"], tok["num_channels"])
            self.backbone = backbone.Transformer1D(bb["in_channels"], bb["num_attention_heads"], bb["attention_head_dim"],
                                                   bb["num_layers"], bb["cross_attention_dim"],
                                                   bb.get("norm_num_groups", 32))
            self.post_processor = backbone.TriplaneUpsampleNetwork(post["in_channels"], post["out_channels"])
            self.decoder = nerf.NeRFMLP(dec["in_channels"], dec["n_neurons"], dec["n_hidden_layers"])
            self.radius = float(ren["radius"])
            self.density_bias = float(ren.get("density_bias", -1.0))
            self.samples_per_ray = int(ren.get("num_samples_per_ray", 128))
        except (KeyError, TypeError) as exc:
            raise TripoSRError(f"TripoSR config is missing or has a wrong entry: {exc}") from None

    # ---- loading ---------------------------------------------------------------------------------

    @classmethod
    def from_folder(cls, path, device: str = "cpu", dtype=torch.float32) -> "TripoSR":
        folder = Path(path)
        cfg_path, ckpt_path = folder / CONFIG_NAME, folder / CHECKPOINT_NAME
        missing = [p.name for p in (cfg_path, ckpt_path) if not p.is_file()]
        if missing:
            raise TripoSRError(f"TripoSR files missing in {folder}: {', '.join(missing)}")
        model = cls(read_config(cfg_path))
        try:
            state = torch.load(ckpt_path, map_location="cpu", weights_only=True)
        except pickle.UnpicklingError:
            raise TripoSRError(f"{ckpt_path.name} holds Python objects besides tensors, which are never loaded "
                               "(they could run code); download the official file again") from None
        except Exception as exc:
            raise TripoSRError(f"{ckpt_path.name} is incomplete or damaged ({type(exc).__name__} while reading it); "
                               "download it again") from None
        if not isinstance(state, dict):
            raise TripoSRError(f"{ckpt_path.name} is not a state dict")
        state = state.get("state_dict", state)
        expected = model.state_dict()
        missing_keys = sorted(set(expected) - set(state))
        extra_keys = sorted(set(state) - set(expected))
        if missing_keys or extra_keys:
            raise TripoSRError(
                f"{ckpt_path.name} does not match TripoSR's layout: {len(missing_keys)} missing key(s) "
                f"{missing_keys[:3]}, {len(extra_keys)} unexpected key(s) {extra_keys[:3]}")
        wrong = [k for k, v in state.items() if tuple(v.shape) != tuple(expected[k].shape)]
        if wrong:
            raise TripoSRError(f"{ckpt_path.name} has tensors of the wrong shape for this config, e.g. {wrong[0]} "
                               f"{tuple(state[wrong[0]].shape)} ≠ {tuple(expected[wrong[0]].shape)}")
        model.load_state_dict(state, strict=True)
        return model.to(device=device, dtype=dtype).eval()

    # ---- the network -------------------------------------------------------------------------------

    @torch.inference_mode()
    def encode(self, images: torch.Tensor, progress=None) -> torch.Tensor:
        """Preprocessed images (B, 3, S, S) in [0, 1] → triplane scene codes (B, 3, C, 2P, 2P)."""
        p = next(self.parameters())
        images = images.to(device=p.device, dtype=p.dtype)
        image_tokens = self.image_tokenizer(images)
        tokens = self.backbone(self.tokenizer(images.shape[0]), image_tokens, progress)
        return self.post_processor(self.tokenizer.detokenize(tokens))

    @torch.inference_mode()
    def query(self, scene_codes: torch.Tensor, points: torch.Tensor, chunk: int = 8192):
        """World points (B, N, 3) → density σ after activation (B, N) and colour (B, N, 3)."""
        sigmas, colours = [], []
        for codes, pts in zip(scene_codes, points):
            s, c = [], []
            for start in range(0, pts.shape[0], chunk):
                sig, rgb = self.field(codes, pts[start:start + chunk])
                s.append(sig)
                c.append(rgb)
            sigmas.append(torch.cat(s))
            colours.append(torch.cat(c))
        return torch.stack(sigmas), torch.stack(colours)

    def field(self, codes: torch.Tensor, points: torch.Tensor):
        """One scene's codes (3, C, H, W), points (N, 3) → σ (N,), rgb (N, 3) in float32."""
        feats = nerf.sample_planes(codes, points.to(codes.device), self.radius)   # read in the codes' precision
        return nerf.decode(self.decoder, feats, self.density_bias)

    def density_fn(self, codes: torch.Tensor):
        def fn(points):
            with torch.inference_mode():
                return self.field(codes, points)[0].cpu()
        return fn

    # ---- outputs -----------------------------------------------------------------------------------

    def extract_mesh(self, codes: torch.Tensor, resolution: int, *, chunk: int, threshold: float = 25.0,
                     coarse_to_fine: bool = True, cancel=None, progress=None):
        """Mesh of one scene (native frame) with per-vertex colours; the density threshold is the official 25."""
        result = extract.extract(self.density_fn(codes), resolution, threshold, coarse_to_fine, chunk, cancel, progress)
        colours = torch.zeros(len(result.vertices), 3)
        if len(result.vertices):
            _, colours = self.query(codes[None], torch.from_numpy(result.vertices)[None], chunk=min(chunk, 65536))
            colours = colours[0]
        return result, colours.float().cpu().numpy()

    def render_input_depth(self, codes: torch.Tensor, resolution: int, *, chunk: int, cancel=None):
        """Expected depth and opacity (resolution²) seen from the input camera."""
        origins, dirs = nerf.input_view_rays(resolution)
        fn = self.density_fn(codes)
        depth, opacity = nerf.render_depth(fn, origins, dirs, self.radius, self.samples_per_ray, chunk, cancel)
        return depth.reshape(resolution, resolution).numpy(), opacity.reshape(resolution, resolution).numpy()
