"""The sample app against a real PostgreSQL: what it does, and how it behaves when the
database goes away, its password rotates, or Kubernetes stops the pod."""

from __future__ import annotations

import json
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.app.conftest import Credentials, RunningApp, launch, serving, set_role_password
from tests.app.postgres_server import PostgresServer


def wait_until(condition: Callable[[], bool], timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(message)


def stopped_cleanly(app: RunningApp) -> None:
    """uvicorn re-raises SIGTERM after its graceful shutdown, as Kubernetes expects (exit 143)."""
    assert app.process.wait(timeout=30) in (0, -signal.SIGTERM)
    assert "database pool closed" in app.log.read_text()


def stop_gracefully(app: RunningApp) -> None:
    app.process.send_signal(signal.SIGTERM)
    stopped_cleanly(app)


def test_entries_are_created_and_listed_newest_first(app: RunningApp) -> None:
    with app.client() as client:
        first = client.post("/entries", json={"author": "ada", "message": "hello"})
        second = client.post("/entries", json={"author": "grace", "message": "hi there"})
        listed = client.get("/entries", params={"limit": 10})
    assert (first.status_code, second.status_code, listed.status_code) == (201, 201, 200)
    assert [(e["author"], e["message"]) for e in listed.json()["entries"]] == [("grace", "hi there"), ("ada", "hello")]
    assert listed.json()["entries"][0]["id"] == second.json()["id"]


@pytest.mark.parametrize(
    ("body", "field"),
    [({"author": "", "message": "x"}, "author"), ({"author": "a", "message": 5}, "message"), ([], "author")],
)
def test_invalid_entries_are_refused(app: RunningApp, body: object, field: str) -> None:
    with app.client() as client:
        response = client.post("/entries", json=body)
    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_schema_creation_is_idempotent_across_restarts(app: RunningApp, database: Credentials, tmp_path: Path) -> None:
    with app.client() as client:
        assert client.post("/entries", json={"author": "a", "message": "kept"}).status_code == 201
    stop_gracefully(app)
    # A second app on the same database finds the table and the entry.
    restarted = launch(database, tmp_path / "second.log")
    try:
        restarted.wait_ready()
        with restarted.client() as client:
            assert [e["message"] for e in client.get("/entries").json()["entries"]] == ["kept"]
    finally:
        restarted.process.terminate()
        restarted.process.wait(timeout=30)


def test_logs_are_json_lines(app: RunningApp) -> None:
    with app.client() as client:
        client.get("/entries")
    lines = [line for line in app.log.read_text().splitlines() if line.strip()]
    assert lines
    records = [json.loads(line) for line in lines]
    assert all({"time", "level", "logger", "message"} <= record.keys() for record in records)


def test_readiness_follows_the_database(app: RunningApp, postgres: PostgresServer) -> None:
    def ready() -> bool:
        try:
            return httpx.get(f"{app.url}/readyz", timeout=5).status_code == 200
        except httpx.TransportError:
            return False

    assert ready()
    postgres.stop()
    try:
        wait_until(lambda: not ready(), 15, "readiness stayed true with the database down")
        assert httpx.get(f"{app.url}/healthz", timeout=5).status_code == 200, "liveness must not follow the database"
    finally:
        postgres.start()
    wait_until(ready, 30, "readiness did not come back after the database returned")


WAITING_ON_LOCK = "SELECT pid FROM pg_stat_activity WHERE usename = 'guestbook' AND wait_event_type = 'Lock'"


@contextmanager
def insert_held_by_a_lock(
    app: RunningApp, postgres: PostgresServer, database: Credentials, message: str
) -> Iterator[dict[str, int]]:
    """A POST /entries that has reached the database and waits there; released on exit.

    Yields the dict the request's status code lands in once it has finished.
    """
    dbname = (database.directory / "dbname").read_text()
    result: dict[str, int] = {}
    with postgres.admin(dbname) as blocker:
        blocker.autocommit = False
        blocker.execute("LOCK TABLE entries IN ACCESS EXCLUSIVE MODE")

        def post() -> None:
            with app.client() as client:
                result["status"] = client.post("/entries", json={"author": "t", "message": message}).status_code

        request = threading.Thread(target=post)
        request.start()
        with postgres.admin(dbname) as observer:
            wait_until(lambda: observer.execute(WAITING_ON_LOCK).fetchone() is not None, 15, "the insert never waited")
        yield result
        blocker.commit()
    request.join(timeout=30)


def test_sigterm_finishes_in_flight_requests_and_refuses_new_ones(
    app: RunningApp, postgres: PostgresServer, database: Credentials
) -> None:
    def refuses_new_connections() -> bool:
        try:
            httpx.get(f"{app.url}/healthz", timeout=2)
        except httpx.ConnectError:
            return True
        return False

    with insert_held_by_a_lock(app, postgres, database, "in flight") as result:
        app.process.send_signal(signal.SIGTERM)
        wait_until(refuses_new_connections, 10, "the server kept accepting connections after SIGTERM")
        assert app.process.poll() is None, "the server exited with a request in flight"
    assert result == {"status": 201}
    stopped_cleanly(app)


def test_a_write_whose_session_dies_before_commit_is_retried_once(
    app: RunningApp, postgres: PostgresServer, database: Credentials
) -> None:
    """A Multi-AZ failover ends sessions mid-request; nothing was committed, so the app retries."""
    with insert_held_by_a_lock(app, postgres, database, "failover") as result, postgres.admin() as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'guestbook' AND wait_event_type = 'Lock'"
        )
    assert result == {"status": 201}
    dbname = (database.directory / "dbname").read_text()
    with postgres.admin(dbname) as conn:
        assert conn.execute("SELECT count(*) FROM entries WHERE message = 'failover'").fetchone() == (1,)
    assert "retrying on a new connection" in app.log.read_text()


