"""Bad input at every public entry point: a clear Python exception (or the
documented result), never a crash, and the model's weights and optimizer state
untouched.

Each case is a snippet run in a child process (one child per backend and entry
point, the cases one after another), so a segfault in a compiled kernel fails
the cases it reaches instead of killing the suite. The child reports, per
case, the exception raised (or none) and whether the model's weights,
optimizer slots and counters are bit-for-bit what they were before the case.

``python tests/hardening/test_bad_input.py`` prints how many cases each entry point has.

Non-finite values, the policy these cases pin down (README, "Hardening"):

* ``fit``/``train_on_batch`` and ``evaluate``/``test_on_batch`` reject NaN/inf
  inputs and targets with ValueError before anything changes;
* ``model(x)``/``predict``/``predict_on_batch`` and layers called directly
  propagate NaN like NumPy (a NaN row gives a NaN row, other rows unchanged);
* ``set_weights`` rejects non-finite weights;
* losses called directly reject non-finite targets and propagate non-finite
  predictions (NaN loss); metrics reject non-finite targets and count a NaN
  prediction as NumPy's argmax does (the first NaN wins);
* the ``fastmlp.ops`` functions propagate NaN like NumPy.
"""

import json
import os
import subprocess
import sys
import textwrap
from collections import Counter, namedtuple

import pytest

import fastmlp

# The folder holding the fastmlp under test (site-packages for an installed
# package, the checkout for one built in place): child processes run there and
# import that same fastmlp.
REPO = os.path.dirname(os.path.dirname(os.path.abspath(fastmlp.__file__)))
BACKENDS = ("numpy", "cython")

Case = namedtuple("Case", "entry kind code error match backends changes mutates setup")


def case(entry, kind, code, error=None, match=None, backends=BACKENDS, changes=False, mutates=(), setup=""):
    """``error``: the exception class name the snippet must raise (a subclass
    counts; ``"A|B"`` for either), or None when it must run (its own asserts check the documented
    result). ``match``: a substring of the message. ``changes``: the case is
    documented to change the model (a successful fit): its snapshot must
    differ afterwards; by default it must not, whether the case raised or not.
    ``mutates``: names of further objects the case acts on, made by ``setup``
    (run before the snapshot), snapshotted with the model."""
    return Case(entry, kind, textwrap.dedent(code).strip(), error, match, backends, changes, tuple(mutates),
                textwrap.dedent(setup).strip())


# --------------------------------------------------------------------- runner
# Runs in the child: builds a trained model ``m`` and test arrays, then each
# case, reporting one JSON line per case on stdout.
PRELUDE = r'''
import os, tempfile, warnings
import numpy as np
import fastmlp
warnings.simplefilter("ignore")

rng = np.random.default_rng(0)
x = rng.normal(size=(40, 5)).astype(np.float32)
y = (np.arange(40) % 3).astype(np.int64)
onehot = np.eye(3, dtype=np.float32)[y]
nan_x = x.copy(); nan_x[3, 2] = np.nan
inf_x = x.copy(); inf_x[5, 0] = -np.inf
F = np.asfortranarray(x)
strided = np.repeat(x, 2, axis=1)[:, ::2]            # non-contiguous, equal to x
ro = x.copy(); ro.flags.writeable = False
ro_y = y.copy(); ro_y.flags.writeable = False
bcast = np.broadcast_to(x[0], x.shape)                # zero stride along the batch
bcast_y = np.broadcast_to(y[:1], y.shape)
HUGE = 2**40                                          # rows no array of this size could hold
tmp = tempfile.mkdtemp(prefix="fastmlp-bad-input-")


def build(seed=0, optimizer="adam"):
    fastmlp.utils.set_random_seed(seed)
    model = fastmlp.Sequential([
        fastmlp.layers.Dense(8, activation="relu", input_shape=(5,)),
        fastmlp.layers.Dropout(0.25),
        fastmlp.layers.Dense(3),
    ])
    model.compile(optimizer=optimizer,
                  loss=fastmlp.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


def fit_weights(xx, yy, **kw):
    """Weights after one epoch of a fresh seeded model on (xx, yy)."""
    model = build(1)
    model.fit(xx, yy, epochs=1, batch_size=8, verbose=0, **kw)
    return model.get_weights()


def same(a, b):
    return len(a) == len(b) and all(np.array_equal(p, q) for p, q in zip(a, b))


def train_pair(xx, yy, x32, y32):
    """train_on_batch on (xx, yy) and on the contiguous float32 (x32, y32)
    holding the same values, each on a fresh seeded model: the same loss and
    metrics, exactly, and the same weights after (the same kernels run on the
    same float32 values, so the same bits)."""
    a, b = build(2), build(2)
    ra, rb = a.train_on_batch(xx, yy), b.train_on_batch(x32, y32)
    assert np.isfinite(ra[0]) and ra == rb, (ra, rb)
    assert same(a.get_weights(), b.get_weights())


m = build()
m.fit(x, y, epochs=1, batch_size=8, verbose=0)
m.train_on_batch(x[:8], y[:8])
'''

RUNNER = r'''
import json, signal, sys, traceback
spec = json.load(sys.stdin)
import fastmlp
fastmlp.backend.set_backend(spec["backend"])
ns = {}
exec(spec["prelude"], ns)
import numpy as np


def hyperparameters(opt):
    """Everything an optimizer's next update depends on besides its slots:
    its config, its scalar attributes, the rate it would use now, and the
    schedule's own attributes (repr'd, so NaN compares equal to NaN)."""
    lr = getattr(opt, "_learning_rate", None)
    schedule = None if lr is None or isinstance(lr, (int, float)) else {k: repr(v) for k, v in vars(lr).items()}
    scalars = {k: repr(v) for k, v in vars(opt).items() if isinstance(v, (bool, int, float, str, type(None)))}
    return json.dumps({"config": opt.get_config(), "rate": repr(opt.learning_rate), "attributes": scalars,
                       "schedule": schedule}, sort_keys=True, default=repr)


def model_state(model):
    arrays = list(model.get_weights())
    leaves = model.leaves() if hasattr(model, "leaves") else [model]
    counters = [getattr(model, "_epochs_seen", None)] + [getattr(l, "step", 0) for l in leaves]
    opt = getattr(model, "optimizer", None)
    if getattr(model, "compiled", False) and getattr(opt, "_stores", None):
        arrays += [np.array(a) for a in opt.state_arrays().values()]
        counters.append(opt.iterations)
    if opt is not None:
        counters.append(hyperparameters(opt))
    return arrays, counters


def state(names=(), where=None):
    """The snapshot of ``m`` and of the objects ``names`` in ``where``."""
    return [model_state(ns["m"])] + [model_state(where[name]) for name in names]


def unchanged(before, after):
    return len(before) == len(after) and all(
        b[1] == a[1] and len(b[0]) == len(a[0])
        and all(p.shape == q.shape and np.array_equal(p, q, equal_nan=True) for p, q in zip(b[0], a[0]))
        for b, a in zip(before, after))


def on_alarm(signum, frame):
    raise TimeoutError("case took more than 60 s")


signal.signal(signal.SIGALRM, on_alarm)
for item in spec["cases"]:
    where = dict(ns)
    result = {"id": item["id"], "exc": None, "mro": [], "msg": ""}
    before = None
    signal.alarm(60)
    try:
        exec(compile(item["setup"], item["id"] + " (setup)", "exec"), where)
        before = state(item["mutates"], where)
        exec(compile(item["code"], item["id"], "exec"), where)
    except BaseException as exc:  # noqa: B902 - reported, not swallowed
        # a failing setup is no outcome of the case: reported under its own name
        name = type(exc).__name__ if before is not None else "SetupFailed"
        result.update(exc=name, mro=[c.__name__ for c in type(exc).__mro__] if before is not None else [name],
                      msg=str(exc)[:500], tb=traceback.format_exc()[-2000:])
    finally:
        signal.alarm(0)
    result["unchanged"] = before is not None and unchanged(before, state(item["mutates"], where))
    print("@@CASE " + json.dumps(result), flush=True)
'''


def run_snippet(code, timeout=120, env=None):
    """Run ``code`` with ``sys.executable -c`` in the repository root; returns
    the CompletedProcess. A child killed by a signal has a negative returncode."""
    full_env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, env=full_env, capture_output=True,
                          text=True, timeout=timeout)


def assert_raises_in_child(code, exception, timeout=120, env=None):
    """``code`` run in a child raises ``exception`` (its name appears in the
    traceback on stderr) and the child was not killed by a signal."""
    proc = run_snippet(code, timeout=timeout, env=env)
    assert proc.returncode >= 0, f"child killed by signal {-proc.returncode}:\n{proc.stderr[-3000:]}"
    assert proc.returncode != 0 and exception in proc.stderr, (
        f"expected {exception}, got returncode {proc.returncode}\nstdout: {proc.stdout[-2000:]}\n"
        f"stderr: {proc.stderr[-3000:]}")
    return proc


# ---------------------------------------------------------------------- cases
CASES = []


