"""Checks of the PNG files the commands draw (fastmlp-train's plots, fastmlp-bench's
--plot): a well-formed file, decodable, not blank, and the colours of what was drawn.

Used by tests/train/test_train.py and tests/bench/test_bench.py.
"""

import io
import struct
import zlib

import numpy as np

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_header(data):
    """``(width, height)`` from the IHDR chunk of the PNG ``data`` (bytes),
    after checking the signature, that IHDR comes first with its 13 bytes,
    its CRC, and an 8-bit RGB or RGBA image (what matplotlib's Agg writes)."""
    assert data[:8] == SIGNATURE, "not a PNG: wrong signature"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13, (kind, length)
    body = data[16:29]
    (crc,) = struct.unpack(">I", data[29:33])
    assert zlib.crc32(kind + body) == crc, "IHDR CRC mismatch"
    width, height, depth, colour_type = struct.unpack(">IIBB", body[:10])
    assert depth == 8 and colour_type in (2, 6), (depth, colour_type)
    assert data.rstrip(b"\0")[-12:] == b"\0\0\0\0IEND\xaeB`\x82", "no IEND chunk at the end"
    return width, height


def decode(data):
    """The PNG ``data`` as an ``(height, width, 3)`` uint8 RGB array
    (decoded by matplotlib; its shape checked against the header)."""
    import matplotlib.image

    width, height = png_header(data)
    image = matplotlib.image.imread(io.BytesIO(data), format="png")
    assert image.shape[:2] == (height, width) and image.shape[2] in (3, 4), image.shape
    return np.rint(image[..., :3] * 255).astype(np.int16)


def colour_mask(rgb, colour, tol=2):
    """Pixels of ``rgb`` within ``tol`` (0..255 per channel) of the matplotlib
    colour ``colour`` (e.g. ``"tab:blue"``): antialiased edges blend into the
    background, but a line's or a bar's interior has the colour exactly."""
    import matplotlib.colors

    target = np.rint(np.array(matplotlib.colors.to_rgb(colour)) * 255)
    return np.abs(rgb - target).max(axis=-1) <= tol


def check_png(data, size=None, min_colours=50, min_ink=0.01):
    """Check the PNG ``data`` and return its pixels (see ``decode``).

    Args:
        data: the file's bytes.
        size: the expected ``(width, height)``; by default only a sane size
            (100 to 5000 pixels each way) is required.
        min_colours: distinct colours at least (a blank figure has one, a
            figure of axes, ticks and text alone a few dozen greys).
        min_ink: the fraction of pixels that are not white, at least.

    Returns:
        The ``(height, width, 3)`` int16 RGB pixels.
    """
    width, height = png_header(data)
    if size is None:
        assert 100 <= width <= 5000 and 100 <= height <= 5000, (width, height)
    else:
        assert (width, height) == tuple(size), ((width, height), size)
    rgb = decode(data)
    colours = len(np.unique(rgb.reshape(-1, 3), axis=0))
    assert colours >= min_colours, f"{colours} distinct colours: a blank or nearly blank image"
    ink = np.mean((rgb != 255).any(axis=-1))
    assert ink >= min_ink, f"only {ink:.2%} of the pixels are not white"
    return rgb


def axes_pixels(rgb, ax, inset=3):
    """The pixels of ``rgb`` (a figure's PNG, decoded) inside the axes ``ax``
    of that figure, ``inset`` pixels in from its frame (the frame and spines
    left out). The figure must have been drawn at the PNG's resolution, as
    saving it does."""
    box = ax.get_window_extent()
    height = rgb.shape[0]
    top, bottom = int(round(height - box.y1)) + inset, int(round(height - box.y0)) - inset
    left, right = int(round(box.x0)) + inset, int(round(box.x1)) - inset
    assert 0 <= top < bottom <= height and 0 <= left < right <= rgb.shape[1], (top, bottom, left, right)
    return rgb[top:bottom, left:right]
