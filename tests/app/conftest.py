"""Fixtures for the app: a real PostgreSQL, a mounted-Secret directory, a running server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from psycopg import sql

from tests.app.postgres_server import PostgresServer, free_port
from tests.conftest import ROOT

APP_ROLE = "guestbook"


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer()
    server.start()
    yield server
    server.remove()


@dataclass
class Credentials:
    """A directory laid out like the mounted Secret the chart's ExternalSecret produces."""

    directory: Path

    def write(self, **values: str) -> None:
        for key, value in values.items():
            staged = self.directory / f".{key}.new"
            staged.write_text(value)
            staged.replace(self.directory / key)  # atomic, as the kubelet's symlink swap


def set_role_password(postgres: PostgresServer, password: str, *, disconnect: bool) -> None:
    """Change the app role's password; with `disconnect`, also end its idle sessions so that
    the pool has to log in again (RDS itself leaves open sessions alone when it rotates)."""
    with postgres.admin() as conn:
        conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(APP_ROLE), sql.Literal(password)))
        if disconnect:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s AND state = 'idle'",
                (APP_ROLE,),
            )


@contextmanager
def fresh_database(postgres: PostgresServer, directory: Path) -> Iterator[Credentials]:
    """A new database owned by the app's role, and its credential files in `directory`."""
    name = f"guestbook_{os.getpid()}_{time.monotonic_ns()}"
    with postgres.admin() as conn:
        conn.execute(
            sql.SQL(
                "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {role}) THEN "
                "CREATE ROLE {ident} LOGIN; END IF; END $$"
            ).format(role=sql.Literal(APP_ROLE), ident=sql.Identifier(APP_ROLE))
        )
        conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(name), sql.Identifier(APP_ROLE)))
    set_role_password(postgres, "first-password", disconnect=False)
    credentials = Credentials(directory)
    credentials.directory.mkdir()
    credentials.write(
        host="127.0.0.1", port=str(postgres.port), dbname=name, username=APP_ROLE, password="first-password"
    )
    yield credentials
    with postgres.admin() as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def database(postgres: PostgresServer, tmp_path: Path) -> Iterator[Credentials]:
    with fresh_database(postgres, tmp_path / "secret") as credentials:
        yield credentials


@dataclass
class RunningApp:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def client(self, timeout: float = 20) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=timeout)

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/readyz", timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"app not ready in {timeout}s:\n{self.log.read_text()[-3000:]}")

    def log_records(self) -> list[dict[str, object]]:
        """The app's log so far, one JSON object per line."""
        return [json.loads(line) for line in self.log.read_text().splitlines() if line.strip()]


def launch(credentials: Credentials, log: Path, **settings: str) -> RunningApp:
    """`python -m guestbook` as its container runs it, reading the credential files.

    `settings` are further environment variables (DATABASE_WAIT_SECONDS="1", …).
    """
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "dockerbuild"),
        "DATABASE_CREDENTIALS_DIR": str(credentials.directory),
        "DATABASE_SSLMODE": "disable",  # the throwaway test server has no TLS; RDS requires it
        "LISTEN_HOST": "127.0.0.1",
        "LISTEN_PORT": str(port),
        "SHUTDOWN_GRACE_SECONDS": "20",
        **settings,
    }
    with log.open("ab") as sink:
        process = subprocess.Popen([sys.executable, "-m", "guestbook"], env=env, stdout=sink, stderr=subprocess.STDOUT)
    return RunningApp(process, f"http://127.0.0.1:{port}", log)


@contextmanager
def serving(credentials: Credentials, log: Path, **settings: str) -> Iterator[RunningApp]:
    """The app, ready, for the duration of the block; stopped afterwards."""
    running = launch(credentials, log, **settings)
    try:
        running.wait_ready()
        yield running
    finally:
        if running.process.poll() is None:
            running.process.terminate()
            running.process.wait(timeout=30)


@pytest.fixture
def app(database: Credentials, tmp_path: Path) -> Iterator[RunningApp]:
    with serving(database, tmp_path / "app.log") as running:
        yield running


@pytest.fixture(scope="module")
def shared_app(postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    """One app for a module whose tests only send requests and read answers."""
    directory = tmp_path_factory.mktemp("shared")
    with (
        fresh_database(postgres, directory / "secret") as credentials,
        serving(credentials, directory / "app.log") as running,
    ):
        yield running
