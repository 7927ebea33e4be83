"""Well-known Keras programs, run unchanged but for ``keras`` -> ``fastmlp``.

Each program in ``tests/programs/keras/`` is written as a Keras 3 user writes
it (the shapes of TensorFlow's "Basic regression", "Overfit and underfit",
"Save and load models", "Classification on imbalanced data" and keras.io's
"Imbalanced classification"), on synthetic data of the downloaded tables'
shapes. Here each one is renamed and run in a child process, and its RESULT
line is compared with what real Keras reached on the same data.

The Keras figures were obtained by running the very same files with Keras
3.15.1 on torch 2.13.0 (``KERAS_BACKEND=torch python <program>.py``, with the
same PROGRAM_* settings as below, and ``keras.datasets.mnist.load_data``
reading the shared MNIST files). Training draws different random numbers in
the two frameworks, so the comparison bands allow for that, and each check
says which outcome the tutorial is about.
"""

import json
import os
import re
import subprocess
import sys

import pytest

import fastmlp

HERE = os.path.dirname(os.path.abspath(__file__))
# Child processes import the fastmlp under test (installed, or built in place).
REPO = os.path.dirname(os.path.dirname(os.path.abspath(fastmlp.__file__)))


def run_program(name, tmp_path, **settings):
    """Rename ``keras`` to ``fastmlp`` in ``keras/<name>.py``, run it, return its RESULT."""
    source = open(os.path.join(HERE, "keras", f"{name}.py"), encoding="utf-8").read()
    renamed = re.sub(r"\bkeras\b", "fastmlp", source)
    assert "keras" not in renamed.replace("Keras", "")
    script = tmp_path / f"{name}.py"
    script.write_text(renamed, encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=REPO, **{k: str(v) for k, v in settings.items()})
    if env.get("FASTMLP_DATA"):  # the programs run elsewhere (and may chdir): absolute roots
        env["FASTMLP_DATA"] = os.pathsep.join(os.path.abspath(root)
                                              for root in env["FASTMLP_DATA"].split(os.pathsep))
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert len(lines) == 1, proc.stdout[-3000:]
    return json.loads(lines[0][len("RESULT "):])


def test_basic_regression(tmp_path):
    result = run_program("basic_regression", tmp_path)
    # Keras 3.15: test MAE horsepower 3.557, linear 2.162, dnn_horsepower 3.566, dnn 2.571.
    keras = {"horsepower_model": 3.557, "linear_model": 2.162, "dnn_horsepower_model": 3.566,
             "dnn_model": 2.571}
    for model, mae in keras.items():
        assert result[model] <= 1.15 * mae, (model, result[model], mae)
    # The tutorial's point: more inputs and a deeper model predict better than horsepower alone.
    assert result["linear_model"] < result["horsepower_model"]
    assert result["dnn_model"] < result["dnn_horsepower_model"]
    assert result["reloaded"] == result["dnn_model"]  # the saved model evaluates identically


def test_imbalanced_classification_keras_io(tmp_path):
    result = run_program("imbalanced_keras_io", tmp_path, PROGRAM_ROWS=60000, PROGRAM_EPOCHS=10)
    # Keras 3.15 on the same data: val_tp 18 of 18 (recall 1.0), val_fp 613 of 11,982 negatives.
    assert result["val_positives"] == 18
    assert result["val_recall"] >= 0.8  # class_weight makes the rare class count
    assert result["val_fp"] <= 1200  # ... at a cost in false alarms of Keras's order
    assert result["val_tp"] + result["val_fn"] == 18
    assert result["val_tn"] + result["val_fp"] == 12000 - 18
    assert result["checkpoints"] == 10  # ModelCheckpoint wrote one file per epoch


