"""The one user-facing error type. Every failure an artist can act on (a bad image, a bad option, missing
weights, an engine that cannot run) is a DepthyError, or a subclass where a caller must tell them apart;
each boundary catches it once: the operator reports its one line, the CLI prints it and exits 2."""
from __future__ import annotations


class DepthyError(Exception):
    """A failure with a one-line message meant for the user."""


class OptionError(DepthyError, ValueError):
    """An option outside its range, or not a finite number."""
