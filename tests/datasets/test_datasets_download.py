"""Downloads, against an HTTP server on 127.0.0.1 started here (never the real network):
mirror fallback, connections dropped mid-file, bad content, atomic writes, progress."""

import gzip
import hashlib
import http.server
import io
import socket
import threading

import numpy as np
import pytest

from fastmlp.datasets import DatasetNotFoundError, DownloadError, _fetch, fashion_mnist, mnist
from fastmlp.datasets._idx import ChecksumError, idx_bytes


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep pytest output clean
        pass

    def do_GET(self):
        srv = self.server
        srv.requests.append(self.path)
        body = srv.files.get(self.path)
        mode = srv.modes.get(self.path, "ok")
        if body is None or mode == "404":
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if mode == "drop":  # announce the full length, send half, hang up
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    httpd.files, httpd.modes, httpd.requests = {}, {}, []
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    t = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    t.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def closed_port_url():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now: connection refused
    return f"http://127.0.0.1:{port}"


def serve(server, prefix, arrays):
    for base, a in arrays.items():
        server.files[f"{prefix}/{base}.gz"] = gzip.compress(idx_bytes(a), mtime=0)


def cache_files(tmp_path, name):
    d = tmp_path / "cache" / "datasets" / name
    return sorted(p.name for p in d.iterdir()) if d.exists() else []


GZ_NAMES = sorted(b + ".gz" for b in _fetch.IDX_FILES)


def test_download_into_cache_then_cache_hit(monkeypatch, tmp_path, server, capfd, make_fake, assert_matches):
    arrays = make_fake("fashion-mnist")
    serve(server, "/fashion-mnist", arrays)
    monkeypatch.setenv("FASTMLP_DATASET_MIRRORS", server.url + "/{name}/")
    assert_matches(fashion_mnist.load_data(), arrays)
    assert cache_files(tmp_path, "fashion-mnist") == GZ_NAMES
    assert len(server.requests) == 4
    err = capfd.readouterr().err
    assert f"Downloading {server.url}/fashion-mnist/train-images-idx3-ubyte.gz" in err
    assert "done:" in err and "\r" not in err  # plain lines when stderr is not a TTY

    found = _fetch.find_dataset("fashion-mnist")
    assert found.source == "cache"
    assert_matches(fashion_mnist.load_data(), arrays)
    assert len(server.requests) == 4  # nothing fetched again


def test_dropped_connection_leaves_no_partial_file_and_next_mirror_is_used(monkeypatch, tmp_path, server, make_fake,
                                                                          assert_matches):
    arrays = make_fake()
    serve(server, "/a", arrays)
    serve(server, "/b", arrays)
    server.modes["/a/train-images-idx3-ubyte.gz"] = "drop"
    monkeypatch.setenv("FASTMLP_DATASET_MIRRORS", f"{server.url}/a/ {server.url}/b/")
    assert_matches(mnist.load_data(), arrays)
    assert "/a/train-images-idx3-ubyte.gz" in server.requests
    assert "/b/train-images-idx3-ubyte.gz" in server.requests
    # the three good files came from mirror a; only the dropped one from b
    assert [r for r in server.requests if r.startswith("/b/")] == ["/b/train-images-idx3-ubyte.gz"]
    assert cache_files(tmp_path, "mnist") == GZ_NAMES  # no .part left behind


def test_all_mirrors_drop_no_partial_file_one_clear_error(monkeypatch, tmp_path, server, make_fake, assert_matches):
    arrays = make_fake()
    serve(server, "/a", arrays)
    serve(server, "/b", arrays)
    for m in ("/a", "/b"):
        server.modes[f"{m}/t10k-images-idx3-ubyte.gz"] = "drop"
    monkeypatch.setenv("FASTMLP_DATASET_MIRRORS", f"{server.url}/a/,{server.url}/b/")
    with pytest.raises(DatasetNotFoundError) as ei:
        mnist.load_data()
    msg = str(ei.value)
    for m in ("/a", "/b"):
        assert f"download {server.url}{m}/t10k-images-idx3-ubyte.gz: " in msg
    assert "truncated" in msg
    files = cache_files(tmp_path, "mnist")
    assert "t10k-images-idx3-ubyte.gz" not in files
    assert not any(f.endswith(".part") for f in files)
    # the complete, verified files are kept; a later run fetches only what is missing
    assert len(files) == 3
    server.modes.clear()
    server.requests.clear()
    assert_matches(mnist.load_data(), arrays)
    assert server.requests == ["/a/t10k-images-idx3-ubyte.gz"]


def test_bad_content_is_rejected_and_next_mirror_tried(monkeypatch, tmp_path, server, make_fake, assert_matches):
    arrays = make_fake()
    serve(server, "/a", arrays)
    serve(server, "/b", arrays)
    wrong = arrays["train-labels-idx1-ubyte"].copy()
    wrong[0] = (wrong[0] + 1) % 10
    server.files["/a/train-labels-idx1-ubyte.gz"] = gzip.compress(idx_bytes(wrong))
    server.files["/a/t10k-labels-idx1-ubyte.gz"] = b"<html>rate limited</html>"
    monkeypatch.setenv("FASTMLP_DATASET_MIRRORS", f"{server.url}/a/ {server.url}/b/")
    assert_matches(mnist.load_data(), arrays)
    assert "/b/train-labels-idx1-ubyte.gz" in server.requests
    assert "/b/t10k-labels-idx1-ubyte.gz" in server.requests
    assert cache_files(tmp_path, "mnist") == GZ_NAMES


