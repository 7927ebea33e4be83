"""Checks an installed fastmlp (a wheel, not the checkout): it imports, its
compiled backend is active, and the seed model trains. cibuildwheel runs it as
the wheels' test command; .ci/run runs it on the repaired manylinux wheel.

    python scripts/wheel_check.py [--compiled-step] [--dataset NAME] [--epochs N]

Run it from outside the checkout, so ``import fastmlp`` finds the installed
package. ``--compiled-step`` also requires the compiled training step (NumPy's
BLAS is an OpenBLAS fastmlp can call: true of NumPy's Linux and Windows
wheels, not of its macOS wheels, which use Accelerate). The dataset defaults to
the bundled MNIST sample (no download); ``--dataset mnist`` reads full MNIST
from FASTMLP_DATA.
"""

import argparse
import os
import pprint
import sys
import tempfile


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compiled-step", action="store_true",
                        help="fail unless the compiled training step can run")
    parser.add_argument("--dataset", default="mnist-sample")
    parser.add_argument("--epochs", default="1")
    args = parser.parse_args(argv)

    import fastmlp
    from fastmlp.backend import compiled_step
    from fastmlp.train import main as train

    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    location = os.path.dirname(os.path.abspath(fastmlp.__file__))
    print(f"fastmlp {fastmlp.__version__} from {location}")
    # one version number: the package's and the installed metadata's agree
    from importlib.metadata import version
    if version("fastmlp") != fastmlp.__version__:
        sys.exit(f"wheel_check: metadata version {version('fastmlp')} != fastmlp.__version__")
    if location.startswith(here + os.sep):
        sys.exit("wheel_check: imported the checkout, not the installed package "
                 "(run it from another folder)")
    info = fastmlp.backend.info()
    pprint.pprint(info)
    if not info["compiled_kernels"] or info["backend"] != "cython":
        sys.exit(f"wheel_check: the compiled backend is not active: {info['compiled_error']}")
    reason = compiled_step.unavailable_reason()
    print("compiled step:", reason or "available")
    if args.compiled_step and reason is not None:
        sys.exit(f"wheel_check: no compiled training step: {reason}")

    with tempfile.TemporaryDirectory() as out:
        status = train(["--dataset", args.dataset, "--epochs", args.epochs, "--no-plots",
                        "--seed", "1", "--out", os.path.join(out, "run")])
    if status != 0:
        sys.exit(f"wheel_check: fastmlp-train exited with {status}")
    print("wheel_check: ok")


if __name__ == "__main__":
    main()
