"""fastmlp.wrappers: Keras 3's scikit-learn estimators around fastmlp models.

scikit-learn's own estimator checks run on the three wrappers with the
expected failures Keras 3.15's keras/src/wrappers/sklearn_test.py lists; then
clone, pickle, Pipeline, GridSearchCV, cross_val_score and joblib workers.
"""

import copy
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.datasets import make_classification, make_regression  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

import fastmlp  # noqa: E402
from fastmlp.wrappers import SKLearnClassifier, SKLearnRegressor, SKLearnTransformer  # noqa: E402

QUIET = {"verbose": 0}


def dynamic_model(X, y, loss, out_activation_function="softmax", layers=(10,), optimizer="rmsprop"):
    """Keras's test builder: an MLP sized from X and the encoded y."""
    model = fastmlp.Sequential([fastmlp.Input((X.shape[1],))])
    for units in layers:
        model.add(fastmlp.layers.Dense(units, activation="relu"))
    model.add(fastmlp.layers.Dense(y.shape[1], activation=out_activation_function))
    model.compile(loss=loss, optimizer=optimizer)
    return model


# The expected failures of Keras 3.15's keras/src/wrappers/sklearn_test.py, with its reasons.
EXPECTED_FAILED_CHECKS = {
    "SKLearnClassifier": {
        "check_classifiers_regression_target": "not an issue in sklearn>=1.6",
        "check_parameters_default_constructible": "not an issue in sklearn>=1.6",
        "check_classifiers_one_label_sample_weights": "0 sample weight is not ignored",
        "check_classifiers_classes": "with small test cases the estimator returns not all classes sometimes",
        "check_classifier_data_not_an_array": "This test assumes reproducibility in fit.",
        "check_supervised_y_2d": "This test assumes reproducibility in fit.",
        "check_fit_idempotent": "This test assumes reproducibility in fit.",
        "check_classifiers_train": "decision_function can return both probabilities and logits",
    },
    "SKLearnRegressor": {
        "check_parameters_default_constructible": "not an issue in sklearn>=1.6",
    },
    "SKLearnTransformer": {
        "check_parameters_default_constructible": "not an issue in sklearn>=1.6",
    },
}


# With a linear output the regressor and transformer really fit, and fail the checks that
# assume a reproducible fit, as the classifier does. Measured with Keras 3.15 (torch backend):
# check_estimator on its wrappers with out_activation_function=None fails exactly these.
LINEAR_OUTPUT_FAILED_CHECKS = {
    "SKLearnRegressor": dict.fromkeys(["check_fit_idempotent", "check_regressor_data_not_an_array",
                                       "check_regressors_int", "check_supervised_y_2d"],
                                      "This test assumes reproducibility in fit."),
    "SKLearnTransformer": {"check_fit_idempotent": "This test assumes reproducibility in fit."},
}


def expected_failed_checks(estimator):
    name = type(estimator).__name__
    failed = dict(EXPECTED_FAILED_CHECKS[name])
    if "out_activation_function" in (estimator.model_kwargs or {}):
        failed.update(LINEAR_OUTPUT_FAILED_CHECKS[name])
    return failed


# Keras's own estimators, as its test builds them: the regressor's and transformer's
# output is a one-unit softmax (the builder's default), a constant 1.0, which is why they pass
# the reproducibility checks. With these, fastmlp's check results equal Keras 3.15's on
# scikit-learn 1.9.1 (check_estimator(..., on_fail=None) in both: 44, 47 and 39 passed).
KERAS_TEST_ESTIMATORS = [
    SKLearnClassifier(model=dynamic_model,
                      model_kwargs={"loss": "categorical_crossentropy", "layers": [20, 20, 20]},
                      fit_kwargs={"epochs": 5, **QUIET}),
    SKLearnRegressor(model=dynamic_model, model_kwargs={"loss": "mse"}, fit_kwargs=QUIET),
    SKLearnTransformer(model=dynamic_model, model_kwargs={"loss": "mse"}, fit_kwargs=QUIET),
]
LINEAR_OUTPUT_ESTIMATORS = [
    SKLearnRegressor(model=dynamic_model, model_kwargs={"loss": "mse", "out_activation_function": None},
                     fit_kwargs=QUIET),
    SKLearnTransformer(model=dynamic_model, model_kwargs={"loss": "mse", "out_activation_function": None},
                       fit_kwargs=QUIET),
]


