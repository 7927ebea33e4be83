"""The NumPy reference backend.

Every kernel of fastmlp has its definition here, written as plain float32 NumPy.
The compiled (``cython``) and GPU (``cupy``) backends subclass :class:`NumpyOps`
and override only the methods they accelerate, so anything they leave alone
falls back to this code, and the tests compare every override against it.

Conventions shared by all backends:

* arrays are float32 and C-contiguous unless a method says otherwise;
* results are written into caller-provided ``out`` buffers, so a training step
  can run without allocating;
* argument checking lives in :mod:`fastmlp.backend.checks` and is called by the
  public entry points in :mod:`fastmlp.ops` and by the layers, once per call, not
  inside the kernels.
"""

import contextlib

import numpy as np

from . import philox


def adam_step_size(lr, beta_1, beta_2, step):
    """Adam's bias-corrected step size, shared by every backend's update.

    Args:
        lr: the learning rate.
        beta_1: the decay of the first-moment average.
        beta_2: the decay of the second-moment average.
        step: the update's number, counting from 1.

    Returns:
        ``lr * sqrt(1 - beta_2**step) / (1 - beta_1**step)``, a NumPy float
        (float64 for Python-float arguments) that the kernels round to float32.
    """
    return lr * np.sqrt(1.0 - beta_2 ** step) / (1.0 - beta_1 ** step)


