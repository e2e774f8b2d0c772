"""A record of how torch.load is called: the keyword arguments of every call, in order, while the files
are still read as usual (for the tests that checkpoints are read onto the CPU, weights only)."""
import torch


def recorded_loads(monkeypatch) -> list[dict]:
    """torch.load patched through `monkeypatch` to note each call's keyword arguments in the list returned."""
    calls, real = [], torch.load
    monkeypatch.setattr(torch, "load", lambda *a, **k: calls.append(k) or real(*a, **k))
    return calls
