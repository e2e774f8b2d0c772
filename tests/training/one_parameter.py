"""The network stood in where a command only builds an optimiser over it: one parameter, two zeros."""
import torch


class OneParameter(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(2))