def test_http_404_and_unreachable_mirrors_are_skipped(monkeypatch, tmp_path, server, closed_port_url, make_fake,
                                                      assert_matches):
    arrays = make_fake()
    serve(server, "/good", arrays)
    monkeypatch.setenv(
        "FASTMLP_DATASET_MIRRORS", f"{closed_port_url}/x/ {server.url}/missing/ {server.url}/good/"
    )
    assert_matches(mnist.load_data(), arrays)
    assert sum(r.startswith("/missing/") for r in server.requests) == 4  # a 404 is per file


def test_offline_everything_fails_error_lists_places_and_urls(monkeypatch, tmp_path, closed_port_url, make_fake):
    make_fake()
    monkeypatch.setenv("FASTMLP_DATASET_MIRRORS", f"{closed_port_url}/mnist/")
    with pytest.raises(DatasetNotFoundError) as ei:
        mnist.load_data()
    msg = str(ei.value)
    assert "FASTMLP_DATA is not set" in msg
    assert str(tmp_path / "cache" / "datasets" / "mnist") in msg
    assert str(tmp_path / "system" / "mnist") in msg
    # unreachable: one line for the mirror, not one per file
    assert msg.count(f"download {closed_port_url}/mnist/") == 1
    assert "go online" in msg and "set FASTMLP_DATA" in msg
    assert not (tmp_path / "cache" / "datasets" / "mnist").exists() or cache_files(tmp_path, "mnist") == []


def test_offline_env_var_blocks_downloads(monkeypatch, server, make_fake):
    arrays = make_fake()
    serve(server, "/m", arrays)
    monkeypatch.setenv("FASTMLP_DATASET_MIRRORS", server.url + "/m/")
    monkeypatch.setenv("FASTMLP_OFFLINE", "1")
    with pytest.raises(DatasetNotFoundError, match="FASTMLP_OFFLINE"):
        mnist.load_data()
    assert server.requests == []


def test_module_level_mirror_list_is_used(monkeypatch, server, make_fake, assert_matches):
    arrays = make_fake()
    serve(server, "/m", arrays)
    monkeypatch.setitem(_fetch.MIRRORS, "mnist", [server.url + "/m"])  # no trailing slash needed
    assert_matches(mnist.load_data(), arrays)
    assert _fetch.get_mirrors("mnist") == [server.url + "/m"]


def test_keras_npz_mirror(monkeypatch, tmp_path, server, make_fake, assert_matches):
    arrays = make_fake()
    buf = io.BytesIO()
    np.savez_compressed(
        buf, **{k: arrays[b] for k, b in zip(("x_train", "y_train", "x_test", "y_test"), _fetch.IDX_FILES)}
    )
    blob = buf.getvalue()
    server.files["/keras/mnist.npz"] = blob
    # The archive is accepted by its published file digest alone.
    monkeypatch.setitem(_fetch.NPZ_SHA256, "mnist", {"mnist.npz": hashlib.sha256(blob).hexdigest()})
    monkeypatch.setitem(_fetch.IDX_SHA256, "mnist", {b: "0" * 64 for b in _fetch.IDX_FILES})
    monkeypatch.setenv("FASTMLP_DATASET_MIRRORS", server.url + "/keras/mnist.npz")
    assert_matches(mnist.load_data(), arrays)
    assert cache_files(tmp_path, "mnist") == ["mnist.npz"]
    assert _fetch.find_dataset("mnist").source == "cache"


def test_keras_npz_mirror_wrong_digest_then_idx_mirror(monkeypatch, tmp_path, server, make_fake, assert_matches):
    arrays = make_fake()
    server.files["/keras/mnist.npz"] = b"PK\x05\x06" + b"\x00" * 18  # an empty zip: wrong file
    serve(server, "/idx", arrays)
    monkeypatch.setenv("FASTMLP_DATASET_MIRRORS", f"{server.url}/keras/mnist.npz {server.url}/idx/")
    assert_matches(mnist.load_data(), arrays)
    assert cache_files(tmp_path, "mnist") == GZ_NAMES


def test_download_file_removes_temp_on_verify_failure(tmp_path, server):
    server.files["/f"] = b"x" * 200_000
    dest = tmp_path / "d" / "f.bin"

    def reject(p):
        assert p.exists() and p.name.endswith(".part") and p.stat().st_size == 200_000
        raise ChecksumError(p, "a" * 64, "b" * 64)

    with pytest.raises(ChecksumError):
        _fetch.download_file(server.url + "/f", dest, reject, progress=False)
    assert list((tmp_path / "d").iterdir()) == []

    server.modes["/f"] = "drop"
    with pytest.raises(DownloadError, match="100000 of 200000"):
        _fetch.download_file(server.url + "/f", dest, progress=False)
    assert list((tmp_path / "d").iterdir()) == []

    server.modes.clear()
    assert _fetch.download_file(server.url + "/f", dest, progress=False) == dest
    assert dest.read_bytes() == b"x" * 200_000
    assert list((tmp_path / "d").iterdir()) == [dest]


def test_progress_bar_on_a_tty(tmp_path, server):
    server.files["/big"] = bytes(300_000)

    class TTY(io.StringIO):
        def isatty(self):
            return True

    out = TTY()
    _fetch.download_file(server.url + "/big", tmp_path / "big", stream=out)
    text = out.getvalue()
    assert "\r  [" in text and "100.0%" in text and "done:" in text

    plain = io.StringIO()
    _fetch.download_file(server.url + "/big", tmp_path / "big2", stream=plain)
    lines = plain.getvalue().splitlines()
    assert lines[0].startswith("Downloading ") and "300.0 kB" in lines[0]
    assert any(line.strip().startswith("50%") for line in lines)
    assert lines[-1].strip().startswith("done:") and "\r" not in plain.getvalue()
