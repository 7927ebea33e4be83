"""JAX's side of the end-to-end rows, run only inside the JAX worker: each
:class:`~fastmlp.bench.workloads.Workload` written with ``jax.numpy`` alone
(no flax, no optax), the way a JAX user writes a small model by hand:

* parameters: a list of ``(W, b)`` pairs, Glorot-uniform weights and zero
  biases (Keras's Dense defaults);
* one training step, ``jax.jit`` of forward + loss + ``jax.value_and_grad`` +
  the optimizer update, with the parameters and optimizer state donated (no
  copies); the batch is gathered inside the step from the whole training set,
  which lives on the device, by a vector of shuffled indices;
* dropout from ``jax.random`` (``bernoulli`` with the default PRNG), its key
  folded in from the step counter inside the step;
* Adam and RMSprop by hand with Keras's formulas and epsilons (see
  :func:`adam` and :func:`rmsprop`);
* an epoch is the step over a fresh NumPy permutation's batches, then
  ``block_until_ready`` before the clock stops.

``jax`` is passed in, so importing this module does not import it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .data import workload_view
from .workloads import WARMUP_BATCHES

LR, EPSILON = 1e-3, 1e-7  # Keras's defaults, for both optimizers


def init_params(workload, seed=0):
    """``[(W, b), ...]`` as NumPy float32: W (fan_in, fan_out) Glorot-uniform
    (limit sqrt(6 / (fan_in + fan_out))), b zeros."""
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in workload.layer_shapes():
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        W = rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32)
        params.append((W, np.zeros(fan_out, np.float32)))
    return params


def forward(jax, workload, params, x, key=None):
    """The logits of ``x``; dropout (inverted, as Keras's) when ``key`` is given."""
    jnp = jax.numpy
    h = x.reshape(x.shape[0], -1)
    for i, (W, b) in enumerate(params):
        h = h @ W + b
        if i == len(params) - 1:
            break
        h = jnp.maximum(h, 0.0)
        if key is not None and workload.dropout:
            key, sub = jax.random.split(key)
            keep = jax.random.bernoulli(sub, 1.0 - workload.dropout, h.shape)
            h = jnp.where(keep, h / (1.0 - workload.dropout), 0.0)
    return h


def loss_fn(jax, workload, params, x, y, key=None):
    """Mean cross-entropy of a batch: from the logits against integer labels
    ("sparse"), or the softmax's against one-hot rows ("categorical", written
    as ``log_softmax``: the same function without the softmax's rounding)."""
    logp = jax.nn.log_softmax(forward(jax, workload, params, x, key))
    if workload.loss == "categorical":
        return -(y * logp).sum(axis=1).mean()
    return -jax.numpy.take_along_axis(logp, y[:, None].astype("int32"), axis=1).mean()


def adam(jax, beta_1=0.9, beta_2=0.999):
    """``(init, update)`` of Keras's Adam: with ``t`` the step (from 1),
    ``alpha = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)``; ``m += (g - m) *
    (1 - beta_1)``; ``v += (g*g - v) * (1 - beta_2)``; ``p -= alpha * m /
    (sqrt(v) + epsilon)``. The state is ``(m, v, step count)``."""
    tm = jax.tree_util.tree_map
    jnp = jax.numpy

    def init(params):
        return tm(jnp.zeros_like, params), tm(jnp.zeros_like, params), jnp.zeros((), jnp.int32)

    def update(params, grads, state):
        m, v, count = state
        t = (count + 1).astype(jnp.float32)
        alpha = LR * jnp.sqrt(1.0 - beta_2 ** t) / (1.0 - beta_1 ** t)
        m = tm(lambda m, g: m + (g - m) * (1.0 - beta_1), m, grads)
        v = tm(lambda v, g: v + (g * g - v) * (1.0 - beta_2), v, grads)
        params = tm(lambda p, m, v: p - alpha * m / (jnp.sqrt(v) + EPSILON), params, m, v)
        return params, (m, v, count + 1)
    return init, update


def rmsprop(jax, rho=0.9):
    """``(init, update)`` of Keras's RMSprop (no momentum, not centred):
    ``v = rho * v + (1 - rho) * g*g``; ``p -= lr * g / sqrt(v + epsilon)``.
    The state is ``(v, step count)``."""
    tm = jax.tree_util.tree_map
    jnp = jax.numpy

    def init(params):
        return tm(jnp.zeros_like, params), jnp.zeros((), jnp.int32)

    def update(params, grads, state):
        v, count = state
        v = tm(lambda v, g: rho * v + (1.0 - rho) * g * g, v, grads)
        params = tm(lambda p, g, v: p - LR * g / jnp.sqrt(v + EPSILON), params, grads, v)
        return params, (v, count + 1)
    return init, update


def make_step(jax, workload):
    """``(init, step)``: ``init(params)`` the optimizer state, and the jitted
    ``step(params, state, x, y, idx, key) -> (params, state, loss)`` that
    trains on rows ``idx`` of the device arrays ``x, y``."""
    init, update = (adam if workload.optimizer == "adam" else rmsprop)(jax)

    def step(params, state, x, y, idx, key):
        step_key = jax.random.fold_in(key, state[-1])
        loss, grads = jax.value_and_grad(
            lambda p: loss_fn(jax, workload, p, x[idx], y[idx], step_key))(params)
        params, state = update(params, grads, state)
        return params, state, loss
    return init, jax.jit(step, donate_argnums=(0, 1))


def jax_epoch(jax, workload, x, y):
    """A callable running one epoch of the jitted step over ``x, y`` (moved
    to the device once) and returning ``{"loss": last batch's, "steps"}``;
    compiled for the full and the last, partial batch and warmed up before
    it is returned."""
    x, y = workload_view(workload, x, y)
    init, step = make_step(jax, workload)
    state = {"params": jax.tree_util.tree_map(jax.numpy.asarray, init_params(workload))}
    state["opt"] = init(state["params"])
    xd, yd = jax.device_put(x), jax.device_put(y)
    key = jax.random.PRNGKey(0)
    rng = np.random.default_rng(0)
    n, batch = len(x), workload.batch

    def run(limit, perm=None):
        perm = rng.permutation(n).astype(np.int32) if perm is None else perm
        loss: Any = None
        params, opt, steps = state["params"], state["opt"], 0
        for start in range(0, min(n, limit), batch):
            params, opt, loss = step(params, opt, xd, yd, perm[start:start + batch], key)
            steps += 1
        jax.block_until_ready(params)
        state["params"], state["opt"] = params, opt
        return {"loss": float(loss), "steps": steps}  # the last batch's loss, for tests

    run(batch * WARMUP_BATCHES)
    if n % batch:  # compile the last batch's shape now, not inside the first timed epoch
        run(n % batch, rng.permutation(n).astype(np.int32)[:n % batch])
    return lambda: run(n)


def jax_inference(jax, workload, x):
    """``(single, predict)``: the jitted forward pass (no dropout) on one
    image already on the device, and ``predict(images, batch)`` over the
    first ``images`` NumPy images in batches of ``batch``; both block until
    ready. ``single`` is warmed up; each batch shape of ``predict`` compiles
    on its first call (the worker runs one untimed call before the timed one)."""
    params = jax.tree_util.tree_map(jax.numpy.asarray, init_params(workload))
    apply = jax.jit(lambda p, xb: forward(jax, workload, p, xb))
    x, _ = workload_view(workload, x, np.zeros(len(x), np.uint8))
    one = jax.device_put(x[:1])

    def single():
        return apply(params, one).block_until_ready()

    def predict(images, batch):
        outs = [apply(params, x[s:s + batch]) for s in range(0, images, batch)]
        return jax.block_until_ready(outs)

    single()
    return single, predict
