"""A tiny TripoSR (same architecture, small widths) written to disk like the official files."""
from pathlib import Path

import torch

CONFIG = """\
cond_image_size: 64
image_tokenizer:
  pretrained_model_name_or_path: "facebook/dino-vitb16"
  vit: {hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 64,
        patch_size: 16, image_size: 48}
tokenizer:
  plane_size: 8
  num_channels: 64
backbone:
  in_channels: ${tokenizer.num_channels}
  num_attention_heads: 4
  attention_head_dim: 16
  num_layers: 2
  cross_attention_dim: 32
post_processor:
  in_channels: 64
  out_channels: 8
decoder:
  in_channels: 24
  n_neurons: 16
  n_hidden_layers: 9
  activation: silu
renderer:
  radius: 0.87
  feature_reduction: concat
  density_activation: exp
  density_bias: -1.0
  num_samples_per_ray: 32
"""


def write(folder: Path, seed: int = 0) -> Path:
    from depthy_blender.models.triposr.system import TripoSR, read_config
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.yaml").write_text(CONFIG)
    torch.manual_seed(seed)
    model = TripoSR(read_config(folder / "config.yaml"))
    for p in model.parameters():          # non-trivial values everywhere (norms included)
        torch.nn.init.normal_(p, std=0.2)
    torch.save(model.state_dict(), folder / "model.ckpt")
    return folder
