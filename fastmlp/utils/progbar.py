"""Keras's progress bar.

On a terminal the bar is redrawn in place; when output is not a terminal
(a CI log, a pipe) only the finished line is printed, so logs stay short.
"""

import math
import sys
import time


def _format_value(value):
    return f"{value:.4f}" if abs(value) > 1e-3 or value == 0 else f"{value:.4e}"


def _format_step_time(seconds):
    if seconds >= 1:
        return f"{seconds:.0f}s/step"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/step"
    return f"{seconds * 1e6:.0f}us/step"


def _format_eta(seconds):
    if seconds > 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600) // 60:02d}:{int(seconds % 60):02d}"
    if seconds > 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{int(seconds)}s"


class Progbar:
    """``Progbar(target).update(current, values)``; ``verbose`` 1 draws a bar,
    2 prints one summary line when ``current`` reaches ``target``."""

    WIDTH = 30

    def __init__(self, target, verbose=1, interval=0.05, stream=None):
        self.target = target
        self.verbose = verbose
        self.interval = interval
        self.stream = stream or sys.stdout
        self.dynamic = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.start = time.perf_counter()
        self._last_draw = 0.0
        self._last_width = 0

    def _bar(self, current):
        digits = int(math.log10(self.target)) + 1 if self.target else 1
        text = f"{current:{digits}d}/{self.target} ["
        filled = int(self.WIDTH * current / self.target) if self.target else self.WIDTH
        if filled > 0:
            text += "=" * (filled - 1) + (">" if current < self.target else "=")
        return text + "." * (self.WIDTH - filled) + "]"

    def due(self):
        """Whether an unfinished update would be drawn now (a terminal, and the
        redraw interval has passed)."""
        return (self.verbose == 1 and self.dynamic
                and time.perf_counter() - self._last_draw >= self.interval)

    def update(self, current, values=None, finalize=None):
        """Show progress ``current`` with ``values`` (a dict of name -> number)."""
        if finalize is None:
            finalize = current >= self.target
        now = time.perf_counter()
        metrics = "".join(f" - {k}: {_format_value(v)}" for k, v in (values or {}).items())
        elapsed = now - self.start
        per_step = elapsed / current if current else 0.0
        if self.verbose == 1:
            if not finalize and not self.due():
                return
            line = self._bar(current)
            if finalize:
                line += f" - {elapsed:.0f}s {_format_step_time(per_step)}{metrics}"
            else:
                line += f" - ETA: {_format_eta(per_step * (self.target - current))}{metrics}"
            if self.dynamic:
                pad = max(0, self._last_width - len(line))
                self.stream.write("\r" + line + " " * pad + ("\n" if finalize else ""))
                self._last_width = len(line)
            else:
                self.stream.write(line + "\n")
        elif self.verbose == 2 and finalize:
            self.stream.write(f"{current}/{self.target} - {elapsed:.0f}s - "
                              f"{_format_step_time(per_step)}{metrics}\n")
        else:
            return
        self.stream.flush()
        self._last_draw = now
