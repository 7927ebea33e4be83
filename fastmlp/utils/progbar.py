"""Keras's progress bar, ``fastmlp.utils.Progbar``.

Where the output can be redrawn in place (a terminal, a Jupyter or IPython
kernel, PyCharm's console) the bar is redrawn with ``\\r`` every ``interval``
seconds, as Keras 3 does. Anywhere else (a CI log, a pipe, a file) only the
finished line is written, so a log keeps one line per epoch: Keras 3 also
treats every POSIX process as interactive (``"posix" in sys.modules``) and
fills logs with carriage returns; fastmlp leaves that out on purpose.

The line keeps the plain-text look of Keras 2 (``8/8 [=====>....] - ETA: 1s``),
without colour codes, so logs stay readable; the numbers (running averages,
``stateful_metrics``, the time per step, the value formats) follow Keras 3.15.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Iterable, Mapping
from typing import Optional, TextIO, Union

import numpy as np

from .validation import check_number, check_positive_int

Values = Union[Mapping[str, float], Iterable[tuple[str, float]], None]


def dynamic_display(stream: Optional[TextIO] = None) -> bool:
    """Whether progress written to ``stream`` (default ``sys.stdout``) can be
    redrawn in place: a terminal, a Jupyter/IPython kernel (``ipykernel``
    loaded, as Keras checks; a notebook's output is not a TTY but honours
    ``\\r``) or PyCharm's console (``PYCHARM_HOSTED``)."""
    stream = sys.stdout if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    try:
        tty = bool(isatty()) if isatty is not None else False
    except (ValueError, OSError):  # a closed or detached stream
        tty = False
    return tty or "ipykernel" in sys.modules or "PYCHARM_HOSTED" in os.environ


def _format_value(value: float, verbose: int) -> str:
    # Keras's rule; its one-line mode (verbose 2) compares the value itself,
    # not its magnitude, so a negative value is always shown as 1.2345e-01 there.
    large = value > 1e-3 if verbose == 2 else abs(value) > 1e-3
    return f"{value:.4f}" if large else f"{value:.4e}"


def _format_time(seconds: float, unit_name: str) -> str:
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.0f}s/{unit_name}"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/{unit_name}"
    return f"{seconds * 1e6:.0f}us/{unit_name}"


def _format_eta(seconds: float) -> str:
    if seconds > 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600) // 60:02d}:{int(seconds % 60):02d}"
    if seconds > 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{int(seconds)}s"


