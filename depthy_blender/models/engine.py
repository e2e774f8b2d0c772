"""What an engine is: a name, a label for the artist, and predict(rgba, progress, cancel) → DepthResult;
the errors and the cancel check every engine shares. The engines themselves are in models/engines.py.

Engines that need torch or weights import them lazily inside predict()/available(), so the registry
and the classic engines work in any Python that has numpy and scipy.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

from ..errors import DepthyError

import numpy as np

Progress = Callable[[float, str], None]   # (fraction 0..1, stage text)
Cancel = Callable[[], bool]               # returns True when the user asked to stop


class Cancelled(Exception):
    """The user cancelled; not an error."""


class EngineError(DepthyError, RuntimeError):
    """An engine failure with a message meant for the user."""


@dataclass(frozen=True)
class EngineOptions:
    """How the engines are to run, carried by each request (the CLI and the add-on build one; training
    and evaluation pass their own). Each engine reads the fields that are its own."""
    device: str = "AUTO"                 # AUTO, CPU, CUDA, MPS or DIRECTML
    depthy_resolution: int = 256         # pixels on the longer side Depthy reads the drawing at
    depthy_runtime: str = "auto"         # auto, torch or onnx
    mirror_average: bool = True          # Depthy: average the mirror image's reading (up to 256²)
    scale_average: bool = True           # Depthy: average a reading at 0.75 of the size (up to 256²)
    triposr_folder: str = ""             # the official config.yaml and model.ckpt ("" = Hugging Face cache)
    triposr_output: str = "FULL"         # FULL (closed object) or RELIEF
    foreground_ratio: float = 0.85       # TripoSR's framing of the object
    mc_resolution: int = 256             # TripoSR's marching-cubes grid
    relief_resolution: int = 256         # TripoSR's relief: pixels on the depth image's side


DEFAULT_OPTIONS = EngineOptions()


@dataclass
class DepthResult:
    nearness: np.ndarray                 # (H, W) float32, larger = nearer, any scale
    mask: np.ndarray                     # (H, W) bool, the figure
    meta: dict = field(default_factory=dict)
    proportion: Optional[float] = None   # the figure's depth ÷ its width as drawn, when the engine can tell


@dataclass
class Engine:
    name: str
    label: str
    description: str
    predict_fn: Callable[..., DepthResult]
    available_fn: Callable[[EngineOptions], Optional[str]] = lambda options: None   # None = ready, else why
    quality_rank: int = 0                                                            # higher = better default

    def available(self, options: EngineOptions = DEFAULT_OPTIONS) -> Optional[str]:
        return self.available_fn(options)

    def predict(self, rgba: np.ndarray, progress: Optional[Progress] = None, cancel: Optional[Cancel] = None,
                options: EngineOptions = DEFAULT_OPTIONS) -> DepthResult:
        why_not = self.available(options)
        if why_not:
            raise EngineError(f"{self.label} is not available: {why_not}")
        return self.predict_fn(rgba, progress or _no_progress, cancel or _never, options)


def check_cancel(cancel: Cancel) -> None:
    if cancel():
        raise Cancelled()


def _no_progress(fraction: float, stage: str) -> None:
    pass


def _never() -> bool:
    return False
