"""save / load_model: identical predictions, bit-for-bit resumed training,
clear errors on bad files, atomic writes."""

import zipfile

import numpy as np
import pytest

import fastmlp
from fastmlp.models import ModelFileError


@pytest.fixture
def make_model(seed_model):
    """Flatten (4, 5), Dense(16, relu), Dropout(0.2), Dense(3)."""
    return lambda: seed_model(input_shape=(4, 5), hidden=16, classes=3, dropout=0.2)


@pytest.fixture
def make_compiled(make_model, compiled):
    return lambda optimizer="adam": compiled(make_model(), optimizer)


def _data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(200, 4, 5)).astype(np.float32), rng.integers(0, 3, size=200)


def test_save_load_predict_identical(tmp_path, backend, make_compiled):
    fastmlp.utils.set_random_seed(0)
    x, y = _data()
    model = make_compiled()
    model.fit(x, y, epochs=1, verbose=0)
    path = tmp_path / "m.fastmlp"
    model.save(path)
    loaded = fastmlp.models.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert [l.name for l in loaded.layers] == [l.name for l in model.layers]
    assert loaded.optimizer.iterations == model.optimizer.iterations
    assert loaded.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)


@pytest.mark.parametrize("optimizer", ["adam", "sgd", "rmsprop", "adamw"])
def test_resumed_training_matches_uninterrupted_bit_for_bit(tmp_path, backend, optimizer, make_compiled):
    x, y = _data()
    fastmlp.utils.set_random_seed(7)
    straight = make_compiled(optimizer)
    straight.fit(x, y, epochs=2, batch_size=16, verbose=0)

    fastmlp.utils.set_random_seed(7)
    first = make_compiled(optimizer)
    first.fit(x, y, epochs=1, batch_size=16, verbose=0)
    first.save(tmp_path / "half.fastmlp")
    fastmlp.utils.set_random_seed(12345)  # the resumed run must not depend on global state
    resumed = fastmlp.models.load_model(tmp_path / "half.fastmlp")
    resumed.fit(x, y, epochs=1, batch_size=16, verbose=0)
    for a, b in zip(resumed.get_weights(), straight.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_uncompiled_model_and_weights_only(tmp_path, make_model):
    fastmlp.utils.set_random_seed(1)
    model = make_model()
    model.save(tmp_path / "plain.fastmlp")
    loaded = fastmlp.models.load_model(tmp_path / "plain.fastmlp")
    assert not loaded.compiled
    other = make_model()
    other.load_weights(tmp_path / "plain.fastmlp")
    for a, b in zip(other.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_foreign_files_give_clear_errors(tmp_path):
    """Files that are not fastmlp models. Truncated files, a newer format version, a
    hostile or corrupted entry: tests/hardening/test_robustness.py; a missing file and
    an empty one: the bad-input battery (tests/hardening/test_bad_input.py, load_model)."""
    foreign = tmp_path / "foreign.fastmlp"
    foreign.write_bytes(b"this is not a model file at all")
    with pytest.raises(ModelFileError, match="not a fastmlp model"):
        fastmlp.models.load_model(foreign)

    other_zip = tmp_path / "other.zip"
    with zipfile.ZipFile(other_zip, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(ModelFileError, match="missing|not a fastmlp"):
        fastmlp.models.load_model(other_zip)


def test_failed_save_leaves_previous_file_intact(tmp_path, monkeypatch, make_model):
    fastmlp.utils.set_random_seed(3)
    model = make_model()
    path = tmp_path / "m.fastmlp"
    model.save(path)
    before = path.read_bytes()

    def explode(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np.lib.format, "write_array", explode)
    with pytest.raises(OSError, match="disk full"):
        model.save(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.fastmlp"]


def test_saved_file_has_the_usual_permissions(tmp_path, make_model):
    import os
    import stat
    path = tmp_path / "m.fastmlp"
    make_model().save(path)
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask


def test_to_json_round_trip(make_model):
    fastmlp.utils.set_random_seed(4)
    model = make_model()
    clone = fastmlp.models.model_from_json(model.to_json())
    assert [type(l).__name__ for l in clone.layers] == [type(l).__name__ for l in model.layers]
    assert [w.shape for w in clone.get_weights()] == [w.shape for w in model.get_weights()]
    assert clone.layers[2].rate == 0.2 and clone.count_params() == model.count_params()


def test_batch_normalization_state_survives_save_and_load(tmp_path):
    fastmlp.utils.set_random_seed(6)
    x, y = _data()
    model = fastmlp.Sequential([fastmlp.layers.Flatten(input_shape=(4, 5)), fastmlp.layers.Dense(8),
                                fastmlp.layers.BatchNormalization(), fastmlp.layers.ReLU(),
                                fastmlp.layers.Dense(3)])
    model.compile(optimizer="adam", loss=fastmlp.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x, y, epochs=2, verbose=0)
    assert len(model.non_trainable_weights) == 2 and not np.all(model.get_weights()[4] == 0)
    model.save(tmp_path / "bn.fastmlp")
    loaded = fastmlp.models.load_model(tmp_path / "bn.fastmlp")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.count_params() == model.count_params() == 20 * 8 + 8 + 4 * 8 + 8 * 3 + 3
