"""The one place the wrappers import scikit-learn, with the message a user
without it needs."""

try:
    import sklearn  # noqa: F401
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin  # noqa: F401
    from sklearn.utils.multiclass import type_of_target  # noqa: F401
    from sklearn.utils.validation import check_is_fitted  # noqa: F401
except ImportError as exc:
    raise ImportError(
        'fastmlp.wrappers needs scikit-learn, an optional extra: pip install "fastmlp[sklearn]" '
        f"({exc})") from exc

try:
    from sklearn.utils.validation import validate_data
except ImportError:  # scikit-learn < 1.6 validates through a method of the estimator
    def validate_data(estimator, *args, **kwargs):
        """scikit-learn 1.6's ``validate_data`` on older versions."""
        return estimator._validate_data(*args, **kwargs)