def add(*cases):
    CASES.extend(cases)


# fit ------------------------------------------------------------------------
add(
    case("fit", "wrong rank", "m.fit(x[0], y, verbose=0)", "ValueError", "batch axis"),
    case("fit", "wrong rank", "m.fit(x[:, :, None], y, verbose=0)", "ValueError", "expects samples"),
    case("fit", "wrong feature size", "m.fit(x[:, :4], y, verbose=0)", "ValueError", "expects samples"),
    case("fit", "mismatched lengths", "m.fit(x, y[:-1], verbose=0)", "ValueError", "samples"),
    case("fit", "mismatched lengths", "m.fit(x, y[:-1], validation_split=0.25, verbose=0)", "ValueError"),
    case("fit", "mismatched lengths", "m.fit(x, y, validation_data=(x, y[:-1]), verbose=0)", "ValueError"),
    case("fit", "empty arrays", "m.fit(x[:0], y[:0], verbose=0)", "ValueError", "empty"),
    case("fit", "empty arrays", "m.fit(np.zeros((0, 5), np.float32), [], verbose=0)", "ValueError"),
    case("fit", "labels out of range", "m.fit(x, y + 1, verbose=0)", "ValueError", "outside [0, 3)"),
    case("fit", "labels out of range", "yy = y.copy(); yy[7] = -1\nm.fit(x, yy, verbose=0)", "ValueError",
         "row 7"),
    case("fit", "labels out of range", "m.fit(x, y + 2**40, verbose=0)", "ValueError", "outside"),
    case("fit", "labels non-integer", "m.fit(x, y + 0.5, verbose=0)", "ValueError", "whole number"),
    case("fit", "labels non-integer", "m.fit(x, y.astype(str), verbose=0)", "TypeError",
         "labels must have an integer dtype, got <U"),
    case("fit", "labels non-integer", "m.fit(x, onehot, verbose=0)", "ValueError", "categorical"),
    case("fit", "NaN/inf", "m.fit(nan_x, y, verbose=0)", "ValueError", "NaN"),
    case("fit", "NaN/inf", "m.fit(inf_x, y, verbose=0)", "ValueError", "NaN or infinity"),
    case("fit", "NaN/inf", "m.fit(x, np.where(y == 1, np.nan, y), verbose=0)", "ValueError"),
    case("fit", "NaN/inf", "m.fit(x, y, validation_data=(nan_x, y), verbose=0)", "ValueError", "NaN"),
    case("fit", "float16", """
        h = m.fit(x.astype(np.float16), y, verbose=0)
        assert np.isfinite(h.history["loss"][0])""", changes=True),
    case("fit", "float16", "assert same(fit_weights(x.astype(np.float16), y), "
                           "fit_weights(x.astype(np.float16).astype(np.float32), y))"),
    case("fit", "float16", "m.fit(np.full((40, 5), 70000, np.float16), y, verbose=0)", "ValueError",
         "infinity"),  # overflows float16 to inf
    case("fit", "int", "assert same(fit_weights((x * 10).astype(np.int32), y), "
                       "fit_weights((x * 10).astype(np.int32).astype(np.float32), y))"),
    case("fit", "int", "assert same(fit_weights(x, y.astype(np.uint8)), fit_weights(x, y))"),
    case("fit", "bool", "m.fit(x > 0, y, verbose=0)", "TypeError", "numeric"),
    case("fit", "bool", "m.fit(x, y > 0, verbose=0)", "TypeError", "integer"),
    case("fit", "object", "m.fit(x.astype(object), y, verbose=0)", "TypeError", "numeric"),
    case("fit", "object", "m.fit(x, y.astype(object), verbose=0)", "TypeError", "integer"),
    case("fit", "object", "m.fit([[1, 2], [3]], [0, 1], verbose=0)", "ValueError"),
    case("fit", "non-contiguous", "assert same(fit_weights(strided, y), fit_weights(x, y))"),
    case("fit", "non-contiguous", "assert same(fit_weights(x, np.repeat(y, 2)[::2]), fit_weights(x, y))"),
    case("fit", "Fortran-ordered", "assert same(fit_weights(F, y), fit_weights(x, y))"),
    case("fit", "read-only", "assert same(fit_weights(ro, ro_y), fit_weights(x, y))"),
    case("fit", "read-only", "assert same(fit_weights(ro, ro_y, shuffle=False), "
                             "fit_weights(x, y, shuffle=False))"),
    case("fit", "zero-stride", "assert same(fit_weights(bcast, bcast_y), "
                               "fit_weights(np.ascontiguousarray(bcast), np.ascontiguousarray(bcast_y)))"),
    case("fit", "zero-stride", "assert same(fit_weights(bcast, bcast_y, shuffle=False), fit_weights("
                               "np.ascontiguousarray(bcast), np.ascontiguousarray(bcast_y), shuffle=False))"),
    # the 40 samples fit in one batch: exactly one step, whatever the prelude left in the counter
    case("fit", "huge sizes", "n = m.optimizer.iterations\nm.fit(x, y, batch_size=2**70, verbose=0)\n"
                              "assert m.optimizer.iterations == n + 1, (n, m.optimizer.iterations)", changes=True),
    case("fit", "bad arguments", "m.fit(x, y, batch_size=0, verbose=0)", "ValueError", "batch_size"),
    case("fit", "bad arguments", "m.fit(x, y, batch_size=2.5, verbose=0)", "ValueError", "batch_size"),
    case("fit", "bad arguments", "m.fit(x, y, validation_split=1.0, verbose=0)", "ValueError"),
    case("fit", "bad arguments", "m.fit(x, y, validation_split=float('nan'), verbose=0)", "ValueError"),
    case("fit", "bad arguments", "m.fit(x, y, validation_data=x, verbose=0)", "ValueError"),
    case("fit", "bad arguments", "m.fit(x, y, verbose=7)", "ValueError", "verbose"),
    case("fit", "bad arguments", "m.fit(x, y, sample_weight=np.ones(39), verbose=0)", "ValueError",
         "sample_weight"),
    case("fit", "bad arguments", "build().fit(x, y, epochs=float('nan'), verbose=0)", "ValueError"),
    case("fit", "bad arguments", "fastmlp.Sequential([fastmlp.layers.Dense(3)]).fit(x, y)", "RuntimeError",
         "compile"),
)

# train_on_batch / test_on_batch ------------------------------------------------
# ``agree``: the call on the odd input gives what the call on the contiguous
# float32 copy of the same values gives (train_on_batch: on fresh seeded models,
# weights after included)
for entry, call, agree in (("train_on_batch", "m.train_on_batch({}, {})", "train_pair({}, {}, {}, {})"),
                           # (fastmlp's test_on_batch returns running values since reset_metrics)
                           ("test_on_batch", "m.test_on_batch({}, {})",
                            "m.reset_metrics()\nr = m.test_on_batch({}, {})\nm.reset_metrics()\n"
                            "assert np.isfinite(r[0]) and r == m.test_on_batch({}, {}), r")):
    add(
        case(entry, "wrong rank", call.format("x[0]", "y"), "ValueError"),
        case(entry, "wrong feature size", call.format("x[:, 1:]", "y"), "ValueError", "expects samples"),
        case(entry, "mismatched lengths", call.format("x", "y[:3]"), "ValueError", "samples"),
        case(entry, "empty arrays", call.format("x[:0]", "y[:0]"), "ValueError", "empty"),
        case(entry, "labels out of range", call.format("x", "y + 3"), "ValueError", "outside"),
        case(entry, "labels non-integer", call.format("x", "y * 0.5"), "ValueError", "whole number"),
        case(entry, "NaN/inf", call.format("nan_x", "y"), "ValueError", "NaN"),
        case(entry, "NaN/inf", call.format("inf_x", "y"), "ValueError", "NaN"),
        case(entry, "NaN/inf", call.format("x", "np.full(40, np.inf)"), "ValueError"),
        case(entry, "float16", agree.format("x.astype(np.float16)", "y", "x.astype(np.float16).astype(np.float32)",
                                            "y")),
        case(entry, "int", agree.format("(x * 4).astype(np.int16)", "y.astype(np.int8)",
                                        "(x * 4).astype(np.int16).astype(np.float32)", "y")),
        case(entry, "bool", call.format("x > 0", "y"), "TypeError", "x must be numeric, got dtype bool"),
        case(entry, "object", call.format("x.astype(object)", "y"), "TypeError",
             "x must be numeric, got dtype object"),
        case(entry, "non-contiguous", agree.format("strided", "y", "x", "y")),
        case(entry, "Fortran-ordered", agree.format("F", "y", "x", "y")),
        case(entry, "read-only", agree.format("ro", "ro_y", "x", "y")),
        case(entry, "zero-stride", agree.format("bcast", "bcast_y", "np.ascontiguousarray(bcast)",
                                                "np.ascontiguousarray(bcast_y)")),
    )