@parametrize_with_checks(KERAS_TEST_ESTIMATORS + LINEAR_OUTPUT_ESTIMATORS,
                         expected_failed_checks=expected_failed_checks)
def test_sklearn_estimator_checks(estimator, check, monkeypatch):
    # check_array_api_input (NumPy inputs with array_api_dispatch on: the same attributes
    # and outputs) skips unless SCIPY_ARRAY_API is set. scikit-learn reads the variable when
    # the check enables dispatch, not at import, so setting it for the check is enough (SciPy
    # reads it at import, which matters only for non-NumPy arrays: the wrappers declare no
    # array API support, as Keras 3.15's do, so the check passes NumPy arrays alone).
    monkeypatch.setenv("SCIPY_ARRAY_API", "1")
    if _check_name(check) in NEEDS_REPRODUCIBLE_FIT:
        # scikit-learn skips these for a non_deterministic estimator (the tag Keras's wrappers
        # carry too): they run here on the same estimator with a seeded fit (see below)
        estimator = SEEDED[type(estimator)](**estimator.get_params())
    check(estimator)


def _check_name(check):
    while hasattr(check, "func"):  # functools.partial, possibly nested
        check = check.func
    return check.__name__


#: the checks scikit-learn skips for estimators tagged non_deterministic
NEEDS_REPRODUCIBLE_FIT = {"check_pipeline_consistency", "check_transformer_general",
                          "check_transformer_data_not_an_array"}


# ------------------------------------------------ reproducible with a seed
# scikit-learn skips the checks that need a reproducible fit for estimators tagged
# non_deterministic (NEEDS_REPRODUCIBLE_FIT: test_sklearn_estimator_checks runs them on the
# seeded twins below), and Keras's list expects the others to fail ("This test assumes
# reproducibility in fit"). The tag stays, as on Keras 3.15's wrappers
# (keras.wrappers.SKLearnClassifier().__sklearn_tags__().non_deterministic is True there):
# an unseeded fit draws new initial weights, shuffles and dropout masks. Given a seed the
# wrappers are reproducible, so the expected failures must pass on wrappers whose fit starts
# with fastmlp.utils.set_random_seed(0), tagged deterministic.
class _SeededFit:
    def fit(self, X, y, **kwargs):
        fastmlp.utils.set_random_seed(0)
        return super().fit(X, y, **kwargs)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False
        return tags


class SeededClassifier(_SeededFit, SKLearnClassifier):
    pass


class SeededRegressor(_SeededFit, SKLearnRegressor):
    pass


class SeededTransformer(_SeededFit, SKLearnTransformer):
    pass


SEEDED = {SKLearnClassifier: SeededClassifier, SKLearnRegressor: SeededRegressor,
          SKLearnTransformer: SeededTransformer}


def _reproducibility_cases():
    from sklearn.utils import estimator_checks as ec
    linear = {"loss": "mse", "out_activation_function": None}  # outputs that depend on the fit
    cases = {
        SeededClassifier(model=dynamic_model, model_kwargs={"loss": "categorical_crossentropy",
                                                            "layers": [20, 20, 20]},
                         fit_kwargs={"epochs": 5, **QUIET}):
            ["check_classifier_data_not_an_array", "check_supervised_y_2d", "check_fit_idempotent"],
        SeededRegressor(model=dynamic_model, model_kwargs=linear, fit_kwargs=QUIET):
            ["check_regressor_data_not_an_array", "check_supervised_y_2d", "check_regressors_int",
             "check_fit_idempotent"],
        SeededTransformer(model=dynamic_model, model_kwargs=linear, fit_kwargs=QUIET):
            ["check_fit_idempotent"],
    }
    return [pytest.param(estimator, getattr(ec, name), id=f"{type(estimator).__name__}-{name}")
            for estimator, names in cases.items() for name in names]


