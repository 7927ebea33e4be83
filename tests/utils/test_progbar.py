"""fastmlp.utils.Progbar: Keras 3.15's signature and numbers; redrawn in place
in terminals and Jupyter/IPython kernels, one finished line in logs.

The expected values come from Keras 3.15 (torch backend), running the same
calls on ``keras.utils.Progbar`` with ``sys.stdout`` captured (its colour
codes stripped). fastmlp draws Keras 2's plain-text bar, so only the numbers,
counters and units are compared, not the bar's glyphs."""

import io
import re
import sys
import types

import pytest

import fastmlp
from fastmlp.utils import Progbar


class Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.fixture(autouse=True)
def no_notebook(monkeypatch):
    """Tests start outside any notebook or PyCharm console."""
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    monkeypatch.delenv("PYCHARM_HOSTED", raising=False)


def frames(text):
    """The successive drawings of a bar (trailing pad removed)."""
    return [f.rstrip() for f in re.split(r"[\r\n]", text) if f.strip()]


def test_public_with_keras_defaults():
    assert fastmlp.utils.Progbar is Progbar and "Progbar" in fastmlp.utils.__all__
    bar = Progbar(4)
    # from Keras 3.15: p = keras.utils.Progbar(4); p.width, p.interval, p.unit_name, p.stateful_metrics, p.stateless_metrics
    assert (bar.width, bar.interval, bar.unit_name) == (20, 0.05, "step")
    assert bar.stateful_metrics == set() and bar.stateless_metrics is None
    assert bar.target == 4 and bar.verbose == 1


def test_values_are_averaged_over_the_steps_they_cover():
    out = Terminal()
    bar = Progbar(4, interval=0, stream=out)
    bar.update(1, [("loss", 1.0), ("acc", 0.5)])
    bar.update(3, [("loss", 2.0), ("acc", 0.25)])
    bar.update(4, [("loss", 4.0), ("acc", 0.125)])
    drawn = frames(out.getvalue())
    # from Keras 3.15 (torch backend): Progbar(4, interval=0), the same three updates:
    # "1/4 ... - loss: 1.0000 - acc: 0.5000", "3/4 ... - loss: 1.6667 - acc: 0.3333",
    # "4/4 ... - loss: 4.0000 - acc: 0.1250" (a finalizing update shows the values it gets)
    assert len(drawn) == 3
    assert drawn[0].startswith("1/4 [") and drawn[0].endswith(" - loss: 1.0000 - acc: 0.5000")
    assert drawn[1].startswith("3/4 [") and drawn[1].endswith(" - loss: 1.6667 - acc: 0.3333")
    assert drawn[2].startswith("4/4 [") and drawn[2].endswith(" - loss: 4.0000 - acc: 0.1250")
    assert "ETA: " in drawn[1] and "/step" in drawn[2] and out.getvalue().endswith("\n")


def test_stateful_metrics_are_shown_as_given():
    out = Terminal()
    bar = Progbar(4, interval=0, stateful_metrics=["acc"], stream=out)
    bar.update(1, {"loss": 1.0, "acc": 0.5})  # a dict works too
    bar.update(3, [("loss", 2.0), ("acc", 0.25)])
    bar.update(3, [("loss", 4.0), ("acc", 0.125)], finalize=False)
    # from Keras 3.15 (torch backend): the last frame ends "loss: 2.2500 - acc: 0.1250"
    # (the repeated step 3 counts as one step: (1 + 2*2 + 4) / 4)
    assert frames(out.getvalue())[-1].endswith(" - loss: 2.2500 - acc: 0.1250")
    assert not out.getvalue().endswith("\n")  # not finalized


