"""scikit-learn estimators around fastmlp models, as Keras 3's ``keras.wrappers``.

``SKLearnClassifier``, ``SKLearnRegressor`` and ``SKLearnTransformer`` take a
compiled model, or a function ``model(X=..., y=..., **model_kwargs)`` that
builds and compiles one, and behave as scikit-learn estimators: ``clone``,
``Pipeline``, ``GridSearchCV``, ``cross_val_score``, joblib's ``n_jobs``, and
pickling (a fitted model pickles as its model file; see
:mod:`fastmlp.models.pickling`).

scikit-learn is an extra: ``pip install "fastmlp[sklearn]"``. ``import fastmlp``
does not import it; ``fastmlp.wrappers`` does, on first use.
"""

from .estimators import SKLearnClassifier, SKLearnRegressor, SKLearnTransformer

__all__ = ["SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"]
