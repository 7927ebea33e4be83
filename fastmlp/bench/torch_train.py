"""PyTorch's side of the end-to-end rows, run only inside the torch worker:
each :class:`~fastmlp.bench.workloads.Workload` as the ``nn.Sequential`` a
PyTorch user writes, trained by the idiomatic loop (the data as in-memory
tensors, shuffled once an epoch with ``randperm``, then sliced; no
DataLoader), and the same model's inference under ``torch.no_grad()``.
``torch`` is passed in, so importing this module does not import it.

The optimizers take Keras's hyperparameters (learning rate 1e-3, epsilon
1e-7; RMSprop's ``alpha`` is Keras's ``rho``, 0.9). The softmax + categorical
cross-entropy of ``mnist_mlp`` is ``nn.CrossEntropyLoss`` on the last layer's
logits with one-hot (probability) targets: the same function, written the way
PyTorch users write it."""

from __future__ import annotations

import numpy as np

from .data import workload_view
from .workloads import WARMUP_BATCHES


def torch_model(torch, workload):
    """``workload``'s model as ``nn.Sequential`` (PyTorch's default init)."""
    nn = torch.nn
    stack = [nn.Flatten()]
    for fan_in, fan_out in workload.layer_shapes()[:-1]:
        stack += [nn.Linear(fan_in, fan_out), nn.ReLU()]
        if workload.dropout:
            stack.append(nn.Dropout(workload.dropout))
    stack.append(nn.Linear(*workload.layer_shapes()[-1]))
    return nn.Sequential(*stack)


def torch_optimizer(torch, workload, params):
    """Keras's default Adam or RMSprop, as torch.optim (its default
    multi-tensor ``foreach`` path)."""
    if workload.optimizer == "adam":
        return torch.optim.Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
    return torch.optim.RMSprop(params, lr=1e-3, alpha=0.9, eps=1e-7)


def torch_epoch(torch, workload, x, y):
    """A callable running one epoch of the idiomatic loop of ``workload``
    over ``x, y``, warmed up before it is returned."""
    torch.manual_seed(0)
    model = torch_model(torch, workload)
    opt = torch_optimizer(torch, workload, model.parameters())
    loss_fn = torch.nn.CrossEntropyLoss()
    x, y = workload_view(workload, x, y)
    xt = torch.from_numpy(x)
    yt = torch.from_numpy(y if y.dtype == np.float32 else y.astype(np.int64))
    n, batch = len(xt), workload.batch

    def run(limit):
        model.train()
        perm = torch.randperm(n)
        xs, ys = xt[perm], yt[perm]
        for start in range(0, min(n, limit), batch):
            xb, yb = xs[start:start + batch], ys[start:start + batch]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()

    run(batch * WARMUP_BATCHES)
    return lambda: run(n)


def torch_inference(torch, workload, x):
    """``(single, predict)``: a call of the model in eval mode on one image
    (a ``(1, ...)`` tensor), and ``predict(images, batch)``, the model over
    the first ``images`` images in batches of ``batch``, both under
    ``torch.no_grad()``; warmed up."""
    torch.manual_seed(0)
    model = torch_model(torch, workload).eval()
    x, _ = workload_view(workload, x, np.zeros(len(x), np.uint8))
    xt = torch.from_numpy(x)
    one = xt[:1].clone()

    def single():
        with torch.no_grad():
            return model(one)

    def predict(images, batch):
        with torch.no_grad():
            return torch.cat([model(xb) for xb in xt[:images].split(batch)])

    single()
    predict(min(len(x), 256), 32)
    return single, predict