def test_verbose_two_and_add():
    out = io.StringIO()
    bar = Progbar(5, verbose=2, stateful_metrics=["acc"], stream=out)
    bar.add(2, [("loss", 3.0), ("acc", -0.5)])
    assert out.getvalue() == ""
    bar.add(3, [("loss", 1.0), ("acc", -0.25)])
    # from Keras 3.15 (torch backend): '5/5 - 0s - 1us/step - loss: 1.0000 - acc: -2.5000e-01\n'
    # (Keras's one-line mode writes a negative value in exponent form)
    assert re.fullmatch(r"5/5 - 0s - \d+us/step - loss: 1\.0000 - acc: -2\.5000e-01\n", out.getvalue())


def test_unknown_target_and_units():
    out = Terminal()
    Progbar(None, interval=0, stream=out).update(7, [("loss", 0.0001)])
    # from Keras 3.15 (torch backend): '      7/Unknown 0s 0us/step - loss: 1.0000e-04'
    assert re.fullmatch(r"\r      7/Unknown - 0s \d+us/step - loss: 1\.0000e-04", out.getvalue())
    out = Terminal()
    bar = Progbar(10, width=10, interval=0, unit_name="sample", stream=out)
    bar.update(5)
    bar.update(10)
    drawn = frames(out.getvalue())
    # from Keras 3.15 (torch backend): ' 5/10 ━━━━━━━━━━ 0s 0us/sample', '10/10 ━━━━━━━━━━ 0s 1us/sample'
    assert drawn[0].startswith(" 5/10 [====>.....] - ETA: ")
    assert re.fullmatch(r"10/10 \[==========\] - 0s \d+us/sample", drawn[1])


def test_logs_get_only_the_finished_line():
    out = io.StringIO()  # not a terminal, no notebook: a CI log
    bar = Progbar(3, interval=0, stream=out)
    for step in (1, 2, 3):
        bar.update(step, [("loss", 0.5)])
    assert "\r" not in out.getvalue() and out.getvalue().count("\n") == 1
    assert out.getvalue().startswith("3/3 [====================] - ")


def test_redrawn_in_place_in_a_jupyter_kernel(monkeypatch):
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    out = io.StringIO()  # a notebook's stdout is not a TTY, but it honours "\r"
    bar = Progbar(3, interval=0, stream=out)
    for step in (1, 2, 3):
        bar.update(step, [("loss", 0.5)])
    assert out.getvalue().count("\r") == 3 and out.getvalue().count("\n") == 1
    assert frames(out.getvalue())[0].startswith("1/3 [")


def test_pycharm_console_and_silence(monkeypatch):
    monkeypatch.setenv("PYCHARM_HOSTED", "1")
    assert fastmlp.utils.progbar.dynamic_display(io.StringIO())
    out = io.StringIO()
    bar = Progbar(2, verbose=0, stream=out)
    bar.update(1)
    bar.update(2)
    assert out.getvalue() == ""


def test_fit_in_a_notebook_redraws_and_in_a_log_does_not(monkeypatch, capsys):
    import numpy as np
    rng = np.random.default_rng(0)
    x, y = rng.random((64, 4), dtype=np.float32), rng.integers(0, 3, 64)
    model = fastmlp.Sequential([fastmlp.layers.Input((4,)), fastmlp.layers.Dense(3)])
    model.compile("sgd", fastmlp.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x, y, epochs=1, batch_size=32)
    log = capsys.readouterr().out
    assert "\r" not in log and log.splitlines()[1].startswith("2/2 [==============================] - ")
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    model.fit(x, y, epochs=1, batch_size=32)
    cell = capsys.readouterr().out
    assert "\r2/2 [==============================] - " in cell


@pytest.mark.parametrize("kwargs, message", [
    ({"target": -1}, "target must be None or an integer >= 0"),
    ({"target": 2.5}, "target must be None or an integer >= 0"),
    ({"target": 3, "width": 0}, "width must be a positive integer"),
    ({"target": 3, "verbose": 3}, "verbose must be 0, 1 or 2"),
    ({"target": 3, "interval": -1.0}, "interval must be in"),
    ({"target": 3, "stateful_metrics": ["a"], "stateless_metrics": ["b"]}, "not both"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Progbar(**kwargs)
