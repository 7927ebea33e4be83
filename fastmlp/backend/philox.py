"""Philox4x32-10, the counter-based generator behind dropout masks.

Salmon et al., "Parallel random numbers: as easy as 1, 2, 3" (SC'11). Output
word ``i`` of the stream for ``(seed, step)`` is word ``i % 4`` of the block
``philox(key=(seed_lo, seed_hi), counter=(i // 4 lo, i // 4 hi, step_lo, step_hi))``.
Because a word depends only on ``(seed, step, i)``, every backend, thread count
and run draws the same mask. ``csrc/fm_philox.h`` is the C twin of this file.
"""

import numpy as np

_M0 = np.uint64(0xD2511F53)
_M1 = np.uint64(0xCD9E8D57)
_W0 = 0x9E3779B9
_W1 = 0xBB67AE85
_LOW32 = np.uint64(0xFFFFFFFF)
_SHIFT32 = np.uint64(32)
ROUNDS = 10


def _split64(value: int, what: str) -> tuple[int, int]:
    value = int(value)
    if not 0 <= value < 2**64:
        raise ValueError(f"{what} must be in [0, 2**64), got {value}")
    return value & 0xFFFFFFFF, value >> 32


def stream_key(seed: int, step: int) -> tuple[int, int, int, int]:
    """The 32-bit words that select the stream for ``(seed, step)``.

    Every backend draws from the same stream: the NumPy reference
    (:func:`random_words`), the compiled kernels and the GPU kernels, which
    take these four words as their arguments, in this order.

    Args:
        seed: the stream's key, an integer in [0, 2**64).
        step: the training step, an integer in [0, 2**64): the high half of
            every block counter.

    Returns:
        ``(seed_lo, seed_hi, step_lo, step_hi)`` as Python ints: the Philox key
        is ``(seed_lo, seed_hi)`` and block ``b``'s counter is
        ``(b lo, b hi, step_lo, step_hi)``.

    Raises:
        ValueError: ``seed`` or ``step`` is outside [0, 2**64) (the message
        names which).
    """
    return _split64(seed, "seed") + _split64(step, "step")


def philox4x32(counters, key):
    """Encrypt a (4, n) uint32 array of counters with a (k0, k1) key."""
    c0, c1, c2, c3 = (np.asarray(c, dtype=np.uint64) for c in counters)
    k0, k1 = key
    for r in range(ROUNDS):
        if r:
            k0 = (k0 + _W0) & 0xFFFFFFFF
            k1 = (k1 + _W1) & 0xFFFFFFFF
        p0 = _M0 * c0
        p1 = _M1 * c2
        c0, c1, c2, c3 = (
            (p1 >> _SHIFT32) ^ c1 ^ np.uint64(k0),
            p1 & _LOW32,
            (p0 >> _SHIFT32) ^ c3 ^ np.uint64(k1),
            p0 & _LOW32,
        )
    return np.stack([c0, c1, c2, c3]).astype(np.uint32)


def random_words(seed, step, n):
    """The first ``n`` uint32 words of the stream for ``(seed, step)``."""
    seed_lo, seed_hi, step_lo, step_hi = stream_key(seed, step)
    blocks = np.arange((n + 3) // 4, dtype=np.uint64)
    counters = (
        blocks & _LOW32,
        blocks >> _SHIFT32,
        np.full(blocks.shape, step_lo, dtype=np.uint64),
        np.full(blocks.shape, step_hi, dtype=np.uint64),
    )
    return philox4x32(counters, (seed_lo, seed_hi)).T.reshape(-1)[:n]


def drop_threshold(rate):
    """Words below this uint32 threshold drop their element (probability ``rate``)."""
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"dropout rate must be in [0, 1), got {rate}")
    return int(rate * 2.0**32)


def keep_scale(rate):
    """The float32 factor ``1 / (1 - rate)`` applied to kept elements."""
    return np.float32(1.0 / (1.0 - rate))
