"""fastmlp.backend.use_backend: a backend for one block, then the earlier choice back."""

import pytest

import fastmlp
from fastmlp import backend as backend_module


def test_use_backend_restores_the_explicit_choice():
    with backend_module.use_backend("cython"):
        with backend_module.use_backend("numpy") as ops:
            assert ops.name == "numpy"
            assert backend_module.backend() == "numpy"
            layer = fastmlp.layers.Dense(2)
            layer.build((None, 3))
            assert layer.ops.name == "numpy"  # models built inside the block use it
        assert backend_module.backend() == "cython"


def test_use_backend_restores_the_default_and_survives_errors(monkeypatch):
    monkeypatch.setattr(backend_module, "_current", None)
    with pytest.raises(RuntimeError):
        with backend_module.use_backend("numpy"):
            raise RuntimeError("inside the block")
    assert backend_module._current is None  # the FASTMLP_BACKEND default applies again


def test_use_backend_rejects_an_unknown_name_before_the_block():
    before = backend_module.backend()
    with pytest.raises(ValueError, match="unknown backend 'tpu'"):
        with backend_module.use_backend("tpu"):
            pytest.fail("the block must not run")
    assert backend_module.backend() == before