add(
    case("train_on_batch", "Fortran-ordered", """
        a, b = build(2), build(2)
        a.train_on_batch(F, y); b.train_on_batch(x, y)
        assert same(a.get_weights(), b.get_weights())"""),
    case("train_on_batch", "bad arguments", "m.train_on_batch(x, y, class_weight={5: 1.0})",
         "ValueError", "label range"),
)

# evaluate ---------------------------------------------------------------------------
add(
    case("evaluate", "wrong rank", "m.evaluate(x[0], y, verbose=0)", "ValueError"),
    case("evaluate", "wrong feature size", "m.evaluate(x[:, :2], y, verbose=0)", "ValueError"),
    case("evaluate", "mismatched lengths", "m.evaluate(x, y[1:], verbose=0)", "ValueError"),
    case("evaluate", "empty arrays", "m.evaluate(x[:0], y[:0], verbose=0)", "ValueError"),
    case("evaluate", "labels out of range", "m.evaluate(x, y - 1, verbose=0)", "ValueError", "outside"),
    case("evaluate", "labels non-integer", "m.evaluate(x, y + 0.25, verbose=0)", "ValueError"),
    case("evaluate", "NaN/inf", "m.evaluate(nan_x, y, verbose=0)", "ValueError", "NaN"),
    case("evaluate", "NaN/inf", "m.evaluate(x, np.full(40, np.nan), verbose=0)", "ValueError"),
    case("evaluate", "float16", "assert np.allclose(m.evaluate(x.astype(np.float16), y, verbose=0), "
                                "m.evaluate(x.astype(np.float16).astype(np.float32), y, verbose=0))"),
    case("evaluate", "int", "assert m.evaluate(x.astype(np.int64), y.astype(np.uint16), verbose=0) == "
                            "m.evaluate(x.astype(np.int64).astype(np.float32), y, verbose=0)"),
    case("evaluate", "bool", "m.evaluate(x > 0, y, verbose=0)", "TypeError", "x must be numeric, got dtype bool"),
    case("evaluate", "object", "m.evaluate(x.astype(object), y, verbose=0)", "TypeError",
         "x must be numeric, got dtype object"),
    case("evaluate", "non-contiguous", "assert m.evaluate(strided, y, verbose=0) == m.evaluate(x, y, verbose=0)"),
    case("evaluate", "Fortran-ordered", "assert m.evaluate(F, y, verbose=0) == m.evaluate(x, y, verbose=0)"),
    case("evaluate", "read-only", "assert m.evaluate(ro, ro_y, verbose=0) == m.evaluate(x, y, verbose=0)"),
    case("evaluate", "zero-stride", "assert m.evaluate(bcast, bcast_y, verbose=0) == "
                                    "m.evaluate(np.ascontiguousarray(bcast), bcast_y.copy(), verbose=0)"),
    case("evaluate", "huge sizes", "m.evaluate(x, y, batch_size=2**62, verbose=0)"),
    case("evaluate", "bad arguments", "m.evaluate(x, y, batch_size=-1, verbose=0)", "ValueError"),
)

# predict / predict_on_batch / __call__ -----------------------------------------------
add(
    case("predict", "wrong rank", "m.predict(x[0], verbose=0)", "ValueError"),
    case("predict", "wrong rank", "m.predict(x[:, :, None], verbose=0)", "ValueError"),
    case("predict", "wrong feature size", "m.predict(x[:, :6 - 2], verbose=0)", "ValueError"),
    case("predict", "empty arrays", "m.predict(x[:0], verbose=0)", "ValueError"),
    case("predict", "NaN/inf", """
        out = m.predict(nan_x, verbose=0)
        assert np.isnan(out[3]).all()
        rows = np.arange(40) != 3
        assert np.array_equal(out[rows], m.predict(x, verbose=0)[rows])"""),
    case("predict", "NaN/inf", "out = m.predict(inf_x, verbose=0)\nassert np.isfinite(out[np.arange(40) != 5]).all()"),
    case("predict", "float16", "assert np.array_equal(m.predict(x.astype(np.float16), verbose=0), "
                               "m.predict(x.astype(np.float16).astype(np.float32), verbose=0))"),
    case("predict", "int", "assert np.array_equal(m.predict(x.astype(np.int8), verbose=0), "
                           "m.predict(x.astype(np.int8).astype(np.float32), verbose=0))"),
    case("predict", "bool", "m.predict(x > 0, verbose=0)", "TypeError", "predict's x must be numeric, got dtype bool"),
    case("predict", "object", "m.predict(x.astype(object), verbose=0)", "TypeError",
         "predict's x must be numeric, got dtype object"),
    case("predict", "non-contiguous", "assert np.array_equal(m.predict(strided, verbose=0), m.predict(x, verbose=0))"),
    case("predict", "Fortran-ordered", "assert np.array_equal(m.predict(F, verbose=0), m.predict(x, verbose=0))"),
    case("predict", "read-only", "assert np.array_equal(m.predict(ro, verbose=0), m.predict(x, verbose=0))"),
    case("predict", "zero-stride", "assert np.array_equal(m.predict(bcast, verbose=0), "
                                   "m.predict(np.ascontiguousarray(bcast), verbose=0))"),
    case("predict", "huge sizes", "m.predict(np.broadcast_to(x[0], (HUGE, 5)), verbose=0)", "MemoryError"),
    case("predict", "bad arguments", "m.predict(x, batch_size=0, verbose=0)", "ValueError"),
)
for entry, call in (("predict_on_batch", "m.predict_on_batch({})"), ("__call__", "m({})")):
    add(
        case(entry, "wrong rank", call.format("x[0]"), "ValueError", "x[None]"),
        case(entry, "wrong feature size", call.format("x[:, :3]"), "ValueError", "expects samples"),
        case(entry, "empty arrays", call.format("x[:0]"), "ValueError", "empty"),
        case(entry, "NaN/inf", f"out = {call.format('nan_x')}\nassert np.isnan(out[3]).all() "
                               "and np.isfinite(np.delete(out, 3, 0)).all()"),
        case(entry, "float16", f"assert np.array_equal({call.format('x.astype(np.float16)')}, "
                               f"{call.format('x.astype(np.float16).astype(np.float32)')})"),
        case(entry, "int", f"assert np.array_equal({call.format('x.astype(np.int32)')}, "
                           f"{call.format('x.astype(np.int32).astype(np.float32)')})"),
        case(entry, "bool", call.format("x > 0"), "TypeError", "model 'sequential' must be numeric, got dtype bool"),
        case(entry, "object", call.format("x.astype(object)"), "TypeError",
             "model 'sequential' must be numeric, got dtype object"),
        case(entry, "object", call.format("'abc'"), "TypeError",
             "model 'sequential' must be an array of numbers, got a string ('abc')"),
        case(entry, "non-contiguous", f"assert np.array_equal({call.format('strided')}, {call.format('x')})"),
        case(entry, "Fortran-ordered", f"assert np.array_equal({call.format('F')}, {call.format('x')})"),
        case(entry, "read-only", f"assert np.array_equal({call.format('ro')}, {call.format('x')})"),
        case(entry, "zero-stride", f"assert np.array_equal({call.format('bcast')}, "
                                   f"{call.format('np.ascontiguousarray(bcast)')})"),
        case(entry, "huge sizes", call.format("np.broadcast_to(x[0], (HUGE, 5))"), "MemoryError"),
    )

# set_weights -------------------------------------------------------------------------
add(
    case("set_weights", "mismatched lengths", "m.set_weights(m.get_weights()[:-1])", "ValueError", "weight arrays"),
    case("set_weights", "wrong rank", "w = m.get_weights(); w[0] = w[0].ravel()\nm.set_weights(w)", "ValueError"),
    case("set_weights", "wrong feature size", "w = m.get_weights(); w[2] = w[2][:, :2]\nm.set_weights(w)",
         "ValueError", "shape"),
    case("set_weights", "empty arrays", "m.set_weights([])", "ValueError"),
    case("set_weights", "empty arrays", "w = m.get_weights(); w[1] = w[1][:0]\nm.set_weights(w)", "ValueError"),
    case("set_weights", "NaN/inf", "w = m.get_weights(); w[3][1] = np.nan\nm.set_weights(w)", "ValueError", "NaN"),
    # a good array first and a bad one last: nothing is written
    case("set_weights", "NaN/inf", "w = [a + 1 for a in m.get_weights()]; w[3][0] = np.inf\nm.set_weights(w)",
         "ValueError", "infinity"),
    case("set_weights", "float16", """
        w = [a.astype(np.float16) for a in m.get_weights()]
        m.set_weights(w)
        assert same(m.get_weights(), [a.astype(np.float32) for a in w])""", changes=True),
    case("set_weights", "int", """
        w = [np.ones(a.shape, np.int64) for a in m.get_weights()]
        m.set_weights(w)
        assert all((a == 1).all() and a.dtype == np.float32 for a in m.get_weights())""", changes=True),
    case("set_weights", "bool", "m.set_weights([a > 0 for a in m.get_weights()])", "TypeError",
         "weight 0 of layer 'dense' must be numeric, got dtype bool"),
    case("set_weights", "object", "m.set_weights([a.astype(object) for a in m.get_weights()])", "TypeError",
         "weight 0 of layer 'dense' must be numeric, got dtype object"),
    case("set_weights", "non-contiguous", """
        w = [np.repeat(a + 1, 2, axis=-1)[..., ::2] for a in m.get_weights()]  # new values: the write shows
        m.set_weights(w)
        assert same(m.get_weights(), w)""", changes=True),
    case("set_weights", "Fortran-ordered", """
        w = [np.asfortranarray(a * 2) for a in m.get_weights()]
        m.set_weights(w)
        assert same(m.get_weights(), w)""", changes=True),
    case("set_weights", "read-only", """
        w = [a * 0.5 for a in m.get_weights()]
        for a in w: a.flags.writeable = False
        m.set_weights(w)
        assert same(m.get_weights(), w)""", changes=True),
    case("set_weights", "zero-stride", """
        w = [np.broadcast_to(np.float32(0.25), a.shape) for a in m.get_weights()]
        m.set_weights(w)
        assert same(m.get_weights(), w)""", changes=True),
)

