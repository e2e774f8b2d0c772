"""TripoSR (single image → 3D) in plain PyTorch, loading the official checkpoint unchanged.

Parts, one module each: vit (DINO ViT-B/16 image tokenizer), backbone (triplane tokens + Transformer1D +
upsampler), nerf (triplane query + NeRF MLP + volume rendering), extract (density grid → mesh),
system (config, loading, the TripoSR class), preprocess (mask, foreground ratio, grey composite).
"""
from .system import TripoSR, TripoSRError  # noqa: F401
