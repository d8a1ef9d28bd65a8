"""The app benchmark's guards and arithmetic, without PostgreSQL or the app (fast)."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest

from scripts.bench_app import (
    GET_ENTRIES,
    HEALTHZ,
    MIB,
    POST_ENTRY,
    BenchError,
    Budget,
    Caps,
    LoadResult,
    LoopbackOnlyTransport,
    Sample,
    body_pieces,
    percentile,
    require_loopback,
    run_load,
    summarize,
)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080", "http://127.4.5.6/x", "http://localhost:1", "http://[::1]:8080/readyz"]
)
def test_loopback_targets_are_allowed(url: str) -> None:
    assert require_loopback(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1:8080",
        "http://192.168.1.10",
        "http://0.0.0.0:8080",
        "http://example.com",
        "http://localhost.example.com",
        "https://127.0.0.1:8443",
    ],
)
def test_other_targets_are_refused(url: str) -> None:
    with pytest.raises(BenchError, match="refusing"):
        require_loopback(url)


def test_the_transport_refuses_a_non_loopback_request_before_it_leaves() -> None:
    async def get() -> None:
        async with httpx.AsyncClient(transport=LoopbackOnlyTransport()) as client:
            await client.get("http://192.0.2.1/entries")  # TEST-NET-1: never routed

    with pytest.raises(BenchError, match="loopback"):
        asyncio.run(get())


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(100, 0, -1)]  # 100 … 1, unordered on purpose
    assert (percentile(values, 50), percentile(values, 99), percentile(values, 100)) == (50, 99, 100)
    assert percentile([3.0, 1.0, 2.0], 50) == 2
    assert percentile([3.0, 1.0, 2.0], 99) == 3
    assert percentile([7.0], 1) == 7
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)
    with pytest.raises(ValueError, match="outside"):
        percentile([1.0], 0)


def test_summary_counts_outcomes_and_rates() -> None:
    samples = [Sample(GET_ENTRIES, "200", 0.010)] * 98 + [
        Sample(POST_ENTRY, "503", 1.0, "5"),
        Sample(HEALTHZ, "ReadTimeout", 2.0),
    ]
    summary = summarize(LoadResult(samples=samples, seconds=2.0, not_sent=3))
    assert summary["completed"] == 100
    assert summary["rps"] == 50
    assert (summary["p50_ms"], summary["p99_ms"], summary["max_ms"]) == (10, 1000, 2000)
    assert summary["outcomes"] == {"200": 98, "503": 1, "ReadTimeout": 1}
    assert summary["retry_after"] == {"5": 1}
    assert summary["not_sent"] == 3
    assert summary["by_kind"][POST_ENTRY]["outcomes"] == {"503": 1}


def clients(count: int, delay: float = 0.0) -> list[httpx.AsyncClient]:
    async def answer(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(delay)
        return httpx.Response(201 if request.method == "POST" else 200)

    return [
        httpx.AsyncClient(base_url="http://127.0.0.1:1", transport=httpx.MockTransport(answer)) for _ in range(count)
    ]


def test_a_phase_sends_its_count_in_the_mix() -> None:
    result = asyncio.run(run_load(clients(4), 20, 10, Budget(1000, time.monotonic() + 10)))
    assert len(result.samples) == 20
    assert result.not_sent == 0
    kinds = [sample.kind for sample in result.samples]
    assert (kinds.count(GET_ENTRIES), kinds.count(POST_ENTRY), kinds.count(HEALTHZ)) == (12, 6, 2)


def test_the_run_request_cap_stops_a_phase() -> None:
    budget = Budget(15, time.monotonic() + 10)
    result = asyncio.run(run_load(clients(4), 40, 10, budget))
    assert (len(result.samples), result.not_sent, budget.left, budget.spent) == (15, 25, 0, 15)
    assert not budget.take()


def test_a_phase_stops_issuing_at_its_time_cap() -> None:
    started = time.monotonic()
    result = asyncio.run(run_load(clients(2, delay=0.05), 10_000, 0.2, Budget(10_000, time.monotonic() + 10)))
    assert time.monotonic() - started < 1.5
    assert 2 <= len(result.samples) <= 14
    assert result.not_sent == 10_000 - len(result.samples)
    assert result.cancelled == 0


def test_the_run_deadline_cancels_requests_in_flight() -> None:
    started = time.monotonic()
    result = asyncio.run(run_load(clients(3, delay=30), 100, 60, Budget(1000, time.monotonic() + 0.2)))
    assert time.monotonic() - started < 1.5
    assert (len(result.samples), result.cancelled) == (0, 3)


def test_caps_are_bounded() -> None:
    Caps().check()
    with pytest.raises(BenchError, match="time_cap"):
        Caps(time_cap=601).check()
    with pytest.raises(BenchError, match="concurrency"):
        Caps(concurrency=0).check()
    with pytest.raises(BenchError, match="max_requests"):
        Caps(max_requests=100_000).check()


def test_the_big_body_is_valid_json_of_exactly_its_size() -> None:
    size = 2 * MIB + 5
    pieces = list(body_pieces(size))
    body = b"".join(pieces)
    assert len(body) == size
    assert max(len(piece) for piece in pieces) == MIB
    entry = json.loads(body)
    assert entry["author"] == "bench"
    assert len(entry["message"]) > 1000  # far over the app's limit
