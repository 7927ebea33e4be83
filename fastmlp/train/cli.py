"""The ``fastmlp-train`` command line: the flags, their checks (a usage error is
one line on stderr, exit status 2) and ``main``, which runs the command and
turns its failures into one-line messages and exit statuses."""

from __future__ import annotations

import argparse
import sys

from ..version import __version__
from .errors import PROG, CommandError, error_line
from .run import run

#: Accepted --dataset values (after lower-casing and '-'/'_' folding) -> canonical name.
DATASETS = {"mnist": "mnist", "fashion_mnist": "fashion_mnist", "mnist_sample": "mnist-sample"}
OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop")
BACKENDS = ("cython", "numpy", "cupy")


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (exit status 2)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _dataset(text):
    key = text.strip().lower().replace("-", "_")
    if key not in DATASETS:
        raise argparse.ArgumentTypeError(
            f"unknown dataset {text!r}; choose from mnist, fashion_mnist, mnist-sample")
    return DATASETS[key]


def _choice(options, what):
    def parse(text):
        key = text.strip().lower()
        if key not in options:
            raise argparse.ArgumentTypeError(f"unknown {what} {text!r}; choose from {', '.join(options)}")
        return key
    parse.__name__ = what
    return parse


def _hidden(text):
    sizes = []
    for part in text.replace(",", " ").split():
        try:
            size = int(part)
        except ValueError:
            raise argparse.ArgumentTypeError(f"hidden layer sizes must be integers, got {part!r}") from None
        if size <= 0:
            raise argparse.ArgumentTypeError(f"hidden layer sizes must be > 0, got {size}")
        sizes.append(size)
    if not sizes:
        raise argparse.ArgumentTypeError("no hidden layer size given")
    return sizes


def build_parser():
    p = _Parser(
        prog=PROG,
        description="Train the Keras seed MLP (Flatten, Dense+ReLU, Dropout, Dense logits) on MNIST "
                    "or Fashion-MNIST; print the test accuracy; write the model, history, metrics "
                    "and plots into --out.",
        epilog="Data: full datasets are looked for in $FASTMLP_DATA/<name>/, the user cache and "
               "/usr/share/datasets, then downloaded (unless FASTMLP_OFFLINE=1). Without full MNIST "
               "the run falls back to the bundled 3,000/1,000-image MNIST sample and says so.",
    )
    p.add_argument("--version", action="version", version=f"%(prog)s (fastmlp {__version__})")
    p.add_argument("--dataset", type=_dataset, default="mnist", metavar="NAME",
                   help="mnist (default), fashion_mnist or mnist-sample (bundled subset, no download)")
    p.add_argument("--epochs", type=int, default=5, help="training epochs (default 5)")
    p.add_argument("--batch-size", type=int, default=32, help="batch size (default 32)")
    p.add_argument("--optimizer", type=_choice(OPTIMIZERS, "optimizer"), default="adam",
                   metavar="NAME", help="sgd, adam (default), adamw or rmsprop")
    p.add_argument("--learning-rate", type=float, default=None, metavar="LR",
                   help="learning rate (default: the optimizer's own, e.g. 0.001 for adam, 0.01 for sgd)")
    p.add_argument("--hidden", type=_hidden, nargs="+", default=None, metavar="UNITS",
                   help="hidden layer sizes, e.g. --hidden 128 or --hidden 256 128 (default 128)")
    p.add_argument("--dropout", type=float, default=0.2,
                   help="dropout rate after each hidden layer, in [0, 1) (default 0.2; 0 = no Dropout layer)")
    p.add_argument("--backend", type=_choice(BACKENDS, "backend"), default=None, metavar="NAME",
                   help="cython, numpy or cupy (default: the library default, or $FASTMLP_BACKEND)")
    p.add_argument("--seed", type=int, default=0,
                   help="random seed for initialisation, shuffling and dropout (default 0)")
    p.add_argument("--validation-split", type=float, default=0.0, metavar="FRACTION",
                   help="fraction of the training set held out for validation, in [0, 1) (default 0)")
    p.add_argument("--out", default="fastmlp-run", metavar="DIR",
                   help="output directory, created if missing (default ./fastmlp-run)")
    p.add_argument("--no-plots", action="store_true", help="do not write the PNG plots")
    p.add_argument("--quiet", action="store_true", help="no progress bar; print one summary line")
    p.add_argument("--distributed", action="store_true",
                   help="train data-parallel over the processes of an MPI launcher "
                        "(mpiexec -n 2 fastmlp-train --distributed ...); only process 0 prints "
                        "and writes --out; needs mpi4py (pip install \".[mpi]\")")
    return p


def parse_args(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    args.hidden = [size for group in (args.hidden or [[128]]) for size in group]
    if args.epochs <= 0:
        parser.error(f"--epochs must be > 0, got {args.epochs}")
    if args.batch_size <= 0:
        parser.error(f"--batch-size must be > 0, got {args.batch_size}")
    if not 0.0 <= args.dropout < 1.0:
        parser.error(f"--dropout must be in [0, 1), got {args.dropout}")
    if not 0.0 <= args.validation_split < 1.0:
        parser.error(f"--validation-split must be in [0, 1), got {args.validation_split}")
    if args.learning_rate is not None and not (args.learning_rate > 0 and args.learning_rate < float("inf")):
        parser.error(f"--learning-rate must be a positive number, got {args.learning_rate}")
    if args.seed < 0:
        parser.error(f"--seed must be >= 0, got {args.seed}")
    if not args.out:
        parser.error("--out must not be empty")
    return args


def main(argv=None):
    """Entry point of ``fastmlp-train``; returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2), already printed
        return exc.code if isinstance(exc.code, int) else 2
    args.argv = argv
    try:
        run(args)
    except CommandError as exc:
        print(error_line(exc), file=sys.stderr, flush=True)
        return exc.status
    except KeyboardInterrupt:
        print(f"\n{PROG}: interrupted", file=sys.stderr, flush=True)
        return 130
    except (OSError, MemoryError) as exc:
        print(error_line(exc), file=sys.stderr, flush=True)
        return 1
    return 0
