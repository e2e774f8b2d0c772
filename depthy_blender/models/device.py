"""Device choice (cuda > mps > cpu, or the user's preference), precision, and out-of-memory fallback."""
from __future__ import annotations

PREFERENCES = ("AUTO", "CPU", "CUDA", "MPS")


def choose(preference: str = "AUTO") -> str:
    """A torch device string that exists here; an unavailable explicit choice raises with a message."""
    import torch
    preference = preference.upper()
    if preference not in PREFERENCES:
        raise ValueError(f"Device must be one of {', '.join(PREFERENCES)}, not {preference!r}")
    has_cuda = torch.cuda.is_available()
    has_mps = getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()
    if preference == "CUDA" and not has_cuda:
        raise RuntimeError("CUDA was chosen but no CUDA GPU is available to PyTorch here")
    if preference == "MPS" and not has_mps:
        raise RuntimeError("MPS was chosen but Apple Metal is not available to PyTorch here")
    if preference == "AUTO":
        return "cuda" if has_cuda else "mps" if has_mps else "cpu"
    return preference.lower()


def dtype_for(device: str):
    """Half precision on GPUs (twice as fast, half the memory), full precision on the CPU."""
    import torch
    return torch.float16 if device in ("cuda", "mps") else torch.float32


def is_out_of_memory(exc: BaseException) -> bool:
    """PyTorch's OutOfMemoryError (told by its name, so a package without torch can ask too), a
    MemoryError, or a RuntimeError saying "out of memory"."""
    if isinstance(exc, MemoryError) or type(exc).__name__ == "OutOfMemoryError":
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


def empty_cache(device: str) -> None:
    import torch
    if device == "cuda":
        torch.cuda.empty_cache()
    elif device == "mps" and hasattr(torch, "mps"):
        torch.mps.empty_cache()