@pytest.fixture
def patient_app(database: Credentials, tmp_path: Path) -> Iterator[RunningApp]:
    """The app with requests waiting up to 5 s for a connection, not the default 1 s."""
    with serving(database, tmp_path / "app.log", DATABASE_WAIT_SECONDS="5") as running:
        yield running


def test_password_rotation_loses_no_request(
    patient_app: RunningApp, postgres: PostgresServer, database: Credentials
) -> None:
    """RDS rotates the master password; External Secrets and the kubelet update the files
    a little later. Idle sessions are ended so every connection has to log in again,
    first with the stale files: for that second no session can be opened, so requests wait
    for one longer than the default DATABASE_WAIT_SECONDS (with which they would be
    answered 503 with Retry-After instead)."""
    outcomes: Counter[str] = Counter()
    stop = threading.Event()

    def client_loop(worker: int) -> None:
        with patient_app.client() as client:
            for attempt in range(10_000):
                if stop.is_set():
                    return
                try:
                    if attempt % 2:
                        status = client.get("/entries", params={"limit": 5}).status_code
                    else:
                        status = client.post(
                            "/entries", json={"author": f"w{worker}", "message": str(attempt)}
                        ).status_code
                    outcomes["ok" if status < 300 else f"http {status}"] += 1
                except httpx.HTTPError as error:
                    outcomes[type(error).__name__] += 1

    workers = [threading.Thread(target=client_loop, args=(n,)) for n in range(3)]
    for worker in workers:
        worker.start()
    try:
        time.sleep(1.5)
        for password in ("second-password", "third-password"):
            set_role_password(postgres, password, disconnect=True)
            time.sleep(1.0)  # the files lag behind Secrets Manager
            database.write(password=password)
            time.sleep(2.0)
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=30)
    failed = sum(count for outcome, count in outcomes.items() if outcome != "ok")
    print(f"\npassword rotation: {outcomes['ok']} requests succeeded, {failed} failed ({dict(outcomes)})")
    assert outcomes["ok"] > 50
    assert failed == 0, dict(outcomes)
    with postgres.admin() as conn:
        sessions = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE usename = 'guestbook'").fetchone()
    assert sessions is not None and sessions[0] >= 1, "the app is not connected with the new password"