@pytest.mark.parametrize("estimator,check", _reproducibility_cases())
def test_a_seeded_fit_passes_the_checks_that_need_reproducibility(estimator, check):
    check(type(estimator).__name__, clone(estimator))


@pytest.mark.parametrize("make", [SKLearnClassifier, SKLearnRegressor, SKLearnTransformer])
def test_the_same_seed_fits_the_same_model_bit_for_bit(make):
    X, y = classification(n=120)
    kwargs = {"loss": "categorical_crossentropy"} if make is SKLearnClassifier else \
        {"loss": "mse", "output_activation": None}
    runs = []
    for seed in (3, 3, 4):
        fastmlp.utils.set_random_seed(seed)
        est = make(mlp_builder, model_kwargs=kwargs, fit_kwargs={"epochs": 3, "batch_size": 16, **QUIET})
        est.fit(X, y)
        runs.append((est.model_.get_weights(), est.history_))
    (w1, h1), (w2, h2), (w3, _) = runs
    for a, b in zip(w1, w2):
        np.testing.assert_array_equal(a, b)
    assert h1 == h2
    assert not np.array_equal(w1[0], w3[0])  # the seed is what makes it reproducible


# ---------------------------------------------------------------- helpers
def mlp_builder(X, y, hidden=16, output_activation="softmax", loss="categorical_crossentropy"):
    """A one-hidden-layer MLP sized from X and the encoded y, named after the
    process that built it (the joblib test reads it back)."""
    model = fastmlp.Sequential([fastmlp.Input((X.shape[1],)),
                                fastmlp.layers.Dense(hidden, activation="relu"),
                                fastmlp.layers.Dense(y.shape[1], activation=output_activation)],
                               name=f"built_in_{os.getpid()}")
    model.compile(loss=loss, optimizer=fastmlp.optimizers.Adam(0.01))
    return model


def classification(n=240, classes=3, seed=0):
    X, y = make_classification(n_samples=n, n_features=8, n_informative=5, n_redundant=0,
                               n_classes=classes, class_sep=2.0, random_state=seed)
    return X, y


def classifier(**fit):
    return SKLearnClassifier(mlp_builder, fit_kwargs={"epochs": 30, "batch_size": 16, **QUIET, **fit})


def regressor(**fit):
    return SKLearnRegressor(mlp_builder, model_kwargs={"hidden": 32, "output_activation": None, "loss": "mse"},
                            fit_kwargs={"epochs": 60, "batch_size": 16, **QUIET, **fit})


def compiled_template(features=8, classes=3):
    model = fastmlp.Sequential([fastmlp.Input((features,)), fastmlp.layers.Dense(16, activation="relu"),
                                fastmlp.layers.Dense(classes, activation="softmax")])
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


# ------------------------------------------------------------ behaviour
def test_classifier_learns_string_labels_and_encodes_them_one_hot():
    X, y = classification()
    labels = np.array(["cat", "dog", "eel"])[y]
    seen = {}

    def builder(X, y):
        seen["X"], seen["y"] = X, y
        return mlp_builder(X, y)

    clf = SKLearnClassifier(builder, fit_kwargs={"epochs": 30, "batch_size": 16, **QUIET}).fit(X, labels)
    # As Keras's wrapper: the builder sees the validated X and the one-hot y over the sorted labels.
    assert seen["X"].dtype == np.float32 and seen["X"].shape == X.shape
    np.testing.assert_array_equal(seen["y"], np.eye(3, dtype=np.float32)[y])
    np.testing.assert_array_equal(clf.classes_, ["cat", "dog", "eel"])
    pred = clf.predict(X)
    assert pred.shape == (len(X),) and set(pred) <= {"cat", "dog", "eel"}
    assert clf.score(X, labels) > 0.85
    scores = clf.decision_function(X)
    assert scores.shape == (len(X), 3)
    np.testing.assert_array_equal(clf.classes_[scores.argmax(axis=1)], pred)
    assert clf.epoch_ == 30 and len(clf.history_["loss"]) == 30
    assert clf.history_["loss"][-1] < clf.history_["loss"][0]


