"""``fastmlp.utils.get_file``: Keras 3's signature and cache naming, fastmlp's
offline-first search (which includes Keras's own cache), verified downloads
from a local HTTP server, and archive extraction that refuses to escape.

Keras's naming rules (keras/src/utils/file_utils.py, 3.15): the default name is
the last part of the URL's path; with ``extract``, a name without a dot is the
extraction folder and the archive is ``<name>_archive``, a name with a dot is
the archive, extracted into ``<stem>_extracted``; ``"auto"`` picks sha256 for a
64-digit hash and md5 otherwise.
"""

import hashlib
import io
import os
import tarfile
import zipfile

import pytest

from fastmlp.utils import get_file
from fastmlp.utils.archives import UnsafeArchiveError, extract_archive
from fastmlp.utils.file_cache import DataFileNotFoundError, hash_file, validate_file
from test_datasets_download import server  # noqa: F401  (the local HTTP server fixture)

BODY = b"some data file\n" * 50
SHA = hashlib.sha256(BODY).hexdigest()
MD5 = hashlib.md5(BODY).hexdigest()


def _tar(members):
    """A .tar.gz of ``members``: (TarInfo fields dict, bytes or None)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for fields, data in members:
            info = tarfile.TarInfo(fields.pop("name"))
            for k, v in fields.items():
                setattr(info, k, v)
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def test_found_in_keras_cache_without_download(keras_home, server):
    (keras_home / "f.bin").write_bytes(BODY)
    got = get_file("f.bin", server.url + "/f.bin", file_hash=SHA)
    assert got == str(keras_home / "f.bin") and server.requests == []


def test_search_order_and_data_folders(monkeypatch, tmp_path, keras_home, server):
    data = tmp_path / "data"
    (data / "f").mkdir(parents=True)
    (data / "f" / "f.bin").write_bytes(BODY)  # <root>/<stem>/<fname>
    (keras_home / "f.bin").write_bytes(BODY)
    monkeypatch.setenv("FASTMLP_DATA", str(data))
    assert get_file("f.bin", server.url + "/f.bin", file_hash=MD5) == str(data / "f" / "f.bin")
    monkeypatch.delenv("FASTMLP_DATA")
    cache = tmp_path / "cache" / "datasets"
    cache.mkdir(parents=True)
    (cache / "f.bin").write_bytes(BODY)
    assert get_file("f.bin", server.url + "/f.bin") == str(cache / "f.bin")  # fastmlp's cache before Keras's
    assert server.requests == []


def test_wrong_local_copy_is_passed_over_and_download_verified(keras_home, tmp_path, server):
    (keras_home / "f.bin").write_bytes(b"stale")
    server.files["/f.bin"] = BODY
    got = get_file(origin=server.url + "/f.bin", file_hash=SHA)  # fname from the URL
    assert got == str(tmp_path / "cache" / "datasets" / "f.bin")
    assert open(got, "rb").read() == BODY and (keras_home / "f.bin").read_bytes() == b"stale"
    assert validate_file(got, MD5) and hash_file(got) == SHA


def test_bad_download_leaves_nothing(tmp_path, server):
    server.files["/f.bin"] = BODY
    with pytest.raises(DataFileNotFoundError, match="MD5 mismatch"):
        get_file("f.bin", server.url + "/f.bin", md5_hash="0" * 32)
    cache = tmp_path / "cache" / "datasets"
    assert not cache.exists() or os.listdir(cache) == []


def test_cache_dir_and_force_download(tmp_path, keras_home, server):
    server.files["/f.bin"] = BODY
    (keras_home / "f.bin").write_bytes(BODY)
    got = get_file("f.bin", server.url + "/f.bin", cache_dir=tmp_path / "mine", cache_subdir="sub")
    assert got == str(tmp_path / "mine" / "sub" / "f.bin") and len(server.requests) == 1
    assert get_file("f.bin", server.url + "/f.bin", cache_dir=tmp_path / "mine", cache_subdir="sub") == got
    assert len(server.requests) == 1
    get_file("f.bin", server.url + "/f.bin", cache_dir=tmp_path / "mine", cache_subdir="sub", force_download=True)
    assert len(server.requests) == 2


def test_offline_lists_places(monkeypatch, keras_home):
    monkeypatch.setenv("FASTMLP_OFFLINE", "1")
    with pytest.raises(DataFileNotFoundError) as info:
        get_file("f.bin", "http://127.0.0.1:9/f.bin")
    assert str(keras_home) in str(info.value) and "FASTMLP_OFFLINE" in str(info.value)


@pytest.mark.parametrize("kwargs, match", [
    ({"fname": "f.bin"}, "origin"),
    ({"fname": "a/f.bin", "origin": "http://x/f"}, "cache_dir"),
    ({"origin": "http://x/"}, "file name"),
    ({"fname": "f", "origin": "http://x/f", "file_hash": SHA, "hash_algorithm": "sha1"}, "hash_algorithm"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        get_file(**kwargs)


def test_extract_names_as_keras(tmp_path, server):
    server.files["/a.tar.gz"] = _tar([({"name": "inner/x.txt"}, b"x")])
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w") as z:
        z.writestr("y.txt", "y")
    server.files["/b.zip"] = zbuf.getvalue()
    cache = tmp_path / "cache" / "datasets"
    got = get_file("folder", server.url + "/a.tar.gz", extract=True)  # no dot: the folder's name
    assert got == str(cache / "folder") and (cache / "folder_archive").is_file()
    assert (cache / "folder" / "inner" / "x.txt").read_bytes() == b"x"
    got = get_file("b.zip", server.url + "/b.zip", extract=True)  # a dot: the archive's name
    assert got == str(cache / "b_extracted") and (cache / "b_extracted" / "y.txt").read_text() == "y"
    got = get_file("c", server.url + "/a.tar.gz", untar=True)
    assert (cache / "c" / "inner" / "x.txt").is_file()


@pytest.mark.parametrize("member", [
    {"name": "../escape.txt"},
    {"name": "/tmp/absolute.txt"},
    {"name": "link", "type": tarfile.SYMTYPE, "linkname": "../../outside"},
    {"name": "link", "type": tarfile.SYMTYPE, "linkname": "/etc/passwd"},
    {"name": "hard", "type": tarfile.LNKTYPE, "linkname": "../outside"},
    {"name": "fifo", "type": tarfile.FIFOTYPE},
    {"name": "dev", "type": tarfile.CHRTYPE, "devmajor": 1, "devminor": 3},
])
def test_unsafe_tar_members_are_refused(tmp_path, member):
    data = None if member.get("type") in (tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.FIFOTYPE, tarfile.CHRTYPE) \
        else b"evil"
    archive = tmp_path / "evil.tar.gz"
    archive.write_bytes(_tar([({"name": "ok.txt"}, b"fine"), (dict(member), data)]))
    target = tmp_path / "deep" / "er" / "target"
    with pytest.raises(UnsafeArchiveError, match="outside|special"):
        extract_archive(archive, target)
    assert not target.exists()  # nothing extracted, not even the good member
    assert sorted(os.listdir(tmp_path / "deep" / "er")) == []  # and no staging folder left behind
    assert not (tmp_path / "deep" / "escape.txt").exists()


def test_links_inside_are_kept(tmp_path):
    archive = tmp_path / "ok.tar.gz"
    archive.write_bytes(_tar([({"name": "d/a.txt"}, b"a"),
                              ({"name": "d/s", "type": tarfile.SYMTYPE, "linkname": "a.txt"}, None)]))
    assert extract_archive(archive, tmp_path / "t")
    assert (tmp_path / "t" / "d" / "s").read_bytes() == b"a"


def test_unsafe_zip_member_is_refused(tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("ok.txt", "fine")
        z.writestr("../../escape.txt", "evil")
    with pytest.raises(UnsafeArchiveError, match="outside"):
        extract_archive(archive, tmp_path / "t")
    assert not (tmp_path / "t").exists() and not (tmp_path.parent / "escape.txt").exists()
    assert not extract_archive(archive, tmp_path / "t", archive_format="tar")  # not a tar: nothing done
