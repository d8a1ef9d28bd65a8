"""The app's database as its tests and `make run-app` use it, without pytest: a fresh
database on a throwaway server (postgres_server.py) with the app's own role bootstrapped
by the rotation function's SQL, and its credential files laid out like the mounted Secret."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pg8000.native
from psycopg import sql

from rotation import roles, scram
from tests.app.postgres_server import SUPERUSER_PASSWORD, PostgresServer

# The app's base role, which owns its schema and table, and the second login the
# alternating-users rotation creates as a member of it (rotation/ in AWS).
APP_ROLE = "guestbook"
CLONE_ROLE = f"{APP_ROLE}_clone"
# The app's table as a session that is not the app's (the superuser's) names it.
ENTRIES = sql.Identifier(APP_ROLE, "entries")
FIRST_PASSWORD = "first-password"


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