@pytest.mark.parametrize("out_activation", ["softmax", None])
def test_decision_function_argmax_is_predict_for_binary_labels(out_activation):
    # Keras's test_sklearn_estimator_decision_function: binary labels give two output columns.
    X, y = make_classification(n_samples=10, n_features=10, n_informative=4, n_classes=2, random_state=42)
    clf = SKLearnClassifier(dynamic_model, model_kwargs={"out_activation_function": out_activation,
                                                         "loss": "binary_crossentropy"},
                            fit_kwargs={"epochs": 1, **QUIET}).fit(X, y)
    assert clf.decision_function(X).shape == (10, 2)
    np.testing.assert_array_equal(clf.decision_function(X).argmax(axis=-1), clf.predict(X))


def test_regressor_fits_a_linear_target_and_predicts_one_column_as_1d():
    X, y = make_regression(n_samples=200, n_features=5, noise=1.0, random_state=0)
    y = y / y.std()
    reg = regressor().fit(X, y)
    pred = reg.predict(X)
    assert pred.shape == (200,) and pred.dtype == np.float32
    assert reg.score(X, y) > 0.9
    assert reg.n_features_in_ == 5


def test_transformer_outputs_the_model_output_for_a_pipeline():
    X, y = classification()
    embed = SKLearnTransformer(mlp_builder, model_kwargs={"hidden": 8, "output_activation": None, "loss": "mse"},
                               fit_kwargs={"epochs": 5, **QUIET})
    out = embed.fit(X, y).transform(X)
    assert out.shape == (len(X), 1) and out.dtype == np.float32
    np.testing.assert_allclose(out, embed.model_.predict(X.astype(np.float32), verbose=0), rtol=1e-6)
    pipe = make_pipeline(SKLearnTransformer(mlp_builder, model_kwargs={"hidden": 8, "output_activation": None,
                                                                       "loss": "mse"},
                                            fit_kwargs={"epochs": 20, **QUIET}),
                         LogisticRegression())
    assert pipe.fit(X, y).score(X, y) > 0.5  # three classes from one learned feature


def test_classifier_in_a_pipeline_with_a_scaler():
    X, y = classification()
    pipe = make_pipeline(StandardScaler(), classifier()).fit(X * 100.0 + 5.0, y)
    assert pipe.score(X * 100.0 + 5.0, y) > 0.85


# --------------------------------------------------------- model given as such
def test_a_given_model_is_copied_with_new_weights_and_left_unchanged():
    X, y = classification()
    template = compiled_template()
    before = template.get_weights()
    clf = SKLearnClassifier(template, fit_kwargs={"epochs": 3, **QUIET}).fit(X, y)
    assert clf.model_ is not template
    for a, b in zip(template.get_weights(), before):
        np.testing.assert_array_equal(a, b)
    # Keras's clone_model: new initial weights, the template's compile settings on new objects.
    assert clf.model_.optimizer is not template.optimizer
    assert type(clf.model_.optimizer) is type(template.optimizer)
    assert "accuracy" in clf.history_
    assert not np.allclose(clf.model_.get_weights()[0], before[0])


def test_warm_start_with_a_given_model_starts_from_its_weights():
    X, y = classification()
    template = compiled_template()
    before = [w.copy() for w in template.get_weights()]
    clf = SKLearnClassifier(template, warm_start=True, fit_kwargs={"epochs": 1, "batch_size": 240, **QUIET})
    clf.fit(X, y)
    # One full-batch Adam step at rate 1e-3 moves each weight by at most about 1e-3.
    for a, b in zip(clf.model_.get_weights(), before):
        assert np.abs(a - b).max() < 2e-3
        assert np.abs(a - b).max() > 0
    for a, b in zip(template.get_weights(), before):
        np.testing.assert_array_equal(a, b)


