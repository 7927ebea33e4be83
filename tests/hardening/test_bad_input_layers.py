"""Bad input to Normalization.adapt, Variable.assign and the constructors of
the newer layers, activations and initializers: a clear exception, and the
model (or the layer) unchanged. Runs on test_bad_input.py's machinery: each
entry point's cases in one child process per backend."""

import pytest

from test_bad_input import case, case_ids, case_params, check_case

# A snippet that runs ``call`` on an adapted Normalization layer and checks, on
# the way out, that the layer's statistics are what they were.
KEEPS = """
nm = fastmlp.layers.Normalization()
nm.adapt(x)
before = nm.get_weights()
try:
    {call}
finally:
    assert same(before, nm.get_weights()), "adapt changed the layer"
"""


def adapt(call):
    return KEEPS.format(call=call)


CASES = [
    case("adapt", "empty array", adapt("nm.adapt(x[:0])"), "ValueError", "no data"),
    case("adapt", "no batches", adapt("nm.adapt([])"), "ValueError", "no data"),
    case("adapt", "non-numeric", adapt("nm.adapt(x.astype(str))"), "TypeError", "needs numbers"),
    case("adapt", "object", adapt("nm.adapt(np.array([[object()] * 5]))"), "TypeError", "needs numbers"),
    case("adapt", "NaN", adapt("nm.adapt(nan_x)"), "ValueError", "NaN"),
    case("adapt", "inf in a later batch", adapt("nm.adapt([x[:8], inf_x])"), "ValueError", "batch 1"),
    case("adapt", "mismatched axis", adapt("nm.adapt(x[:, :4])"), "ValueError", "was built for samples of shape (5,)"),
    case("adapt", "batches of two shapes", "fastmlp.layers.Normalization().adapt([x, x[:, :4]])", "ValueError",
         "batch 0 had (5,)"),
    case("adapt", "not data", adapt("nm.adapt(3.0)"), "TypeError", "array or an iterable"),
    case("adapt", "bad batch_size", adapt("nm.adapt(x, batch_size=0)"), "ValueError", "batch_size"),
    case("adapt", "fixed statistics", "n = fastmlp.layers.Normalization(mean=[0.] * 5, variance=[1.] * 5)\n"
         "n(x)\nn.adapt(x)", "ValueError", "cannot adapt"),
    case("adapt", "axis out of range", "fastmlp.layers.Normalization(axis=3).adapt(x)", "ValueError",
         "out of range"),
    case("adapt", "axis of the batch", "fastmlp.layers.Normalization(axis=0).adapt(x)", "ValueError", "batch"),
    case("adapt", "mean without variance", "fastmlp.layers.Normalization(mean=[1.0])", "ValueError", "both"),
    case("adapt", "negative variance", "fastmlp.layers.Normalization(mean=[1.0], variance=[-1.0])",
         "ValueError", ">= 0"),

    case("assign", "wrong shape", "m.layers[-1].bias.assign([0.0])", "ValueError", "must have shape (3,)"),
    case("assign", "NaN", "m.layers[-1].bias.assign([0.0, np.nan, 1.0])", "ValueError", "NaN"),
    case("assign", "inf after assign_add", "m.layers[0].kernel.assign_add(np.full((5, 8), np.inf))",
         "ValueError", "NaN or infinity"),
    case("assign", "non-numeric", "m.layers[-1].bias.assign(['a', 'b', 'c'])", "TypeError", "numeric"),
    case("assign", "None", "m.layers[-1].bias.assign(None)", "TypeError", "None"),
    case("assign", "set_weights of a Normalization model", "n = fastmlp.layers.Normalization(); n.adapt(x)\n"
         "mm = fastmlp.Sequential([n, fastmlp.layers.Dense(1)])\nw = mm.get_weights(); w[1][0] = np.nan\n"
         "mm.set_weights(w)", "ValueError", "NaN"),

    case("constructors", "GaussianDropout rate 1", "fastmlp.layers.GaussianDropout(1.0)", "ValueError", "[0, 1)"),
    case("constructors", "GaussianDropout rate < 0", "fastmlp.layers.GaussianDropout(-0.1)", "ValueError", "[0, 1)"),
    case("constructors", "GaussianDropout rate string", "fastmlp.layers.GaussianDropout('0.5')", "TypeError",
         "GaussianDropout rate must be a number, got '0.5'"),
    case("constructors", "GaussianNoise stddev < 0", "fastmlp.layers.GaussianNoise(-1.0)", "ValueError", ">= 0"),
    case("constructors", "GaussianNoise stddev NaN", "fastmlp.layers.GaussianNoise(float('nan'))", "ValueError"),
    case("constructors", "bad seed", "fastmlp.layers.GaussianNoise(0.1, seed=-1)", "ValueError", "seed"),
    case("constructors", "unknown activation", "fastmlp.layers.Dense(3, activation='gelux')", "ValueError",
         "unknown activation 'gelux'"),
    case("constructors", "unknown activation layer", "fastmlp.layers.Activation('hard_swishy')", "ValueError",
         "unknown activation"),
    case("constructors", "unknown initializer", "fastmlp.layers.Dense(3, kernel_initializer='glorot')",
         "ValueError", "unknown initializer 'glorot'"),
    case("constructors", "Constant of a string", "fastmlp.initializers.Constant('a')", "ValueError", "finite"),
    case("constructors", "Identity of a vector", "fastmlp.initializers.Identity()((3,))", "ValueError", "2-D"),
    case("constructors", "LayerNormalization axis", "fastmlp.layers.LayerNormalization(axis=0)", "ValueError",
         "axis"),
    case("constructors", "LayerNormalization epsilon", "fastmlp.layers.LayerNormalization(epsilon=0)",
         "ValueError", "epsilon"),
]
IDS = case_ids(CASES)


@pytest.mark.parametrize("backend,c", case_params(CASES, IDS))
def test_bad_input_layers(backend, c):
    check_case(backend, c, CASES, IDS)
