"""The chart cache: the pinned archive when cached, a pull when it can, else the newest cached one, said aloud."""

from __future__ import annotations

import shutil
import socket
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import helm_python
import pytest

from render.chart_cache import cached_versions, chart_cache_dir, find_chart, version_key
from render.errors import RenderError

UPSTREAM = chart_cache_dir()
EXTERNAL_DNS = UPSTREAM / "external-dns-1.21.1.tgz"


def cache_with(folder: Path, *names: str, read_only: bool) -> Path:
    folder.mkdir()
    for name in names:
        (folder / name).write_bytes(b"not read by find_chart")
    if read_only:
        folder.chmod(0o555)
    return folder


@pytest.fixture
def unused_port() -> int:
    """A local port nothing listens on: a connection to it is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A local port that accepts connections and never answers: a network that hangs."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


@pytest.fixture
def chart_repository(tmp_path: Path) -> Iterator[str]:
    """A Helm repository on localhost serving the external-dns chart."""
    if not EXTERNAL_DNS.is_file():
        pytest.skip(f"{EXTERNAL_DNS} is absent: no chart to serve")
    served = tmp_path / "served"
    served.mkdir()
    shutil.copy(EXTERNAL_DNS, served)
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(SimpleHTTPRequestHandler, directory=str(served)))
    url = f"http://127.0.0.1:{server.server_address[1]}"
    helm_python.repo_index_generate(served, base_url=url)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield url
    server.shutdown()
    server.server_close()


def test_the_pinned_version_when_cached(tmp_path: Path) -> None:
    cache = cache_with(tmp_path / "cache", "flux-operator-0.49.0.tgz", "flux-operator-0.58.0.tgz", read_only=True)
    found = find_chart("flux-operator", "0.58.0", "oci://ghcr.io/controlplaneio-fluxcd/charts", cache=cache)
    assert (found.path, found.version, found.notice) == (cache / "flux-operator-0.58.0.tgz", "0.58.0", None)


def test_newest_cached_version_with_a_notice_when_the_cache_is_read_only(tmp_path: Path) -> None:
    cache = cache_with(
        tmp_path / "cache",
        "flux-operator-0.9.0.tgz",
        "flux-operator-0.49.0.tgz",
        "flux-operator-0.10.0.tgz",
        "flux-operator-crds-9.9.9.tgz",
        read_only=True,
    )
    found = find_chart("flux-operator", "0.58.0", "oci://ghcr.io/controlplaneio-fluxcd/charts", cache=cache)
    assert found.path == cache / "flux-operator-0.49.0.tgz"
    assert found.notice == (
        f"flux-operator 0.58.0 is not in the chart cache ({cache}); rendered 0.49.0 instead "
        "(the cache is read-only, so it was not pulled)"
    )


def test_nothing_cached_is_one_error_naming_chart_version_and_cache(tmp_path: Path) -> None:
    cache = cache_with(tmp_path / "cache", "external-dns-1.21.1.tgz", read_only=True)
    with pytest.raises(RenderError) as caught:
        find_chart("flux-operator", "0.58.0", "oci://ghcr.io/controlplaneio-fluxcd/charts", cache=cache)
    assert caught.value.problems == (
        f"flux-operator 0.58.0 is not in the chart cache ({cache}) and no other version of it is "
        "(the cache is read-only, so it was not pulled)",
    )


@pytest.mark.parametrize("scheme", ["http", "oci"])
def test_a_failed_pull_falls_back_and_says_why(tmp_path: Path, unused_port: int, scheme: str) -> None:
    cache = cache_with(tmp_path / "cache", "external-dns-1.20.0.tgz", read_only=False)
    repository = f"{scheme}://127.0.0.1:{unused_port}/charts"
    found = find_chart("external-dns", "1.21.1", repository, cache=cache)
    assert found.version == "1.20.0"
    assert found.notice is not None
    assert found.notice.startswith(
        f"external-dns 1.21.1 is not in the chart cache ({cache}); rendered 1.20.0 instead "
        f"(pulling it from {repository} failed: "
    )
    assert sorted(p.name for p in cache.iterdir()) == ["external-dns-1.20.0.tgz"]  # no half-pulled leftovers


def test_a_pull_that_never_answers_is_stopped(tmp_path: Path, silent_server: int) -> None:
    cache = cache_with(tmp_path / "cache", read_only=False)
    repository = f"http://127.0.0.1:{silent_server}/charts"
    with pytest.raises(RenderError) as caught:
        find_chart("external-dns", "1.21.1", repository, cache=cache, timeout=1)
    assert caught.value.problems == (
        f"external-dns 1.21.1 is not in the chart cache ({cache}) and no other version of it is "
        f"(pulling it from {repository} failed: no answer within 1s)",
    )


def test_a_missing_version_is_pulled_into_the_cache(tmp_path: Path, chart_repository: str) -> None:
    cache = tmp_path / "cache"
    found = find_chart("external-dns", "1.21.1", chart_repository, cache=cache)
    assert (found.path, found.version, found.notice) == (cache / "external-dns-1.21.1.tgz", "1.21.1", None)
    assert found.path.read_bytes() == EXTERNAL_DNS.read_bytes()
    assert [p.name for p in cache.iterdir()] == ["external-dns-1.21.1.tgz"]


def test_versions_in_semantic_order(tmp_path: Path) -> None:
    cache = cache_with(
        tmp_path / "cache",
        *(f"x-{v}.tgz" for v in ("1.0.0", "1.0.0-rc.2", "1.0.0-rc.10", "0.10.0", "0.9.1", "1.0.1-alpha")),
        read_only=True,
    )
    assert sorted(cached_versions(cache, "x"), key=version_key) == [
        "0.9.1",
        "0.10.0",
        "1.0.0-rc.2",
        "1.0.0-rc.10",
        "1.0.0",
        "1.0.1-alpha",
    ]
