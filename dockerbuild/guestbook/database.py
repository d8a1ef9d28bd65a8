"""The guestbook's storage: a connection pool whose every new connection reads the
credential files again, and an idempotent schema.

Every session acts as the configured role (Settings.database_role), whichever of the
alternating logins opened it, so the table is created in that role's own schema (the
first in search_path, "$user") and owned by it: the schema step needs no privilege
beyond that schema, and nothing is created in "public". Where the role has no schema,
the app reports itself not ready, with the reason, instead of creating the table
elsewhere.

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


class SchemaMissing(RuntimeError):
    """The role has no schema of its own to keep its table in; the message says which."""


class Database:
    def __init__(self, settings: Settings, *, on_login: Callable[[str], None] | None = None) -> None:
        """`on_login(username)`: called for every new connection with the user it logged in as."""
        self.role = settings.database_role
        self._on_login = on_login
        self.pool = ConnectionPool(
            # A callable: evaluated for every new connection, so a rotated credential
            # is picked up from the files as soon as the kubelet has updated them.
            kwargs=settings.connection_kwargs,
            min_size=settings.pool_min,
            max_size=settings.pool_max,
            # Connections that died (database restart, terminated sessions) are
            # dropped at checkout instead of failing a request.
            check=ConnectionPool.check_connection,
            timeout=settings.database_wait_seconds,
            reconnect_timeout=settings.database_reconnect_seconds,
            # A session that logged in with the previous credential files is replaced
            # within this time of their change (Settings.database_max_lifetime_seconds).
            max_lifetime=settings.database_max_lifetime_seconds,
            # Called for every new connection, before it enters the pool.
            configure=self._logged_in,
            open=False,
            name="guestbook",
        )

    def _logged_in(self, conn: Connection) -> None:
        if self._on_login:
            self._on_login(conn.info.user)

    def open(self) -> None:
        self.pool.open(wait=False)

    def close(self) -> None:
        self.pool.close()

    def ensure_schema(self, wait: float) -> None:
        """Create the table in the role's schema; SchemaMissing if the role has none."""
        with self.pool.connection(timeout=wait) as conn:
            if self.role:
                row = conn.execute("SELECT current_schema()").fetchone()
                schema = row[0] if row else None
                if schema != self.role:
                    raise SchemaMissing(
                        f"no schema {self.role!r} for role {self.role!r} (the first in search_path is {schema!r}):"
                        " the credential's first rotation creates it (docs/database-credentials.md)"
                    )
            conn.execute(SCHEMA)
        log.info("schema ready", extra={"role": self.role or None})

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
