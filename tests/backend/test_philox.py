"""Philox4x32-10 known-answer tests (Random123's kat_vectors) for the Python
reference generator and its C twin, and agreement between the two."""

import numpy as np
import pytest

from compiled_extension import compiled_module
from fastmlp.backend import philox

# (counter c0..c3, key k0 k1, expected output words), from Random123.
KAT = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
]


@pytest.fixture
def kernels():
    # where not built: a skip, or a failure under FASTMLP_REQUIRE_COMPILED=1
    return compiled_module("_kernels")


def _python_block(counter, key):
    return tuple(int(w) for w in philox.philox4x32([[c] for c in counter], key)[:, 0])


@pytest.mark.parametrize("counter,key,expected", KAT)
def test_python_known_answers(counter, key, expected):
    assert _python_block(counter, key) == expected


@pytest.mark.parametrize("counter,key,expected", KAT)
def test_c_known_answers(kernels, counter, key, expected):
    assert kernels.philox_block(counter, key) == expected


def test_c_matches_python_on_random_blocks(kernels):
    rng = np.random.default_rng(0)
    words = rng.integers(0, 2**32, (200, 6), dtype=np.uint64)
    for row in words.tolist():
        assert kernels.philox_block(row[:4], row[4:]) == _python_block(row[:4], row[4:])


def test_stream_layout():
    """Word i of (seed, step) is word i % 4 of block (i // 4, step) keyed by seed."""
    seed, step = 2**35 + 3, 2**32 + 9
    words = philox.random_words(seed, step, 10)
    key = (seed & 0xFFFFFFFF, seed >> 32)
    for i in range(10):
        counter = (i // 4, 0, step & 0xFFFFFFFF, step >> 32)
        assert words[i] == _python_block(counter, key)[i % 4]