# layers ------------------------------------------------------------------------------
add(
    case("layers", "wrong rank", "fastmlp.layers.Dense(4)(x[0])", "ValueError"),
    case("layers", "wrong rank", "fastmlp.layers.Dense(4)(x[:, :, None])", "ValueError", "Flatten"),
    case("layers", "wrong feature size", "d = fastmlp.layers.Dense(4); d(x)\nd(x[:, :4])", "ValueError"),
    case("layers", "empty arrays", "fastmlp.layers.Dense(4)(x[:0])", "ValueError", "empty"),
    case("layers", "NaN/inf", """
        d = fastmlp.layers.Dense(4, activation="relu")
        out = d(nan_x)
        assert np.isnan(out[3]).all() and np.isfinite(np.delete(out, 3, 0)).all()"""),
    case("layers", "NaN/inf", "out = fastmlp.layers.Softmax()(nan_x)\nassert np.isnan(out[3]).all()"),
    case("layers", "float16", "d = fastmlp.layers.Dense(4)\nassert np.array_equal(d(x.astype(np.float16)), "
                              "d(x.astype(np.float16).astype(np.float32)))"),
    case("layers", "int", "d = fastmlp.layers.ReLU()\nassert np.array_equal(d(np.arange(-3, 3)[None]), "
                          "[[0, 0, 0, 0, 1, 2]])"),
    case("layers", "bool", "fastmlp.layers.Dense(4)(x > 0)", "TypeError", "must be numeric, got dtype bool"),
    case("layers", "object", "fastmlp.layers.Flatten()(x.astype(object))", "TypeError",
         "layer 'flatten' must be numeric, got dtype object"),
    case("layers", "non-contiguous", "d = fastmlp.layers.Dense(4)\nassert np.array_equal(d(strided), d(x))"),
    case("layers", "Fortran-ordered", "d = fastmlp.layers.Dense(4)\nassert np.array_equal(d(F), d(x))"),
    case("layers", "read-only", "d = fastmlp.layers.Dropout(0.5)\nassert np.array_equal(d(ro), x)"),
    case("layers", "zero-stride", "d = fastmlp.layers.Dense(4)\nassert np.array_equal(d(bcast), "
                                  "d(np.ascontiguousarray(bcast)))"),
    case("layers", "huge sizes", "fastmlp.layers.Dense(2**40)(x)", "MemoryError"),
    case("layers", "huge sizes", "fastmlp.layers.Dense(4)(np.broadcast_to(x[0], (HUGE, 5)))", "MemoryError"),
    case("layers", "bad arguments", "fastmlp.layers.Dense(0)", "ValueError"),
    case("layers", "bad arguments", "fastmlp.layers.Dense(True)", "TypeError",
         "Dense units must be a positive integer, got True"),
    case("layers", "bad arguments", "fastmlp.layers.Dense(2.5)", "TypeError",
         "Dense units must be a positive integer, got 2.5"),
    case("layers", "bad arguments", "fastmlp.layers.Dense(4, activation='swish2')", "ValueError"),
    case("layers", "bad arguments", "fastmlp.layers.Dense(4, input_shape=(0,))", "ValueError"),
    case("layers", "bad arguments", "fastmlp.layers.Dropout(1.0)", "ValueError"),
    case("layers", "bad arguments", "fastmlp.layers.Dropout(float('nan'))", "ValueError"),
    case("layers", "bad arguments", "fastmlp.layers.Dropout(0.5, seed=-1)", "ValueError"),
    case("layers", "bad arguments", "fastmlp.layers.Softmax(axis=0)", "ValueError"),
    case("layers", "bad arguments", "fastmlp.layers.Dense(4, dtype='float16')", "ValueError"),
)

# losses ------------------------------------------------------------------------------
SCCE = "fastmlp.losses.SparseCategoricalCrossentropy(from_logits=True)"
CCE = "fastmlp.losses.CategoricalCrossentropy()"
add(
    case("losses", "wrong rank", f"{SCCE}(y, np.ones((40, 3, 1)))", "ValueError", "y_pred"),
    case("losses", "wrong rank", f"{SCCE}(y[:, None, None], np.ones((40, 3)))", "ValueError"),
    case("losses", "wrong feature size", f"{CCE}(onehot[:, :2], np.ones((40, 3)))", "ValueError"),
    case("losses", "wrong feature size", f"{CCE}(y, np.ones((40, 3)))", "ValueError", "one-hot"),
    case("losses", "mismatched lengths", f"{SCCE}(y[:5], np.ones((40, 3)))", "ValueError", "samples"),
    case("losses", "empty arrays", f"{SCCE}(y[:0], np.ones((0, 3)))", "ValueError"),
    case("losses", "empty arrays", f"{CCE}(np.ones((40, 0)), np.ones((40, 0)))", "ValueError"),
    case("losses", "labels out of range", f"{SCCE}(y + 1, np.ones((40, 3)))", "ValueError", "outside"),
    case("losses", "labels out of range", f"{SCCE}(y - 1, np.ones((40, 3)))", "ValueError", "outside"),
    case("losses", "labels non-integer", f"{SCCE}(y + 0.5, np.ones((40, 3)))", "ValueError", "whole"),
    case("losses", "NaN/inf", f"assert np.isnan({SCCE}(y, np.where(y[:, None] == 0, np.nan, 1.0) * np.ones((40, 3))))"),
    case("losses", "NaN/inf", f"{SCCE}(np.full(40, np.nan), np.ones((40, 3)))", "ValueError"),
    case("losses", "NaN/inf", f"{CCE}(onehot * np.inf, np.ones((40, 3)))", "ValueError", "NaN"),
    case("losses", "NaN/inf", "fastmlp.losses.MeanSquaredError()(np.full(4, np.nan), np.ones(4))", "ValueError"),
    case("losses", "float16", f"assert {SCCE}(y, x[:, :3].astype(np.float16)) == "
                              f"{SCCE}(y, x[:, :3].astype(np.float16).astype(np.float32))"),
    case("losses", "int", f"assert {SCCE}(y.astype(np.uint8), np.eye(3, dtype=np.int64)[y]) == "
                          f"{SCCE}(y, np.eye(3)[y])"),
    case("losses", "bool", f"{SCCE}(y > 0, np.ones((40, 3)))", "TypeError", "labels must have an integer dtype, got bool"),
    case("losses", "bool", f"assert {CCE}(onehot > 0, np.eye(3)[y] + 0.1) == {CCE}(onehot, np.eye(3)[y] + 0.1)"),
    case("losses", "object", f"{SCCE}(y, np.ones((40, 3)).astype(object))", "TypeError",
         "y_pred must hold real numbers, got dtype object"),
    case("losses", "object", f"{SCCE}(y, np.ones((40, 3), complex))", "TypeError",
         "y_pred must hold real numbers, got dtype complex128"),
    case("losses", "object", f"{CCE}(onehot.astype(object), np.ones((40, 3)))", "TypeError",
         "categorical targets must be numeric, got dtype object"),
    case("losses", "non-contiguous", f"assert {SCCE}(np.repeat(y, 2)[::2], strided[:, :3]) == {SCCE}(y, x[:, :3])"),
    case("losses", "Fortran-ordered", f"assert {CCE}(np.asfortranarray(onehot), F[:, :3] ** 2 + 0.1) == "
                                      f"{CCE}(onehot, x[:, :3] ** 2 + 0.1)"),
    case("losses", "read-only", f"assert {SCCE}(ro_y, ro[:, :3]) == {SCCE}(y, x[:, :3])"),
    case("losses", "zero-stride", f"assert {SCCE}(bcast_y, bcast[:, :3]) == "
                                  f"{SCCE}(bcast_y.copy(), np.ascontiguousarray(bcast[:, :3]))"),
    case("losses", "bad arguments", "fastmlp.losses.get('nope')", "ValueError"),
    # sample weights are supported now; their bad input: test_bad_input_losses.py
    case("losses", "bad arguments", f"{SCCE}(y, np.ones((40, 3)), sample_weight=np.ones(39))",
         "ValueError", "sample_weight"),
)

