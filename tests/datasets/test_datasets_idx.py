"""IDX reader: gz and raw files the tests generate, truncation, corruption, bad magic."""

import gzip
import hashlib
import struct

import numpy as np
import pytest

from fastmlp.datasets._idx import (
    ChecksumError,
    IDXFormatError,
    decompressed_sha256,
    idx_bytes,
    read_idx,
    read_idx_bytes,
    write_idx,
)


@pytest.fixture
def images():
    return np.random.default_rng(0).integers(0, 256, size=(7, 28, 28), dtype=np.uint8)


@pytest.fixture
def labels():
    return np.random.default_rng(1).integers(0, 10, size=(7,), dtype=np.uint8)


@pytest.mark.parametrize("gz", [False, True])
def test_roundtrip_images_and_labels(tmp_path, images, labels, gz):
    suffix = ".gz" if gz else ""
    pi = tmp_path / ("images-idx3-ubyte" + suffix)
    pl = tmp_path / ("labels-idx1-ubyte" + suffix)
    write_idx(pi, images)
    write_idx(pl, labels)
    if gz:
        assert pi.read_bytes()[:2] == b"\x1f\x8b"
    else:
        assert pi.read_bytes()[:4] == b"\x00\x00\x08\x03"
        assert pl.read_bytes()[:4] == b"\x00\x00\x08\x01"
    xi = read_idx(pi, ndim=3)
    xl = read_idx(pl, ndim=1)
    assert xi.dtype == np.uint8 and xi.shape == (7, 28, 28)
    assert xl.dtype == np.uint8 and xl.shape == (7,)
    np.testing.assert_array_equal(xi, images)
    np.testing.assert_array_equal(xl, labels)
    assert xi.flags.writeable and xi.flags.c_contiguous
    xi[0, 0, 0] = 1  # writable like Keras's arrays


def test_gzip_detected_by_content_not_name(tmp_path, labels):
    p = tmp_path / "labels-without-suffix"
    write_idx(p, labels, compress=True)
    np.testing.assert_array_equal(read_idx(p), labels)


def test_digest_is_of_decompressed_payload(tmp_path, images):
    raw = tmp_path / "a"
    gz = tmp_path / "a.gz"
    write_idx(raw, images)
    write_idx(gz, images)
    want = hashlib.sha256(idx_bytes(images)).hexdigest()
    assert hashlib.sha256(raw.read_bytes()).hexdigest() == want
    assert decompressed_sha256(raw) == decompressed_sha256(gz) == want
    arr, digest = read_idx(gz, sha256=want, return_digest=True)
    assert digest == want
    np.testing.assert_array_equal(arr, images)


def test_checksum_mismatch_names_file_and_digests(tmp_path, images):
    p = tmp_path / "train-images-idx3-ubyte"
    write_idx(p, images)
    data = bytearray(p.read_bytes())
    data[100] ^= 0xFF  # corrupt one pixel: the format is still valid
    p.write_bytes(bytes(data))
    want = hashlib.sha256(idx_bytes(images)).hexdigest()
    got = hashlib.sha256(bytes(data)).hexdigest()
    with pytest.raises(ChecksumError) as ei:
        read_idx(p, sha256=want)
    msg = str(ei.value)
    assert str(p) in msg and want in msg and got in msg
    assert isinstance(ei.value, ValueError)
    assert ei.value.expected == want and ei.value.actual == got


@pytest.mark.parametrize("gz", [False, True])
def test_truncated_payload(tmp_path, images, gz):
    data = idx_bytes(images)[:-50]
    p = tmp_path / ("t10k-images-idx3-ubyte" + (".gz" if gz else ""))
    if gz:
        p.write_bytes(gzip.compress(data, mtime=0))
    else:
        p.write_bytes(data)
    with pytest.raises(IDXFormatError, match="truncated") as ei:
        read_idx(p)
    assert str(p) in str(ei.value)
    assert isinstance(ei.value, ValueError)


def test_truncated_header(tmp_path):
    p = tmp_path / "short"
    p.write_bytes(b"\x00\x00\x08\x03\x00\x00\x00\x07\x00")  # 3 dims need 16 header bytes
    with pytest.raises(IDXFormatError, match="truncated") as ei:
        read_idx(p)
    assert str(p) in str(ei.value)
    p.write_bytes(b"\x00\x00")
    with pytest.raises(IDXFormatError, match="truncated"):
        read_idx(p)


def test_truncated_gzip_stream(tmp_path, images):
    p = tmp_path / "train-images-idx3-ubyte.gz"
    write_idx(p, images)
    blob = p.read_bytes()
    p.write_bytes(blob[: len(blob) // 2])  # the download that stopped half-way
    with pytest.raises(IDXFormatError, match="truncated") as ei:
        read_idx(p)
    assert str(p) in str(ei.value)
    with pytest.raises(IDXFormatError):
        decompressed_sha256(p)


def test_corrupt_gzip_stream(tmp_path, images):
    p = tmp_path / "train-images-idx3-ubyte.gz"
    write_idx(p, images)
    blob = bytearray(p.read_bytes())
    for i in range(20, len(blob) - 8, 7):
        blob[i] ^= 0x5A
    p.write_bytes(bytes(blob))
    with pytest.raises(ValueError) as ei:  # IDXFormatError (bad deflate/CRC) -- never garbage data
        read_idx(p)
    assert str(p) in str(ei.value)


def test_trailing_bytes_rejected(tmp_path, labels):
    p = tmp_path / "labels"
    p.write_bytes(idx_bytes(labels) + b"\x00\x01")
    with pytest.raises(IDXFormatError, match="trailing") as ei:
        read_idx(p)
    assert str(p) in str(ei.value)


def test_wrong_magic_for_expected_kind(tmp_path, images, labels):
    pi = tmp_path / "images"
    pl = tmp_path / "labels"
    write_idx(pi, images)
    write_idx(pl, labels)
    with pytest.raises(IDXFormatError, match="0x00000803") as ei:
        read_idx(pi, ndim=1)  # an image file where labels were expected
    assert "0x00000801" in str(ei.value) and str(pi) in str(ei.value)
    with pytest.raises(IDXFormatError, match="magic"):
        read_idx(pl, ndim=3)


def test_not_an_idx_file(tmp_path):
    p = tmp_path / "page.html"
    p.write_bytes(b"<html><body>Access denied</body></html>")  # what a broken mirror serves
    with pytest.raises(IDXFormatError, match="not an IDX file") as ei:
        read_idx(p)
    assert str(p) in str(ei.value)


def test_wrong_dtype_byte(tmp_path):
    p = tmp_path / "floats"
    p.write_bytes(struct.pack(">HBBI", 0, 0x0D, 1, 2) + b"\x00" * 8)  # 0x0D = float32
    with pytest.raises(IDXFormatError, match="0x0d"):
        read_idx(p)


def test_read_idx_bytes_and_encoder_checks():
    a = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    np.testing.assert_array_equal(read_idx_bytes(idx_bytes(a)), a)
    with pytest.raises(TypeError):
        idx_bytes(np.zeros(3, dtype=np.int32))
    empty = np.zeros((0, 28, 28), dtype=np.uint8)
    assert read_idx_bytes(idx_bytes(empty)).shape == (0, 28, 28)
