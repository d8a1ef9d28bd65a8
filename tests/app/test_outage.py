"""The database goes away under load, as in a failover: requests fail fast and alike, the
probes keep answering, the log stays one line per request, and readiness follows the
database back. A genuine bug, by contrast, is a 500 with its traceback."""

from __future__ import annotations

import asyncio
import itertools
import multiprocessing
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from psycopg import sql

from tests.app.conftest import RunningApp, serving
from tests.app.local_database import ENTRIES, Credentials, fresh_database
from tests.app.postgres_server import PostgresServer

WAIT = 1.0  # DATABASE_WAIT_SECONDS the app runs with here
SLACK = 1.5  # scheduling: 60 client threads in one process and the app share the machine
BACKLOG = 60  # concurrent clients: more than the pool's connections and anyio's 40 worker threads
PROBE_BOUND = 1.0  # the probes' answer time under load; the chart's probe timeouts are 2 and 3 s
LOAD_FOR = 4.0  # seconds the clients keep the app busy after the database stops
# The database's downtime. psycopg_pool, left to itself, retries a connection 1, 3, 7, 15 s
# (±10 %) after the first failure: returning at 9 s falls in the 7-15 s gap, which an
# unbounded backoff makes readiness wait out.
DOWN_FOR = 9.0
RECOVERY_BOUND = 3.0


@dataclass
class Outage:
    """What clients and the kubelet saw while the database was down and after it returned."""

    entries: list[tuple[float, int, str | None]] = field(default_factory=list)  # seconds, status, Retry-After
    probes: list[tuple[str, float, int]] = field(default_factory=list)  # path, seconds, status
    recovered_after: float = float("inf")
    log: list[dict[str, object]] = field(default_factory=list)


def timed(client: httpx.Client, method: str, path: str, **kwargs: Any) -> tuple[float, httpx.Response | None]:
    """Seconds taken and the response; None if none came within the client's timeout."""
    started = time.monotonic()
    try:
        response = client.request(method, path, **kwargs)
    except httpx.TimeoutException:
        response = None
    return time.monotonic() - started, response


def probe_for(url: str, seconds: float) -> list[tuple[str, float, int]]:
    """The kubelet, impatiently: both probes over and over for `seconds`, with the readiness
    probe's timeout. Run in a process of its own, so that the clients' threads do not
    delay its measurements by holding the GIL."""
    probes = []
    deadline = time.monotonic() + seconds
    with httpx.Client(base_url=url, timeout=3) as client:
        while time.monotonic() < deadline:
            for path in ("/healthz", "/readyz"):
                if time.monotonic() > deadline:
                    break
                taken, response = timed(client, "GET", path)
                probes.append((path, taken, response.status_code if response else 0))
            time.sleep(0.05)
    return probes


def use(app: RunningApp, stop: threading.Event, seen: Outage, worker: int) -> None:
    """A client reading and writing entries, the next request as soon as one is answered."""
    with app.client(timeout=WAIT + SLACK + 0.5) as client:
        for n in itertools.count():
            if stop.is_set():
                return
            if (worker + n) % 2:
                seconds, response = timed(client, "GET", "/entries")
            else:
                seconds, response = timed(client, "POST", "/entries", json={"author": "t", "message": str(n)})
            if response is None:
                seen.entries.append((seconds, 0, None))
            else:
                seen.entries.append((seconds, response.status_code, response.headers.get("retry-after")))


@pytest.fixture(scope="module")
def outage(postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outage]:
    """The database stopped for DOWN_FOR seconds under BACKLOG busy clients and the probes."""
    directory = tmp_path_factory.mktemp("outage")
    seen = Outage()
    with (
        fresh_database(postgres, directory / "secret") as credentials,
        serving(credentials, directory / "app.log", DATABASE_WAIT_SECONDS=str(WAIT)) as app,
    ):
        with app.client() as client:
            assert client.post("/entries", json={"author": "t", "message": "before"}).status_code == 201
        postgres.stop()
        stopped = time.monotonic()
        try:
            with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as kubelet:
                probes = kubelet.submit(probe_for, app.url, LOAD_FOR + 1)
                stop = threading.Event()
                clients = [threading.Thread(target=use, args=(app, stop, seen, n)) for n in range(BACKLOG)]
                for thread in clients:
                    thread.start()
                time.sleep(LOAD_FOR)
                stop.set()
                for thread in clients:
                    thread.join()
                seen.probes = probes.result()
            time.sleep(max(0.0, DOWN_FOR - (time.monotonic() - stopped)))  # the outage's length, not a wait
        finally:
            postgres.start()
        returned = time.monotonic()
        with app.client(timeout=3) as client:
            while time.monotonic() - returned < 30:
                response = timed(client, "GET", "/readyz")[1]
                if response is not None and response.status_code == 200:
                    seen.recovered_after = time.monotonic() - returned
                    break
                time.sleep(0.1)
        seen.log = app.log_records()
        yield seen


