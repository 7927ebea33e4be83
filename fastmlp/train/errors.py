"""How ``fastmlp-train`` fails: ``CommandError`` (one line on stderr and an exit
status) and the program name that starts every message."""

from __future__ import annotations

PROG = "fastmlp-train"


class CommandError(Exception):
    """A failure reported as one line on stderr and a non-zero exit status."""

    def __init__(self, message, status=1):
        super().__init__(message)
        self.status = status


def first_line(exc):
    """The first line of an exception's text (its type's name when it has none)."""
    text = str(exc).strip()
    return text.splitlines()[0].strip() if text else type(exc).__name__


def error_line(exc):
    """The one line ``fastmlp-train`` prints for a failure: a CommandError's
    message, otherwise the exception's type and first line, after the program name."""
    if isinstance(exc, CommandError):
        return f"{PROG}: error: {exc}"
    return f"{PROG}: error: {type(exc).__name__}: {first_line(exc)}"