def test_warm_start_continues_the_previous_fit():
    X, y = classification()
    clf = classifier(epochs=2)
    clf.warm_start = True
    clf.fit(X, y)
    model = clf.model_
    weights = [w.copy() for w in model.get_weights()]
    clf.fit(X, y, epochs=3)
    assert clf.model_ is model and clf.epoch_ == 5 and len(clf.history_["loss"]) == 5
    assert not np.allclose(model.get_weights()[0], weights[0])
    cold = classifier(epochs=2).fit(X, y)
    first = cold.model_
    cold.fit(X, y)
    assert cold.model_ is not first and cold.epoch_ == 2


# ------------------------------------------------------------ bad input
def test_bad_models_and_targets_raise_clear_errors():
    X, y = classification()

    def uncompiled(X, y):
        return fastmlp.Sequential([fastmlp.Input((X.shape[1],)), fastmlp.layers.Dense(y.shape[1])])

    with pytest.raises(RuntimeError, match="needs to be compiled"):
        SKLearnClassifier(uncompiled).fit(X, y)
    with pytest.raises(TypeError, match="fastmlp.Model"):
        SKLearnClassifier(lambda X, y: "not a model").fit(X, y)
    with pytest.raises(TypeError, match="fastmlp.Model"):
        SKLearnClassifier(model=3).fit(X, y)
    # Keras's messages, from Keras 3.15 (torch backend): SKLearnClassifier(...).fit(X, y) on such targets.
    with pytest.raises(ValueError, match="Only binary and multiclass target types are supported. "
                                         "Target type: continuous"):
        classifier().fit(X, np.linspace(0, 1, len(X)))
    with pytest.raises(ValueError, match="Classifier can't train when only one class is present."):
        classifier().fit(X, np.zeros(len(X)))
    with pytest.raises(ValueError, match="NaN"):
        classifier().fit(np.where(np.eye(len(X), 8) > 0, np.nan, X), y)
    with pytest.raises(ValueError, match="could not convert|numeric"):
        regressor().fit(X, np.array(["a"] * len(X), dtype=object))


def test_a_failed_fit_leaves_the_fitted_estimator_as_it_was():
    X, y = classification()
    clf = classifier(epochs=2).fit(X, y)
    state = dict(vars(clf))
    pred = clf.predict(X)
    with pytest.raises(ValueError):
        clf.fit(X[:, :5], np.zeros(len(X)))  # one class, and fewer features
    assert vars(clf).keys() == state.keys()
    assert all(vars(clf)[key] is value for key, value in state.items())
    np.testing.assert_array_equal(clf.predict(X), pred)
    clf.warm_start = True
    with pytest.raises(ValueError, match="new label"):
        clf.fit(X, np.where(y == 0, 7, y))
    with pytest.raises(ValueError, match="features"):
        clf.fit(X[:, :5], y)
    assert clf.n_features_in_ == 8 and list(clf.classes_) == [0, 1, 2]
    np.testing.assert_array_equal(clf.predict(X), pred)


