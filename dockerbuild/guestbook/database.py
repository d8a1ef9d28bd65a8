"""The guestbook's storage: a connection pool whose every new connection reads the
credential files again, and an idempotent schema."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from psycopg.rows import class_row
from psycopg_pool import ConnectionPool

from guestbook.settings import Settings

log = logging.getLogger(__name__)

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
            timeout=15,
            reconnect_timeout=60,
            open=False,
            name="guestbook",
        )

    def open(self) -> None:
        self.pool.open(wait=False)

    def close(self) -> None:
        self.pool.close()

    def ensure_schema(self) -> None:
        with self.pool.connection() as conn:
            conn.execute(SCHEMA)
        log.info("schema ready")

    def is_reachable(self) -> bool:
        try:
            with self.pool.connection(timeout=2) as conn:
                conn.execute("SELECT 1")
        except Exception:  # noqa: BLE001 - any failure means: not ready
            return False
        return True

    def add(self, author: str, message: str) -> Entry:
        with self.pool.connection() as conn, conn.cursor(row_factory=class_row(Entry)) as cursor:
            cursor.execute(
                "INSERT INTO entries (author, message) VALUES (%s, %s) RETURNING id, author, message, created_at",
                (author, message),
            )
            entry = cursor.fetchone()
        if entry is None:  # INSERT … RETURNING always returns the row
            raise RuntimeError("insert returned no row")
        return entry

    def latest(self, limit: int) -> list[Entry]:
        with self.pool.connection() as conn, conn.cursor(row_factory=class_row(Entry)) as cursor:
            cursor.execute("SELECT id, author, message, created_at FROM entries ORDER BY id DESC LIMIT %s", (limit,))
            return cursor.fetchall()
