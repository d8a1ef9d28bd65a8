"""Fixtures for the app: a real PostgreSQL where the app has its own least-privilege role,
a mounted-Secret directory, a running server.

The role and its clone are made with the rotation function's own SQL (rotation/roles.py),
as its first and second rotations make them in AWS: LOGIN only, CONNECT, a schema of its
own; the clone a member of it."""

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

from tests.app.local_database import APP_ROLE, Credentials, fresh_database
from tests.app.postgres_server import PostgresServer, free_port
from tests.conftest import ROOT, postgres_server


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    server = postgres_server()
    server.start()
    yield server
    server.remove()


@pytest.fixture
def database(postgres: PostgresServer, tmp_path: Path) -> Iterator[Credentials]:
    with fresh_database(postgres, tmp_path / "secret") as credentials:
        yield credentials


@dataclass
class RunningApp:
    process: subprocess.Popen[bytes]
    url: str
    log: Path
    metrics_url: str  # METRICS_PORT's /metrics

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
    port = metrics_port = free_port()
    while metrics_port == port:
        metrics_port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "dockerbuild"),
        "DATABASE_CREDENTIALS_DIR": str(credentials.directory),
        "DATABASE_ROLE": APP_ROLE,
        "DATABASE_SSLMODE": "disable",  # the throwaway test server has no TLS; RDS requires it
        "LISTEN_HOST": "127.0.0.1",
        "LISTEN_PORT": str(port),
        "METRICS_PORT": str(metrics_port),
        "SHUTDOWN_GRACE_SECONDS": "20",
        **settings,
    }
    with log.open("ab") as sink:
        process = subprocess.Popen([sys.executable, "-m", "guestbook"], env=env, stdout=sink, stderr=subprocess.STDOUT)
    return RunningApp(process, f"http://127.0.0.1:{port}", log, f"http://127.0.0.1:{metrics_port}/metrics")


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
