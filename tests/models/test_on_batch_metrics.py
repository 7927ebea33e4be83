"""train_on_batch/test_on_batch report the batch they ran on, not running
values: Keras 3 resets the metrics at the start of both calls (seen in Keras
3.15.1, torch backend: two train_on_batch calls on halves of 8 samples gave
accuracy 0.25 then 0.0, and test_on_batch on the first half equalled
evaluate on it; the source of Trainer.train_on_batch/test_on_batch calls
self.reset_metrics() before the step)."""

import numpy as np
import pytest

import fastmlp


def _model():
    fastmlp.utils.set_random_seed(3)
    model = fastmlp.Sequential([fastmlp.layers.Dense(3, input_shape=(5,))])
    model.compile(optimizer="sgd", metrics=["accuracy"],
                  loss=fastmlp.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def _batch_values(model, x, y):
    """The loss and accuracy of the model as it is now on (x, y), computed
    outside the training loop."""
    logits = np.asarray(model(x), dtype=np.float64)
    logp = logits - logits.max(1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(1, keepdims=True))
    return -logp[np.arange(len(y)), y].mean(), (logits.argmax(1) == y).mean()


@pytest.mark.parametrize("backend_name", ["numpy", "cython"])
def test_each_call_reports_its_own_batch(backend_name):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(12, 5)).astype(np.float32)
    y = np.arange(12) % 3
    with fastmlp.backend.use_backend(backend_name):
        model = _model()
        for part in (slice(0, 4), slice(4, 8), slice(8, 12)):
            loss, acc = _batch_values(model, x[part], y[part])  # before the step updates the weights
            got = model.train_on_batch(x[part], y[part], return_dict=True)
            assert got["loss"] == pytest.approx(loss, rel=1e-5)
            assert got["accuracy"] == pytest.approx(acc, abs=1e-7)
        for part in (slice(0, 4), slice(4, 12)):
            loss, acc = _batch_values(model, x[part], y[part])
            got = model.test_on_batch(x[part], y[part], return_dict=True)
            assert got["loss"] == pytest.approx(loss, rel=1e-5)
            assert got["accuracy"] == pytest.approx(acc, abs=1e-7)
            assert got == model.evaluate(x[part], y[part], batch_size=len(x), verbose=0, return_dict=True)


def test_a_rejected_call_keeps_the_running_metrics():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(6, 5)).astype(np.float32)
    y = np.arange(6) % 3
    model = _model()
    before = model.test_on_batch(x, y, return_dict=True)["accuracy"]
    for call in (model.test_on_batch, model.train_on_batch):
        with pytest.raises(ValueError, match="outside"):
            call(x, y + 3)
        assert [float(m.result()) for m in model.metrics] == [before]
