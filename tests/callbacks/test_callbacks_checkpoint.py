"""ModelCheckpoint (batch save_freq, save_best_only, initial_value_threshold,
Keras's file names and parent folders), BackupAndRestore (resume after a
failure mid-fit), ProgbarLogger and duck-typed callbacks. Behaviour as in
Keras 3.15's callbacks (read from its source and run on the same calls)."""

import os

import numpy as np
import pytest

import fastmlp
from model_builders import softmax_classifier

rng = np.random.default_rng(0)
X = rng.normal(size=(20, 4)).astype("float32")
Y = rng.integers(0, 3, 20)


def make(seed=1):
    return softmax_classifier(seed)


def test_tutorial_checkpoint_path_with_parent_folder(tmp_path):
    # TensorFlow's "Save and load models" tutorial, Keras 3 names: training_1/cp.weights.h5
    path = tmp_path / "training_1" / "cp.weights.h5"
    model = make()
    cb = fastmlp.callbacks.ModelCheckpoint(filepath=str(path), save_weights_only=True, verbose=0)
    model.fit(X, Y, epochs=2, validation_data=(X, Y), callbacks=[cb], verbose=0)
    fresh = make(seed=7)
    fresh.load_weights(str(path))
    for p, q in zip(fresh.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(p, q)
    whole = tmp_path / "models" / "m.keras"
    model.fit(X, Y, callbacks=[fastmlp.callbacks.ModelCheckpoint(str(whole), monitor="loss")], verbose=0)
    assert whole.exists()


def test_integer_save_freq_counts_batches_across_epochs(tmp_path):
    # 20 samples, batch 4: 5 batches an epoch; save_freq=3 saves after batches 3, 6, 9 (Keras's count)
    pattern = str(tmp_path / "ck-{epoch}-{batch}.keras")
    cb = fastmlp.callbacks.ModelCheckpoint(pattern, save_freq=3, monitor="loss")
    make().fit(X, Y, batch_size=4, epochs=2, shuffle=False, callbacks=[cb], verbose=0)
    assert sorted(os.listdir(tmp_path)) == ["ck-1-3.keras", "ck-2-1.keras", "ck-2-4.keras"]
    with pytest.raises(ValueError, match="save_freq"):
        fastmlp.callbacks.ModelCheckpoint(pattern, save_freq=0)
    with pytest.raises(ValueError, match="save_freq"):
        fastmlp.callbacks.ModelCheckpoint(pattern, save_freq="batch")


def test_save_best_only_with_threshold_and_mode(tmp_path):
    path = tmp_path / "best.keras"
    saved = []

    class Spy(fastmlp.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            saved.append(path.exists() and os.path.getmtime(path))
    # a threshold no epoch can beat: nothing is saved
    cb = fastmlp.callbacks.ModelCheckpoint(str(path), monitor="val_loss", save_best_only=True,
                                           initial_value_threshold=0.0)
    make().fit(X, Y, epochs=3, validation_data=(X, Y), callbacks=[cb, Spy()], verbose=0)
    assert not path.exists()
    # mode="max" on a loss: only the first epoch is an "improvement" (losses fall)
    cb = fastmlp.callbacks.ModelCheckpoint(str(path), monitor="loss", save_best_only=True, mode="max")
    model = make()
    model.fit(X, Y, epochs=1, callbacks=[cb], verbose=0)
    first = model.get_weights()
    model.fit(X, Y, epochs=3, callbacks=[cb], verbose=0)
    kept = make(seed=9)
    kept.load_weights(str(path))
    for p, q in zip(kept.get_weights(), first):
        np.testing.assert_array_equal(p, q)


class Boom(Exception):
    pass


class FailAt(fastmlp.callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise Boom(f"interrupted at epoch {epoch}")


def test_backup_and_restore_resumes_after_an_interruption(tmp_path):
    backup = tmp_path / "backup"
    model = make()
    with pytest.raises(Boom):
        model.fit(X, Y, epochs=4, batch_size=5, shuffle=False, verbose=0,
                  callbacks=[fastmlp.callbacks.BackupAndRestore(str(backup)), FailAt(2)])
    assert (backup / "training_metadata.json").exists()
    resumed = make(seed=5)  # a fresh process would start from other weights
    history = resumed.fit(X, Y, epochs=4, batch_size=5, shuffle=False, verbose=0,
                          callbacks=[fastmlp.callbacks.BackupAndRestore(str(backup))])
    assert history.epoch == [2, 3]
    assert not backup.exists()  # delete_checkpoint=True once training completes
    straight = make()
    straight.fit(X, Y, epochs=4, batch_size=5, shuffle=False, verbose=0)
    for p, q in zip(resumed.get_weights(), straight.get_weights()):
        np.testing.assert_allclose(p, q, rtol=1e-6)


def test_backup_kept_when_asked_and_batch_frequency(tmp_path):
    backup = tmp_path / "b"
    cb = fastmlp.callbacks.BackupAndRestore(str(backup), save_freq=2, delete_checkpoint=False)
    make().fit(X, Y, epochs=1, batch_size=5, callbacks=[cb], verbose=0)
    assert (backup / "latest.weights.h5").exists()
    with pytest.raises(ValueError, match="backup_dir"):
        fastmlp.callbacks.BackupAndRestore("")


def test_duck_typed_callbacks_and_public_progbar_logger(capsys):
    class Plain:  # no base class, no set_model: as Keras, missing hooks are skipped
        def __init__(self):
            self.epochs = []

        def on_epoch_end(self, epoch, logs):
            self.epochs.append((epoch, sorted(logs)))

        def on_train_begin(self, logs):
            assert logs is None
    plain = Plain()
    make().fit(X, Y, epochs=2, callbacks=[plain, fastmlp.callbacks.ProgbarLogger()], verbose=0)
    assert plain.epochs == [(0, ["accuracy", "loss"]), (1, ["accuracy", "loss"])]
    assert "Epoch 2/2" in capsys.readouterr().out
    with pytest.raises(TypeError, match="callback"):
        make().fit(X, Y, callbacks=[None], verbose=0)


def test_progbar_without_known_steps(capsys):
    make().fit((b for b in [(X[:10], Y[:10]), (X[10:], Y[10:])]), verbose=1)
    out = capsys.readouterr().out
    assert "Epoch 1/1" in out and "2/2" in out