class Progbar:
    """A progress bar, as ``keras.utils.Progbar``.

    Values passed to ``update`` are averaged over the steps they cover unless
    their name is in ``stateful_metrics`` (or, with ``stateless_metrics``,
    only the names listed are averaged); a finalizing update shows the values
    it is given, as in Keras.

    Args:
        target: the number of steps expected, or None when unknown.
        width: the bar's width in characters.
        verbose: 0 (silent), 1 (a bar) or 2 (one line when finished).
        interval: the least time in seconds between two redraws.
        stateful_metrics: names whose values are shown as given, not averaged.
        stateless_metrics: names that are averaged, all others shown as given
            (not together with ``stateful_metrics``).
        unit_name: the unit of the time per step (``"step"`` or ``"sample"``).
        stream: where to write (default: ``sys.stdout`` at each write); not a
            Keras argument.

    Raises:
        ValueError: for a negative target, a width that is not a positive
            integer, a verbose other than 0, 1 or 2, a negative interval, or
            both metric lists.

    Example:
        >>> from fastmlp.utils import Progbar
        >>> bar = Progbar(3, verbose=2)
        >>> for step in range(1, 4):
        ...     bar.update(step, [("loss", 1.0 / step)])  # doctest: +ELLIPSIS
        3/3 - 0s - ...s/step - loss: 0.3333
    """

    def __init__(self, target: Optional[int], width: int = 20, verbose: int = 1,
                 interval: float = 0.05, stateful_metrics: Optional[Iterable[str]] = None,
                 stateless_metrics: Optional[Iterable[str]] = None, unit_name: str = "step",
                 *, stream: Optional[TextIO] = None) -> None:
        if target is not None:
            if isinstance(target, bool) or not isinstance(target, (int, np.integer)) or target < 0:
                raise ValueError(f"Progbar's target must be None or an integer >= 0, got {target!r}")
            target = int(target)
        if verbose not in (0, 1, 2):
            raise ValueError(f"Progbar's verbose must be 0, 1 or 2, got {verbose!r}")
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ValueError("Progbar takes stateful_metrics or stateless_metrics, not both")
        self.target = target
        self.width = check_positive_int(width, "Progbar's width")
        self.verbose = verbose
        self.interval = check_number(interval, "Progbar's interval", low=0)
        self.unit_name = str(unit_name)
        self.stateful_metrics = None if stateless_metrics is not None else set(stateful_metrics or ())
        self.stateless_metrics = None if stateless_metrics is None else set(stateless_metrics)
        self.stream = stream
        self._dynamic_display = dynamic_display(stream)
        self._values: dict[str, list[float]] = {}  # name -> [weighted sum, weight]
        self._values_order: list[str] = []
        self._seen_so_far = 0
        self._start = time.perf_counter()
        self._last_update = 0.0
        self._time_after_first_step: Optional[float] = None
        self._prev_total_width = 0

    def due(self) -> bool:
        """Whether an unfinished update would be drawn now (a redrawable
        display, and ``interval`` has passed): callers skip gathering values
        otherwise."""
        return (self.verbose == 1 and self._dynamic_display
                and time.perf_counter() - self._last_update >= self.interval)

    def update(self, current: int, values: Values = None, finalize: Optional[bool] = None) -> None:
        """Show progress.

        Args:
            current: the index of the current step (steps done so far).
            values: ``(name, value)`` pairs (or a dict) for the step(s) since
                the last update.
            finalize: whether this is the last update; default
                ``current >= target`` (never when the target is unknown).
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        self._add_values(current, values, finalize)
        self._seen_so_far = current
        now = time.perf_counter()
        per_step = self._step_duration(current, now)
        if self.verbose == 1:
            if not finalize and not (self._dynamic_display and now - self._last_update >= self.interval):
                return
            self._write_bar(current, now, per_step, finalize)
        elif self.verbose == 2 and finalize and self.target:
            digits = int(math.log10(self.target)) + 1
            self._write(f"{current:{digits}d}/{self.target} - {now - self._start:.0f}s - "
                        f"{_format_time(per_step, self.unit_name)}{self._metrics(2)}\n")
        self._last_update = now

    def add(self, n: int, values: Values = None) -> None:
        """Advance by ``n`` steps: ``update(steps so far + n, values)``.

        Args:
            n: the number of steps done since the last update.
            values: as for ``update``.
        """
        self.update(self._seen_so_far + n, values)

    # ------------------------------------------------------------ internals
    def _add_values(self, current, values, finalize):
        if isinstance(values, Mapping):
            values = values.items()
        for name, value in values or ():
            if name not in self._values_order:
                self._values_order.append(name)
            averaged = (name not in self.stateful_metrics if self.stateful_metrics is not None
                        else name in (self.stateless_metrics or ()))
            value = float(value)
            if not averaged or finalize:
                self._values[name] = [value, 1]
            else:
                # weighted by the steps this update covers (at least 1, as Keras)
                steps = max(current - self._seen_so_far, 1)
                total = self._values.setdefault(name, [0.0, 0])
                total[0] += value * steps
                total[1] += steps

    def _step_duration(self, current, now):
        """Seconds per step; the first step (often slow: allocation, warm-up)
        is left out once there are more, as Keras does."""
        if not current:
            return 0.0
        if self._time_after_first_step is not None and current > 1:
            per_step = (now - self._time_after_first_step) / (current - 1)
        else:
            per_step = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return per_step

    def _metrics(self, verbose):
        return "".join(f" - {name}: {_format_value(total / max(1, count), verbose)}"
                       for name in self._values_order
                       for total, count in [self._values[name]])

    def _write_bar(self, current, now, per_step, finalize):
        if self.target:
            digits = int(math.log10(self.target)) + 1
            filled = min(int(self.width * current / self.target), self.width)
            bar = f"{current:{digits}d}/{self.target} ["
            if filled > 0:
                bar += "=" * (filled - 1) + (">" if current < self.target else "=")
            line = bar + "." * (self.width - filled) + "]"
        else:
            line = f"{current:7d}/Unknown"
        if self.target and not finalize:
            line += f" - ETA: {_format_eta(per_step * (self.target - current))}"
        else:
            line += f" - {now - self._start:.0f}s {_format_time(per_step, self.unit_name)}"
        line += self._metrics(1)
        if self._dynamic_display:
            pad = " " * max(0, self._prev_total_width - len(line))
            self._write("\r" + line + pad + ("\n" if finalize else ""))
            self._prev_total_width = len(line)
        else:
            self._write(line + "\n")

    def _write(self, text):
        stream = sys.stdout if self.stream is None else self.stream
        stream.write(text)
        stream.flush()


def log_progbar(target: Optional[int], verbose: int) -> Progbar:
    """The bar ``fit``, ``evaluate`` and ``predict`` draw: the values they pass
    are already running means (so none is averaged again, as in Keras's
    ProgbarLogger), 30 characters wide."""
    return Progbar(target, width=30, verbose=verbose, stateless_metrics=())