# metrics -----------------------------------------------------------------------------
SCA = "fastmlp.metrics.SparseCategoricalAccuracy()"
CA = "fastmlp.metrics.CategoricalAccuracy()"
add(
    case("metrics", "wrong rank", f"{SCA}.update_state(y, np.ones((40, 3, 2)))", "ValueError"),
    case("metrics", "wrong feature size", f"{CA}.update_state(onehot, np.ones((40, 4)))", "ValueError"),
    case("metrics", "mismatched lengths", f"{SCA}.update_state(y[:3], np.ones((40, 3)))", "ValueError"),
    case("metrics", "empty arrays", f"a = {SCA}; a.update_state(y[:0], np.ones((0, 3)))\nassert a.result() == 0"),
    case("metrics", "empty arrays", f"{CA}.update_state(np.ones((40, 0)), np.ones((40, 0)))", "ValueError"),
    case("metrics", "labels out of range", f"{SCA}.update_state(y + 5, np.ones((40, 3)))", "ValueError", "outside"),
    case("metrics", "labels non-integer", f"{SCA}.update_state(y / 3, np.ones((40, 3)))", "ValueError"),
    case("metrics", "NaN/inf", f"a = {SCA}; a.update_state([0, 1], [[np.nan, 1, 2], [0, 1, np.nan]])\n"
                               "assert a.result() == 0.5"),  # the first NaN is the argmax, as in NumPy
    case("metrics", "NaN/inf", f"{CA}.update_state(onehot * np.nan, np.ones((40, 3)))", "ValueError", "NaN"),
    case("metrics", "float16", f"a = {SCA}; a.update_state(y, np.eye(3, dtype=np.float16)[y])\nassert a.result() == 1"),
    case("metrics", "int", f"a = {CA}; a.update_state(onehot.astype(np.int8), np.eye(3, dtype=np.int64)[y])\n"
                           "assert a.result() == 1"),
    case("metrics", "bool", f"{SCA}.update_state(y > 0, np.ones((40, 3)))", "TypeError",
         "labels must have an integer dtype, got bool"),
    case("metrics", "object", f"{SCA}.update_state(y, np.ones((40, 3)).astype(object))", "TypeError",
         "y_pred must hold real numbers, got dtype object"),
    case("metrics", "object", f"{CA}.update_state(onehot.astype(object), np.ones((40, 3)))", "TypeError",
         "categorical_accuracy targets must be numeric, got dtype object"),
    case("metrics", "non-contiguous", f"a = {SCA}; a.update_state(np.repeat(y, 2)[::2], strided[:, :3])\n"
                                      f"b = {SCA}; b.update_state(y, x[:, :3])\nassert a.result() == b.result()"),
    case("metrics", "Fortran-ordered", f"a = {CA}; a.update_state(np.asfortranarray(onehot), F[:, :3])\n"
                                       f"b = {CA}; b.update_state(onehot, x[:, :3])\nassert a.result() == b.result()"),
    case("metrics", "read-only", f"a = {SCA}; a.update_state(ro_y, ro[:, :3])\n"
                                 f"b = {SCA}; b.update_state(y, x[:, :3])\nassert a.result() == b.result()"),
    case("metrics", "zero-stride", f"a = {SCA}; a.update_state(bcast_y, bcast[:, :3])\nassert a.result() in (0, 1)\n"
                                   f"b = {SCA}; b.update_state(bcast_y.copy(), np.ascontiguousarray(bcast[:, :3]))\n"
                                   "assert a.result() == b.result()"),
    case("metrics", "bad arguments", "fastmlp.metrics.get('nope')", "ValueError"),
)

# optimizers --------------------------------------------------------------------------
O = "fastmlp.optimizers"
add(
    case("optimizers", "NaN/inf", f"{O}.Adam(learning_rate=float('nan'))", "ValueError", "learning_rate"),
    case("optimizers", "NaN/inf", f"{O}.SGD(learning_rate=float('inf'))", "ValueError", "learning_rate"),
    case("optimizers", "NaN/inf", f"{O}.SGD(momentum=float('nan'))", "ValueError", "momentum"),
    case("optimizers", "NaN/inf", "m.optimizer.learning_rate = float('nan')", "ValueError"),
    case("optimizers", "bad arguments", f"{O}.SGD(learning_rate=-0.1)", "ValueError"),
    case("optimizers", "bad arguments", f"{O}.SGD(momentum=1.5)", "ValueError"),
    case("optimizers", "bad arguments", f"{O}.RMSprop(learning_rate='fast')", "TypeError",
         "learning_rate must be a number, got 'fast'"),
    case("optimizers", "object", f"{O}.Adam(learning_rate=None)", "TypeError", "learning_rate must be a number, got None"),
    case("optimizers", "bad arguments", f"{O}.get('nope')", "ValueError"),
    case("optimizers", "bad arguments", f"{O}.get(3)", "TypeError",
         "optimizer must be a name, a class or an instance of fastmlp.optimizers.Optimizer, got 3"),
    case("optimizers", "bad arguments", f"{O}.Adam(clipnorm=1.0)", "ValueError"),
    case("optimizers", "bad arguments", f"{O}.Adam(amsgrad=True)", "ValueError"),
    case("optimizers", "bad arguments", f"{O}.RMSprop(centered=True)", "ValueError"),
    case("optimizers", "bad arguments", f"{O}.SGD(foo=1)", "TypeError", "unexpected argument(s): foo"),
    case("optimizers", "mismatched lengths", """
        opt = build().optimizer
        opt.bind([(store, store.trainable_segments()) for store in m.stores()])
        state = opt.state_arrays(); key = next(iter(state))
        state[key] = state[key][:-1]
        opt.load_state_arrays(state, 3)""", "ValueError", "shape"),
)

