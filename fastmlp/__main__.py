"""``python -m fastmlp``: what this installation is and what it runs on (the
version, the backend and its compiled kernels, the BLAS, the CPU's SIMD
features), for bug reports and for checking an install.

A command (the top import layer): it may import the package and its backend."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Optional, Sequence

from .version import __version__

PROG = "python -m fastmlp"


def _blas_line(lib: dict) -> str:
    name = lib.get("internal_api") or lib.get("name") or "unknown"
    text = f"{name} {lib.get('version') or ''}".rstrip()
    if lib.get("num_threads") is not None:
        text += f", {lib['num_threads']} threads"
    if lib.get("architecture"):
        text += f", {lib['architecture']} kernels"
    return text


def describe(info: dict) -> str:
    """The report ``python -m fastmlp`` prints, from ``fastmlp.backend.info()``.

    Args:
        info: the dict ``fastmlp.backend.info()`` returns.

    Returns:
        Lines of text, the first ``fastmlp <version>``.
    """
    from .backend.cpu import cpu_model

    compiled = "built" if info["compiled_kernels"] else f"missing ({info['compiled_error']})"
    blas = "; ".join(_blas_line(lib) for lib in info["blas"]) or "unknown"
    lines = [
        f"fastmlp {info['fastmlp']}",
        f"backend: {info['backend']} (compiled kernels: {compiled})",
        f"python {info['python']}, numpy {info['numpy']}, {info['platform']}",
        f"blas: {blas}",
        f"cpu: {cpu_model()}",
        f"cpu features: {' '.join(info['cpu_features']) or 'none detected'}",
    ]
    return "\n".join(lines)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Print the report (or, with ``--json``, ``fastmlp.backend.info()`` as
    JSON); returns the exit status.

    Args:
        argv: the arguments (default ``sys.argv[1:]``).

    Returns:
        0, or 2 for a usage error (argparse's message on stderr).
    """
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", action="version", version=f"fastmlp {__version__}")
    parser.add_argument("--json", action="store_true", help="print fastmlp.backend.info() as JSON")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version (0) or a usage error (2), already printed
        return exc.code if isinstance(exc.code, int) else 2
    from . import backend

    info = backend.info()
    print(json.dumps(info, indent=1) if args.json else describe(info))
    return 0


if __name__ == "__main__":
    sys.exit(main())
