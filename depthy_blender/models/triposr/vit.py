"""DINO ViT-B/16 image tokenizer with the parameter names of the official checkpoint
(`image_tokenizer.model.*`, i.e. Hugging Face's ViTModel layout)."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
DINO_VITB16 = dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072,
                   patch_size=16, image_size=224, layer_norm_eps=1e-12)


class PatchEmbeddings(nn.Module):
    def __init__(self, hidden, patch):
        super().__init__()
        self.projection = nn.Conv2d(3, hidden, patch, stride=patch)

    def forward(self, x):
        return self.projection(x).flatten(2).transpose(1, 2)


class Embeddings(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        hidden, patch = cfg["hidden_size"], cfg["patch_size"]
        self.patch_size = patch
        grid = cfg["image_size"] // patch
        self.cls_token = nn.Parameter(torch.zeros(1, 1, hidden))
        self.position_embeddings = nn.Parameter(torch.zeros(1, grid * grid + 1, hidden))
        self.patch_embeddings = PatchEmbeddings(hidden, patch)

    def interpolated_positions(self, height: int, width: int) -> torch.Tensor:
        """The position table resized to the input's patch grid, as transformers 4.35 does it:
        bicubic with scale factor (patches + 0.1) / table side (32.1 / 14 at 512²)."""
        table = self.position_embeddings
        n = table.shape[1] - 1
        h, w = height // self.patch_size, width // self.patch_size
        if h * w == n and h == w:
            return table
        side = int(round(n ** 0.5))
        dim = table.shape[-1]
        grid = table[:, 1:].reshape(1, side, side, dim).permute(0, 3, 1, 2)
        grid = F.interpolate(grid, scale_factor=((h + 0.1) / side, (w + 0.1) / side), mode="bicubic",
                             align_corners=False)
        if grid.shape[-2:] != (h, w):
            raise ValueError(f"position interpolation gave {tuple(grid.shape[-2:])}, expected {(h, w)}")
        grid = grid.permute(0, 2, 3, 1).reshape(1, h * w, dim)
        return torch.cat([table[:, :1], grid], dim=1)

    def forward(self, x):
        b, _, height, width = x.shape
        tokens = self.patch_embeddings(x)
        tokens = torch.cat([self.cls_token.expand(b, -1, -1), tokens], dim=1)
        return tokens + self.interpolated_positions(height, width)


class SelfAttentionQKV(nn.Module):
    def __init__(self, hidden, heads):
        super().__init__()
        self.heads = heads
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)

    def forward(self, x):
        b, n, c = x.shape
        split = lambda t: t.view(b, n, self.heads, c // self.heads).transpose(1, 2)  # noqa: E731
        out = F.scaled_dot_product_attention(split(self.query(x)), split(self.key(x)), split(self.value(x)))
        return out.transpose(1, 2).reshape(b, n, c)


class AttentionOutput(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.dense = nn.Linear(hidden, hidden)


class Attention(nn.Module):
    def __init__(self, hidden, heads):
        super().__init__()
        self.attention = SelfAttentionQKV(hidden, heads)
        self.output = AttentionOutput(hidden)

    def forward(self, x):
        return self.output.dense(self.attention(x))


class Dense(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.dense = nn.Linear(cin, cout)


class Layer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        hidden, eps = cfg["hidden_size"], cfg["layer_norm_eps"]
        self.attention = Attention(hidden, cfg["num_attention_heads"])
        self.intermediate = Dense(hidden, cfg["intermediate_size"])
        self.output = Dense(cfg["intermediate_size"], hidden)
        self.layernorm_before = nn.LayerNorm(hidden, eps=eps)
        self.layernorm_after = nn.LayerNorm(hidden, eps=eps)

    def forward(self, x):
        x = x + self.attention(self.layernorm_before(x))
        return x + self.output.dense(F.gelu(self.intermediate.dense(self.layernorm_after(x))))


class Encoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.layer = nn.ModuleList(Layer(cfg) for _ in range(cfg["num_hidden_layers"]))


class Pooler(nn.Module):
    """Present in the checkpoint, unused by TripoSR (kept so strict loading sees every key)."""

    def __init__(self, hidden):
        super().__init__()
        self.dense = nn.Linear(hidden, hidden)


class ViTModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embeddings = Embeddings(cfg)
        self.encoder = Encoder(cfg)
        self.layernorm = nn.LayerNorm(cfg["hidden_size"], eps=cfg["layer_norm_eps"])
        self.pooler = Pooler(cfg["hidden_size"])

    def forward(self, x):
        h = self.embeddings(x)
        for layer in self.encoder.layer:
            h = layer(h)
        return self.layernorm(h)


class ImageTokenizer(nn.Module):
    """Images (B, 3, H, W) in [0, 1] → tokens (B, 1 + patches, hidden), CLS included."""

    def __init__(self, cfg):
        super().__init__()
        self.model = ViTModel(cfg)
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)

    def forward(self, images):
        return self.model((images - self.mean) / self.std)
