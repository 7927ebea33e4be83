"""PyTorch's counterparts of the measured work, run only inside the torch
worker process: the kernels of :mod:`fastmlp.bench.kernels` as ATen calls
(``out=`` where they exist) and torch.optim's updates over the seed model's
four parameter tensors (the training loops are in :mod:`.torch_train`).
``torch`` is passed in, so importing this module does not import it."""

from __future__ import annotations

import numpy as np

from .kernels import time_kernels


def kernel_cases(torch, batch, rng):
    """``{name: callable}`` with the names of
    :func:`fastmlp.bench.kernels.fastmlp_kernel_cases`; every call but the
    cross-entropy (which needs autograd) runs under ``torch.no_grad``."""
    F = torch.nn.functional
    t = torch.from_numpy
    f32 = np.float32
    x = t(rng.random((batch, 784), dtype=f32))
    W1 = t((rng.standard_normal((128, 784)) * 0.05).astype(f32))  # torch's (out, in) layout
    b1 = t((rng.standard_normal(128) * 0.05).astype(f32))
    W2 = t((rng.standard_normal((10, 128)) * 0.1).astype(f32))
    b2 = torch.zeros(10)
    h = torch.relu(F.linear(x, W1, b1))
    logits = F.linear(h, W2, b2)
    dh_in = t(rng.standard_normal((batch, 128)).astype(f32))
    dh = torch.empty_like(dh_in)
    dlog = t(rng.standard_normal((batch, 10)).astype(f32)) / batch
    dW1, db1 = torch.empty_like(W1), torch.empty_like(b1)
    dW2, db2 = torch.empty_like(W2), torch.empty_like(b2)
    dh2 = torch.empty(batch, 128)
    out1 = torch.empty(batch, 128)
    out2 = torch.empty(batch, 10)
    labels = t(rng.integers(0, 10, batch).astype(np.int64))
    aten = torch.ops.aten
    _, mask = aten.native_dropout(h, 0.2, True)

    def dense1_fwd():
        torch.addmm(b1, x, W1.t(), out=out1)
        torch.relu_(out1)

    def dense1_bwd():
        torch.mul(dh_in, h > 0, out=dh)
        torch.mm(dh.t(), x, out=dW1)
        torch.sum(dh, 0, out=db1)

    def dense2_bwd():
        torch.mm(dlog.t(), h, out=dW2)
        torch.sum(dlog, 0, out=db2)
        torch.mm(dlog, W2, out=dh2)

    lg = logits.detach().clone().requires_grad_(True)

    def xent():
        loss = F.cross_entropy(lg, labels)
        loss.backward()
        lg.grad = None

    no_grad = {
        "dense fwd 784->128 relu": dense1_fwd,
        "dense bwd 784->128 relu (no dx)": dense1_bwd,
        "dense fwd 128->10": lambda: torch.addmm(b2, h, W2.t(), out=out2),
        "dense bwd 128->10 (dx)": dense2_bwd,
        "relu fwd": lambda: torch.clamp_min(dh_in, 0, out=dh),
        "relu bwd": lambda: aten.threshold_backward(dh_in, h, 0),
        "dropout fwd": lambda: aten.native_dropout(h, 0.2, True),
        "dropout bwd": lambda: aten.native_dropout_backward(dh_in, mask, 1.25),
    }
    cases = {name: _no_grad(torch, fn) for name, fn in no_grad.items()}
    cases["softmax xent fwd+bwd"] = xent
    return cases


def _no_grad(torch, fn):
    def call():
        with torch.no_grad():
            return fn()
    return call


def optimizer_cases(torch, rng):
    """``{name: step}``: torch.optim over the seed model's four parameter
    tensors (its defaults: the multi-tensor ``foreach`` path), with the
    hyperparameters of :func:`fastmlp.bench.kernels.fastmlp_optimizer_cases`."""
    shapes = [(128, 784), (128,), (10, 128), (10,)]
    makers = {
        "sgd": lambda ps: torch.optim.SGD(ps, lr=0.01),
        "sgd momentum": lambda ps: torch.optim.SGD(ps, lr=0.01, momentum=0.9),
        "adam": lambda ps: torch.optim.Adam(ps, lr=1e-3, eps=1e-7),
        "rmsprop": lambda ps: torch.optim.RMSprop(ps, lr=1e-3, alpha=0.9, eps=1e-7),
    }
    cases = {}
    for name, make in makers.items():
        params = []
        for shape in shapes:
            p = torch.nn.Parameter(torch.from_numpy(
                (rng.standard_normal(shape) * 0.05).astype(np.float32)))
            p.grad = torch.from_numpy((rng.standard_normal(shape) * 1e-3).astype(np.float32))
            params.append(p)
        cases[name] = make(params).step
    return cases


def time_torch_kernels(torch, batches, repeats):
    """:func:`fastmlp.bench.kernels.time_kernels` for PyTorch."""
    return time_kernels(
        lambda batch: kernel_cases(torch, batch, np.random.default_rng(batch)),
        lambda: optimizer_cases(torch, np.random.default_rng(7)),
        batches, repeats)