def test_imbalanced_classification_tensorflow(tmp_path):
    result = run_program("imbalanced_tf", tmp_path, PROGRAM_ROWS=60000, PROGRAM_EPOCHS=30)
    # Keras 3.15 on the same data: careful-bias initial loss 0.0127; validation loss after
    # 20 epochs from a zero bias 0.0347 vs 0.0041 from the careful bias; test AUC 0.974 and
    # PRC 0.734 with recall 0.15 (baseline), recall 0.95 with class weights (AUC 0.994).
    assert result["careful_bias_loss"] == pytest.approx(0.0127, rel=0.3)
    assert result["careful_bias_val_loss"] < result["zero_bias_val_loss"]
    assert result["baseline"]["auc"] >= 0.94 and result["baseline"]["prc"] >= 0.55
    assert result["weighted"]["recall"] >= 0.85
    assert result["weighted"]["recall"] > result["baseline"]["recall"]
    assert result["weighted"]["auc"] >= 0.97
    assert result["test_positives"] == 20


@pytest.mark.skipif(not os.environ.get("FASTMLP_DATA"), reason="FASTMLP_DATA is not set (CI sets it)")
def test_save_and_load(tmp_path):
    result = run_program("save_and_load", tmp_path)
    # Keras 3.15: untrained 0.141, restored 0.866, latest checkpoint 0.882, reloaded 0.838;
    # checkpoints cp-0000 ... cp-0050 every 5 epochs' worth of batches.
    assert result["untrained_acc"] <= 0.3
    assert result["restored_acc"] >= 0.83
    assert result["latest_acc"] >= 0.84
    assert result["reloaded_acc"] >= 0.8
    assert result["checkpoints"] == [f"cp-{epoch:04d}.weights.h5" for epoch in range(0, 55, 5)]


def test_overfit_and_underfit(tmp_path):
    result = run_program("overfit_underfit", tmp_path, PROGRAM_EPOCHS=40)
    # Keras 3.15, 40 epochs: validation cross-entropy Tiny 0.540, Small 0.467, large 0.735
    # (training 0.096: it overfits), l2 0.417, dropout 0.470; l2 penalty 0.0445.
    assert result["Tiny"]["val_binary_crossentropy"] == pytest.approx(0.540, abs=0.05)
    large = result["large"]
    assert large["binary_crossentropy"] < 0.25 and large["val_binary_crossentropy"] > 0.6  # overfits
    assert result["l2"]["val_binary_crossentropy"] < large["val_binary_crossentropy"] - 0.2
    assert result["dropout"]["val_binary_crossentropy"] < large["val_binary_crossentropy"] - 0.2
    assert result["l2"]["val_accuracy"] >= 0.77
    assert result["l2_regularization_loss"] == pytest.approx(0.0445, rel=0.5)
    assert all(entry["epochs"] == 40 for key, entry in result.items() if isinstance(entry, dict))


# ----------------------------------------------------------------------------------------------
# "Deep Learning with Python" (2nd ed.), chapter 4, on files in Keras's dataset formats.

PIN_GENERATED_FILES = '''\
# The generated files are not Keras's published ones: pin their digests (as the Keras runs
# patched keras.src.utils.file_utils.validate_file to accept them).
import hashlib, os
from fastmlp.datasets import _keras_files
folder = os.path.join(os.environ["KERAS_HOME"], "datasets")
for name in os.listdir(folder):
    url, digest = _keras_files.KERAS_FILES[name]
    algo = hashlib.sha256 if len(digest) == 64 else hashlib.md5
    with open(os.path.join(folder, name), "rb") as f:
        _keras_files.KERAS_FILES[name] = (url, algo(f.read()).hexdigest())
'''


def run_dlwp(name, tmp_path, monkeypatch):
    """``run_program`` with tests/dataset_files.py's program data in ``$KERAS_HOME/datasets``
    (where both Keras and fastmlp look) and a sitecustomize that pins those files."""
    import dataset_files

    datasets = tmp_path / "keras_home" / "datasets"
    datasets.mkdir(parents=True)
    dataset_files.write_program_data(str(datasets))
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(PIN_GENERATED_FILES, encoding="utf-8")
    monkeypatch.setitem(globals(), "REPO", str(shim) + os.pathsep + REPO)  # run_program's PYTHONPATH
    return run_program(name, tmp_path, KERAS_HOME=datasets.parent, FASTMLP_OFFLINE=1)


