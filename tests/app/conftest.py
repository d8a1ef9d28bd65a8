"""Fixtures for the app: a real PostgreSQL, a mounted-Secret directory, a running server."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
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


@pytest.fixture
def database(postgres: PostgresServer, tmp_path: Path) -> Iterator[Credentials]:
    """A fresh database owned by the app's role, and its credential files."""
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
    credentials = Credentials(tmp_path / "secret")
    credentials.directory.mkdir()
    credentials.write(
        host="127.0.0.1", port=str(postgres.port), dbname=name, username=APP_ROLE, password="first-password"
    )
    yield credentials
    with postgres.admin() as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@dataclass
class RunningApp:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=20)

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


def launch(credentials: Credentials, log: Path) -> RunningApp:
    """`python -m guestbook` as its container runs it, reading the credential files."""
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "dockerbuild"),
        "DATABASE_CREDENTIALS_DIR": str(credentials.directory),
        "DATABASE_SSLMODE": "disable",  # the throwaway test server has no TLS; RDS requires it
        "LISTEN_HOST": "127.0.0.1",
        "LISTEN_PORT": str(port),
        "SHUTDOWN_GRACE_SECONDS": "20",
    }
    with log.open("ab") as sink:
        process = subprocess.Popen([sys.executable, "-m", "guestbook"], env=env, stdout=sink, stderr=subprocess.STDOUT)
    return RunningApp(process, f"http://127.0.0.1:{port}", log)


@pytest.fixture
def app(database: Credentials, tmp_path: Path) -> Iterator[RunningApp]:
    running = launch(database, tmp_path / "app.log")
    process = running.process
    try:
        running.wait_ready()
        yield running
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)
