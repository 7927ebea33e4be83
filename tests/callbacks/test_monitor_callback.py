"""MonitorCallback: the improvement rule EarlyStopping, ModelCheckpoint and
ReduceLROnPlateau share."""

import pytest

import fastmlp
from fastmlp.callbacks import MonitorCallback


@pytest.mark.parametrize("monitor, mode", [("val_loss", "min"), ("loss", "min"), ("val_accuracy", "max"),
                                           ("acc", "max"), ("val_auc", "max"), ("val_mae", "min")])
def test_auto_mode_guesses_as_keras(monitor, mode):
    assert MonitorCallback(monitor).mode == mode


def test_improvement_needs_more_than_min_delta():
    lower = MonitorCallback("val_loss", min_delta=0.1)
    assert lower._is_improvement(1.0, None)
    assert lower._is_improvement(0.85, 1.0) and not lower._is_improvement(0.95, 1.0)
    higher = MonitorCallback("val_accuracy", min_delta=-0.1)  # the sign is ignored, as in Keras
    assert higher._is_improvement(0.95, 0.8) and not higher._is_improvement(0.85, 0.8)


def test_a_bad_mode_is_refused_by_every_monitoring_callback():
    for make in (lambda: fastmlp.callbacks.EarlyStopping(mode="up"),
                 lambda: fastmlp.callbacks.ModelCheckpoint("m.keras", mode="up"),
                 lambda: fastmlp.callbacks.ReduceLROnPlateau(mode="up")):
        with pytest.raises(ValueError, match="mode must be 'auto', 'min' or 'max'"):
            make()


def test_the_three_callbacks_share_the_base():
    for cls in (fastmlp.callbacks.EarlyStopping, fastmlp.callbacks.ModelCheckpoint,
                fastmlp.callbacks.ReduceLROnPlateau):
        assert issubclass(cls, MonitorCallback)
