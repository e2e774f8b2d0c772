"""The one user-facing error type. Every failure an artist can act on (a bad image, a bad option, missing
weights, an engine that cannot run) is a DepthyError, or a subclass where a caller must tell them apart;
each boundary catches it once: the operator reports its one line, the CLI prints it and exits 2."""
from __future__ import annotations


class DepthyError(Exception):
    """A failure with a one-line message meant for the user."""


class OptionError(DepthyError, ValueError):
    """An option outside its range, or not a finite number."""


def first_line(exc: BaseException, limit: int | None = None) -> str:
    """The first line of an exception's message (at most `limit` characters), or its type's name when
    it says nothing: how a failure from a library becomes one line for the user."""
    lines = str(exc).strip().splitlines()
    return lines[0][:limit] if lines else type(exc).__name__


def described(exc: BaseException, limit: int | None = None) -> str:
    """`Type: first line`, for a failure that is not a DepthyError (the type tells what went wrong)."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0][:limit]}" if lines else type(exc).__name__



def counted(count: int, noun: str) -> str:
    """A count and its noun for a line the user reads: "1 area", "2 areas"."""
    return f"{count} {noun}{'' if count == 1 else 's'}"