def test_during_an_outage_every_request_is_a_quick_503_with_retry_after(outage: Outage) -> None:
    assert len(outage.entries) >= BACKLOG
    slow = [seconds for seconds, _, _ in outage.entries if seconds > WAIT + SLACK]
    assert not slow, f"{len(slow)} of {len(outage.entries)} took over {WAIT + SLACK}s, up to {max(slow):.1f}s"
    assert {
        (status, retry_after is not None and retry_after.isdigit()) for _, status, retry_after in outage.entries
    } == {(503, True)}


def test_the_probes_answer_within_a_second_under_the_backlog(outage: Outage) -> None:
    assert len(outage.probes) >= 10, "too few probes to tell"
    slow = [(path, round(seconds, 2)) for path, seconds, _ in outage.probes if seconds > PROBE_BOUND]
    assert not slow, f"probes slower than {PROBE_BOUND}s: {slow}"
    assert {status for path, _, status in outage.probes if path == "/healthz"} == {200}
    assert {status for path, _, status in outage.probes if path == "/readyz"} == {503}


def test_readiness_returns_within_seconds_of_the_database(outage: Outage) -> None:
    assert outage.recovered_after < RECOVERY_BOUND, f"ready {outage.recovered_after:.1f}s after the database"


def test_an_outage_logs_one_line_per_request_and_no_traceback(outage: Outage) -> None:
    failed = [r for r in outage.log if r.get("path") == "/entries" and r.get("status") == 503]
    assert len(failed) == len(outage.entries), f"{len(failed)} access lines for {len(outage.entries)} failed requests"
    assert all(r["logger"] == "guestbook.access" and r.get("reason") for r in failed)
    tracebacks = [r["message"] for r in outage.log if "Traceback" in str(r.get("error", ""))]
    assert not tracebacks, tracebacks


def test_a_flood_of_readiness_checks_holds_one_worker_thread(app: RunningApp, postgres: PostgresServer) -> None:
    """/readyz is public (the ALB routes every path to the app). With the database down each
    check takes READINESS_WAIT_SECONDS in a worker thread; callers during a check share it
    instead of each holding one of the threads that database work and the probe need."""

    async def flood() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=app.url, timeout=10, limits=httpx.Limits(max_connections=None)) as client:
            return await asyncio.gather(*(client.get("/readyz") for _ in range(100)))

    threads = Path(f"/proc/{app.process.pid}/task")
    before = len(list(threads.iterdir()))
    postgres.stop()
    try:
        answers = asyncio.run(flood())
        # anyio keeps a worker thread for 10 s after its last job: all it started are still there.
        started = len(list(threads.iterdir())) - before
    finally:
        postgres.start()
    assert {answer.status_code for answer in answers} == {503}
    assert started <= 2, f"{started} threads started for 100 readiness checks"


def test_a_bug_is_a_500_with_its_traceback_not_an_outage(
    app: RunningApp, database: Credentials, postgres: PostgresServer
) -> None:
    """The table gone under the app (a broken migration, say) is not the database being away."""
    with postgres.admin(database.read("dbname")) as conn:
        conn.execute(sql.SQL("DROP TABLE {}").format(ENTRIES))
    with app.client() as client:
        response = client.get("/entries")
    assert response.status_code == 500
    assert response.json() == {"error": "internal error"}
    deadline = time.monotonic() + 5
    while not any("UndefinedTable" in str(r.get("error", "")) for r in app.log_records()):
        assert time.monotonic() < deadline, "no traceback naming UndefinedTable in the log"
        time.sleep(0.05)