# fastmlp.ops -------------------------------------------------------------------------
OPS = "fastmlp.ops"
add(
    case("ops", "wrong rank", f"{OPS}.softmax(np.float32(1))", "ValueError", "dimension"),
    case("ops", "wrong rank", f"{OPS}.dense(x[0], np.ones((5, 2)))", "ValueError", "dimension"),
    case("ops", "wrong rank", f"{OPS}.dense(x[:, :, None], np.ones((5, 2)))", "ValueError", "2-D"),
    case("ops", "wrong rank", f"{OPS}.sparse_softmax_cross_entropy(x[0], [1])", "ValueError"),
    case("ops", "wrong rank", f"{OPS}.softmax(x, axis=2)", "ValueError"),  # numpy's AxisError
    case("ops", "wrong rank", f"r = {OPS}.relu(np.float32(-2))\nassert r.shape == () and r == 0"),
    case("ops", "wrong rank", f"o, k = {OPS}.dropout(np.float32(3), 0.5, 7)\nassert o.shape == k.shape == ()"),
    case("ops", "wrong rank", f"assert {OPS}.tanh(0.5).shape == () and {OPS}.sigmoid(0.0) == 0.5"),
    case("ops", "wrong feature size", f"{OPS}.dense(x, np.ones((4, 2)))", "ValueError", "features"),
    case("ops", "wrong feature size", f"{OPS}.dense(x, np.ones((5, 2)), np.ones(3))", "ValueError", "bias"),
    case("ops", "wrong feature size", f"{OPS}.softmax_cross_entropy(x, onehot)", "ValueError", "shape"),
    case("ops", "mismatched lengths", f"{OPS}.sparse_softmax_cross_entropy(x[:, :3], y[:-1])", "ValueError"),
    case("ops", "mismatched lengths", f"{OPS}.softmax_cross_entropy(x[:-1, :3], onehot)", "ValueError"),
    case("ops", "empty arrays", f"assert {OPS}.softmax(np.ones((0, 3))).shape == (0, 3)"),
    case("ops", "empty arrays", f"assert {OPS}.softmax(np.ones((3, 0))).shape == (3, 0)"),
    case("ops", "empty arrays", f"assert {OPS}.log_softmax(np.ones((2, 0, 4)), axis=1).shape == (2, 0, 4)"),
    case("ops", "empty arrays", f"assert {OPS}.relu(np.ones(0)).shape == (0,)"),
    case("ops", "empty arrays", f"assert {OPS}.dense(np.ones((0, 5)), np.ones((5, 2))).shape == (0, 2)"),
    case("ops", "empty arrays", f"assert ({OPS}.dense(np.ones((2, 0)), np.ones((0, 3)), np.ones(3)) == 1).all()"),
    case("ops", "empty arrays", f"{OPS}.sparse_softmax_cross_entropy(np.ones((0, 3)), [])", "ValueError"),
    case("ops", "empty arrays", f"{OPS}.softmax_cross_entropy(np.ones((4, 0)), np.ones((4, 0)))", "ValueError"),
    case("ops", "empty arrays", f"o, k = {OPS}.dropout(np.ones((0, 4)), 0.5, 1)\nassert o.shape == k.shape == (0, 4)"),
    case("ops", "labels out of range", f"{OPS}.sparse_softmax_cross_entropy(x[:, :3], y + 1)", "ValueError", "outside"),
    case("ops", "labels out of range", f"{OPS}.sparse_softmax_cross_entropy(x[:, :3], -y - 1)", "ValueError", "row 0"),
    case("ops", "labels out of range", f"{OPS}.sparse_softmax_cross_entropy(x[:, :3], y + 2**33)", "ValueError"),
    case("ops", "labels out of range", f"{OPS}.sparse_softmax_cross_entropy(x[:, :3], (y - 3).astype(np.int8))",
         "ValueError"),
    case("ops", "labels non-integer", f"{OPS}.sparse_softmax_cross_entropy(x[:, :3], y + 0.1)", "ValueError"),
    case("ops", "labels non-integer", f"{OPS}.sparse_softmax_cross_entropy(x[:, :3], y.astype(str))", "TypeError",
         "labels must have an integer dtype, got <U"),
    case("ops", "NaN/inf", f"assert np.isnan({OPS}.softmax(nan_x)[3]).all() and "
                           f"np.isfinite(np.delete({OPS}.softmax(nan_x), 3, 0)).all()"),
    case("ops", "NaN/inf", f"assert np.isnan({OPS}.relu(nan_x)[3, 2]) and {OPS}.relu(inf_x)[5, 0] == 0"),
    case("ops", "NaN/inf", f"l, d = {OPS}.sparse_softmax_cross_entropy(nan_x[:, :3], y)\n"
                           "assert np.isnan(l) and np.isnan(d[3]).all()"),
    case("ops", "NaN/inf", f"assert np.isnan({OPS}.dense(nan_x, np.ones((5, 2)))[3]).all()"),
    case("ops", "NaN/inf", f"o, k = {OPS}.dropout(nan_x, 0.5, 3)\nassert np.isnan(o[3, 2])"),
    case("ops", "NaN/inf", f"{OPS}.dropout(x, float('nan'), 0)", "ValueError", "rate"),
    case("ops", "NaN/inf", f"{OPS}.sparse_softmax_cross_entropy(x[:, :3], np.where(y > 0, np.nan, 0))", "ValueError"),
    case("ops", "float16", f"assert np.array_equal({OPS}.softmax(x.astype(np.float16)), "
                           f"{OPS}.softmax(x.astype(np.float16).astype(np.float32)))"),
    case("ops", "int", f"assert np.array_equal({OPS}.relu(np.arange(-2, 3)), [0, 0, 0, 1, 2])"),
    case("ops", "int", f"assert {OPS}.sparse_softmax_cross_entropy(x[:, :3], y.astype(np.uint8))[0] == "
                       f"{OPS}.sparse_softmax_cross_entropy(x[:, :3], y)[0]"),
    case("ops", "bool", f"assert np.array_equal({OPS}.relu(x > 0), (x > 0).astype(np.float32))"),
    case("ops", "bool", f"{OPS}.sparse_softmax_cross_entropy(x[:, :3], y > 0)", "TypeError",
         "labels must have an integer dtype, got bool"),
    case("ops", "object", f"{OPS}.softmax(x.astype(object))", "TypeError", "x must hold real numbers, got dtype object"),
    case("ops", "object", f"{OPS}.relu(None)", "TypeError", "x must hold real numbers, got dtype object"),
    case("ops", "object", f"{OPS}.dense(x, np.ones((5, 2), complex))", "TypeError",
         "kernel must hold real numbers, got dtype complex128"),
    case("ops", "object", f"{OPS}.dropout(x, 0.5, 1.5)", "TypeError", "integer"),
    case("ops", "object", f"{OPS}.sparse_softmax_cross_entropy(x[:, :3], y.astype(object))", "TypeError",
         "labels must have an integer dtype, got object"),
    case("ops", "non-contiguous", f"assert np.array_equal({OPS}.softmax(strided), {OPS}.softmax(x))"),
    case("ops", "non-contiguous", f"assert np.array_equal({OPS}.softmax(x.T, axis=0), {OPS}.softmax(x).T)"),
    case("ops", "non-contiguous", f"assert np.array_equal({OPS}.dense(strided, np.ones((5, 2))[::1, ::1]), "
                                  f"{OPS}.dense(x, np.ones((5, 2))))"),
    case("ops", "non-contiguous", f"assert {OPS}.sparse_softmax_cross_entropy(strided[:, :3], np.repeat(y, 2)[::2])[0]"
                                  f" == {OPS}.sparse_softmax_cross_entropy(x[:, :3], y)[0]"),
    case("ops", "Fortran-ordered", f"assert np.array_equal({OPS}.log_softmax(F), {OPS}.log_softmax(x))"),
    case("ops", "Fortran-ordered", f"k = np.asfortranarray(x[:, :2].T @ x[:, :2])\n"
                                   f"assert np.allclose({OPS}.dense(F[:, :2], k, activation='relu'), "
                                   f"{OPS}.dense(x[:, :2], np.ascontiguousarray(k), activation='relu'))"),
    case("ops", "read-only", f"assert np.array_equal({OPS}.relu(ro), {OPS}.relu(x))"),
    case("ops", "read-only", f"o, k = {OPS}.dropout(ro, 0.5, 9)\nassert o.flags.writeable and np.array_equal(ro, x)"),
    case("ops", "read-only", f"assert {OPS}.softmax_cross_entropy(ro[:, :3], onehot)[0] == "
                             f"{OPS}.softmax_cross_entropy(x[:, :3], onehot)[0]"),
    case("ops", "zero-stride", f"assert np.array_equal({OPS}.softmax(bcast), {OPS}.softmax(np.ascontiguousarray(bcast)))"),
    case("ops", "zero-stride", f"assert np.array_equal({OPS}.dense(bcast, np.broadcast_to(np.float32(1), (5, 2)), "
                               f"np.broadcast_to(np.float32(2), (2,))), {OPS}.dense(bcast.copy(), np.ones((5, 2)), "
                               "np.full(2, 2.0)))"),
    case("ops", "zero-stride", f"assert {OPS}.sparse_softmax_cross_entropy(bcast[:, :3], bcast_y)[0] == "
                               f"{OPS}.sparse_softmax_cross_entropy(bcast[:, :3].copy(), bcast_y.copy())[0]"),
    case("ops", "huge sizes", f"{OPS}.relu(np.broadcast_to(np.float32(1), (HUGE, HUGE)))", "MemoryError|ValueError"),
    case("ops", "huge sizes", f"{OPS}.softmax(np.broadcast_to(np.float32(1), (2**62, 4)))", "MemoryError|ValueError"),
    case("ops", "huge sizes", f"{OPS}.dense(np.ones((2, 3)), np.broadcast_to(np.float32(1), (3, HUGE)))",
         "MemoryError"),
    case("ops", "huge sizes", f"{OPS}.dropout(x, 0.5, 2**64)", "ValueError", "seed"),
    case("ops", "huge sizes", f"{OPS}.dropout(x, 0.5, 0, step=-1)", "ValueError", "step"),
    case("ops", "huge sizes", f"o, k = {OPS}.dropout(x, 0.5, 2**64 - 1, 2**64 - 1)\n"
                              "assert set(np.unique(k)) <= {0, 1}"),
    case("ops", "huge sizes", "from fastmlp.backend.checks import check_labels\ncheck_labels(y, 2**31 + 1)",
         "ValueError", "num_classes"),
    case("ops", "bad arguments", f"{OPS}.dense(x, np.ones((5, 2)), activation='tanh')", "ValueError"),
    case("ops", "bad arguments", f"{OPS}.dropout(x, 1.0, 0)", "ValueError"),
)

