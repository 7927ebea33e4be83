"""Bad input to the training loop's newer entry points -- sample and class
weights, generators, datasets of batches, validation_freq and steps -- run in
child processes by the machinery of test_bad_input.py: a clear exception
naming the problem, the model's weights and optimizer state untouched.

Beyond Keras 3.15 (which accepts them silently), fastmlp rejects negative and
non-finite sample weights and class_weight keys outside the label range.
"""

import pytest

from test_bad_input import case, case_ids, case_params, check_case

GEN = "def gen(batches):\n    yield from batches\n"

CASES = [
    # sample_weight
    case("weights", "wrong length", "m.fit(x, y, sample_weight=np.ones(39), verbose=0)", "ValueError", "(40,)"),
    case("weights", "wrong length", "m.train_on_batch(x, y, sample_weight=np.ones(41))", "ValueError"),
    case("weights", "wrong length", "m.evaluate(x, y, sample_weight=np.ones((40, 2)), verbose=0)",
         "ValueError"),
    case("weights", "wrong length", "m.test_on_batch(x, y, sample_weight=np.ones(3))", "ValueError"),
    case("weights", "negative", "w = np.ones(40); w[5] = -1\nm.fit(x, y, sample_weight=w, verbose=0)",
         "ValueError", "negative"),
    case("weights", "non-finite", "w = np.ones(40); w[5] = np.nan\nm.fit(x, y, sample_weight=w, verbose=0)",
         "ValueError", "NaN"),
    case("weights", "non-finite", "w = np.ones(40); w[0] = np.inf\nm.train_on_batch(x, y, sample_weight=w)",
         "ValueError", "NaN"),
    case("weights", "not numbers", "m.fit(x, y, sample_weight=np.array(['a'] * 40), verbose=0)", "TypeError",
         "sample_weight must hold real numbers, got dtype <U1"),
    case("weights", "wrong length",
         "m.fit(x, y, validation_data=(x, y, np.ones(7)), verbose=0)", "ValueError", "sample_weight"),
    # class_weight
    case("class_weight", "key out of range", "m.fit(x, y, class_weight={0: 1.0, 3: 2.0}, verbose=0)",
         "ValueError", "label range [0, 3)"),
    case("class_weight", "key out of range", "m.train_on_batch(x, y, class_weight={-1: 2.0})", "ValueError",
         "label range"),
    case("class_weight", "bad value", "m.fit(x, y, class_weight={0: -2.0}, verbose=0)", "ValueError",
         "non-negative"),
    case("class_weight", "bad value", "m.fit(x, y, class_weight={1: float('nan')}, verbose=0)", "ValueError"),
    case("class_weight", "not a dict", "m.fit(x, y, class_weight=[1.0, 2.0, 3.0], verbose=0)", "TypeError",
         "class_weight must be a dict {label: weight}, got list"),
    case("class_weight", "with sample_weight",
         "m.fit(x, y, class_weight={0: 2.0}, sample_weight=np.ones(40), verbose=0)", "ValueError",
         "at the same time"),
    # generators and datasets: a bad first batch changes nothing
    case("generators", "inconsistent shapes", GEN + "m.fit(gen([(x[:8, :4], y[:8])]), verbose=0)",
         "ValueError", "batch 0"),
    case("generators", "wrong targets", GEN + "m.fit(gen([(x[:8], y[:7])]), verbose=0)", "ValueError",
         "batch 0"),
    case("generators", "NaN/inf", GEN + "m.fit(gen([(nan_x[:8], y[:8])]), verbose=0)", "ValueError", "NaN"),
    case("generators", "bad weights", GEN + "m.fit(gen([(x[:8], y[:8], -np.ones(8))]), verbose=0)",
         "ValueError", "negative"),
    case("generators", "not tuples", GEN + "m.fit(gen([x[:8]]), verbose=0)", "ValueError", "(input,)"),
    case("generators", "no targets", GEN + "m.fit(gen([(x[:8],)]), verbose=0)", "ValueError", "targets"),
    case("generators", "failing", "def bad():\n    raise OSError('gone')\n    yield\nm.fit(bad(), verbose=0)",
         "RuntimeError", "batch 0 failed"),
    case("generators", "failing",
         "class D(fastmlp.utils.PyDataset):\n    def __len__(self): return 2\n"
         "    def __getitem__(self, i): raise KeyError(i)\nm.fit(D(), verbose=0)", "RuntimeError", "batch 0"),
    case("generators", "y beside a generator", GEN + "m.fit(gen([(x, y)]), y, verbose=0)", "ValueError",
         "should not be passed"),
    case("generators", "class_weight", GEN + "m.fit(gen([(x, y)]), class_weight={0: 2.0}, verbose=0)",
         "ValueError", "class_weight"),
    case("generators", "empty dataset",
         "class D(fastmlp.utils.PyDataset):\n    def __len__(self): return 0\nm.fit(D(), verbose=0)",
         "ValueError", "no batches"),
    case("generators", "dict inputs", "m.fit({'a': x}, y, verbose=0)", "TypeError", "dict"),
    case("generators", "not data", "m.fit(object(), verbose=0)", "TypeError", "Unrecognized"),
    # loop arguments
    case("loop arguments", "bad validation_freq",
         "m.fit(x, y, validation_data=(x, y), validation_freq=0, verbose=0)", "ValueError", "validation_freq"),
    case("loop arguments", "bad validation_freq",
         "m.fit(x, y, validation_data=(x, y), validation_freq=[0, 2], verbose=0)", "ValueError"),
    case("loop arguments", "bad steps", "m.fit(x, y, steps_per_epoch=0, verbose=0)", "ValueError",
         "steps_per_epoch"),
    case("loop arguments", "bad steps", "m.evaluate(x, y, steps=-1, verbose=0)", "ValueError", "steps"),
    case("loop arguments", "predict None", "m.predict(None, verbose=0)", "TypeError", "None"),
    case("loop arguments", "predict string", "m.predict('x.npy', verbose=0)", "TypeError", "string"),
]
IDS = case_ids(CASES)


@pytest.mark.parametrize("backend,c", case_params(CASES, IDS))
def test_bad_input_training(backend, c):
    check_case(backend, c, CASES, IDS)
