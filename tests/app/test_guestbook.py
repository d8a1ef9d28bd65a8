"""The sample app against a real PostgreSQL: what it does, and how it behaves when the
database goes away, its credential rotates, or Kubernetes stops the pod."""

from __future__ import annotations

import json
import math
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest
from psycopg import sql

from tests.app.conftest import RunningApp, launch, serving
from tests.app.local_database import APP_ROLE, CLONE_ROLE, ENTRIES, FIRST_PASSWORD, Credentials, set_password
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
    dbname = database.read("dbname")
    result: dict[str, int] = {}
    with postgres.admin(dbname) as blocker:
        blocker.autocommit = False
        blocker.execute(sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(ENTRIES))

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
    with postgres.admin(database.read("dbname")) as conn:
        query = sql.SQL("SELECT count(*) FROM {} WHERE message = 'failover'").format(ENTRIES)
        assert conn.execute(query).fetchone() == (1,)
    assert "retrying on a new connection" in app.log.read_text()


# The rotation test runs the app with connections replaced after LIFETIME seconds (the
# default, DATABASE_MAX_LIFETIME_SECONDS, is 300): what bounds the app's part of the window.
LIFETIME = 3.0
SLACK = 2.0  # scheduling: the app, three clients and PostgreSQL share two CPUs
LAG = 0.5  # the files change after Secrets Manager does (External Secrets, then the kubelet)


def client_loop(app: RunningApp, stop: threading.Event, outcomes: Counter[str], worker: int) -> None:
    """Steady load: reads and writes in turn, the next as soon as one is answered."""
    with app.client() as client:
        for attempt in range(100_000):
            if stop.is_set():
                return
            try:
                if attempt % 2:
                    status = client.get("/entries", params={"limit": 5}).status_code
                else:
                    status = client.post("/entries", json={"author": f"w{worker}", "message": str(attempt)}).status_code
                outcomes["ok" if status < 300 else f"http {status}"] += 1
            except httpx.HTTPError as error:
                outcomes[type(error).__name__] += 1


def logs_in(postgres: PostgresServer, dbname: str, user: str, password: str) -> bool:
    """The login works as the app uses it: over TCP with SCRAM, acting as the base role."""
    try:
        with psycopg.connect(
            host="127.0.0.1",
            port=postgres.port,
            dbname=dbname,
            user=user,
            password=password,
            options=f"-c role={APP_ROLE}",
            connect_timeout=5,
        ):
            return True
    except psycopg.OperationalError:
        return False


@dataclass(frozen=True)
class Switch:
    """Seconds from the credential files changing until the app's first session with the
    new login began, and until no session with the previous login was left."""

    first_new: float
    last_old: float


def switch_files(postgres: PostgresServer, database: Credentials, username: str, password: str) -> Switch:
    """Write the new credential files, as the kubelet does, and watch the app's sessions."""
    dbname, previous = database.read("dbname"), database.read("username")
    sessions = (
        "SELECT usename, backend_start FROM pg_stat_activity WHERE datname = %s AND application_name = 'guestbook'"
    )
    first_new = last_old = math.inf
    with postgres.admin() as observer:
        changed_at = observer.execute("SELECT clock_timestamp()").fetchone()[0]  # type: ignore[index]
        database.write(username=username, password=password)
        changed = time.monotonic()
        while time.monotonic() - changed < 3 * (LIFETIME + SLACK):
            rows = observer.execute(sessions, (dbname,)).fetchall()
            started = [start for user, start in rows if user == username and start >= changed_at]
            if started and first_new == math.inf:
                first_new = (min(started) - changed_at).total_seconds()
            if not any(user == previous for user, _ in rows) and last_old == math.inf:
                last_old = time.monotonic() - changed
            if first_new < math.inf and last_old < math.inf:
                break
            time.sleep(0.05)
    return Switch(first_new, last_old)


def test_password_rotation_loses_no_request(database: Credentials, postgres: PostgresServer, tmp_path: Path) -> None:
    """Alternating users under steady load, with the default 1 s connection wait.

    The `database` fixture is the first rotation (the base role). The second creates the
    clone (a member of the base role) with a new password; the third, 30 days later in
    AWS, changes the base role's password. Neither touches the login the pods are using,
    so it still logs in afterwards, and the files reach the pods a little later (LAG). The pool opens connections only when it needs them: under steady load it
    would keep the sessions it has, so what bounds the time until the new files are used
    is the connections' lifetime (DATABASE_MAX_LIFETIME_SECONDS), within which every
    session has moved to the new login."""
    dbname = database.read("dbname")
    outcomes: Counter[str] = Counter()
    stop = threading.Event()
    with serving(database, tmp_path / "app.log", DATABASE_MAX_LIFETIME_SECONDS=str(LIFETIME)) as app:
        workers = [threading.Thread(target=client_loop, args=(app, stop, outcomes, n)) for n in range(3)]
        for worker in workers:
            worker.start()
        try:
            time.sleep(1.5)
            set_password(postgres, dbname, CLONE_ROLE, "clone-password")
            assert logs_in(postgres, dbname, APP_ROLE, FIRST_PASSWORD), "rotation 2 invalidated the login in use"
            time.sleep(LAG)
            to_clone = switch_files(postgres, database, CLONE_ROLE, "clone-password")

            set_password(postgres, dbname, APP_ROLE, "second-password")
            assert logs_in(postgres, dbname, CLONE_ROLE, "clone-password"), "rotation 3 invalidated the login in use"
            assert not logs_in(postgres, dbname, APP_ROLE, FIRST_PASSWORD), "the server accepts a changed password"
            time.sleep(LAG)
            to_base = switch_files(postgres, database, APP_ROLE, "second-password")
        finally:
            stop.set()
            for worker in workers:
                worker.join(timeout=30)
        with postgres.admin() as conn:
            logins = conn.execute(
                "SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = %s AND application_name = 'guestbook'",
                (dbname,),
            ).fetchall()
    failed = sum(count for outcome, count in outcomes.items() if outcome != "ok")
    print(
        f"\nalternating-users rotation: {outcomes['ok']} requests succeeded, {failed} failed ({dict(outcomes)});"
        f" files changed -> first session with the new login / none with the previous one left,"
        f" DATABASE_MAX_LIFETIME_SECONDS={LIFETIME:g}:"
        f" to the clone {to_clone.first_new:.2f} s / {to_clone.last_old:.2f} s,"
        f" back to the base {to_base.first_new:.2f} s / {to_base.last_old:.2f} s"
    )
    assert outcomes["ok"] > 50
    assert failed == 0, dict(outcomes)
    for switch in (to_clone, to_base):
        assert switch.first_new <= LIFETIME + SLACK, switch
        assert switch.last_old <= LIFETIME + SLACK, switch
    assert logins == [(APP_ROLE,)], "the app is not connected with the new files"
