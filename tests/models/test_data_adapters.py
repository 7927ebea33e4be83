"""Data in: generators, iterators, PyDataset and Sequence-shaped objects,
pandas-like objects, steps_per_epoch, validation_freq, initial_epoch, 1-D
inputs, and errors that name the batch. Where Keras's behaviour is the
reference, it was read off Keras 3.15 (torch backend) running the same calls.
"""

import threading
import warnings

import numpy as np
import pytest

import fastmlp
from model_builders import softmax_classifier

rng = np.random.default_rng(0)
X = rng.normal(size=(12, 4)).astype("float32")
Y = rng.integers(0, 3, 12)


def make(seed=1):
    return softmax_classifier(seed)


def same_weights(a, b):
    return all(np.array_equal(p, q) for p, q in zip(a.get_weights(), b.get_weights()))


def batches(size=4):
    return [(X[i:i + size], Y[i:i + size]) for i in range(0, len(X), size)]


class Batches(fastmlp.utils.PyDataset):
    def __init__(self, items, **kwargs):
        super().__init__(**kwargs)
        self.items = items
        self.epochs_ended = 0

    def __len__(self):
        return len(self.items)

    def __getitem__(self, index):
        return self.items[index]

    def on_epoch_end(self):
        self.epochs_ended += 1


class SequenceShaped:
    """Keras 2's Sequence shape, no base class."""

    def __len__(self):
        return 3

    def __getitem__(self, index):
        return X[4 * index:4 * index + 4], Y[4 * index:4 * index + 4]


class FakeFrame:
    """What fastmlp may rely on in a pandas object: to_numpy()."""

    def __init__(self, values):
        self.values_ = np.asarray(values)

    def to_numpy(self):
        return self.values_

    def __len__(self):
        return len(self.values_)

    def __getitem__(self, key):  # a DataFrame has __getitem__ too: must not be taken for a dataset
        raise AssertionError("a frame is converted with to_numpy, not indexed")


@pytest.mark.parametrize("source", ["generator", "iterator", "pydataset", "threads", "sequence"])
def test_every_source_of_batches_trains_like_the_arrays(source):
    data = {"generator": lambda: (b for b in batches()), "iterator": lambda: iter(batches()),
            "pydataset": lambda: Batches(batches()),
            "threads": lambda: Batches(batches(), workers=3, use_multiprocessing=True, max_queue_size=2),
            "sequence": SequenceShaped}[source]()
    a, b = make(), make()
    ha = a.fit(data, epochs=1, shuffle=False, verbose=0)
    hb = b.fit(X, Y, batch_size=4, shuffle=False, verbose=0)
    assert ha.history == hb.history
    assert same_weights(a, b)


def test_pydataset_epochs_call_on_epoch_end_and_shuffle_batch_order():
    data = Batches(batches())
    model = make()
    model.fit(data, epochs=3, verbose=0)
    assert data.epochs_ended == 3
    seen = []

    class Recording(Batches):
        def __getitem__(self, index):
            seen.append(index)
            return super().__getitem__(index)
    make().fit(Recording(batches(2)), epochs=4, shuffle=True, verbose=0)
    orders = [tuple(seen[i:i + 6]) for i in range(0, 24, 6)]
    assert all(sorted(o) == list(range(6)) for o in orders)
    assert len(set(orders)) > 1  # reshuffled between epochs


def test_threaded_workers_fetch_on_other_threads():
    threads = set()

    class Where(Batches):
        def __getitem__(self, index):
            threads.add(threading.get_ident())
            return super().__getitem__(index)
    make().fit(Where(batches(1), workers=4), verbose=0)
    assert threading.get_ident() not in threads


def test_pandas_like_inputs_targets_and_weights_are_converted_with_to_numpy():
    a, b = make(), make()
    w = np.linspace(0.5, 2, 12).astype("float32")
    a.fit(FakeFrame(X), FakeFrame(Y), sample_weight=FakeFrame(w), batch_size=4, shuffle=False, verbose=0)
    b.fit(X, Y, sample_weight=w, batch_size=4, shuffle=False, verbose=0)
    assert same_weights(a, b)
    np.testing.assert_array_equal(a.predict(FakeFrame(X), verbose=0), b.predict(X, verbose=0))


