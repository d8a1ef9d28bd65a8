"""Connections to the app's database: always TLS, always verified (tls.py), short timeouts.

pg8000 is pure Python, so the Lambda package is the same on every machine (package.py).
Given an `ssl_context` it refuses a server that does not speak TLS instead of falling
back to a clear connection; the context checks the certificate chain and host name.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pg8000.native

APPLICATION_NAME = "secret-rotation"  # shows in pg_stat_activity and in the server's log
TIMEOUT_SECONDS = 15
# SQLSTATEs of a refused login: wrong password or unknown role (28P01, PostgreSQL does
# not tell them apart), role without LOGIN or no pg_hba.conf entry (28000).
LOGIN_REFUSED = frozenset({"28P01", "28000"})


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    database: str
    tls: ssl.SSLContext = field(repr=False)


@contextmanager
def session(server: Server, username: str, password: str) -> Iterator[pg8000.native.Connection]:
    connection = pg8000.native.Connection(
        user=username,
        password=password,
        host=server.host,
        port=server.port,
        database=server.database,
        ssl_context=server.tls,
        timeout=TIMEOUT_SECONDS,
        application_name=APPLICATION_NAME,
    )
    try:
        yield connection
    finally:
        connection.close()


def logs_in(server: Server, username: str, password: str) -> bool:
    """Whether the server accepts this credential. Other failures (network, TLS) raise:
    they say nothing about the credential, and a rotation must not act on a guess."""
    try:
        with session(server, username, password) as connection:
            connection.run("SELECT 1")
    except pg8000.native.DatabaseError as error:
        if sqlstate(error) in LOGIN_REFUSED:
            return False
        raise
    return True


def sqlstate(error: pg8000.native.DatabaseError) -> str | None:
    """pg8000 raises with the server's error fields as a dict ("C" is the SQLSTATE)."""
    fields = error.args[0] if error.args else None
    return str(fields.get("C")) if isinstance(fields, dict) else None
