"""The fastmlp-train command: files written, reproducibility, fallbacks, errors."""

import contextlib
import csv
import io
import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import fastmlp
from fastmlp import train
from fastmlp.datasets import _fetch
from fastmlp.train import outputs, plots

import png_checks

# The folder that holds the fastmlp being tested (installed or built in place),
# for the subprocesses.
ROOT = Path(fastmlp.__file__).resolve().parents[1]
PLOTS = ("samples.png", "curves.png", "confusion_matrix.png", "predictions.png")
DATA_FILES = ("model.fastmlp", "history.json", "history.csv", "metrics.json")
METRIC_KEYS = {
    "dataset", "dataset_used", "data", "fallback_reason", "n_train", "n_val", "n_test", "epochs",
    "batch_size", "optimizer", "learning_rate", "hidden", "dropout", "backend", "seed",
    "validation_split", "test_loss", "test_accuracy", "seconds_per_epoch",
    "mean_seconds_per_epoch", "total_seconds", "peak_rss_mb", "confusion_matrix", "class_names",
    "fastmlp_version", "plots_skipped",
}
SHORT = ["--dataset", "mnist-sample", "--epochs", "2", "--hidden", "32", "--batch-size", "64"]


def run_main(args):
    """``train.main(args)`` in-process: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = train.main([str(a) for a in args])
    return status, out.getvalue(), err.getvalue()


def read_json(path):
    with open(path) as f:
        return json.load(f)


def png_size(path):
    data = Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height, len(data)


@pytest.fixture
def no_data(tmp_path, monkeypatch):
    """No full dataset anywhere: empty FASTMLP_DATA, empty cache, no system dirs, offline."""
    empty = tmp_path / "no-data"
    empty.mkdir()
    monkeypatch.setenv("FASTMLP_DATA", str(empty))
    monkeypatch.setenv("FASTMLP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("FASTMLP_OFFLINE", "1")
    monkeypatch.setattr(_fetch, "SYSTEM_DIRS", [])
    return empty


@pytest.fixture(scope="module")
def _sample_run_and_figures(tmp_path_factory):
    """One short in-process run on the bundled sample, with a validation split;
    each figure it drew is recorded (figure object, PNG bytes), in drawing order."""
    out = tmp_path_factory.mktemp("run") / "new" / "dir"  # created by the command
    drawn = []
    draw_png = plots._png

    def record(fig):
        data = draw_png(fig)
        drawn.append((fig, data))
        return data

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(plots, "_png", record)
        status, stdout, stderr = run_main(SHORT + ["--validation-split", "0.1", "--out", out])
    return (out, status, stdout, stderr), drawn


@pytest.fixture(scope="module")
def sample_run(_sample_run_and_figures):
    """``(out, status, stdout, stderr)`` of the sample run."""
    return _sample_run_and_figures[0]


@pytest.fixture(scope="module")
def sample_figures(_sample_run_and_figures):
    """``{file name: (matplotlib figure, PNG bytes)}`` of the sample run's plots."""
    pytest.importorskip("matplotlib", reason="the plots need matplotlib (the plot extra)")
    drawn = _sample_run_and_figures[1]
    assert len(drawn) == len(PLOTS), "the run drew %d figures, not one per plot" % len(drawn)
    return dict(zip(outputs.PLOTS, drawn))  # write_plots draws them in PLOTS' order


# --------------------------------------------------------------------------- the sample run


def test_sample_run_succeeds_and_reports(sample_run):
    out, status, stdout, stderr = sample_run
    assert status == 0, stderr
    assert "Epoch 1/2" in stdout and "Epoch 2/2" in stdout  # the Keras progress bar
    assert "Test loss:" in stdout
    assert "Test accuracy:" in stdout
    assert "Seconds per epoch:" in stdout
    assert "Traceback" not in stderr


def test_sample_run_writes_every_file(sample_run):
    out = sample_run[0]
    expected = set(DATA_FILES)
    if train._plots_available():
        expected |= set(PLOTS)
    assert expected <= {p.name for p in out.iterdir()}
    leftovers = [p.name for p in out.iterdir() if p.name.startswith(".")]
    assert leftovers == [], "temporary files left behind"