def test_generator_runs_out_after_its_pass_with_keras_warning():
    model = make()
    with pytest.warns(UserWarning, match="ran out of data"):
        history = model.fit((b for b in batches()), epochs=3, verbose=0)
    assert len(history.history["loss"]) == 1  # epochs 2 and 3 found no data


def test_steps_per_epoch_continues_where_the_last_epoch_stopped():
    # Keras: fit(x, y, batch_size=3, epochs=2, steps_per_epoch=2) trains batches 0,1 then 2,3
    a, b = make(), make()
    a.fit(X, Y, batch_size=3, epochs=2, steps_per_epoch=2, shuffle=False, verbose=0)
    b.fit(X, Y, batch_size=3, epochs=1, shuffle=False, verbose=0)
    assert same_weights(a, b)


def test_steps_per_epoch_with_an_endless_generator():
    def endless():
        while True:
            yield from batches()
    a, b = make(), make()
    a.fit(endless(), epochs=2, steps_per_epoch=3, verbose=0)
    b.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    assert same_weights(a, b)


def test_steps_beyond_the_data_warn_as_keras():
    with pytest.warns(UserWarning, match="ran out of data"):
        make().fit(X, Y, batch_size=3, steps_per_epoch=6, verbose=0)


@pytest.mark.parametrize("freq, validated", [(2, [1, 3]), ([1, 4], [0, 3])])
def test_validation_freq_int_or_list_of_epochs(freq, validated):
    # Keras 3.15: validation_freq=2 validates after epochs 2 and 4 (1-based); [1, 4] after 1 and 4
    model = make()
    history = model.fit(X, Y, epochs=5, validation_data=(X, Y), validation_freq=freq, verbose=0)
    assert len(history.history["val_loss"]) == len(validated)
    # full-batch training: the validation loss after epoch e is the training loss of epoch e + 1
    a = make()
    losses = a.fit(X, Y, epochs=5, batch_size=12, shuffle=False, verbose=0).history["loss"]
    b = make()
    h = b.fit(X, Y, epochs=5, batch_size=12, shuffle=False, validation_data=(X, Y),
              validation_freq=freq, verbose=0).history
    np.testing.assert_allclose(h["val_loss"], [losses[e + 1] for e in validated], rtol=1e-6)


def test_validation_generator_with_validation_steps():
    def endless():
        while True:
            yield X[:6], Y[:6]
    history = make().fit(X, Y, epochs=3, validation_data=endless(), validation_steps=1, verbose=0)
    assert len(history.history["val_loss"]) == 3


def test_initial_epoch_numbers_the_epochs():
    history = make().fit(X, Y, epochs=3, initial_epoch=1, verbose=0)
    assert history.epoch == [1, 2]


def test_one_dimensional_x_feeds_a_model_of_one_input():
    # Keras 3.15 accepts x of shape (n,) for Input((1,)) in fit and predict
    fastmlp.utils.set_random_seed(0)
    model = fastmlp.Sequential([fastmlp.Input((1,)), fastmlp.layers.Dense(1, activation="sigmoid")])
    model.compile("sgd", "binary_crossentropy")
    weights = model.get_weights()
    model.fit(X[:, 0], (Y > 0).astype("float32"), shuffle=False, verbose=0)
    after_1d = model.get_weights()
    model.set_weights(weights)
    model.fit(X[:, :1], (Y > 0).astype("float32"), shuffle=False, verbose=0)
    for p, q in zip(after_1d, model.get_weights()):
        np.testing.assert_array_equal(p, q)
    assert model.predict(X[:, 0], verbose=0).shape == (12, 1)
    with pytest.raises(ValueError, match="batch axis first"):
        make().predict(X[0], verbose=0)  # a model of 4 inputs: one sample is not a batch


