"""Bad requests, as an attacker would send them: each is a 4xx with a JSON body naming what is
wrong, and no request, whatever its size, moves the app's memory."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.app.conftest import RunningApp

ENTRY = b'{"author": "ada", "message": "hello"}'
MIB = 1024 * 1024


def post(app: RunningApp, body: bytes, content_type: str | None = "application/json") -> httpx.Response:
    headers = {"Content-Type": content_type} if content_type else {}
    with app.client() as client:
        return client.post("/entries", content=body, headers=headers)


def assert_problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    problem = response.json()
    assert isinstance(problem, dict) and isinstance(problem["error"], str), problem
    return problem


@pytest.mark.parametrize(
    ("body", "status"),
    [(b"[" * 100_000, 413), (b"[" * 5_000, 400), (b'{"a":' * 2_000, 400)],
    ids=["the issue's 100,000 brackets", "5,000 brackets", "2,000 objects"],
)
def test_deep_nesting_is_refused(shared_app: RunningApp, body: bytes, status: int) -> None:
    """Python's json recursion ended in a RecursionError and a 500."""
    assert_problem(post(shared_app, body), status)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"author": "\\ud800", "message": "lone surrogate"}', "author"),
        (b'{"author": "ada", "message": "low \\udc00 alone"}', "message"),
        (b'{"author": "a\\u0000b", "message": "NUL"}', "author"),
        (b'{"author": "ada", "message": "\\u0000"}', "message"),
    ],
    ids=["surrogate in author", "surrogate in message", "NUL in author", "NUL in message"],
)
def test_text_postgresql_cannot_store_is_refused_naming_the_field(
    shared_app: RunningApp, body: bytes, field: str
) -> None:
    """A lone surrogate failed to encode (500); a NUL was a DataError answered as an outage (503)."""
    problem = assert_problem(post(shared_app, body), 400)
    assert field in problem["fields"], problem  # type: ignore[operator]


@pytest.mark.parametrize(
    "body",
    [b'{"author": "\xff", "message": "x"}', '{"author": "ada", "message": "x"}'.encode("utf-16")],
    ids=["invalid UTF-8", "UTF-16"],
)
def test_a_body_that_is_not_utf8_is_refused(shared_app: RunningApp, body: bytes) -> None:
    """JSON between systems is UTF-8 (RFC 8259, section 8.1); json.loads also guessed UTF-16."""
    assert_problem(post(shared_app, body), 400)


@pytest.mark.parametrize("content_type", ["text/plain", None, "application/x-www-form-urlencoded"])
def test_a_body_that_is_not_declared_json_is_refused(shared_app: RunningApp, content_type: str | None) -> None:
    assert_problem(post(shared_app, ENTRY, content_type), 415)


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "Application/JSON"])
def test_json_content_types_are_accepted(shared_app: RunningApp, content_type: str) -> None:
    assert post(shared_app, ENTRY, content_type).status_code == 201


def test_an_unknown_path_is_a_json_404(shared_app: RunningApp) -> None:
    with shared_app.client() as client:
        assert_problem(client.get("/nowhere"), 404)


def test_an_unsupported_method_is_a_json_405_naming_the_allowed_ones(shared_app: RunningApp) -> None:
    with shared_app.client() as client:
        response = client.delete("/entries")
    assert_problem(response, 405)
    assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD", "POST"}


def test_a_declared_size_over_the_limit_is_refused_before_the_body_is_sent(shared_app: RunningApp) -> None:
    """The headers alone: the answer must not wait for 50 MiB that never come."""
    port = int(shared_app.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=3) as connection:
        connection.sendall(
            b"POST /entries HTTP/1.1\r\nHost: guestbook\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {50 * MIB}\r\n\r\n".encode()
        )
        try:
            status_line = connection.recv(1024).split(b"\r\n", 1)[0]
        except TimeoutError:
            pytest.fail("no answer within 3 s: the app waits for the body")
    assert status_line == b"HTTP/1.1 413 Request Entity Too Large"


def memory_kib(pid: int) -> dict[str, int]:
    """Resident set size now and its peak (VmRSS, VmHWM) of a process, from /proc."""
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    fields = dict(line.split(":", 1) for line in lines)
    return {key: int(fields[key].split()[0]) for key in ("VmRSS", "VmHWM")}


def streamed(size: int, chunk: int = 256 * 1024) -> Callable[[], Iterator[bytes]]:
    """A body of `size` bytes in chunks, sent without Content-Length (chunked encoding)."""

    def body() -> Iterator[bytes]:
        yield b'{"author": "ada", "message": "'
        for _ in range(size // chunk):
            yield b"x" * chunk
        yield b'"}'

    return body


@pytest.mark.parametrize("declared", [True, False], ids=["Content-Length", "chunked"])
def test_memory_stays_flat_whatever_the_body_size(shared_app: RunningApp, declared: bool) -> None:
    """A 200 MB body was read and parsed whole: 634 MB peak, 223 MB kept afterwards."""
    pid = shared_app.process.pid
    with shared_app.client(timeout=60) as client:

        def send(size: int) -> httpx.Response:
            headers = {"Content-Type": "application/json"}
            if declared:
                body = b"".join(streamed(size)())
                return client.post("/entries", content=body, headers=headers)
            return client.post("/entries", content=streamed(size)(), headers=headers)

        send(MIB)  # warm up whatever a first refusal loads
        before = memory_kib(pid)
        response = send(50 * MIB)
        after = memory_kib(pid)
    assert_problem(response, 413)
    grown = {key: (after[key] - before[key]) // 1024 for key in before}
    assert grown["VmHWM"] < 8 and grown["VmRSS"] < 8, f"MiB grown: {grown}"


def test_an_entry_at_the_size_limits_is_accepted(shared_app: RunningApp) -> None:
    """The body limit leaves room for the longest entry in the most expensive encoding
    (every character a surrogate pair written as two \\u escapes)."""
    longest = {"author": "\U0001f600" * 100, "message": "\U0001f600" * 1000}
    body = json.dumps(longest, ensure_ascii=True).encode()
    response = post(shared_app, body)
    assert response.status_code == 201, response.text
    assert response.json()["message"] == longest["message"]
