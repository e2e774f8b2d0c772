"""Random weights for the network oracles: a module in float64 and eval mode, every parameter drawn at
random (norm weights and biases too) and every batch norm's running statistics random, so that no layer
can be swapped, dropped or mis-shaped without changing the answer."""
import torch
from torch import nn


def scrambled(module: nn.Module, std: float, seed: int = 0) -> nn.Module:
    """Parameters from N(0, std²); batch-norm means from N(0, 0.3²), variances in [0.5, 2]."""
    torch.manual_seed(seed)
    module = module.double().eval()
    with torch.no_grad():
        for p in module.parameters():
            p.normal_(0.0, std)
        for m in module.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.normal_(0.0, 0.3)
                m.running_var.uniform_(0.5, 2.0)
    return module