def test_history_json_and_csv(sample_run):
    out = sample_run[0]
    hist = read_json(out / "history.json")
    for key in ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds"):
        assert key in hist and len(hist[key]) == 2, key
    assert hist["epoch"] == [1, 2]
    assert all(s > 0 for s in hist["seconds"])
    with open(out / "history.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == list(hist)  # header, same columns as the JSON
    assert len(rows) == 1 + 2     # one row per epoch
    for i, row in enumerate(rows[1:]):
        values = dict(zip(rows[0], row))
        assert int(values["epoch"]) == i + 1
        assert float(values["loss"]) == pytest.approx(hist["loss"][i])
        assert float(values["val_accuracy"]) == pytest.approx(hist["val_accuracy"][i])


def test_metrics_json(sample_run):
    out = sample_run[0]
    m = read_json(out / "metrics.json")
    assert METRIC_KEYS <= set(m)
    assert m["dataset"] == m["dataset_used"] == "mnist-sample"
    assert m["data"] == "sample" and m["fallback_reason"] is None
    assert (m["n_train"], m["n_val"], m["n_test"]) == (2700, 300, 1000)
    assert (m["epochs"], m["batch_size"], m["hidden"], m["dropout"]) == (2, 64, [32], 0.2)
    assert m["optimizer"] == "adam" and m["learning_rate"] == pytest.approx(0.001)
    assert m["seed"] == 0
    assert m["backend"] in ("cython", "numpy", "cupy")
    assert m["fastmlp_version"] == fastmlp.__version__
    assert len(m["seconds_per_epoch"]) == 2 and m["total_seconds"] > 0
    assert 0.5 < m["test_accuracy"] <= 1.0 and m["test_loss"] > 0
    cm = np.array(m["confusion_matrix"])
    assert cm.shape == (10, 10) and cm.sum() == m["n_test"]
    assert np.trace(cm) / cm.sum() == pytest.approx(m["test_accuracy"])
    assert m["class_names"] == fastmlp.datasets.mnist_sample.CLASS_NAMES


def test_saved_model_reproduces_test_accuracy(sample_run):
    out = sample_run[0]
    m = read_json(out / "metrics.json")
    model = fastmlp.models.load_model(out / "model.fastmlp")
    _, (x_test, y_test) = fastmlp.datasets.mnist_sample.load_data()
    assert type(model.layers[1]).__name__ == "Rescaling"  # the model takes uint8 pixels as they are
    pred = np.argmax(model.predict(x_test, batch_size=m["batch_size"], verbose=0), axis=1)
    assert np.mean(pred == y_test) == pytest.approx(m["test_accuracy"], abs=1e-12)
    dense = [layer for layer in model.layers if type(layer).__name__ == "Dense"]
    assert [layer.units for layer in dense] == [32, 10]


def test_pngs_are_valid(sample_run, sample_figures):
    out = sample_run[0]
    assert set(sample_figures) == set(PLOTS)
    for name, (fig, data) in sample_figures.items():
        assert (out / name).read_bytes() == data, f"{name} is not the figure drawn for it"
        width, height, size = png_size(out / name)
        assert width > 100 and height > 100, (name, width, height)
        assert size > 5000, (name, size)
        # The whole figure, at the size it was made: a valid PNG that decodes, not blank.
        expected = tuple(int(round(v)) for v in fig.get_size_inches() * plots.DPI)
        png_checks.check_png(data, size=expected)


def _texts(ax):
    return [t.get_text() for t in ax.texts]


def test_curves_png_draws_every_history_curve(sample_run, sample_figures):
    out = sample_run[0]
    hist, m = read_json(out / "history.json"), read_json(out / "metrics.json")
    fig, data = sample_figures["curves.png"]
    loss_ax, acc_ax = fig.axes
    assert fig._suptitle.get_text() == ("MNIST sample: hidden [32], dropout 0.2, adam lr=0.001, batch 64")
    for ax, key, title in ((loss_ax, "loss", "Loss"), (acc_ax, "accuracy", "Accuracy")):
        assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == (title, "Epoch", title)
        lines = {line.get_label(): line for line in ax.get_lines()}
        test_label = f"test {key} ({m['test_' + key]:.4f})"
        assert set(lines) == {f"training {key}", f"validation {key}", test_label}, set(lines)
        # The values drawn are the history's (history.json holds the same floats).
        for label, values in ((f"training {key}", hist[key]), (f"validation {key}", hist["val_" + key])):
            np.testing.assert_array_equal(lines[label].get_xdata(), [1, 2])
            np.testing.assert_array_equal(lines[label].get_ydata(), values)
        np.testing.assert_array_equal(lines[test_label].get_ydata(), [m["test_" + key]] * 2)
        assert [t.get_text() for t in ax.get_legend().get_texts()] == [f"training {key}",
                                                                       f"validation {key}", test_label]
    # In the PNG: each panel shows the three colours (lines, markers, legend).
    rgb = png_checks.check_png(data)
    for colour in ("tab:blue", "tab:orange", "tab:green"):
        for ax in (loss_ax, acc_ax):
            count = png_checks.colour_mask(png_checks.axes_pixels(rgb, ax), colour).sum()
            assert count > 200, (ax.get_title(), colour, count)


def test_samples_png_shows_the_first_training_images(sample_figures):
    (x_train, y_train), _ = fastmlp.datasets.mnist_sample.load_data()
    names = fastmlp.datasets.mnist_sample.CLASS_NAMES
    fig, data = sample_figures["samples.png"]
    assert fig._suptitle.get_text() == "MNIST sample: first 25 training images"
    assert len(fig.axes) == 25
    for i, ax in enumerate(fig.axes):
        np.testing.assert_array_equal(ax.get_images()[0].get_array(), x_train[i])
        assert ax.get_xlabel() == names[int(y_train[i])]
    rgb = png_checks.check_png(data)
    # "binary" colour map: each digit drawn dark on white (an MNIST digit's strokes
    # cover about a fifth of its image; its pixels above 128 alone about a tenth).
    for i, ax in enumerate(fig.axes):
        image = png_checks.axes_pixels(rgb, ax)
        dark = np.mean(image.max(axis=-1) < 128)
        assert dark > 0.5 * np.mean(x_train[i] > 128), (i, dark)


def test_confusion_matrix_png_shows_the_counts(sample_run, sample_figures):
    m = read_json(sample_run[0] / "metrics.json")
    cm = np.array(m["confusion_matrix"])
    fig, data = sample_figures["confusion_matrix.png"]
    ax = fig.axes[0]
    np.testing.assert_array_equal(ax.get_images()[0].get_array(), cm)
    assert _texts(ax) == [str(v) for v in cm.ravel()]  # row by row, one per cell
    assert ax.get_title() == f"MNIST sample test set: accuracy {m['test_accuracy']:.2%} (n=1000)"
    assert [t.get_text() for t in ax.get_xticklabels()] == m["class_names"]
    rgb = png_checks.check_png(data)
    # The diagonal's large counts in the "Blues" map's dark end.
    assert png_checks.colour_mask(rgb, "#08306b", tol=12).sum() > 1000


def test_predictions_png_marks_the_wrong_ones(sample_run, sample_figures):
    out = sample_run[0]
    m = read_json(out / "metrics.json")
    model = fastmlp.models.load_model(out / "model.fastmlp")
    _, (x_test, y_test) = fastmlp.datasets.mnist_sample.load_data()
    y_pred = np.argmax(model.predict(x_test, batch_size=m["batch_size"], verbose=0), axis=1)
    shown = plots.prediction_indices(y_test, y_pred)
    names = m["class_names"]
    fig, data = sample_figures["predictions.png"]
    assert len(fig.axes) == len(shown)
    wrong = 0
    for i, ax in zip(shown, fig.axes):
        title = ax.title
        assert title.get_text().startswith(f"{names[y_pred[i]]} ({names[y_test[i]]})\n#{i}  "), title
        right = y_pred[i] == y_test[i]
        assert title.get_color() == ("black" if right else "red")
        wrong += not right
        np.testing.assert_array_equal(ax.get_images()[0].get_array(), x_test[i])
    assert wrong >= 1  # the wrong ones after the first 20 are always shown
    rgb = png_checks.check_png(data)
    assert png_checks.colour_mask(rgb, "red", tol=8).sum() > 100 * wrong  # red titles and frames


# --------------------------------------------------------------------------- options


def test_same_seed_same_history_and_options(tmp_path):
    args = ["--dataset", "mnist-sample", "--epochs", "1", "--hidden", "24", "16", "--dropout", "0",
            "--optimizer", "sgd", "--learning-rate", "0.05", "--no-plots", "--quiet"]
    s1, out1, err1 = run_main(args + ["--out", tmp_path / "a"])
    s2, _, _ = run_main(args + ["--out", tmp_path / "b"])
    assert s1 == s2 == 0, err1
    assert len(out1.strip().splitlines()) == 1 and "test_accuracy=" in out1  # --quiet: one line
    h1, h2 = read_json(tmp_path / "a" / "history.json"), read_json(tmp_path / "b" / "history.json")
    assert h1["loss"] == h2["loss"] and h1["accuracy"] == h2["accuracy"]
    m = read_json(tmp_path / "a" / "metrics.json")
    assert m["optimizer"] == "sgd" and m["learning_rate"] == pytest.approx(0.05)
    assert m["hidden"] == [24, 16] and m["dropout"] == 0
    assert m["plots_skipped"] == list(PLOTS)
    assert not any((tmp_path / "a" / p).exists() for p in PLOTS)
    model = fastmlp.models.load_model(tmp_path / "a" / "model.fastmlp")
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds.count("Dropout") == 0 and kinds.count("Dense") == 3


def test_backend_option_is_used_and_restored(tmp_path):
    before = fastmlp.backend.backend()
    status, _, err = run_main(["--dataset", "mnist-sample", "--epochs", "1", "--hidden", "8",
                               "--backend", "numpy", "--no-plots", "--quiet", "--out", tmp_path])
    assert status == 0, err
    assert read_json(tmp_path / "metrics.json")["backend"] == "numpy"
    assert fastmlp.backend.backend() == before


# --------------------------------------------------------------------------- degraded paths


def test_without_matplotlib_the_run_completes(tmp_path, monkeypatch):
    for name in [n for n in sys.modules if n == "matplotlib" or n.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # any import of it raises ImportError
    status, stdout, stderr = run_main(["--dataset", "mnist-sample", "--epochs", "1", "--hidden", "8",
                                       "--out", tmp_path])
    assert status == 0, stderr
    lines = [line for line in stderr.splitlines() if "plot" in line]
    assert len(lines) == 1 and "matplotlib" in lines[0]
    assert all(p in lines[0] for p in PLOTS)
    assert {p.name for p in tmp_path.iterdir()} == set(DATA_FILES)
    assert read_json(tmp_path / "metrics.json")["plots_skipped"] == list(PLOTS)


def test_mnist_falls_back_to_the_sample(tmp_path, no_data):
    status, stdout, stderr = run_main(["--dataset", "mnist", "--epochs", "1", "--hidden", "8",
                                       "--no-plots", "--out", tmp_path / "out"])
    assert status == 0, stderr
    assert "bundled MNIST sample" in stderr
    assert "Could not find the MNIST dataset" in stderr  # why: the error's first line
    assert "Traceback" not in stderr
    m = read_json(tmp_path / "out" / "metrics.json")
    assert m["dataset"] == "mnist" and m["dataset_used"] == "mnist-sample" and m["data"] == "sample"
    assert m["fallback_reason"] and (m["n_train"], m["n_test"]) == (3000, 1000)
    assert "sample dataset" in stdout


def test_fashion_mnist_without_data_fails_in_one_line(tmp_path, no_data):
    status, stdout, stderr = run_main(["--dataset", "fashion_mnist", "--epochs", "1",
                                       "--out", tmp_path / "out"])
    assert status != 0
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("fastmlp-train: error:") and "Fashion-MNIST" in lines[0]
    assert not (tmp_path / "out" / "model.fastmlp").exists()


@pytest.mark.parametrize("args", [
    ["--epochs", "0"],
    ["--epochs", "two"],
    ["--batch-size", "-1"],
    ["--dropout", "1"],
    ["--dropout", "-0.1"],
    ["--validation-split", "1.0"],
    ["--hidden", "0"],
    ["--hidden", "64", "x"],
    ["--learning-rate", "0"],
    ["--backend", "tpu"],
    ["--dataset", "cifar10"],
    ["--optimizer", "lion"],
    ["--no-such-option"],
    # these from the bad-input battery's CLI cases, which checked the exit status alone
    ["--dropout", "nan"],
    ["--learning-rate", "nan"],
    ["--learning-rate", "-1"],
    ["--seed", "-3"],
    ["--out", ""],
])
def test_bad_arguments_exit_2_with_one_line(args, tmp_path):
    out = [] if "--out" in args else ["--out", tmp_path / "out"]
    status, stdout, stderr = run_main(args + out)
    assert status == 2
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fastmlp-train: error:"), stderr
    assert not (tmp_path / "out").exists()


def _cupy_run(tmp_path):
    before = fastmlp.backend.backend()
    status, _, stderr = run_main(["--dataset", "mnist-sample", "--backend", "cupy", "--out", tmp_path])
    assert status == 1
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "fastmlp-train: error: backend 'cupy' cannot run here: the cupy backend needs "), stderr
    assert fastmlp.backend.backend() == before
    assert not (tmp_path / "model.fastmlp").exists()
    return lines[0]


def test_unusable_backend_fails_in_one_line(tmp_path, monkeypatch):
    """--backend cupy without CuPy (made unimportable here, so this runs
    wherever CuPy is installed too): one line that says what is missing."""
    monkeypatch.delitem(fastmlp.backend._instances, "cupy", raising=False)  # made once, then reused
    monkeypatch.setitem(sys.modules, "cupy", None)  # import cupy raises ImportError
    line = _cupy_run(tmp_path)
    assert "the cupy backend needs CuPy: pip install 'fastmlp[gpu]'" in line


def test_backend_without_a_gpu_fails_in_one_line(tmp_path, monkeypatch):
    """--backend cupy with CuPy installed but no usable GPU (CI's case): one line."""
    cupy = pytest.importorskip("cupy", reason="CuPy is not installed (CI's test extra has it)")
    try:
        usable = cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # CUDARuntimeError without a driver or a device
        usable = False
    if usable:
        pytest.skip("this machine has a GPU: the test checks the error where there is none")
    monkeypatch.delitem(fastmlp.backend._instances, "cupy", raising=False)
    assert "the cupy backend needs an NVIDIA GPU: no CUDA GPU found" in _cupy_run(tmp_path)


def test_help_exits_0():
    status, stdout, _ = run_main(["--help"])
    assert status == 0 and "--dataset" in stdout and "--validation-split" in stdout


def test_version_exits_0():
    status, stdout, _ = run_main(["--version"])
    assert status == 0 and stdout == f"fastmlp-train (fastmlp {fastmlp.__version__})\n"


# --------------------------------------------------------------------------- as a program


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def test_python_dash_m_runs(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "fastmlp.train", "--dataset", "mnist-sample", "--epochs", "1",
         "--hidden", "16", "--quiet", "--out", str(out)],
        cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("test_accuracy=")
    assert set(DATA_FILES) <= {p.name for p in out.iterdir()}
    m = read_json(out / "metrics.json")
    assert m["epochs"] == 1 and m["hidden"] == [16]
    if train._plots_available():
        for name in PLOTS:
            width, height, size = png_size(out / name)
            assert width > 100 and height > 100 and size > 5000
            png_checks.check_png((out / name).read_bytes())


def test_bad_argument_as_a_program_has_no_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "fastmlp.train", "--dropout", "2"],
                          cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "--dropout" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_import_fastmlp_does_not_load_the_command():
    code = ("import sys, fastmlp; "
            "print('fastmlp.train' in sys.modules, 'matplotlib' in sys.modules, "
            "'fastmlp.train.plots' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], env=_env(), capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["False", "False", "False"]


# --------------------------------------------------------------------------- --distributed


def test_distributed_without_a_launcher_trains_in_one_process(tmp_path):
    pytest.importorskip("mpi4py.MPI", reason="mpi4py is not installed (pip install 'fastmlp[mpi]')")
    from fastmlp import distribution

    plain, alone = tmp_path / "plain", tmp_path / "alone"
    status, stdout, stderr = run_main(SHORT + ["--no-plots", "--out", plain])
    assert status == 0, stderr
    status, stdout, stderr = run_main(SHORT + ["--no-plots", "--distributed", "--out", alone])
    assert status == 0, stderr
    assert "| 1 process" in stdout
    # One process under DataParallel trains exactly as without it.
    timed = {"seconds"}  # wall-clock, differs run to run
    history, expected = read_json(alone / "history.json"), read_json(plain / "history.json")
    assert set(history) == set(expected) and len(history) > len(timed)
    for key in set(expected) - timed:
        assert history[key] == expected[key], key
    assert sorted(os.listdir(alone)) == sorted(os.listdir(plain))
    assert distribution.distribution() is None  # the run's distribution is unset after it


def test_distributed_without_mpi4py_fails_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "mpi4py", None)  # import mpi4py raises ImportError
    monkeypatch.setitem(sys.modules, "mpi4py.MPI", None)
    status, stdout, stderr = run_main(SHORT + ["--distributed", "--out", tmp_path / "run"])
    assert status == 1
    assert stderr.startswith("fastmlp-train: error: --distributed needs mpi4py")
    assert 'pip install ".[mpi]"' in stderr
    assert len(stderr.strip().splitlines()) == 1
