#!/usr/bin/env bash
# Build fastmlp's compiled kernels with AddressSanitizer and UndefinedBehavior-
# Sanitizer and run the kernel, model and bad-input tests against that build;
# with SANITIZER=thread, build them with ThreadSanitizer instead and run the
# tests of the threaded compiled step.
#
#   scripts/sanitize.sh                 # from anywhere; needs gcc (or clang) and the test extra
#   PYTHON=.venv/bin/python scripts/sanitize.sh
#   scripts/sanitize.sh -k softmax      # extra arguments go to pytest
#   SANITIZER=thread scripts/sanitize.sh
#
# The build happens in a throwaway copy of the working tree (without .git and
# without any built extension), never in place: the tree's own
# fastmlp/backend/_kernels*.so is left alone. Python itself is not
# instrumented, so the sanitizer runtimes are LD_PRELOADed; leak detection is
# off (CPython keeps objects alive at exit by design). Any ASan or UBSan report
# stops the run and the script exits non-zero. KEEP=1 keeps the copy.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=${PYTHON:-python3}
# Resolve a relative interpreter path now: the build runs in another folder.
PY=$(command -v "$PY" 2>/dev/null || true)
[ -n "$PY" ] || { echo "sanitize: no Python interpreter at ${PYTHON:-python3}"; exit 1; }
case "$PY" in /*) ;; *) PY="$PWD/$PY" ;; esac
CC=${CC:-gcc}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/fastmlp-sanitize.XXXXXX")
if [ "${KEEP:-0}" = 1 ]; then echo "sanitize: keeping $WORK"; else trap 'rm -rf "$WORK"' EXIT; fi

tar -C "$ROOT" --exclude=./.git --exclude=./.venv --exclude=./build --exclude='*.so' \
    --exclude=./fastmlp/backend/_kernels.c --exclude=./fastmlp/backend/_step.c --exclude='__pycache__' --exclude=.pytest_cache \
    --exclude=.hypothesis -cf - . | tar -C "$WORK" -xf -
cd "$WORK"

# -O1 as the sanitizers recommend (setup.py's own -O3 comes last on the command line).
sed -i 's/"-O3", //' setup.py
if [ "${SANITIZER:-address}" = thread ]; then
    SAN="-fsanitize=thread -fno-omit-frame-pointer -g -O1"
    LINK="-fsanitize=thread"
else
    SAN="-fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=undefined,float-cast-overflow -fno-omit-frame-pointer -g -O1"
    LINK="-fsanitize=address,undefined,float-cast-overflow"
fi
echo "sanitize: building in $WORK with $SAN"
CC="$CC" CFLAGS="$SAN" LDFLAGS="$LINK" "$PY" setup.py -q build_ext --inplace \
    > build.log 2>&1 || { cat build.log; exit 1; }

if [ "${SANITIZER:-address}" = thread ]; then
    TSAN_LIB=$("$CC" -print-file-name=libtsan.so)
    [ -f "$TSAN_LIB" ] || { echo "sanitize: $TSAN_LIB not found (install the compiler's sanitizer runtimes)"; exit 1; }
    # The interpreter and NumPy's BLAS are not instrumented: ThreadSanitizer
    # sees the compiled step's own threads, their barriers and their buffers.
    export LD_PRELOAD="$TSAN_LIB" TSAN_OPTIONS="halt_on_error=1:report_signal_unsafe=0"
    export PYTHONPATH="$WORK" PYTHONDONTWRITEBYTECODE=1 FASTMLP_REQUIRE_COMPILED=1
    # a targeted subset without the datasets: its skips (data, RSS under ASan) are by design, so
    # the suite's CI skip rule (tests/skip_policy.py) does not apply here
    unset FASTMLP_BACKEND FASTMLP_DATA FASTMLP_STRICT_SKIPS
    "$PY" -c "
import os, fastmlp.backend._step as s
assert s.__file__.startswith(os.getcwd()), s.__file__
assert 'libtsan' in open('/proc/self/maps').read(), 'ThreadSanitizer runtime not loaded'
assert b'__tsan_' in open(s.__file__, 'rb').read(), 'extension not instrumented'
print('sanitize: instrumented', s.__file__)"
    # Canary: two threads racing on one int must be reported, or
    # ThreadSanitizer is not really watching threads started from Python.
    printf '%s\n' '#include <pthread.h>' 'static int shared;' \
        'static void *bump(void *a) { for (int i = 0; i < 100000; ++i) shared += 1; return a; }' \
        'int race(void) { pthread_t t[2]; for (int i = 0; i < 2; ++i) pthread_create(&t[i], 0, bump, 0);' \
        '  for (int i = 0; i < 2; ++i) pthread_join(t[i], 0); return shared; }' > canary.c
    "$CC" -fsanitize=thread -fPIC -shared -g -O1 canary.c -o canary.so
    if TSAN_OPTIONS="halt_on_error=0" "$PY" -c "import ctypes; ctypes.CDLL('./canary.so').race()" > canary.log 2>&1 \
            && ! grep -q "ThreadSanitizer: data race" canary.log; then
        cat canary.log
        echo "sanitize: FAILED: ThreadSanitizer did not report a deliberate data race"
        exit 1
    fi
    echo "sanitize: canary caught (data race), running the tests"
    set +e
    # (ThreadSanitizer cannot follow a child forked from a threaded process)
    FASTMLP_NUM_THREADS=2 "$PY" -m pytest -q -p no:cacheprovider tests/models/test_compiled_step.py \
        --deselect tests/models/test_compiled_step.py::test_a_forked_child_trains_with_threads_of_its_own \
        "$@" 2>&1 | tee pytest.log
    status=${PIPESTATUS[0]}
    set -e
    if grep -qE "WARNING: ThreadSanitizer|SUMMARY: ThreadSanitizer" pytest.log; then
        echo "sanitize: FAILED: ThreadSanitizer report above"
        exit 1
    fi
    if [ "$status" -ne 0 ]; then echo "sanitize: FAILED: pytest exit status $status"; exit "$status"; fi
    echo "sanitize: clean (ThreadSanitizer, $(grep -Eo '[0-9]+ passed' pytest.log | tail -1))"
    exit 0
fi

ASAN_LIB=$("$CC" -print-file-name=libasan.so)
UBSAN_LIB=$("$CC" -print-file-name=libubsan.so)
for lib in "$ASAN_LIB" "$UBSAN_LIB"; do
    [ -f "$lib" ] || { echo "sanitize: $lib not found (install the compiler's sanitizer runtimes)"; exit 1; }
done

export LD_PRELOAD="$ASAN_LIB $UBSAN_LIB"
# allocator_may_return_null: a huge request is a MemoryError, as without ASan (the tests check that)
export ASAN_OPTIONS="detect_leaks=0:allocator_may_return_null=1:abort_on_error=1:halt_on_error=1:detect_stack_use_after_return=1:strict_string_checks=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export FASTMLP_REQUIRE_COMPILED=1 PYTHONPATH="$WORK" PYTHONDONTWRITEBYTECODE=1
unset FASTMLP_BACKEND FASTMLP_DATA FASTMLP_STRICT_SKIPS  # a subset without the datasets: its skips are by design

# the tests must see the instrumented build, not an installed fastmlp
"$PY" - <<'PYEOF'
import os, fastmlp.backend._kernels as k, subprocess
assert k.__file__.startswith(os.getcwd()), k.__file__
maps = open("/proc/self/maps").read()
assert "libasan" in maps and "libubsan" in maps, "sanitizer runtimes not loaded"
assert "__asan" in subprocess.run(["nm", "-D", k.__file__], capture_output=True, text=True).stdout \
    or "asan" in open(k.__file__, "rb").read().decode("latin-1"), "extension not instrumented"
print("sanitize: instrumented", k.__file__)
PYEOF

# Canary: a kernel handed a lying array (a C-contiguous header over 4 KB that
# claims 8 KB) must be caught, or the sanitizers are not really in the loop.
if ASAN_OPTIONS="$ASAN_OPTIONS:abort_on_error=0" "$PY" -c "
import numpy as np
from fastmlp.backend import _kernels as K
a = np.zeros(1024, np.float32)
b = np.lib.stride_tricks.as_strided(a, shape=(2048,), strides=(4,))
K.relu_forward(b, np.zeros(2048, np.float32))" > canary.log 2>&1 || ! grep -q "heap-buffer-overflow" canary.log; then
    cat canary.log
    echo "sanitize: FAILED: ASan did not report a deliberate out-of-bounds read"
    exit 1
fi
echo "sanitize: canary caught (heap-buffer-overflow), running the tests"

set +e
"$PY" -m pytest -q -p no:cacheprovider tests/backend tests/models tests/layers tests/losses tests/metrics \
    tests/optimizers tests/callbacks tests/activations tests/regularizers tests/hardening/test_bad_input.py \
    --ignore=tests/backend/test_cupy.py "$@" 2>&1 | tee pytest.log
status=${PIPESTATUS[0]}
set -e
if grep -qE "ERROR: AddressSanitizer|runtime error:|SUMMARY: (Address|UndefinedBehavior)Sanitizer" pytest.log; then
    echo "sanitize: FAILED: sanitizer report above"
    exit 1
fi
# The bad-input battery runs its cases in child processes; a sanitizer report
# there fails those cases (the child dies), which pytest's status covers.
if [ "$status" -ne 0 ]; then echo "sanitize: FAILED: pytest exit status $status"; exit "$status"; fi
echo "sanitize: clean (ASan + UBSan, $(grep -Eo '[0-9]+ passed' pytest.log | tail -1))"
