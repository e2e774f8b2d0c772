"""Triplane tokens, the Transformer1D backbone (self-attention, cross-attention to the image tokens,
GEGLU feed-forward) and the upsampler that turns tokens into triplane scene codes."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


class Triplane1DTokenizer(nn.Module):
    def __init__(self, plane_size: int, num_channels: int):
        super().__init__()
        self.plane_size, self.num_channels = plane_size, num_channels
        self.embeddings = nn.Parameter(torch.randn(3, num_channels, plane_size, plane_size) / math.sqrt(num_channels))

    def forward(self, batch: int) -> torch.Tensor:
        """(B, C, 3·S·S): tokens ordered plane, row, column."""
        return self.embeddings.unsqueeze(0).expand(batch, -1, -1, -1, -1).permute(0, 2, 1, 3, 4).reshape(
            batch, self.num_channels, -1)

    def detokenize(self, tokens: torch.Tensor) -> torch.Tensor:
        b = tokens.shape[0]
        s = self.plane_size
        return tokens.reshape(b, self.num_channels, 3, s, s).permute(0, 2, 1, 3, 4)


class Attention(nn.Module):
    """Multi-head attention with the official names (to_q/to_k/to_v without bias, to_out.0 with bias)."""

    def __init__(self, dim, heads, head_dim, context_dim=None):
        super().__init__()
        inner = heads * head_dim
        self.heads = heads
        self.to_q = nn.Linear(dim, inner, bias=False)
        self.to_k = nn.Linear(context_dim or dim, inner, bias=False)
        self.to_v = nn.Linear(context_dim or dim, inner, bias=False)
        self.to_out = nn.ModuleList([nn.Linear(inner, dim), nn.Dropout(0.0)])

    def forward(self, x, context=None):
        context = x if context is None else context
        b, n, _ = x.shape

        def split(t):
            return t.view(b, t.shape[1], self.heads, -1).transpose(1, 2)
        out = F.scaled_dot_product_attention(split(self.to_q(x)), split(self.to_k(context)), split(self.to_v(context)))
        return self.to_out[0](out.transpose(1, 2).reshape(b, n, -1))


class GEGLU(nn.Module):
    def __init__(self, dim, inner):
        super().__init__()
        self.proj = nn.Linear(dim, inner * 2)

    def forward(self, x):
        a, gate = self.proj(x).chunk(2, dim=-1)
        return a * F.gelu(gate)


class FeedForward(nn.Module):
    def __init__(self, dim, inner):
        super().__init__()
        self.net = nn.ModuleList([GEGLU(dim, inner), nn.Dropout(0.0), nn.Linear(inner, dim)])

    def forward(self, x):
        return self.net[2](self.net[0](x))


class TransformerBlock(nn.Module):
    def __init__(self, dim, heads, head_dim, context_dim):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn1 = Attention(dim, heads, head_dim)
        self.norm2 = nn.LayerNorm(dim)
        self.attn2 = Attention(dim, heads, head_dim, context_dim)
        self.norm3 = nn.LayerNorm(dim)
        self.ff = FeedForward(dim, dim * 4)

    def forward(self, h, context):
        h = h + self.attn1(self.norm1(h))
        h = h + self.attn2(self.norm2(h), context)
        return h + self.ff(self.norm3(h))


class Transformer1D(nn.Module):
    def __init__(self, in_channels, num_attention_heads, attention_head_dim, num_layers, cross_attention_dim,
                 norm_num_groups=32):
        super().__init__()
        inner = num_attention_heads * attention_head_dim
        self.norm = nn.GroupNorm(norm_num_groups, in_channels, eps=1e-6)
        self.proj_in = nn.Linear(in_channels, inner)
        self.transformer_blocks = nn.ModuleList(
            TransformerBlock(inner, num_attention_heads, attention_head_dim, cross_attention_dim)
            for _ in range(num_layers))
        self.proj_out = nn.Linear(inner, in_channels)

    def forward(self, x, context, progress=None):
        """x (B, C, N) tokens, context (B, M, Cc) image tokens → (B, C, N)."""
        h = self.proj_in(self.norm(x).transpose(1, 2))
        for i, block in enumerate(self.transformer_blocks):
            h = block(h, context)
            if progress:
                progress((i + 1) / len(self.transformer_blocks))
        return self.proj_out(h).transpose(1, 2) + x


class TriplaneUpsampleNetwork(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.upsample = nn.ConvTranspose2d(in_channels, out_channels, kernel_size=2, stride=2)

    def forward(self, planes):
        """(B, 3, Ci, S, S) → (B, 3, Co, 2S, 2S)."""
        b = planes.shape[0]
        out = self.upsample(planes.flatten(0, 1))
        return out.view(b, 3, *out.shape[1:])
