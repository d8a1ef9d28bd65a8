"""The guestbook's storage: a connection pool whose every new connection reads the
credential files again, and an idempotent schema.

Every method that needs a connection takes `wait`, the seconds it may wait for one before
psycopg_pool raises PoolTimeout. PoolTimeout, like every failure to reach the server, is an
OperationalError (UNAVAILABLE); any other database error is a bug in the app.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from psycopg import Connection, OperationalError
from psycopg.errors import AdminShutdown
from psycopg.rows import class_row
from psycopg_pool import ConnectionPool

from guestbook.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")
# The database is away or overloaded: connection refused or lost, server shutting down
# or starting up, too many connections, no connection free in time (PoolTimeout). Errors
# such as DataError or UndefinedTable are not in it: they are bugs, and answered as such.
UNAVAILABLE = OperationalError

SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    author     text        NOT NULL CHECK (length(author) BETWEEN 1 AND 100),
    message    text        NOT NULL CHECK (length(message) BETWEEN 1 AND 1000),
    created_at timestamptz NOT NULL DEFAULT now()
)
"""


@dataclass(frozen=True)
class Entry:
    id: int
    author: str
    message: str
    created_at: datetime


class Database:
    def __init__(self, settings: Settings) -> None:
        self.pool = ConnectionPool(
            # A callable: evaluated for every new connection, so a rotated password
            # is picked up from the files as soon as the kubelet has updated them.
            kwargs=settings.connection_kwargs,
            min_size=settings.pool_min,
            max_size=settings.pool_max,
            # Connections that died (database restart, terminated sessions) are
            # dropped at checkout instead of failing a request.
            check=ConnectionPool.check_connection,
            timeout=settings.database_wait_seconds,
            reconnect_timeout=settings.database_reconnect_seconds,
            open=False,
            name="guestbook",
        )

    def open(self) -> None:
        self.pool.open(wait=False)

    def close(self) -> None:
        self.pool.close()

    def ensure_schema(self, wait: float) -> None:
        with self.pool.connection(timeout=wait) as conn:
            conn.execute(SCHEMA)
        log.info("schema ready")

    def is_reachable(self, wait: float) -> bool:
        try:
            with self.pool.connection(timeout=wait) as conn:
                conn.execute("SELECT 1")
        except Exception:  # noqa: BLE001 - any failure means: not ready
            return False
        return True

    def add(self, author: str, message: str, *, wait: float) -> Entry:
        def insert(conn: Connection) -> Entry:
            with conn.cursor(row_factory=class_row(Entry)) as cursor:
                cursor.execute(
                    "INSERT INTO entries (author, message) VALUES (%s, %s) RETURNING id, author, message, created_at",
                    (author, message),
                )
                entry = cursor.fetchone()
            if entry is None:  # INSERT … RETURNING always returns the row
                raise RuntimeError("insert returned no row")
            return entry

        return self._run(insert, read_only=False, wait=wait)

    def latest(self, limit: int, *, wait: float) -> list[Entry]:
        def select(conn: Connection) -> list[Entry]:
            with conn.cursor(row_factory=class_row(Entry)) as cursor:
                cursor.execute(
                    "SELECT id, author, message, created_at FROM entries ORDER BY id DESC LIMIT %s", (limit,)
                )
                return cursor.fetchall()

        return self._run(select, read_only=True, wait=wait)

    def _run(self, work: Callable[[Connection], T], *, read_only: bool, wait: float) -> T:
        """Run `work` in one transaction; once more on a fresh connection if the session died under it.

        A session can end under a request (a Multi-AZ failover, an operator ending
        sessions after a password rotation). If it broke before COMMIT, or the server
        answered COMMIT by ending the session (it then rolls the transaction back),
        nothing was written, so running the work again is safe. A write whose connection
        is lost during COMMIT without the server's word is ambiguous and is not retried;
        a read always is.
        """
        try:
            with self.pool.connection(timeout=wait) as conn:
                try:
                    result = work(conn)
                except OperationalError as error:
                    if conn.broken:
                        raise _SessionLost from error
                    raise
                try:
                    conn.commit()
                except OperationalError as error:
                    if read_only or isinstance(error, AdminShutdown):
                        raise _SessionLost from error
                    raise
                return result
        except _SessionLost:
            log.warning("database session lost before commit; retrying on a new connection")
        with self.pool.connection(timeout=wait) as conn:
            return work(conn)


class _SessionLost(Exception):
    """The connection broke while `work` ran: its transaction never committed."""
