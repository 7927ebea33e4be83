"""Keras 3's three scikit-learn wrappers: classifier, regressor, transformer."""

import numpy as np

from ._sklearn import ClassifierMixin, RegressorMixin, TransformerMixin, type_of_target
from .base import SKLBase


# What fit and predict raise, for every wrapper (the classifier adds its label checks).
_RAISES = """    Raises:
        TypeError: (``fit``) ``model`` is neither a :class:`fastmlp.Model`
            nor a function returning one.
        RuntimeError: (``fit``) the model is not compiled.
        ValueError: input scikit-learn's checks reject (shapes, lengths,
            NaN); ``predict`` before ``fit`` raises scikit-learn's
            ``NotFittedError``, a ValueError.
"""


class SKLearnClassifier(ClassifierMixin, SKLBase):
    """A scikit-learn classifier around a fastmlp model (``keras.wrappers.SKLearnClassifier``).

    The labels (any sortable values: ints, strings) are one-hot encoded
    over ``classes_``, their sorted distinct values, so the model needs one
    output per class (a softmax, with ``categorical_crossentropy``); a binary
    problem has two columns too. ``predict`` is ``classes_`` at the argmax of
    the model's output, ``decision_function`` the raw output, as in Keras.

    Args:
        model, warm_start, model_kwargs, fit_kwargs: see :class:`SKLBase`.

    Attributes:
        classes_: the sorted class labels.
        model_, history_, n_features_in_: see :class:`SKLBase`.

    Raises:
        TypeError: (``fit``) ``model`` is neither a :class:`fastmlp.Model`
            nor a function returning one.
        RuntimeError: (``fit``) the model is not compiled.
        ValueError: input scikit-learn's checks reject (shapes, lengths,
            NaN), targets that are not binary or multiclass labels, a single class, new classes for ``warm_start``; ``predict`` before ``fit`` raises scikit-learn's
            ``NotFittedError``, a ValueError.

    Example:
        >>> def build(X, y, hidden=8):
        ...     model = fastmlp.Sequential([
        ...         fastmlp.Input((X.shape[1],)),
        ...         fastmlp.layers.Dense(hidden, activation="relu"),
        ...         fastmlp.layers.Dense(y.shape[1], activation="softmax")])
        ...     model.compile(loss="categorical_crossentropy", optimizer="adam")
        ...     return model
        >>> clf = fastmlp.wrappers.SKLearnClassifier(
        ...     build, model_kwargs={"hidden": 4}, fit_kwargs={"epochs": 2, "verbose": 0})
        >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 2.0], [2.0, 0.0]])
        >>> clf.fit(X, ["b", "a", "b", "a"]).classes_.tolist()
        ['a', 'b']
        >>> clf.predict(X).shape, clf.decision_function(X).shape
        ((4,), (4, 2))
    """

    classes_: np.ndarray  # set by fit

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True  # few epochs in scikit-learn's checks
        return tags

    def _more_tags(self):  # scikit-learn < 1.6
        return {"non_deterministic": True, "poor_score": True}

    def _y_checks(self):
        return {}  # labels may be strings

    def _encode_targets(self, y, continuing):
        target_type = type_of_target(y, input_name="y")
        if target_type == "unknown":
            raise ValueError(f"Unknown label type for y: {y!r}")
        if target_type not in ("binary", "multiclass"):
            raise ValueError(f"Only binary and multiclass target types are supported. Target type: {target_type}")
        seen = np.unique(y)
        if continuing:
            classes = self.classes_
            new = np.setdiff1d(seen, classes)
            if new.size:
                raise ValueError(f"warm_start continues a model trained on classes {list(classes)}; "
                                 f"y has the new label(s) {list(new)}")
        else:
            classes = seen
            if len(classes) == 1:
                raise ValueError("Classifier can't train when only one class is present.")
        self.classes_ = classes
        return np.eye(len(classes), dtype=np.float32)[np.searchsorted(classes, y)]

    def decision_function(self, X):
        """The model's raw output, shape ``(n_samples, n_classes)``."""
        return self._model_output(X)

    def predict(self, X):
        """The most likely class of each sample, shape ``(n_samples,)``."""
        out = self._class_scores(X)
        return self.classes_[np.argmax(out, axis=1)]

    def _class_scores(self, X):
        out = self._model_output(X)
        if out.ndim != 2 or out.shape[1] != len(self.classes_):
            raise ValueError(f"the model outputs shape {out.shape[1:]} per sample; a classifier over "
                             f"{len(self.classes_)} classes needs ({len(self.classes_)},)")
        return out


class SKLearnRegressor(RegressorMixin, SKLBase):
    __doc__ = f"""A scikit-learn regressor around a fastmlp model (``keras.wrappers.SKLearnRegressor``).

    ``y`` is one target per sample, given to the model as one float32 column;
    ``predict`` returns shape ``(n_samples,)`` for a one-unit output.

    Args:
        model, warm_start, model_kwargs, fit_kwargs: see :class:`SKLBase`.

{_RAISES}
    Example:
        >>> model = fastmlp.Sequential([fastmlp.Input((2,)), fastmlp.layers.Dense(1)])
        >>> model.compile(loss="mse", optimizer="sgd")
        >>> reg = fastmlp.wrappers.SKLearnRegressor(model, fit_kwargs={{"epochs": 2, "verbose": 0}})
        >>> reg.fit(np.ones((4, 2)), [0.0, 1.0, 2.0, 3.0]).predict(np.ones((3, 2))).shape
        (3,)
        >>> reg.model_ is model  # a copy is trained, with new weights
        False
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True
        return tags

    def _more_tags(self):  # scikit-learn < 1.6
        return {"non_deterministic": True, "poor_score": True}

    def predict(self, X):
        """The model's predictions: ``(n_samples,)`` for a one-unit output,
        else ``(n_samples, n_outputs)``."""
        out = self._model_output(X)
        return out[:, 0] if out.ndim == 2 and out.shape[1] == 1 else out


class SKLearnTransformer(TransformerMixin, SKLBase):
    __doc__ = f"""A scikit-learn transformer around a fastmlp model
    (``keras.wrappers.SKLearnTransformer``): ``fit`` trains the model on
    ``X`` and ``y`` like :class:`SKLearnRegressor`, ``transform`` returns its
    output (e.g. an embedding) for the next step of a pipeline.

    Args:
        model, warm_start, model_kwargs, fit_kwargs: see :class:`SKLBase`.

{_RAISES}
    Example:
        >>> def build(X, y):
        ...     model = fastmlp.Sequential([fastmlp.Input((X.shape[1],)), fastmlp.layers.Dense(1)])
        ...     model.compile(loss="mse", optimizer="adam")
        ...     return model
        >>> step = fastmlp.wrappers.SKLearnTransformer(build, fit_kwargs={{"epochs": 1, "verbose": 0}})
        >>> step.fit_transform(np.ones((4, 2)), [0.0, 1.0, 2.0, 3.0]).shape
        (4, 1)
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []  # the output is float32 whatever the input
        return tags

    def _more_tags(self):  # scikit-learn < 1.6
        return {"non_deterministic": True, "preserves_dtype": []}

    def transform(self, X):
        """The model's output for ``X``, shape ``(n_samples, n_outputs)``."""
        return self._model_output(X)