def test_predict_from_generators_and_datasets():
    model = make()
    expected = model.predict(X, verbose=0)
    np.testing.assert_array_equal(model.predict(((b[0],) for b in batches()), verbose=0), expected)
    np.testing.assert_array_equal(model.predict(Batches(batches()), verbose=0), expected)
    np.testing.assert_array_equal(model.predict(X, batch_size=5, steps=2, verbose=0), expected[:10])
    # Keras: a generator of bare arrays is an error naming the tuple forms
    with pytest.raises(ValueError, match=r"\(input,\)"):
        model.predict((b[0] for b in batches()), verbose=0)


def test_evaluate_generator_and_steps():
    model = make()
    loss_all = model.evaluate(X, Y, batch_size=4, verbose=0)
    assert model.evaluate(Batches(batches()), verbose=0) == pytest.approx(loss_all, rel=1e-6)
    assert model.evaluate(X, Y, batch_size=4, steps=1, verbose=0) == pytest.approx(
        model.evaluate(X[:4], Y[:4], verbose=0), rel=1e-6)


def test_batch_size_with_a_generator_is_ignored_with_a_warning():
    # Keras 3.15 ignores batch_size for a generator (it raises nothing); fastmlp also warns
    with pytest.warns(UserWarning, match="batch_size=5 is ignored"):
        make().fit((b for b in batches()), batch_size=5, verbose=0)


def test_an_unbuilt_model_is_built_by_the_first_batch():
    fastmlp.utils.set_random_seed(1)
    model = fastmlp.Sequential([fastmlp.layers.Dense(3, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit((b for b in batches()), verbose=0)
    assert model.built and model.input_shape_ == (4,)
    assert set(history.history) == {"loss", "accuracy"}


def test_bad_batch_is_named_and_the_model_keeps_its_last_step():
    def bad():
        yield X[:4], Y[:4]
        yield X[4:8, :3], Y[4:8]
    model, reference = make(), make()
    with pytest.raises(ValueError, match="batch 1"):
        model.fit(bad(), verbose=0)
    reference.fit(X[:4], Y[:4], batch_size=4, shuffle=False, verbose=0)
    assert same_weights(model, reference)

    def failing():
        yield X[:4], Y[:4]
        raise OSError("disk gone")
    model = make()
    with pytest.raises(RuntimeError, match="batch 1 failed: OSError: disk gone"):
        model.fit(failing(), verbose=0)
    assert same_weights(model, reference)


def test_words_for_none_strings_and_dicts():
    model = make()
    with pytest.raises(TypeError, match="predict's x is None"):
        model.predict(None)
    with pytest.raises(TypeError, match="string"):
        model.predict("abc")
    with pytest.raises(TypeError, match="dict"):
        model.fit({"a": X}, Y, verbose=0)
    with pytest.raises(ValueError, match="`y` should not be passed"):
        model.fit((b for b in batches()), Y, verbose=0)
    with pytest.raises(ValueError, match="class_weight"):
        model.fit((b for b in batches()), class_weight={0: 2.0}, verbose=0)
    with pytest.raises(ValueError, match="validation_split"):
        model.fit(Batches(batches()), validation_split=0.2, verbose=0)
    with pytest.raises(TypeError, match="Unrecognized data type"):
        model.fit(object(), verbose=0)


def test_pydataset_class_weight_is_applied_per_batch():
    a, b = make(), make()
    cw = {0: 2.0, 1: 0.5}
    a.fit(Batches(batches()), class_weight=cw, shuffle=False, verbose=0)
    b.fit(X, Y, class_weight=cw, batch_size=4, shuffle=False, verbose=0)
    assert same_weights(a, b)


def test_pydataset_arguments_are_checked():
    with pytest.raises(ValueError, match="workers"):
        Batches([], workers=0)
    assert fastmlp.utils.Sequence is fastmlp.utils.PyDataset
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert Batches(batches(), max_queue_size=3).max_queue_size == 3