# the compiled kernels under fastmlp.ops (cython backend): bad buffers ------------------
K = "from fastmlp.backend import _kernels as K\n"
f32 = "np.zeros((4, 3), np.float32)"
add(
    case("kernels", "wrong rank", K + f"K.softmax(np.zeros(12, np.float32), np.zeros(12, np.float32))",
         "ValueError", "2-D", backends=("cython",)),
    case("kernels", "wrong feature size", K + f"K.softmax({f32}, np.zeros((4, 2), np.float32))", "ValueError",
         "shape", backends=("cython",)),
    case("kernels", "wrong feature size", K + f"K.bias_act({f32}, np.zeros(4, np.float32), True)", "ValueError",
         backends=("cython",)),
    case("kernels", "wrong feature size", K + f"K.dense_grad({f32}, None, np.zeros(2, np.float32), False)",
         "ValueError", backends=("cython",)),
    case("kernels", "mismatched lengths", K + f"K.softmax_xent_sparse({f32}, np.zeros(3, np.int32), None)",
         "ValueError", backends=("cython",)),
    case("kernels", "mismatched lengths", K + "K.adam_update(np.zeros(5, np.float32), np.zeros(5, np.float32), "
         "np.zeros(4, np.float32), np.zeros(5, np.float32), 0.1, 0.1, 0.1, 1e-7, 0.0)", "ValueError",
         backends=("cython",)),
    case("kernels", "mismatched lengths", K + "K.dropout_apply(np.zeros(8, np.float32), np.zeros(7, np.uint8), "
         "1.0, np.zeros(8, np.float32))", "ValueError", backends=("cython",)),
    case("kernels", "empty arrays", K + f"K.softmax(np.zeros((4, 0), np.float32), np.zeros((4, 0), np.float32))",
         "ValueError", "column", backends=("cython",)),
    case("kernels", "empty arrays", K + "K.count_correct_dense(np.zeros((4, 0), np.float32), "
         "np.zeros((4, 0), np.float32))", "ValueError", backends=("cython",)),
    case("kernels", "empty arrays", K + "assert K.count_correct_sparse(np.zeros((0, 3), np.float32), "
         "np.zeros(0, np.int32)) == 0", backends=("cython",)),
    case("kernels", "labels out of range", K + f"K.softmax_xent_sparse({f32}, np.array([0, 1, 2, 3], np.int32), "
         f"{f32})", "ValueError", "row 3", backends=("cython",)),
    case("kernels", "labels out of range", K + f"K.count_correct_sparse({f32}, np.array([0, -2**31, 2, 1], "
         "np.int32))", "ValueError", "row 1", backends=("cython",)),
    case("kernels", "labels non-integer", K + f"K.softmax_xent_sparse({f32}, np.zeros(4, np.int64), None)",
         "TypeError", "int32", backends=("cython",)),
    case("kernels", "NaN/inf", K + "o = np.empty((1, 3), np.float32)\nK.softmax(np.array([[np.nan, 0, np.inf]], "
         "np.float32), o)\nassert np.isnan(o).all()", backends=("cython",)),
    case("kernels", "float16", K + "K.relu_forward(np.zeros(3, np.float16), np.zeros(3, np.float32))",
         "TypeError", "dtype", backends=("cython",)),
    case("kernels", "int", K + "K.relu_forward(np.zeros(3, np.float32), np.zeros(3, np.int32))", "TypeError",
         "out must have dtype float32, got int32", backends=("cython",)),
    case("kernels", "bool", K + "K.dropout_mask(0, 0, 0, 0, 1, np.zeros(3, bool))", "TypeError",
         "mask must have dtype uint8, got bool", backends=("cython",)),
    case("kernels", "object", K + "K.relu_forward([1.0, 2.0], np.zeros(2, np.float32))", "TypeError",
         "ndarray", backends=("cython",)),
    case("kernels", "object", K + "K.softmax_xent_dense(None, None, None)", "TypeError",
         "logits must be a numpy.ndarray, got NoneType", backends=("cython",)),
    case("kernels", "non-contiguous", K + "a = np.zeros((4, 6), np.float32)\nK.softmax(a[:, ::2], "
         "np.zeros((4, 3), np.float32))", "ValueError", "C-contiguous", backends=("cython",)),
    case("kernels", "non-contiguous", K + "K.sgd_update(np.zeros(10, np.float32)[::2], np.zeros(5, np.float32), "
         "None, 0.1, 0.0, False)", "ValueError", "C-contiguous", backends=("cython",)),
    case("kernels", "non-contiguous", K + "raw = np.zeros(4 * 3 + 1, np.float32).view(np.uint8)[2:50]"
         ".view(np.float32).reshape(4, 3)\nK.relu_forward(raw, np.zeros((4, 3), np.float32))", "ValueError",
         "aligned", backends=("cython",)),
    case("kernels", "Fortran-ordered", K + "K.bias_act(np.zeros((4, 3), np.float32, order='F'), None, True)",
         "ValueError", "C-contiguous", backends=("cython",)),
    case("kernels", "read-only", K + f"o = {f32}; o.flags.writeable = False\nK.softmax({f32}, o)",
         "ValueError", "writable", backends=("cython",)),
    case("kernels", "read-only", K + "p = np.zeros(5, np.float32); p.flags.writeable = False\n"
         "K.rmsprop_update(p, np.zeros(5, np.float32), np.zeros(5, np.float32), None, 0.1, 0.9, 0.1, 0.0, 1e-7)",
         "ValueError", "writable", backends=("cython",)),
    case("kernels", "zero-stride", K + "K.dropout_forward(np.broadcast_to(np.float32(1), (8,)), 0, 0, 0, 0, 5, "
         "2.0, np.zeros(8, np.uint8), np.zeros(8, np.float32))", "ValueError", backends=("cython",)),
    case("kernels", "zero-stride", K + "K.dense_grad(np.zeros((3, 2), np.float32), None, "
         "np.broadcast_to(np.float32(0), (2,)), False)", "ValueError", backends=("cython",)),
    case("kernels", "huge sizes", K + "K.dropout_mask(2**32, 0, 0, 0, 1, np.zeros(3, np.uint8))", "OverflowError",
         backends=("cython",)),
    case("kernels", "huge sizes", K + "K.philox_block([0] * 4, [0] * 3)", "ValueError", backends=("cython",)),
)

# data loaders ------------------------------------------------------------------------
IDX = "from fastmlp.datasets import read_idx\np = os.path.join(tmp, 'f.idx')\n"
add(
    case("loaders", "empty arrays", IDX + "open(p, 'wb').close()\nread_idx(p)", "ValueError", "truncated"),
    case("loaders", "wrong rank", IDX + "open(p, 'wb').write(b'\\0\\0\\x08\\x01\\0\\0\\0\\x02ab')\n"
         "read_idx(p, ndim=3)", "ValueError", "magic"),
    case("loaders", "mismatched lengths", IDX + "open(p, 'wb').write(b'\\0\\0\\x08\\x01\\0\\0\\0\\x05ab')\n"
         "read_idx(p)", "ValueError", "truncated"),
    case("loaders", "mismatched lengths", IDX + "open(p, 'wb').write(b'\\0\\0\\x08\\x01\\0\\0\\0\\x01abc')\n"
         "read_idx(p)", "ValueError", "trailing"),
    case("loaders", "huge sizes", IDX + "open(p, 'wb').write(b'\\0\\0\\x08\\x03' + b'\\xff' * 12 + b'x' * 9)\n"
         "read_idx(p)", "ValueError", "truncated"),
    case("loaders", "object", IDX + "open(p, 'wb').write(b'\\0\\0\\x0d\\x01\\0\\0\\0\\x01abcd')\nread_idx(p)",
         "ValueError", "element type"),
    case("loaders", "object", IDX + "open(p, 'wb').write(b'\\x1f\\x8b garbage')\nread_idx(p)", "ValueError", "gzip"),
    case("loaders", "object", IDX + "import gzip\nopen(p, 'wb').write(gzip.compress(b'\\0\\0\\x08\\x01\\0\\0\\0\\x05abcde')[:-6])\n"
         "read_idx(p)", "ValueError", "truncated"),
    case("loaders", "object", """
        p = os.path.join(tmp, 'mnist.npz')
        marker = os.path.join(tmp, 'pwned')
        class Evil:
            def __reduce__(self):
                return (open, (marker, 'w'))
        arr = np.empty(1, dtype=object); arr[0] = Evil()
        np.savez(p, x_train=arr, y_train=arr, x_test=arr, y_test=arr)
        try:
            fastmlp.datasets.mnist.load_data(path=p, download=False)
        finally:
            assert not os.path.exists(marker)""", "ValueError", "allow_pickle"),
    case("loaders", "bad arguments", "fastmlp.datasets.mnist.load_data(path=os.path.join(tmp, 'no', 'such'), "
         "download=False)", "FileNotFoundError"),
    case("loaders", "bad arguments", "p = os.path.join(tmp, 'x.txt'); open(p, 'w').write('hi')\n"
         "fastmlp.datasets.fashion_mnist.load_data(path=p, download=False)", "FileNotFoundError"),
)

# utils -------------------------------------------------------------------------------
TC = "fastmlp.utils.to_categorical"
add(
    case("utils", "labels out of range", f"{TC}([0, 3], num_classes=3)", "ValueError", "outside"),
    case("utils", "labels out of range", f"{TC}([0, -1])", "ValueError", "negative"),
    case("utils", "labels non-integer", f"{TC}([0.5])", "ValueError"),
    case("utils", "NaN/inf", f"{TC}([np.nan])", "ValueError"),
    case("utils", "object", f"{TC}(np.array([1], object))", "TypeError",
         "to_categorical needs integer class labels, got dtype object"),
    case("utils", "bool", f"assert np.array_equal({TC}([True, False]), [[0, 1], [1, 0]])"),
    case("utils", "empty arrays", f"assert {TC}([], num_classes=3).shape == (0, 3)"),
    case("utils", "huge sizes", f"{TC}([2**40])", "MemoryError"),
    case("utils", "bad arguments", "fastmlp.utils.set_random_seed(-1)", "ValueError"),
    case("utils", "bad arguments", "fastmlp.utils.set_random_seed(1.5)", "TypeError", "seed must be an integer, got float"),
)