def test_dlwp_imdb(tmp_path, monkeypatch):
    result = run_dlwp("dlwp_imdb", tmp_path, monkeypatch)
    # Keras 3.15.1 (torch) on the same files: first review [1, 72, 3721, 323, 4]; after 20 epochs
    # train accuracy 1.0, validation accuracy 0.951, lowest validation loss 0.184 (epoch 20: the
    # synthetic reviews do not overfit by then); retrained 4 epochs: test loss 0.397, accuracy 0.9425.
    assert result["train_shape"] == [2000, 4000] and result["predictions_shape"] == [2000, 1]
    assert result["first_review"] == [1, 72, 3721, 323, 4]  # the loader: same shuffle, same indexes
    assert result["train_acc_20"] >= 0.98
    assert result["val_acc_20"] == pytest.approx(0.951, abs=0.02)
    assert result["val_loss_min"] == pytest.approx(0.184, abs=0.05)
    assert result["test_acc"] == pytest.approx(0.9425, abs=0.02)
    assert result["test_loss"] == pytest.approx(0.397, abs=0.08)


def test_dlwp_reuters(tmp_path, monkeypatch):
    result = run_dlwp("dlwp_reuters", tmp_path, monkeypatch)
    # Keras 3.15.1 (torch) on the same files: 2,000 training and 500 test newswires, first labels
    # [4, 2, 8, 25, 0]; after 20 epochs validation accuracy 0.848 (lowest loss 0.870); retrained 9
    # epochs: test loss 1.420, accuracy 0.704 one-hot and 0.696 sparse; 14 distinct predicted
    # topics; the random baseline 0.102 (np.random.shuffle after set_random_seed(0)).
    assert result["train_shape"] == [2000, 4000] and result["test_count"] == 500
    assert result["first_labels"] == [4, 2, 8, 25, 0]
    assert result["val_acc_20"] == pytest.approx(0.848, abs=0.04)
    assert result["test_acc"] == pytest.approx(0.704, abs=0.04)
    assert result["sparse_test_acc"] == pytest.approx(0.696, abs=0.04)  # the same model, integer labels
    assert result["test_loss"] == pytest.approx(1.420, abs=0.15)
    assert result["predictions_sum"] == pytest.approx(1.0, abs=1e-5)  # a softmax row
    assert result["random_baseline"] == 0.102
    assert result["test_acc"] > 4 * result["random_baseline"]  # the chapter's comparison


def test_dlwp_boston(tmp_path, monkeypatch):
    result = run_dlwp("dlwp_boston", tmp_path, monkeypatch)
    # Keras 3.15.1 (torch) on the same file: 404 training and 102 test districts, first targets
    # 22.1219, 29.7160, 25.2529; 4-fold validation MAE [2.802, 2.334, 2.721, 2.613] (mean 2.617),
    # the mean validation MAE 18.22 after epoch 1; the final model's test MAE 2.780 (MSE 12.54).
    assert result["train_shape"] == [404, 13] and result["test_shape"] == [102, 13]
    assert result["first_targets"] == pytest.approx([22.121937430857372, 29.7159520552123, 25.252896739651877],
                                                    rel=1e-12)  # the loader: same shuffle, same split
    assert len(result["fold_mae"]) == 4 and max(result["fold_mae"]) <= 1.25 * 2.802
    assert result["mean_fold_mae"] == pytest.approx(2.617, rel=0.15)
    assert result["mae_epoch_1"] == pytest.approx(18.22, rel=0.15)
    assert result["mae_epoch_100"] < 0.2 * result["mae_epoch_1"]  # K-fold curves: it learns
    assert result["test_mae"] <= 1.25 * 2.780