def test_predict_checks_the_input_and_the_model_output():
    X, y = classification()
    from sklearn.exceptions import NotFittedError
    with pytest.raises(NotFittedError):
        classifier().predict(X)
    clf = classifier(epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        clf.predict(X[:, :3])
    clf.model_ = compiled_template(classes=4)
    with pytest.raises(ValueError, match="3 classes"):
        clf.predict(X)


# ------------------------------------------------------- clone and pickle
def test_clone_keeps_every_parameter_and_copies_a_given_model():
    clf = SKLearnClassifier(mlp_builder, warm_start=True, model_kwargs={"hidden": 4}, fit_kwargs={"epochs": 2})
    twin = clone(clf)
    assert twin.get_params() == clf.get_params()  # fit_kwargs included (Keras 3.15's clone drops them)
    template = compiled_template()
    twin = clone(SKLearnClassifier(template))
    assert twin.model is not template
    for a, b in zip(twin.model.get_weights(), template.get_weights()):
        np.testing.assert_array_equal(a, b)
    X, y = classification()
    fitted = classifier(epochs=1).fit(X, y)
    assert not hasattr(clone(fitted), "model_")


@pytest.mark.parametrize("make", ["classifier", "regressor", "transformer"])
def test_a_fitted_estimator_pickles_and_predicts_the_same(make):
    X, y = classification()
    est = {"classifier": lambda: classifier(epochs=3),
           "regressor": lambda: regressor(epochs=3),
           "transformer": lambda: SKLearnTransformer(mlp_builder, model_kwargs={"output_activation": None,
                                                                                "loss": "mse"},
                                                     fit_kwargs={"epochs": 3, **QUIET})}[make]().fit(X, y)
    twin = pickle.loads(pickle.dumps(est))
    method = "transform" if make == "transformer" else "predict"
    np.testing.assert_array_equal(getattr(twin, method)(X), getattr(est, method)(X))
    if make == "classifier":
        np.testing.assert_array_equal(twin.decision_function(X), est.decision_function(X))
    assert twin.history_ == est.history_ and twin.n_features_in_ == est.n_features_in_
    # The copy trains (its weights and the parameter buffer are one), and the original is untouched.
    before = [w.copy() for w in est.model_.get_weights()]
    twin.set_params(warm_start=True).fit(X, y, epochs=2)
    assert not np.allclose(twin.model_.get_weights()[0], before[0])
    for a, b in zip(est.model_.get_weights(), before):
        np.testing.assert_array_equal(a, b)


# ------------------------------------------------ model selection, joblib
def test_grid_search_over_two_hidden_sizes():
    X, y = classification()
    search = GridSearchCV(classifier(epochs=10), {"model_kwargs": [{"hidden": 2}, {"hidden": 24}]}, cv=3)
    search.fit(X, y)
    assert len(search.cv_results_["params"]) == 2
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.best_params_["model_kwargs"] in ({"hidden": 2}, {"hidden": 24})
    units = search.best_estimator_.model_.layers[0].units
    assert units == search.best_params_["model_kwargs"]["hidden"]
    assert search.score(X, y) > 0.5


def test_cross_val_score():
    X, y = classification()
    scores = cross_val_score(classifier(epochs=10), X, y, cv=3)
    assert scores.shape == (3,) and (scores > 0.6).all()


def test_joblib_workers_fit_and_send_back_fitted_estimators(tmp_path, monkeypatch):
    from sklearn.model_selection import cross_validate
    # joblib's workers are fresh interpreters that start in the current folder: they must
    # import the fastmlp under test (installed, or built in place), not a source tree there.
    repo = os.path.dirname(os.path.dirname(os.path.abspath(fastmlp.__file__)))
    from joblib.externals.loky import get_reusable_executor
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([repo] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    get_reusable_executor().shutdown(wait=True)  # workers started elsewhere would be reused
    X, y = classification()
    result = cross_validate(classifier(epochs=10), X, y, cv=4, n_jobs=2, return_estimator=True)
    assert (result["test_score"] > 0.6).all()
    # Each model was built in a worker process and came back pickled, as its model file.
    pids = {int(est.model_.name.rsplit("_", 1)[1]) for est in result["estimator"]}
    assert os.getpid() not in pids
    for est, score in zip(result["estimator"], result["test_score"]):
        assert 0.0 <= est.score(X, y) <= 1.0
    search = GridSearchCV(classifier(epochs=10), {"model_kwargs": [{"hidden": 2}, {"hidden": 24}]}, cv=3,
                          n_jobs=2).fit(X, y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


# ------------------------------------------------------- the optional extra
def _python(code):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)


def test_import_fastmlp_does_not_import_sklearn_and_wrappers_load_on_use():
    run = _python("import sys, fastmlp\n"
                  "assert not [m for m in sys.modules if m.split('.')[0] == 'sklearn'], 'sklearn imported'\n"
                  "print(fastmlp.wrappers.SKLearnClassifier.__name__)\n"
                  "assert 'sklearn' in sys.modules\n")
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "SKLearnClassifier"


def test_without_sklearn_the_wrappers_say_how_to_install_it():
    run = _python("import sys\nsys.modules['sklearn'] = None\nimport fastmlp\n"
                  "try:\n    fastmlp.wrappers\nexcept ImportError as exc:\n    print(exc)\n")
    assert run.returncode == 0, run.stderr
    assert 'pip install "fastmlp[sklearn]"' in run.stdout
