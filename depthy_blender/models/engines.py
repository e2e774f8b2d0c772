"""The engines, by name: the registry the panel, the CLI and the pipeline choose from.

It imports every engine module; they import only models/engine.py (the types), so nothing imports the
registry back.
"""
from __future__ import annotations

import threading

from . import classic, depthy_engine, triposr_engine
from .engine import DEFAULT_OPTIONS, Engine, EngineError, EngineOptions

_REGISTRY: dict[str, Engine] = {e.name: e for e in (*classic.ENGINES, depthy_engine.ENGINE, triposr_engine.ENGINE)}
_LOCK = threading.Lock()


def register(engine: Engine) -> None:
    """Add (or replace) an engine: for tests and for engines outside this package."""
    with _LOCK:
        _REGISTRY[engine.name] = engine


def get(name: str) -> Engine:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise EngineError(f"Unknown engine {name!r}; choose one of: {', '.join(names())}") from None


def names() -> list[str]:
    return list(_REGISTRY)


def all_engines() -> list[Engine]:
    return list(_REGISTRY.values())


def best_available(options: EngineOptions = DEFAULT_OPTIONS) -> Engine:
    """The highest-quality engine that can run here (the default for the demo and the CLI)."""
    ready = [e for e in all_engines() if e.available(options) is None]
    return max(ready, key=lambda e: e.quality_rank)