# load_model --------------------------------------------------------------------------
add(
    case("load_model", "empty arrays", "p = os.path.join(tmp, 'e.fastmlp'); open(p, 'wb').close()\n"
         "fastmlp.models.load_model(p)", "ValueError", "not a fastmlp model"),
    case("load_model", "object", "fastmlp.models.load_model(tmp)", "ValueError"),
    case("load_model", "bad arguments", "fastmlp.models.load_model(os.path.join(tmp, 'missing'))",
         "FileNotFoundError"),
    case("load_model", "wrong feature size", "other.load_weights(p)", "ValueError", "shape", mutates=["other"],
         setup="""
        p = os.path.join(tmp, 'm.fastmlp'); m.save(p)
        other = fastmlp.Sequential([fastmlp.layers.Dense(8, activation='relu', input_shape=(6,)),
                                    fastmlp.layers.Dropout(0.25), fastmlp.layers.Dense(3)])"""),
)

# the fastmlp-train command line -------------------------------------------------------
TRAIN = "from fastmlp.train import main\n"
# Bad arguments (exit 2, one line): tests/train/test_train.py::test_bad_arguments_exit_2_with_one_line.
add(
    case("CLI", "huge sizes", TRAIN + "assert main(['--dataset', 'mnist-sample', '--hidden', str(2**40), "
         "'--out', tmp, '--quiet']) == 1\nassert not os.path.exists(os.path.join(tmp, 'model.fastmlp'))"),
    case("CLI", "bad arguments", TRAIN + "p = os.path.join(tmp, 'file'); open(p, 'w').close()\n"
         "assert main(['--dataset', 'mnist-sample', '--out', p, '--quiet']) == 1"),
)


def case_ids(cases):
    """A readable test id per case: entry point, index, kind."""
    return [f"{c.entry}-{i}-{c.kind.replace(' ', '_').replace('/', '_')}" for i, c in enumerate(cases)]


def case_params(cases, ids):
    """``(backend, case)`` pytest parameters, one per case and backend it runs on
    (the other bad-input files parametrize with them too)."""
    return [pytest.param(backend, c, id=f"{backend}-{cid}")
            for cid, c in zip(ids, cases) for backend in c.backends]


IDS = case_ids(CASES)
_results = {}


def _group_results(backend, entry, cases=None, ids=None):
    """Run every case of ``entry`` (from ``cases``, default this file's) on
    ``backend`` in one child; cache the result."""
    cases, ids = (CASES, IDS) if cases is None else (cases, ids)
    key = (backend, entry, id(cases))
    if key not in _results:
        items = [{"id": cid, "code": c.code, "setup": c.setup, "mutates": list(c.mutates)}
                 for cid, c in zip(ids, cases)
                 if c.entry == entry and backend in c.backends]
        spec = json.dumps({"backend": backend, "prelude": PRELUDE, "cases": items})
        env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""),
                   FASTMLP_OFFLINE="1", MPLBACKEND="Agg")
        env.pop("FASTMLP_BACKEND", None)
        proc = subprocess.run([sys.executable, "-c", RUNNER], input=spec, cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=600)
        found = {}
        for line in proc.stdout.splitlines():
            if line.startswith("@@CASE "):
                result = json.loads(line[len("@@CASE "):])
                found[result["id"]] = result
        _results[key] = (proc, found)
    return _results[key]


@pytest.mark.parametrize("backend,c", case_params(CASES, IDS))
def test_bad_input(backend, c):
    check_case(backend, c, CASES, IDS)


def check_case(backend, c, cases, ids):
    """Run ``c`` (one of ``cases``, named by ``ids``) with its entry point's group
    in a child and check the outcome: the documented error (or none), the
    message, and the model unchanged. Other bad-input files reuse it."""
    if backend == "cython":
        from compiled_extension import compiled_ops  # tests/ (here lazily: this file also runs as a script)
        compiled_ops()  # skipped where not built, failed under FASTMLP_REQUIRE_COMPILED=1
    proc, found = _group_results(backend, c.entry, cases, ids)
    cid = ids[cases.index(c)]
    assert proc.returncode >= 0, (
        f"the child running the {c.entry!r} cases was killed by signal {-proc.returncode} "
        f"(a crash); stderr:\n{proc.stderr[-4000:]}")
    assert cid in found, (f"the child stopped before this case (returncode {proc.returncode}); "
                          f"stderr:\n{proc.stderr[-4000:]}")
    result = found[cid]
    where = f"\n--- case ---\n{c.code}\n--- raised ---\n{result.get('tb', 'nothing')}"
    if c.error is None:
        assert result["exc"] is None, f"expected the documented result, got {result['exc']}: {result['msg']}{where}"
        if c.changes:
            assert not result["unchanged"], f"a call documented to change the model left it as it was{where}"
        else:
            assert result["unchanged"], f"a call documented to leave the model unchanged changed it{where}"
        return
    assert set(c.error.split("|")) & set(result["mro"]), f"expected {c.error}, got {result['exc']}: {result['msg']}{where}"
    if c.match:
        assert c.match in result["msg"], f"message lacks {c.match!r}: {result['msg']}"
    assert result["unchanged"], f"a rejected call changed the model's weights or optimizer state{where}"


# ------------------------------------------------------------- crash-prone extremes
def test_a_crash_in_a_child_fails_the_case_not_the_suite():
    """The isolation itself: a segfault in the child is a negative return code."""
    proc = run_snippet("import ctypes; ctypes.string_at(0)")
    assert proc.returncode < 0


def test_huge_zero_stride_inputs_with_small_targets_fail_fast():
    """A zero-stride x claiming 2**40 samples with 40 labels is a length
    mismatch: it must be reported at once, without a pass over 2**40 rows."""
    code = PRELUDE + "\nimport time\nt = time.time()\ntry:\n    m.fit(np.broadcast_to(x[0], (HUGE, 5)), y, verbose=0)\n" \
        "finally:\n    print('seconds', time.time() - t)"
    try:
        assert_raises_in_child(code, "ValueError", timeout=10)
    except subprocess.TimeoutExpired:
        pytest.fail("fit spent more than 10 s on a 2**40-row zero-stride x before noticing 40 labels")


def test_fit_without_targets_and_validation_split_is_a_clear_error():
    code = PRELUDE + "\nm.fit(x, None, validation_split=0.2, verbose=0)"
    proc = assert_raises_in_child(code, "Error")
    assert "ValueError: fit needs targets y" in proc.stderr, proc.stderr[-500:]


@pytest.mark.parametrize("make", [
    "Adam(beta_1=float('nan'))", "Adam(beta_1=1.0)", "Adam(beta_2=-0.5)", "Adam(epsilon=-1.0)",
    "RMSprop(rho=float('nan'))", "AdamW(weight_decay=float('nan'))"])
def test_optimizer_rejects_bad_hyperparameters(make):
    import fastmlp
    with pytest.raises(ValueError):
        eval(f"fastmlp.optimizers.{make}")


# ---------------------------------------------------------------------- inventory
REQUIRED = {"wrong rank", "wrong feature size", "mismatched lengths", "empty arrays", "NaN/inf",
            "float16", "int", "bool", "object", "non-contiguous", "Fortran-ordered", "read-only",
            "zero-stride"}
ARRAY_ENTRIES = ("fit", "train_on_batch", "test_on_batch", "evaluate", "predict", "predict_on_batch",
                 "__call__", "set_weights", "layers", "losses", "metrics", "ops", "kernels")


def inventory():
    """{entry point: Counter(kind -> cases)}."""
    table = {}
    for c in CASES:
        table.setdefault(c.entry, Counter())[c.kind] += 1
    return table


def test_every_array_entry_point_covers_every_class_of_bad_input():
    table = inventory()
    missing = {entry: sorted(REQUIRED - set(table[entry])) for entry in ARRAY_ENTRIES}
    # single-array entry points have no second array to mismatch
    for entry in ("predict", "predict_on_batch", "__call__", "layers"):
        missing[entry] = [k for k in missing[entry] if k != "mismatched lengths"]
    assert not {e: m for e, m in missing.items() if m}
    for entry in ("fit", "train_on_batch", "losses", "metrics", "ops", "kernels"):
        assert {"labels out of range", "labels non-integer"} <= set(table[entry]), entry


def test_every_type_error_case_names_the_message():
    """A bare TypeError can come from anywhere (NumPy, a wrong call, a typo in
    the check itself): each TypeError case names the library's own wording."""
    import test_bad_input_layers, test_bad_input_losses, test_bad_input_metrics, test_bad_input_training
    bare = [c.code for module in (sys.modules[__name__], test_bad_input_layers, test_bad_input_losses,
                                  test_bad_input_metrics, test_bad_input_training)
            for c in module.CASES if c.error and "TypeError" in c.error.split("|") and not c.match]
    assert not bare, bare


def summary():
    table = inventory()
    lines = [f"{'entry point':18s} {'cases':>5s}  classes"]
    for entry, counts in table.items():
        lines.append(f"{entry:18s} {sum(counts.values()):5d}  {len(counts)}")
    lines.append(f"{'total':18s} {len(CASES):5d}  (x2 backends, kernels cython only: "
                 f"{sum(len(c.backends) for c in CASES)} runs)")
    return "\n".join(lines)


if __name__ == "__main__":
    print(summary())