class NumpyOps:
    """Reference implementation of every kernel, in float32 NumPy."""

    name = "numpy"
    xp = np

    # ------------------------------------------------------------------ arrays
    def alloc(self, shape, dtype=np.float32):
        """A zero-filled array of ``shape`` on this backend's device."""
        return self.xp.zeros(shape, dtype=dtype)

    def asarray(self, x, dtype=np.float32):
        """``x`` as a C-contiguous array of ``dtype`` on this backend's device."""
        return self.xp.ascontiguousarray(self.xp.asarray(x, dtype=dtype))

    def to_numpy(self, x):
        """``x`` as a NumPy array on the host."""
        return np.asarray(x)

    def training_context(self, batch_size):
        """A context ``fit`` runs its epochs in (thread settings fitted to the
        batch size); the reference changes nothing."""
        return contextlib.nullcontext()

    # ------------------------------------------------------------------- dense
    def dense_forward(self, x, W, b, activation, out):
        """``out = activation(x @ W + b)``; ``b`` may be None; activation is
        ``"linear"`` or ``"relu"``."""
        self.xp.matmul(x, W, out=out)
        if b is not None:
            out += b
        if activation == "relu":
            self.xp.maximum(out, 0, out=out)
        return out

    def dense_backward(self, x, W, y, dy, activation, dW, db, dx=None):
        """Gradients of a dense layer.

        ``y`` is the forward output and ``dy`` the gradient with respect to it.
        With ``activation="relu"`` the ReLU derivative is applied to ``dy`` in
        place (``dy`` then holds the gradient of the pre-activation).
        ``dW = x.T @ dy``, ``db = dy.sum(0)`` (skipped when ``db`` is None) and
        ``dx = dy @ W.T`` (skipped when ``dx`` is None: the first layer).
        """
        if activation == "relu":
            dy *= y > 0
        self.xp.matmul(x.T, dy, out=dW)
        if db is not None:
            self.xp.sum(dy, axis=0, out=db)
        if dx is not None:
            self.xp.matmul(dy, W.T, out=dx)
        return dW, db, dx

    # -------------------------------------------------------------------- relu
    def relu_forward(self, x, out):
        """``out = max(x, 0)``."""
        return self.xp.maximum(x, 0, out=out)

    def relu_backward(self, y, dy, out):
        """``out = dy * (y > 0)`` where ``y`` is the forward output."""
        return self.xp.multiply(dy, y > 0, out=out)

    # ------------------------------------------------- other activations
    # Not fused into a compiled kernel: used by Dense(activation="sigmoid"/"tanh")
    # and the Activation layer, on every backend through ``xp``.
    def sigmoid_forward(self, x, out):
        """``out = 1 / (1 + exp(-x))``, without overflow for large ``|x|``."""
        xp = self.xp
        xp.negative(xp.abs(x), out=out)
        xp.exp(out, out=out)                      # e = exp(-|x|) in (0, 1]
        positive = x >= 0
        xp.divide(xp.where(positive, 1, out), 1 + out, out=out)
        return out

    def sigmoid_backward(self, y, dy, out):
        """``out = dy * y * (1 - y)`` where ``y`` is the forward output."""
        self.xp.multiply(dy, y * (1 - y), out=out)
        return out

    def tanh_forward(self, x, out):
        """``out = tanh(x)``."""
        return self.xp.tanh(x, out=out)

    def tanh_backward(self, y, dy, out):
        """``out = dy * (1 - y**2)`` where ``y`` is the forward output."""
        self.xp.multiply(dy, 1 - y * y, out=out)
        return out

    # Keras's other element-wise activations; each derivative is written in
    # terms of the output y, which is all a layer keeps.
    def elu_forward(self, x, out):
        """``x`` where positive, else ``exp(x) - 1``."""
        xp = self.xp
        xp.expm1(xp.minimum(x, 0), out=out)
        xp.copyto(out, x, where=x > 0)
        return out

    def elu_backward(self, y, dy, out):
        """``dy`` where ``y > 0``, else ``dy * (y + 1)``."""
        self.xp.multiply(dy, self.xp.where(y > 0, 1, y + 1), out=out)
        return out

    SELU_ALPHA = np.float32(1.6732632423543772)
    SELU_SCALE = np.float32(1.0507009873554805)

    def selu_forward(self, x, out):
        """``scale * elu(x, alpha)`` with Keras's constants."""
        xp = self.xp
        xp.expm1(xp.minimum(x, 0), out=out)
        out *= self.SELU_ALPHA
        xp.copyto(out, x, where=x > 0)
        out *= self.SELU_SCALE
        return out

    def selu_backward(self, y, dy, out):
        """``dy * scale`` where ``y > 0``, else ``dy * (y + scale * alpha)``."""
        slope = self.xp.where(y > 0, self.SELU_SCALE, y + self.SELU_SCALE * self.SELU_ALPHA)
        self.xp.multiply(dy, slope, out=out)
        return out

    def softplus_forward(self, x, out):
        """``log(1 + exp(x))``, without overflow for large ``x``."""
        self.xp.logaddexp(x, np.float32(0), out=out)
        return out

    def softplus_backward(self, y, dy, out):
        """``dy * sigmoid(x)``, i.e. ``dy * (1 - exp(-y))``."""
        self.xp.multiply(dy, -self.xp.expm1(-y), out=out)
        return out

    def leaky_relu_forward(self, x, out, negative_slope=0.2):
        """``x`` where positive, else ``negative_slope * x`` (Keras 3's
        ``activations.leaky_relu`` default slope is 0.2)."""
        slope = self.xp.where(x > 0, np.float32(1), np.float32(negative_slope))
        self.xp.multiply(x, slope, out=out)
        return out

    def leaky_relu_backward(self, y, dy, out, negative_slope=0.2):
        """``dy`` where ``y > 0``, else ``dy * negative_slope`` (a slope >= 0)."""
        slope = self.xp.where(y > 0, np.float32(1), np.float32(negative_slope))
        self.xp.multiply(dy, slope, out=out)
        return out

    # Keras 3's gelu, silu, relu6, hard_sigmoid and exponential. GELU's and
    # SiLU's derivatives are not functions of their output, so their backward
    # methods take the layer's input ``x``; the others take the output ``y``.
    def _erfc(self, x):
        """erfc in float64 with relative error < 1.2e-7 everywhere (Numerical
        Recipes' erfcc, a Chebyshev fit), on any backend's ``xp``."""
        xp = self.xp
        z = xp.abs(x)
        t = 1.0 / (1.0 + 0.5 * z)
        poly = -0.82215223 + t * 0.17087277
        for c in (1.48851587, -1.13520398, 0.27886807, -0.18628806, 0.09678418, 0.37409196,
                  1.00002368, -1.26551223):
            poly = c + t * poly
        r = t * xp.exp(-z * z + poly)
        return xp.where(x >= 0, r, 2.0 - r)

    def gelu_forward(self, x, out):
        """Exact GELU ``x * Phi(x)``, ``Phi(x) = erfc(-x / sqrt 2) / 2``
        (Keras's default ``approximate=False``), computed in float64."""
        x64 = x.astype(np.float64)
        out[...] = 0.5 * x64 * self._erfc(-x64 * np.sqrt(0.5))
        return out

    def gelu_backward(self, x, dy, out):
        """``out = dy * (Phi(x) + x * phi(x))`` from the input ``x``."""
        x64 = x.astype(np.float64)
        grad = 0.5 * self._erfc(-x64 * np.sqrt(0.5)) + x64 * self.xp.exp(-0.5 * x64 * x64) / np.sqrt(2 * np.pi)
        self.xp.multiply(dy, grad.astype(np.float32), out=out)
        return out

    def silu_forward(self, x, out):
        """``out = x * sigmoid(x)`` (Keras's ``silu``, alias ``swish``)."""
        self.sigmoid_forward(x, out)
        out *= x
        return out

    def silu_backward(self, x, dy, out):
        """``out = dy * s * (1 + x * (1 - s))`` with ``s = sigmoid(x)``, from the input ``x``."""
        s = self.sigmoid_forward(x, self.xp.empty_like(out))
        self.xp.multiply(dy, s * (1 + x * (1 - s)), out=out)
        return out

    def relu6_forward(self, x, out):
        """``out = min(max(x, 0), 6)``."""
        return self.xp.clip(x, np.float32(0), np.float32(6), out=out)

    def relu6_backward(self, y, dy, out):
        """``out = dy * (0 < y < 6)`` where ``y`` is the forward output."""
        return self.xp.multiply(dy, (y > 0) & (y < 6), out=out)

    def hard_sigmoid_forward(self, x, out):
        """Keras 3's ``relu6(x + 3) / 6``: 0 below -3, 1 above 3, linear between."""
        self.xp.add(x, np.float32(3), out=out)
        self.xp.clip(out, np.float32(0), np.float32(6), out=out)
        out /= np.float32(6)
        return out

    def hard_sigmoid_backward(self, y, dy, out):
        """``out = dy / 6`` where ``0 < y < 1``, else 0."""
        return self.xp.multiply(dy, ((y > 0) & (y < 1)) / np.float32(6), out=out)

    def exponential_forward(self, x, out):
        """``out = exp(x)``."""
        return self.xp.exp(x, out=out)

    def exponential_backward(self, y, dy, out):
        """``out = dy * y`` (exp is its own derivative)."""
        return self.xp.multiply(dy, y, out=out)

    # ----------------------------------------------------- batch normalization
    def batchnorm_forward(self, x, gamma, beta, epsilon, out, xhat, inv_std):
        """Training-mode batch normalization of the rows of ``x`` (n, c):
        ``xhat = (x - mean) / sqrt(var + epsilon)``, ``out = gamma * xhat + beta``
        (``gamma``/``beta`` may be None). Fills ``xhat`` and ``inv_std`` (c,) for
        the backward pass and returns the batch ``(mean, var)``."""
        xp = self.xp
        mean = x.mean(axis=0)
        var = x.var(axis=0)
        xp.divide(np.float32(1), xp.sqrt(var + np.float32(epsilon)), out=inv_std)
        xp.subtract(x, mean, out=xhat)
        xhat *= inv_std
        out[...] = xhat
        if gamma is not None:
            out *= gamma
        if beta is not None:
            out += beta
        return mean, var

    def batchnorm_backward(self, dy, xhat, inv_std, gamma, dgamma, dbeta, dx):
        """Gradients of :meth:`batchnorm_forward`: ``dgamma = sum(dy * xhat)``,
        ``dbeta = sum(dy)`` (each skipped when None) and
        ``dx = inv_std / n * (n * g - sum(g) - xhat * sum(g * xhat))`` with
        ``g = dy * gamma``."""
        xp = self.xp
        n = np.float32(dy.shape[0])
        if dgamma is not None:
            xp.sum(dy * xhat, axis=0, out=dgamma)
        if dbeta is not None:
            xp.sum(dy, axis=0, out=dbeta)
        g = dy * gamma if gamma is not None else dy
        xp.multiply(g, n, out=dx)
        dx -= g.sum(axis=0)
        dx -= xhat * (g * xhat).sum(axis=0)
        dx *= inv_std / n
        return dx

    # ----------------------------------------------------------------- dropout
    def dropout_mask(self, seed, step, rate, mask):
        """Fill the uint8 ``mask`` with 1 where an element is kept.

        Element ``i`` is dropped when the ``i``-th 32-bit word of the Philox4x32-10
        stream keyed by ``seed`` at counter ``(i // 4, step)`` is below
        ``rate * 2**32``, so the mask depends only on ``(seed, step, i)``.
        """
        words = philox.random_words(seed, step, mask.size)
        threshold = philox.drop_threshold(rate)
        mask[...] = self.xp.asarray((words >= threshold).reshape(mask.shape), dtype=np.uint8)
        return mask

    def dropout_forward(self, x, rate, seed, step, mask, out):
        """Inverted dropout: draw ``mask`` and set ``out = x * mask / (1 - rate)``."""
        self.dropout_mask(seed, step, rate, mask)
        return self.dropout_apply(x, mask, rate, out)

    def dropout_apply(self, x, mask, rate, out):
        """``out = x * mask / (1 - rate)`` with a mask drawn earlier; this is
        also the backward pass (``x`` being the output gradient)."""
        scale = philox.keep_scale(rate)
        self.xp.multiply(x, scale, out=out)
        out *= mask
        return out

    dropout_backward = dropout_apply

    # ----------------------------------------------------------------- softmax
    def softmax(self, x, out):
        """Row-wise softmax, stable for large logits."""
        xp = self.xp
        xp.subtract(x, x.max(axis=1, keepdims=True), out=out)
        xp.exp(out, out=out)
        out /= out.sum(axis=1, keepdims=True)
        return out

    def log_softmax(self, x, out):
        """Row-wise log-softmax, stable for large logits."""
        xp = self.xp
        xp.subtract(x, x.max(axis=1, keepdims=True), out=out)
        out -= xp.log(xp.exp(out).sum(axis=1, keepdims=True))
        return out

    def softmax_backward(self, y, dy, out):
        """Gradient through a softmax with output ``y``:
        ``out = y * (dy - sum(dy * y))``."""
        dot = (dy * y).sum(axis=1, keepdims=True)
        self.xp.subtract(dy, dot, out=out)
        out *= y
        return out

    def softmax_xent_sparse(self, logits, labels, dlogits, weights=None, scale=None):
        """Fused softmax cross-entropy for integer labels (int32).

        Returns the reduced loss ``scale * sum_i weights[i] * loss_i`` as a
        Python float, ``loss_i = -log_softmax(logits)[i, labels[i]]``, and
        writes its gradient ``dlogits[i] = (softmax(logits[i]) -
        onehot(labels[i])) * c_i`` with ``c_i = float32(scale * weights[i])``.
        ``weights`` None means all ones; ``scale`` None means ``1 / batch``
        (the mean). ``dlogits`` may be None when only the loss is wanted.
        """
        n = logits.shape[0]
        logp = self.log_softmax(logits, self.xp.empty_like(logits))
        rows = self.xp.arange(n)
        row_loss = -logp[rows, labels].astype(np.float64)
        if dlogits is not None:
            self.xp.exp(logp, out=dlogits)
            dlogits[rows, labels] -= 1
        return self._reduce_xent(row_loss, dlogits, weights, scale)

    def softmax_xent_dense(self, logits, targets, dlogits, weights=None, scale=None):
        """Fused softmax cross-entropy for one-hot or probability targets.

        Returns the reduced ``scale * sum_i weights[i] * loss_i`` of
        ``loss_i = -sum(targets[i] * log_softmax(logits[i]))`` and writes its
        gradient ``(softmax(logits) * sum(targets) - targets) * c_i``, reduced
        and weighted as in :meth:`softmax_xent_sparse`.
        """
        logp = self.log_softmax(logits, self.xp.empty_like(logits))
        row_loss = -(targets * logp).astype(np.float64).sum(axis=1)
        if dlogits is not None:
            self.xp.exp(logp, out=dlogits)
            dlogits *= targets.sum(axis=1, keepdims=True)
            dlogits -= targets
        return self._reduce_xent(row_loss, dlogits, weights, scale)

    def _reduce_xent(self, row_loss, dlogits, weights, scale):
        """``scale * sum(weights * row_loss)`` as a float, scaling the rows of
        ``dlogits`` (unless None) by ``float32(scale * weights)``."""
        n = row_loss.shape[0]
        if scale is None:
            scale = 1.0 / n if n else float("nan")  # the mean (NaN over no rows)
        if weights is None:
            total = row_loss.sum()
            coef = np.float32(scale)
        else:
            w64 = weights.astype(np.float64)
            total = (w64 * row_loss).sum()
            coef = (scale * w64).astype(np.float32)[:, None]
        if dlogits is not None:
            dlogits *= coef
        return float(total * scale)

    # ---------------------------------------------------------------- optimizers
    # Each update is one pass over a flat float32 parameter buffer and its
    # gradient twin, with the formulas Keras 3 uses.
    def sgd_update(self, params, grads, velocity, lr, momentum=0.0, nesterov=False):
        """SGD, optionally with (Nesterov) momentum; ``velocity`` may be None
        when ``momentum == 0``."""
        lr = np.float32(lr)
        if momentum == 0:
            params -= lr * grads
            return params
        momentum = np.float32(momentum)
        velocity *= momentum
        velocity -= lr * grads
        if nesterov:
            params += momentum * velocity - lr * grads
        else:
            params += velocity
        return params

    def adam_update(self, params, grads, m, v, lr, beta_1, beta_2, epsilon, step,
                    weight_decay=0.0):
        """Adam with bias correction (``step`` counts from 1); a non-zero
        ``weight_decay`` gives AdamW's decoupled decay ``p -= p * wd * lr``."""
        xp = self.xp
        f32 = np.float32
        if weight_decay:
            params -= params * f32(weight_decay * lr)
        alpha = f32(adam_step_size(lr, beta_1, beta_2, step))
        m += (grads - m) * f32(1.0 - beta_1)
        v += (grads * grads - v) * f32(1.0 - beta_2)
        params -= alpha * m / (xp.sqrt(v) + f32(epsilon))
        return params

    def rmsprop_update(self, params, grads, velocity, momentum_buf, lr, rho,
                       momentum, epsilon):
        """RMSprop as Keras 3 defines it:
        ``v = rho*v + (1-rho)*g**2``, ``inc = lr*g/sqrt(v+eps)``; with momentum
        ``mom = momentum*mom + inc`` and ``p -= mom``, else ``p -= inc``."""
        xp = self.xp
        f32 = np.float32
        velocity *= f32(rho)
        velocity += f32(1.0 - rho) * grads * grads
        increment = f32(lr) * grads / xp.sqrt(velocity + f32(epsilon))
        if momentum:
            momentum_buf *= f32(momentum)
            momentum_buf += increment
            params -= momentum_buf
        else:
            params -= increment
        return params

    # ------------------------------------------------------------------ metrics
    def count_correct_sparse(self, scores, labels):
        """How many rows have ``argmax(scores) == label`` (first maximum wins)."""
        return int((self.xp.argmax(scores, axis=1) == labels).sum())

    def count_correct_dense(self, scores, targets):
        """How many rows have ``argmax(scores) == argmax(targets)``."""
        return int((self.xp.argmax(scores, axis=1) == self.xp.argmax(targets, axis=1)).sum())

    #: elements compared with all thresholds at once in confusion_counts (bounds its memory)
    CONFUSION_BLOCK = 1 << 22

    def confusion_counts(self, preds, labels, thresholds, out, row_weights=None, col_weights=None,
                         per_column=False):
        """Add weighted confusion counts per threshold to ``out``, by Keras's rule:
        an element is predicted positive at threshold ``t`` when ``pred > t``
        (strictly; NaN never is) and is a true positive when its label is nonzero.

        Args:
            preds, labels: ``(rows, cols)`` float32 arrays.
            thresholds: ``(count,)`` float32, sorted ascending.
            out: host float64 ``(4, count, groups)`` -- the tp, fp, tn, fn
                planes -- added to; ``groups`` is ``cols`` with ``per_column``
                (one set of counts per column), else 1 (all elements pooled).
            row_weights: ``(rows,)`` float32 or None; col_weights: ``(cols,)``
                float32 or None. An element weighs ``row_weights[i] * col_weights[j]``.

        Returns:
            ``out``.
        """
        xp = self.xp
        rows, cols = preds.shape
        weights = xp.ones((rows, cols), dtype=np.float64)
        if row_weights is not None:
            weights *= row_weights.astype(np.float64)[:, None]
        if col_weights is not None:
            weights *= col_weights.astype(np.float64)[None, :]
        is_pos = labels != 0
        th = thresholds[:, None, None]
        step = max(1, self.CONFUSION_BLOCK // max(1, len(thresholds) * cols))
        for start in range(0, rows, step):
            block = slice(start, start + step)
            above = preds[None, block] > th                      # (count, block rows, cols)
            pos, w = is_pos[None, block], weights[None, block]
            planes = [above & pos, above & ~pos, ~above & ~pos, ~above & pos]
            axes = (1,) if per_column else (1, 2)
            counts = xp.stack([(plane * w).sum(axis=axes) for plane in planes])
            out += self.to_numpy(counts).reshape(out.shape)
        return out
