"""Binary cross-entropy and Keras's binary focal cross-entropy, each output an
independent 0/1 target; the value and its gradient in one pass."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..utils.validation import check_number
from .base import EPSILON, Loss


class _Binary(Loss):
    """What the binary losses share: from_logits, label smoothing towards 0.5."""

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction: str | None = "sum_over_batch_size", name: str | None = None, dtype: Any = None) -> None:
        if axis not in (-1, 1):
            raise ValueError(f"fastmlp losses take the outputs on the last axis; got axis={axis!r}")
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.from_logits = bool(from_logits)
        self.label_smoothing = check_number(label_smoothing, "label_smoothing", 0.0, 1.0)

    def _smoothed(self, y_true):
        s = self.label_smoothing
        return y_true * np.float32(1.0 - s) + np.float32(0.5 * s) if s else y_true

    @staticmethod
    def _clipped_bce(ops, p, t):
        """Keras's BCE on probabilities clipped to [EPSILON, 1 - EPSILON]:
        elementwise values and d/dp (zero where the clip is active)."""
        xp = ops.xp
        pc = xp.clip(p, EPSILON, 1 - EPSILON)
        bce = -(t * xp.log(pc) + (1 - t) * xp.log(1 - pc))
        inside = (p > EPSILON) & (p < 1 - EPSILON)
        return bce, xp.where(inside, (pc - t) / (pc * (1 - pc)), 0).astype(np.float32)

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing, "axis": -1}


class BinaryCrossentropy(_Binary):
    """Binary cross-entropy on probabilities (or logits with ``from_logits``),
    averaged over the outputs.

    Args:
        from_logits: whether ``y_pred`` holds logits (default False:
            probabilities, clipped to ``[1e-7, 1 - 1e-7]`` as Keras does).
        label_smoothing: in [0, 1]: targets become ``t * (1 - s) + s / 2``
            (default 0: no smoothing).
        axis: the outputs' axis; only the last (-1, or 1) is supported.
        reduction, name, dtype: see :class:`Loss`.

    Raises:
        ValueError: for ``label_smoothing`` outside [0, 1], another ``axis``,
            or the bad arguments and input :class:`Loss` lists.
        TypeError: for a ``label_smoothing`` that is not a number, or input
            that is not numeric.

    Example:
        >>> bce = fastmlp.losses.BinaryCrossentropy()
        >>> round(bce([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]), 4)
        0.8149
        >>> smooth = fastmlp.losses.BinaryCrossentropy(label_smoothing=0.2)
        >>> round(smooth([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]), 4)
        0.7947
        >>> on_logits = fastmlp.losses.BinaryCrossentropy(from_logits=True)
        >>> round(on_logits([[0.0], [1.0]], [[-2.0], [3.0]]), 4)
        0.0878
    """

    def per_sample(self, ops, y_pred, y_true, grad, outputs_are_logits=False):
        xp = ops.xp
        k = y_pred.shape[1]
        t = self._smoothed(y_true)
        if self.from_logits:
            # log(1 + exp(-|z|)) + max(z, 0) - z*t, stable for large |z|
            values = (xp.logaddexp(0, y_pred) - y_pred * t).mean(axis=1, dtype=np.float64)
            if grad is not None:
                ops.sigmoid_forward(y_pred, grad)
                grad -= t
                grad /= np.float32(k)
            return values
        bce, d = self._clipped_bce(ops, y_pred, t)
        if grad is not None:
            xp.divide(d, np.float32(k), out=grad)
        return bce.mean(axis=1, dtype=np.float64)


class BinaryFocalCrossentropy(_Binary):
    """Keras's focal loss for binary targets (Lin et al., 2018): the binary
    cross-entropy times ``(1 - p_t) ** gamma``, ``p_t`` being the probability
    given to the true class, optionally times ``alpha`` (class 1) or
    ``1 - alpha`` (class 0).

    Args:
        apply_class_balancing: whether to weight the classes by ``alpha``
            (default False).
        alpha: the weight of class 1, in [0, 1] (default 0.25; used only
            with ``apply_class_balancing``).
        gamma: the focusing parameter, >= 0 (default 2; 0 is the binary
            cross-entropy).
        from_logits, label_smoothing, axis, reduction, name, dtype: see
            :class:`BinaryCrossentropy`.

    Raises:
        ValueError: for ``alpha`` outside [0, 1], a negative ``gamma``, or the
            bad arguments and input :class:`BinaryCrossentropy` lists.
        TypeError: for an ``alpha``, ``gamma`` or ``label_smoothing`` that is
            not a number, or input that is not numeric.

    Example:
        >>> focal = fastmlp.losses.BinaryFocalCrossentropy()
        >>> round(focal([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]), 4)
        0.2678
        >>> balanced = fastmlp.losses.BinaryFocalCrossentropy(apply_class_balancing=True)
        >>> round(balanced([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]), 4)
        0.1596
    """

    def __init__(self, apply_class_balancing: bool = False, alpha: float = 0.25, gamma: float = 2.0,
                 from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction: str | None = "sum_over_batch_size", name: str | None = None, dtype: Any = None) -> None:
        super().__init__(from_logits=from_logits, label_smoothing=label_smoothing, axis=axis,
                         reduction=reduction, name=name, dtype=dtype)
        self.apply_class_balancing = bool(apply_class_balancing)
        self.alpha = check_number(alpha, "alpha", 0.0, 1.0)
        self.gamma = check_number(gamma, "gamma", 0.0)

    def per_sample(self, ops, y_pred, y_true, grad, outputs_are_logits=False):
        xp = ops.xp
        t = self._smoothed(y_true)
        p = ops.sigmoid_forward(y_pred, xp.empty_like(y_pred)) if self.from_logits else y_pred
        bce, dbce = self._clipped_bce(ops, p, t)
        q = 1 - (t * p + (1 - t) * (1 - p))  # 1 - p_t
        focal = q ** np.float32(self.gamma)
        weight = (t * np.float32(self.alpha) + (1 - t) * np.float32(1 - self.alpha)
                  if self.apply_class_balancing else np.float32(1))
        values = (weight * focal * bce).mean(axis=1, dtype=np.float64)
        if grad is not None:
            # d/dp: focal * dbce + bce * d(focal)/dp, with d(1 - p_t)/dp = 1 - 2t
            safe_q = xp.where(q > 0, q, 1)
            dfocal = xp.where(q > 0, np.float32(self.gamma) * safe_q ** np.float32(self.gamma - 1), 0)
            grad[...] = weight * (focal * dbce + bce * dfocal * (1 - 2 * t)) / np.float32(p.shape[1])
            if self.from_logits:
                grad *= p * (1 - p)
        return values

    def get_config(self):
        return {**super().get_config(), "apply_class_balancing": self.apply_class_balancing,
                "alpha": self.alpha, "gamma": self.gamma}
