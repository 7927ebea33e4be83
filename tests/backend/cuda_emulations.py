"""The kernels of kernels.cu as calls of the CPU extension (the same FM_FN bodies).

Each emulation takes the kernel's C parameters by name, as the emulated
launcher (cuda_emulator.py) hands them over: pointers as flat 1-D NumPy views
(None for a buffer the kernel does not read), integer scalars as Python ints,
float scalars as their NumPy type. It rebuilds every shape from the size
arguments alone, as the kernel indexes its raw pointers.
"""

import numpy as np


def _xent_rows(fn, sparse):
    def run(x, w, has_w, d, has_d, row_loss, rows, cols, scale, labels=None, t=None):
        x = x.reshape(rows, cols)
        y = labels if sparse else t.reshape(rows, cols)
        if has_d:
            d = d.reshape(rows, cols)
        for i in range(rows):
            if sparse and not 0 <= y[i] < cols:
                row_loss[i] = np.nan  # skipped: fm_k_loss_finish reports it
                continue
            di = d[i:i + 1] if has_d else None
            weight = np.float64(w[i]) if has_w else 1.0
            # the row's loss (a batch of 1 with scale 1: its gradient times 1.0f, exact)
            row_loss[i] = weight * fn(x[i:i + 1], y[i:i + 1], di, None, 1.0)
            if has_d:
                di *= np.float32(scale * weight)  # fm_xent_coef: the row's share
    return run


def _loss_finish(row_loss, labels, has_labels, rows, cols, result, threads):
    """fm_k_loss_finish's reduction tree: thread t adds rows t, t + threads, ...
    in order, then the halves are added pairwise; the sum is the GPU's, bit for bit."""
    padded = np.zeros(-(-rows // threads) * threads)
    padded[:rows] = row_loss
    sums = np.add.reduce(padded.reshape(-1, threads), axis=0)  # row after row, in order
    half = threads // 2
    while half:
        sums[:half] += sums[half:2 * half]
        half //= 2
    result[0] = sums[0]
    bad = ((labels < 0) | (labels >= cols)) if has_labels else np.zeros(1, bool)
    result[1] = np.argmax(bad) if bad.any() else -1


def emulations(kernels, finish_threads):
    """{kernel name: its emulation} for ``kernels`` (fastmlp.backend._kernels)."""

    def bias_act(y, b, has_b, rows, cols, relu):
        kernels.bias_act(y.reshape(rows, cols), b if has_b else None, relu)

    def dense_grad_cols(dy, y, db, rows, cols, relu):
        kernels.dense_grad(dy.reshape(rows, cols), y.reshape(rows, cols) if relu else None, db,
                           relu)

    def dropout(seed_lo, seed_hi, step_lo, step_hi, threshold, scale, x, has_x, mask, out, n):
        if has_x:
            kernels.dropout_forward(x, seed_lo, seed_hi, step_lo, step_hi, threshold, scale, mask,
                                    out)
        else:
            kernels.dropout_mask(seed_lo, seed_hi, step_lo, step_hi, threshold, mask)

    def count_sparse(scores, labels, rows, cols, result):
        scores = scores.reshape(rows, cols)
        bad = (labels < 0) | (labels >= cols)
        if bad.any():
            result[1] = max(int(result[1]), rows - int(np.argmax(bad)))
        ok = ~bad
        result[0] += kernels.count_correct_sparse(np.ascontiguousarray(scores[ok]),
                                                  np.ascontiguousarray(labels[ok]))

    def count_dense(scores, targets, rows, cols, result):
        result[0] += kernels.count_correct_dense(scores.reshape(rows, cols),
                                                 targets.reshape(rows, cols))

    def confusion_hist(preds, labels, row_w, has_rw, col_w, has_cw, rows, cols, thresholds, count,
                       per_column, hist):
        preds, labels = preds.reshape(rows, cols), labels.reshape(rows, cols)
        groups = cols if per_column else 1
        # fm_thresholds_below: thresholds strictly below p; a NaN is below none
        bucket = np.searchsorted(thresholds, preds, side="left")
        bucket[np.isnan(preds)] = 0
        weight = np.broadcast_to(row_w[:, None].astype(np.float64) if has_rw else 1.0, (rows, cols))
        if has_cw:
            weight = weight * col_w[None, :].astype(np.float64)
        group = np.broadcast_to(np.arange(cols) if per_column else 0, (rows, cols))
        plane = np.where(labels != 0, 0, (count + 1) * groups)
        np.add.at(hist, plane + bucket * groups + group, weight)

    def confusion_finish(hist, count, groups, out):
        pos, neg = hist.reshape(2, count + 1, groups)
        above_pos = np.cumsum(pos[::-1], axis=0)[::-1][1:]  # buckets above each threshold
        above_neg = np.cumsum(neg[::-1], axis=0)[::-1][1:]
        out += np.stack([above_pos, above_neg, neg.sum(axis=0) - above_neg,
                         pos.sum(axis=0) - above_pos]).reshape(-1)

    return {
        "fm_k_bias_act": bias_act,
        "fm_k_relu_grad_inplace": lambda dy, y, n:
            kernels.dense_grad(dy.reshape(1, n), y.reshape(1, n), None, True),
        "fm_k_dense_grad_cols": dense_grad_cols,
        "fm_k_relu_forward": lambda x, out, n: kernels.relu_forward(x, out),
        "fm_k_relu_backward": lambda y, dy, out, n: kernels.relu_backward(y, dy, out),
        "fm_k_dropout": dropout,
        "fm_k_dropout_apply": lambda x, mask, scale, out, n:
            kernels.dropout_apply(x, mask, scale, out),
        "fm_k_softmax": lambda x, out, rows, cols:
            kernels.softmax(x.reshape(rows, cols), out.reshape(rows, cols)),
        "fm_k_log_softmax": lambda x, out, rows, cols:
            kernels.log_softmax(x.reshape(rows, cols), out.reshape(rows, cols)),
        "fm_k_softmax_backward": lambda y, dy, out, rows, cols: kernels.softmax_backward(
            y.reshape(rows, cols), dy.reshape(rows, cols), out.reshape(rows, cols)),
        "fm_k_xent_sparse_rows": _xent_rows(kernels.softmax_xent_sparse, sparse=True),
        "fm_k_xent_dense_rows": _xent_rows(kernels.softmax_xent_dense, sparse=False),
        "fm_k_loss_finish": lambda **a: _loss_finish(**a, threads=finish_threads),
        "fm_k_confusion_hist": confusion_hist,
        "fm_k_confusion_finish": confusion_finish,
        "fm_k_sgd": lambda p, g, v, n, lr, mu, nesterov:
            kernels.sgd_update(p, g, v, lr, mu, nesterov),
        "fm_k_adam": lambda p, g, m, v, n, alpha, c1, c2, eps, wd_lr:
            kernels.adam_update(p, g, m, v, alpha, c1, c2, eps, wd_lr),
        "fm_k_rmsprop": lambda p, g, v, mb, n, lr, rho, c, mu, eps:
            kernels.rmsprop_update(p, g, v, mb, lr, rho, c, mu, eps),
        "fm_k_count_sparse": count_sparse,
        "fm_k_count_dense": count_dense,
    }
