#!/usr/bin/env python3
"""Make fastmlp/datasets/data/mnist-sample.npz from the real MNIST files.

    python scripts/make_mnist_sample.py [--source DIR] [--out FILE] [--check]

The source is found by ``fastmlp.datasets.mnist.load_data`` (``--source`` is
passed as its ``path``; by default ``$FASTMLP_DATA`` etc. are searched), so the
published SHA-256 digests are checked.  The sample is the first N_TRAIN training
and first N_TEST test images (constants in ``fastmlp.datasets.mnist_sample``).

The archive is written reproducibly: members in a fixed order, fixed
1980-01-01 00:00:00 timestamps, fixed ``create_system``/permissions, deflate
level 9, .npy format version 1.0.  Same inputs + same zlib => same bytes.  The
script prints the file's size and SHA-256 (to record as
``fastmlp.datasets.mnist_sample.SHA256``); ``--check`` regenerates in memory and
compares with the shipped file (arrays must be equal; the bytes are expected to
be identical too).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import sys
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Import the submodules directly so this works even while fastmlp/__init__ is in flux.
from fastmlp.datasets import mnist, mnist_sample  # noqa: E402

DEFAULT_OUT = ROOT / "fastmlp" / "datasets" / "data" / "mnist-sample.npz"
_DATE = (1980, 1, 1, 0, 0, 0)


def sample_arrays(source=None, n_train: int = mnist_sample.N_TRAIN, n_test: int = mnist_sample.N_TEST):
    """The sample's arrays, in archive order, from the real (digest-checked) data."""
    (xtr, ytr), (xte, yte) = mnist.load_data(source, download=False)
    return {
        "x_train": np.ascontiguousarray(xtr[:n_train]),
        "y_train": np.ascontiguousarray(ytr[:n_train]),
        "x_test": np.ascontiguousarray(xte[:n_test]),
        "y_test": np.ascontiguousarray(yte[:n_test]),
    }


def npz_bytes(arrays) -> bytes:
    """A reproducible np.savez_compressed equivalent: returns the archive bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for key, a in arrays.items():
            npy = io.BytesIO()
            np.lib.format.write_array(npy, np.ascontiguousarray(a), version=(1, 0), allow_pickle=False)
            info = zipfile.ZipInfo(key + ".npy", date_time=_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # "Unix", whatever the host
            info.external_attr = 0o644 << 16
            zf.writestr(info, npy.getvalue(), compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return buf.getvalue()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--source", help="directory with the four MNIST IDX files (default: search as load_data does)")
    ap.add_argument("--out", default=str(DEFAULT_OUT), help=f"output file (default: {DEFAULT_OUT})")
    ap.add_argument("--check", action="store_true", help="compare with the existing file instead of writing")
    args = ap.parse_args(argv)

    arrays = sample_arrays(args.source)
    data = npz_bytes(arrays)
    digest = hashlib.sha256(data).hexdigest()
    out = Path(args.out)
    if args.check:
        old = out.read_bytes()
        with np.load(io.BytesIO(old), allow_pickle=False) as z:
            same_arrays = sorted(z.files) == sorted(arrays) and all(np.array_equal(z[k], arrays[k]) for k in arrays)
        same_bytes = old == data
        old_digest = hashlib.sha256(old).hexdigest()
        print(f"{out}: arrays {'match' if same_arrays else 'DIFFER'}; bytes {'identical' if same_bytes else 'differ'}")
        print(f"  shipped sha256 {old_digest} (recorded: {mnist_sample.SHA256})")
        ok = same_arrays and old_digest == mnist_sample.SHA256
        return 0 if ok else 1
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, out)
    print(f"wrote {out}: {len(data)} bytes, "
          f"{len(arrays['x_train'])} train + {len(arrays['x_test'])} test images")
    print(f"sha256 {digest}")
    if digest != mnist_sample.SHA256:
        print("NOTE: update fastmlp.datasets.mnist_sample.SHA256 to the digest above", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
