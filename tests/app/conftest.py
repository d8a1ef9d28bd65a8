"""Fixtures for the app: a real PostgreSQL where the app has its own least-privilege role,
a mounted-Secret directory, a running server.

The role and its clone are made with the rotation function's own SQL (rotation/roles.py),
as its first and second rotations make them in AWS: LOGIN only, CONNECT, a schema of its
own; the clone a member of it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pg8000.native
import pytest
from psycopg import sql

from rotation import roles, scram
from tests.app.postgres_server import SUPERUSER_PASSWORD, PostgresServer, free_port
from tests.conftest import ROOT

# The app's base role, which owns its schema and table, and the second login the
# alternating-users rotation creates as a member of it (rotation/ in AWS).
APP_ROLE = "guestbook"
CLONE_ROLE = f"{APP_ROLE}_clone"
# The app's table as a session that is not the app's (the superuser's) names it.
ENTRIES = sql.Identifier(APP_ROLE, "entries")
FIRST_PASSWORD = "first-password"


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer()
    server.start()
    yield server
    server.remove()


@dataclass
class Credentials:
    """A directory laid out like the mounted Secret the chart's ExternalSecret produces,
    and updated as the kubelet updates one (its AtomicWriter): each file is a link through
    `..data` to a directory of one version, and a change writes a new version and swaps
    `..data`, so every file changes at the same instant."""

    directory: Path

    def write(self, **values: str) -> None:
        data = self.directory / "..data"
        previous = data.resolve() if data.is_symlink() else None
        current = {path.name: path.read_text() for path in previous.iterdir()} if previous else {}
        version = self.directory / f"..{time.monotonic_ns()}"
        version.mkdir()
        for key, value in {**current, **values}.items():
            (version / key).write_text(value)
        staged = self.directory / "..data_tmp"
        staged.symlink_to(version.name)
        staged.replace(data)  # rename(2): atomic
        for key in values:
            if not (self.directory / key).is_symlink():
                (self.directory / key).symlink_to(f"..data/{key}")
        if previous:
            shutil.rmtree(previous)

    def read(self, key: str) -> str:
        return (self.directory / key).read_text()


def set_password(postgres: PostgresServer, dbname: str, username: str, password: str) -> None:
    """A rotation's setSecret: `username`, the base role or its clone, logs in with
    `password` from now on. The rotation function's own SQL (rotation/roles.py) through its
    own driver (pg8000), as the superuser (the app tests' server has no TLS): the first run
    creates the base role (LOGIN only), its schema and its CONNECT grant, the first for the
    clone creates it as a member of the base role. No session is ended."""
    session = pg8000.native.Connection(
        user="postgres", password=SUPERUSER_PASSWORD, host="127.0.0.1", port=postgres.port, database=dbname
    )
    try:
        roles.apply(session, base=APP_ROLE, username=username, verifier=scram.verifier(password), database=dbname)
    finally:
        session.close()


@contextmanager
def fresh_database(postgres: PostgresServer, directory: Path) -> Iterator[Credentials]:
    """A new database (the superuser's, as RDS's is the master user's) with the app's role
    bootstrapped in it by a first rotation, and its credential files in `directory`.
    PUBLIC may not connect to it, so the rotation's grant is what lets the app in."""
    name = f"guestbook_{os.getpid()}_{time.monotonic_ns()}"
    with postgres.admin() as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("REVOKE CONNECT ON DATABASE {} FROM PUBLIC").format(sql.Identifier(name)))
    set_password(postgres, name, APP_ROLE, FIRST_PASSWORD)
    credentials = Credentials(directory)
    credentials.directory.mkdir()
    credentials.write(
        host="127.0.0.1", port=str(postgres.port), dbname=name, username=APP_ROLE, password=FIRST_PASSWORD
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
