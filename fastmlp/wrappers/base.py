"""What the three wrappers share: the constructor, fit, and the model's raw output."""

import copy

import numpy as np

from ..models import Model
from ._sklearn import BaseEstimator, check_is_fitted, validate_data
from .models import check_model, fresh_model


class SKLBase(BaseEstimator):
    """A scikit-learn estimator around a fastmlp model (Keras 3's ``SKLBase``).

    Args:
        model: a compiled :class:`fastmlp.Model`, or a function
            ``model(X=X, y=y, **model_kwargs)`` returning one. ``X`` is the
            validated float32 input and ``y`` the encoded target (2-D: one
            column for a regressor or transformer, one-hot columns for a
            classifier), so the function can size the model from them. A model
            given as such is never trained itself: each ``fit`` trains a copy
            with newly initialised weights (Keras's ``clone_model``), or with
            its current weights when ``warm_start`` is set.
        warm_start: when ``True``, ``fit`` continues training the model of the
            previous ``fit`` (same features, and for a classifier labels among
            the same classes) instead of starting a new one.
        model_kwargs: keyword arguments for ``model`` when it is a function.
        fit_kwargs: keyword arguments for ``Model.fit`` (e.g. ``epochs``,
            ``batch_size``, ``verbose``); those given to ``fit`` itself win.

    Attributes:
        model_: the trained :class:`fastmlp.Model`.
        history_: ``{"loss": [...], ...}``, one value per epoch trained (all
            epochs, across warm-started fits).
        n_features_in_: the number of input features seen by ``fit``.

    A failed ``fit`` (bad input) raises and leaves the estimator as it was.
    Pickling a fitted estimator stores the model as its model file's bytes
    (:mod:`fastmlp.models.pickling`). Predictions are made with
    ``verbose=0``: no progress bar per call.
    """

    # Set by fit (annotations only: unfitted estimators have none, as scikit-learn checks).
    model_: Model
    history_: dict[str, list[float]]

    def __init__(self, model, warm_start=False, model_kwargs=None, fit_kwargs=None):
        # scikit-learn's rule: __init__ stores its arguments as given; fit checks them.
        self.model = model
        self.warm_start = warm_start
        self.model_kwargs = model_kwargs
        self.fit_kwargs = fit_kwargs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = True  # random initial weights and shuffles
        return tags

    def _more_tags(self):  # scikit-learn < 1.6
        return {"non_deterministic": True}

    @property
    def epoch_(self):
        """The number of epochs the fitted model has been trained for."""
        return len(getattr(self, "history_", {}).get("loss", ()))

    def fit(self, X, y, **kwargs):
        """Train a model on ``X`` and ``y``.

        Args:
            X: array-like of shape ``(n_samples, n_features)``.
            y: array-like of shape ``(n_samples,)``.
            **kwargs: keyword arguments for ``Model.fit`` (``sample_weight``,
                ``epochs``, ...), over ``fit_kwargs``.

        Returns:
            ``self``.
        """
        saved = dict(vars(self))
        try:
            return self._fit(X, y, kwargs)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(saved)
            raise

    def _fit(self, X, y, kwargs):
        continuing = bool(self.warm_start) and hasattr(self, "model_")
        X, y = validate_data(self, X, y, reset=not continuing, dtype=np.float32, **self._y_checks())
        targets = self._encode_targets(y, continuing)
        model = self.model_ if continuing else self._new_model(X, targets)
        history = model.fit(X, targets, **{**(self.fit_kwargs or {}), **kwargs})
        before = self.history_ if continuing else {}
        self.history_ = {key: list(before.get(key, [])) + [float(v) for v in values]
                         for key, values in history.history.items()}
        self.model_ = model
        return self

    def _y_checks(self):
        """validate_data's options for ``y``."""
        return {"y_numeric": True}

    def _encode_targets(self, y, continuing):
        """The model's targets for ``y`` (a regressor's: one float32 column)."""
        return np.asarray(y, dtype=np.float32).reshape(-1, 1)

    def _new_model(self, X, targets):
        if isinstance(self.model, Model):
            # warm_start starts from the given model's weights, on a copy: the
            # estimator's parameter is never modified.
            return check_model(copy.deepcopy(self.model), "model") if self.warm_start else fresh_model(self.model)
        if callable(self.model):
            return check_model(self.model(X=X, y=targets, **(self.model_kwargs or {})),
                               "the value returned by model(X=..., y=...)")
        raise TypeError(f"model must be a fastmlp.Model or a function returning one, "
                        f"got {type(self.model).__name__}")

    def _model_output(self, X):
        """The fitted model's predictions for ``X`` (checked like ``fit``'s)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float32)
        return self.model_.predict(X, verbose=0)
