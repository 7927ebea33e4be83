"""The dataset of a run: MNIST, Fashion-MNIST or the bundled MNIST sample
(also the fallback when full MNIST cannot be found), and the number of
training images ``--validation-split`` holds out.

The uint8 images are kept as they are (47 MB for the MNIST training set, where
``x / 255`` would make a 376 MB float64 copy): the model scales each batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from .errors import PROG, CommandError, first_line

#: Dataset name -> its title in messages and plots.
TITLES = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST", "mnist-sample": "MNIST sample"}


def load_data(name, warn):
    """``((x_train, y_train), (x_test, y_test)), used, class_names, fallback_reason``.

    Without full MNIST, ``warn`` is told why and the bundled sample is used
    instead; any other dataset that cannot be loaded is a ``CommandError``."""
    from .. import datasets  # imported on first use, as ``fastmlp`` itself does

    if name == "mnist-sample":
        return datasets.mnist_sample.load_data(), "mnist-sample", datasets.mnist_sample.CLASS_NAMES, None
    module = datasets.mnist if name == "mnist" else datasets.fashion_mnist
    try:
        return module.load_data(), name, module.CLASS_NAMES, None
    except (datasets.DatasetNotFoundError, datasets.DownloadError) as exc:
        why = first_line(exc)
        searched = getattr(exc, "searched", None)
        if searched:
            why = f"{why.rstrip('.')} (last tried: {searched[-1]})"
        if name != "mnist":
            raise CommandError(
                f"{why}; set FASTMLP_DATA to a directory holding a fashion-mnist/ folder with the "
                f"four IDX files, or apt-get install dataset-fashion-mnist") from None
        sample = datasets.mnist_sample
        warn(f"{PROG}: full MNIST is not available: {why}. Training on the bundled MNIST sample "
             f"instead ({sample.N_TRAIN} training / {sample.N_TEST} test images); set FASTMLP_DATA "
             f"to a directory holding mnist/ for the full dataset.")
        return sample.load_data(), "mnist-sample", sample.CLASS_NAMES, why
    except (datasets.ChecksumError, datasets.IDXFormatError, OSError) as exc:
        raise CommandError(f"cannot load {TITLES[name]}: {first_line(exc)}") from None


def validation_count(n_total, validation_split):
    """How many of ``n_total`` training images ``fit(validation_split=...)`` holds out."""
    if not validation_split:
        return 0
    n_val = n_total - int(n_total * (1.0 - validation_split))
    if n_val == 0 or n_val == n_total:
        raise CommandError(f"--validation-split {validation_split} leaves no training or no "
                           f"validation images out of {n_total}")
    return n_val


@dataclass
class Data:
    """The images and labels of a run, and what they are."""

    used: str                  # the dataset loaded: "mnist", "fashion_mnist" or "mnist-sample"
    class_names: Any
    fallback: Optional[str]    # why full MNIST was not used, or None
    x_train: Any               # uint8 images
    y_train: Any
    x_test: Any
    y_test: Any
    n_val: int                 # training images held out for validation

    @property
    def title(self):
        return TITLES[self.used]

    @property
    def kind(self):
        return "sample" if self.used == "mnist-sample" else "full"

    @property
    def num_classes(self):
        return len(self.class_names)

    @property
    def n_total(self):
        return len(self.x_train)

    @property
    def n_train(self):
        return self.n_total - self.n_val


def prepare_data(name, validation_split, warn):
    """Load dataset ``name`` (see ``load_data``) and check the validation split."""
    ((x_train, y_train), (x_test, y_test)), used, class_names, fallback = load_data(name, warn)
    n_val = validation_count(len(x_train), validation_split)
    return Data(used, class_names, fallback, x_train, y_train, x_test, y_test, n_val)
