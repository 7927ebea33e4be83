"""Which skips CI accepts (a pytest plugin, loaded by tests/conftest.py).

A skip hides whatever the test would have found, so in CI
(``FASTMLP_STRICT_SKIPS=1``, set by ``.ci/run``) a skip is a failure unless its
reason is one of the two CI cannot avoid:

* the test needs an NVIDIA GPU at run time (CuPy is installed in CI, the GPU is
  not), or
* the test compares with an optional library CI does not install: PyTorch and
  JAX (fastmlp-bench's contenders) or real Keras (``FASTMLP_KERAS_PYTHON``).

Anything else -- a missing compiled extension, NVRTC, matplotlib, mpi4py,
pandas -- means CI's environment lost something it is meant to have, and the
run fails saying which test and why. Outside CI skips stay skips, so a
contributor without those extras still gets a green run of what can run.
xfail is not a skip and is not affected.
"""

import os
import re

import pytest

#: (what CI cannot provide, a pattern of the skip reasons that say so)
ALLOWED_SKIPS = (
    ("a GPU at run time",
     re.compile(r"needs an NVIDIA GPU: no CUDA GPU found|this machine has a GPU")),
    ("an optional comparison library (PyTorch, JAX, real Keras)",
     re.compile(r"could not import '(torch|jax)'|\b(torch|jax) is not installed|FASTMLP_KERAS_PYTHON")),
)


def strict():
    """Whether skips outside ALLOWED_SKIPS fail (``FASTMLP_STRICT_SKIPS=1``)."""
    return os.environ.get("FASTMLP_STRICT_SKIPS", "").strip().lower() in ("1", "true", "yes", "on")


def skip_reason(report):
    """The reason of a skipped report (pytest keeps ``(path, line, "Skipped: why")``)."""
    longrepr = report.longrepr
    text = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    return text[len("Skipped: "):] if text.startswith("Skipped: ") else text


def allowed(reason):
    """What CI cannot provide that ``reason`` names, or None."""
    for what, pattern in ALLOWED_SKIPS:
        if pattern.search(reason):
            return what
    return None


def _fail_unless_allowed(report):
    if not (report.skipped and strict()) or hasattr(report, "wasxfail"):
        return
    reason = skip_reason(report)
    if allowed(reason) is None:
        report.outcome = "failed"
        report.longrepr = (f"skipped in CI (FASTMLP_STRICT_SKIPS=1), which allows only skips for "
                           f"{' or '.join(what for what, _ in ALLOWED_SKIPS)}: {reason}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    _fail_unless_allowed(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    _fail_unless_allowed(outcome.get_result())  # a module-level skip or importorskip
