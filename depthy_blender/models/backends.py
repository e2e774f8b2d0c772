"""Registry of depth engines: name → Backend with predict(rgba, progress, cancel) → DepthResult.

Engines that need torch or weights import them lazily inside predict()/available(), so the registry
and the classic engines work in any Python that has numpy and scipy.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Callable, Optional

from ..errors import DepthyError

import numpy as np

Progress = Callable[[float, str], None]   # (fraction 0..1, stage text)
Cancel = Callable[[], bool]               # returns True when the user asked to stop


class Cancelled(Exception):
    """The user cancelled; not an error."""


class BackendError(DepthyError, RuntimeError):
    """An engine failure with a message meant for the user."""


@dataclass
class DepthResult:
    nearness: np.ndarray                 # (H, W) float32, larger = nearer, any scale
    mask: np.ndarray                     # (H, W) bool, the figure
    meta: dict = field(default_factory=dict)


@dataclass
class Backend:
    name: str
    label: str
    description: str
    predict_fn: Callable[..., DepthResult]
    available_fn: Callable[[], Optional[str]] = lambda: None   # None = ready, else why not
    quality_rank: int = 0                                      # higher = better default

    def available(self) -> Optional[str]:
        return self.available_fn()

    def predict(self, rgba: np.ndarray, progress: Optional[Progress] = None,
                cancel: Optional[Cancel] = None, **options) -> DepthResult:
        why_not = self.available()
        if why_not:
            raise BackendError(f"{self.label} is not available: {why_not}")
        return self.predict_fn(rgba, progress or _no_progress, cancel or _never, **options)


_REGISTRY: dict[str, Backend] = {}
_LOCK = threading.Lock()


def register(backend: Backend) -> None:
    with _LOCK:
        _REGISTRY[backend.name] = backend


def get(name: str) -> Backend:
    _ensure_builtin()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise BackendError(f"Unknown engine {name!r}; choose one of: {', '.join(names())}") from None


def names() -> list[str]:
    _ensure_builtin()
    return list(_REGISTRY)


def all_backends() -> list[Backend]:
    _ensure_builtin()
    return list(_REGISTRY.values())


def best_available() -> Backend:
    """The highest-quality engine that can run here (the default for the demo and the CLI)."""
    ready = [b for b in all_backends() if b.available() is None]
    return max(ready, key=lambda b: b.quality_rank)


def check_cancel(cancel: Cancel) -> None:
    if cancel():
        raise Cancelled()


def _no_progress(fraction: float, stage: str) -> None:
    pass


def _never() -> bool:
    return False


def _ensure_builtin() -> None:
    if not _REGISTRY:
        from . import classic, depthy_engine, triposr_engine
        classic.register_all()
        depthy_engine.register()
        triposr_engine.register()
