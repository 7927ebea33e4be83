"""The fastmlp.train package: the backend choice of a failed run, the plots it
asks for (with a stand-in for matplotlib). Its place in the import layers is
checked with every other module's by tests/architecture/test_import_layers.py."""

import contextlib
import io
from types import SimpleNamespace

import numpy as np

import fastmlp
from fastmlp import train
from fastmlp.train import outputs

def test_failed_run_gives_the_backend_choice_back(tmp_path):
    before = fastmlp.backend.backend()
    other = "numpy" if before != "numpy" else "cython"
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        # 1e-17 leaves no validation image: an error after the backend was chosen
        status = train.main(["--dataset", "mnist-sample", "--backend", other, "--validation-split",
                             "1e-17", "--out", str(tmp_path)])
    assert status == 1
    assert "--validation-split" in err.getvalue() and len(err.getvalue().splitlines()) == 1
    assert fastmlp.backend.backend() == before


def test_write_plots_draws_every_figure(tmp_path, monkeypatch):
    calls = {}

    def fake(name):
        def draw(*args, **kwargs):
            calls[name] = (args, kwargs)
            return f"PNG {name}".encode()
        return draw

    monkeypatch.setattr(outputs.plots, "available", lambda: None)
    for name in ("samples", "curves", "confusion_matrix", "predictions"):
        monkeypatch.setattr(outputs.plots, name, fake(name))
    images = np.zeros((30, 28, 28), np.uint8)
    labels = np.arange(30) % 3
    data = SimpleNamespace(title="MNIST sample", class_names=["a", "b", "c"], x_train=images,
                           y_train=labels, x_test=images, y_test=labels)
    tested = SimpleNamespace(loss=0.5, accuracy=0.75, y_true=labels, y_pred=labels,
                             confidence=np.ones(30), confusion=np.eye(3, dtype=int) * 10)
    args = SimpleNamespace(no_plots=False, hidden=[8], dropout=0.2, optimizer="adam", batch_size=32)
    warnings = []
    written, skipped, reason = outputs.write_plots(tmp_path, args, 0.001, data, {"loss": [1.0]},
                                                   tested, warnings.append)
    assert written == list(outputs.PLOTS) and skipped == [] and reason is None and warnings == []
    for name in outputs.PLOTS:
        assert (tmp_path / name).read_bytes() == f"PNG {name[:-4]}".encode()
    assert calls["samples"][0][0].shape == (25, 28, 28)
    assert calls["samples"][1]["title"] == "MNIST sample: first 25 training images"
    assert calls["curves"][1]["title"] == "MNIST sample: hidden [8], dropout 0.2, adam lr=0.001, batch 32"
    assert calls["confusion_matrix"][1]["title"] == "MNIST sample test set: accuracy 75.00% (n=30)"


def test_no_plots_skips_them_all(tmp_path):
    args = SimpleNamespace(no_plots=True)
    assert outputs.write_plots(tmp_path, args, 0.001, None, {}, None, None) == (
        [], list(outputs.PLOTS), "--no-plots")
    assert list(tmp_path.iterdir()) == []
