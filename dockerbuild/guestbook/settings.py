"""Where the app's settings come from.

Database credentials are files in one directory (a mounted Secret), one file per key,
read again for every new connection: when RDS rotates the password, External Secrets
updates the Secret and the kubelet the files, and the next connection uses them
without a restart. Everything else comes from environment variables.

A verifying sslmode (verify-ca, verify-full) needs the CA bundle the server's certificate
chains to: DATABASE_SSLROOTCERT names it (the image carries AWS's RDS bundle, the chart
points at it). It is checked at start, so a missing bundle stops the pod with its name
instead of failing every connection.

The bounds that keep one request, or a database outage, from taking the pod down (each
field below says why its default is what it is; the chart sets none of them):

    MAX_BODY_BYTES              16384  largest POST body, refused with 413 while it is read
    DATABASE_WAIT_SECONDS       1.0    a request's wait for a database slot and connection, then 503
    READINESS_WAIT_SECONDS      0.5    /readyz's wait for a connection, then "not ready"
    DATABASE_RECONNECT_SECONDS  2.0    how long the pool retries one failed connection attempt
    RETRY_AFTER_SECONDS         5      the Retry-After of a 503
    DATABASE_POOL_MIN / _MAX    1 / 10 connections; at most _MAX requests use the database at once
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The keys of the Secret the chart's ExternalSecret produces: exactly these files.
SECRET_KEYS = ("host", "port", "dbname", "username", "password")
# The probes and the database work share anyio's worker threads (40 by default,
# https://anyio.readthedocs.io/en/stable/threads.html#adjusting-the-default-maximum-worker-thread-count):
# at most this many do database work, so a backlog always leaves threads for /readyz.
MAX_POOL_SIZE = 32
# libpq's modes that check the server certificate against sslrootcert
# (https://www.postgresql.org/docs/current/libpq-ssl.html#LIBPQ-SSL-VERIFICATION).
VERIFYING_SSLMODES = ("verify-ca", "verify-full")


class SettingsError(RuntimeError):
    """A setting is missing or malformed; the message names it."""


@dataclass(frozen=True)
class Settings:
    credentials_dir: Path
    sslmode: str
    sslrootcert: str | None
    listen_host: str
    listen_port: int
    shutdown_grace_seconds: int
    pool_min: int
    pool_max: int
    # The longest valid entry, 100 + 1,000 characters each sent as an escaped surrogate
    # pair ("\ud83d\ude00", 12 bytes), is about 13 KiB; nothing larger is ever read whole.
    max_body_bytes: int = 16 * 1024
    # Checking out a connection takes milliseconds when the database is up; waiting longer
    # only piles requests up behind an outage. Well under the probes' 2-3 s timeouts.
    database_wait_seconds: float = 1.0
    # /readyz must answer within a second with the database down (probe timeout 3 s).
    readiness_wait_seconds: float = 0.5
    # psycopg_pool retries a failed connection with doubling delays (1, 2, 4 s …) for this
    # long, then gives up, and the next request that needs a connection starts again at
    # once. A long window (it was 60 s; psycopg_pool's default is 5 min) lets the delay grow
    # past 15 s and readiness lag the database's return by as much; 2 s keeps attempts
    # about a second apart.
    database_reconnect_seconds: float = 2.0
    # The readiness probe's period: by then the pod has looked at the database again.
    retry_after_seconds: int = 5

    @classmethod
    def from_environment(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        try:
            settings = cls(
                credentials_dir=Path(env.get("DATABASE_CREDENTIALS_DIR", "/var/run/secrets/database")),
                sslmode=env.get("DATABASE_SSLMODE", "verify-full"),
                sslrootcert=env.get("DATABASE_SSLROOTCERT") or None,
                listen_host=env.get("LISTEN_HOST", "0.0.0.0"),  # noqa: S104 - a container listens on its pod IP
                listen_port=int(env.get("LISTEN_PORT", "8080")),
                shutdown_grace_seconds=int(env.get("SHUTDOWN_GRACE_SECONDS", "20")),
                pool_min=int(env.get("DATABASE_POOL_MIN", "1")),
                pool_max=int(env.get("DATABASE_POOL_MAX", "10")),
                max_body_bytes=int(env.get("MAX_BODY_BYTES", cls.max_body_bytes)),
                database_wait_seconds=float(env.get("DATABASE_WAIT_SECONDS", cls.database_wait_seconds)),
                readiness_wait_seconds=float(env.get("READINESS_WAIT_SECONDS", cls.readiness_wait_seconds)),
                database_reconnect_seconds=float(env.get("DATABASE_RECONNECT_SECONDS", cls.database_reconnect_seconds)),
                retry_after_seconds=int(env.get("RETRY_AFTER_SECONDS", cls.retry_after_seconds)),
            )
        except ValueError as error:
            raise SettingsError(f"a numeric setting is not a number: {error}") from None
        settings.check_bounds()
        settings.check_root_certificate()
        return settings

    def check_bounds(self) -> None:
        if not (0 <= self.pool_min <= self.pool_max and 1 <= self.pool_max <= MAX_POOL_SIZE):
            raise SettingsError(
                f"DATABASE_POOL_MIN and DATABASE_POOL_MAX must satisfy 0 <= min <= max, 1 <= max <= {MAX_POOL_SIZE};"
                f" got {self.pool_min} and {self.pool_max}"
            )
        for name, variable in _BOUNDS:
            if not 0 < getattr(self, name) < math.inf:
                raise SettingsError(f"{variable} must be a positive number, got {getattr(self, name)}")

    def check_root_certificate(self) -> None:
        """The CA bundle a verifying sslmode needs is named and readable."""
        if self.sslmode in VERIFYING_SSLMODES and not self.sslrootcert:
            raise SettingsError(
                f"DATABASE_SSLMODE={self.sslmode} needs DATABASE_SSLROOTCERT, the CA bundle to verify the server with"
            )
        if self.sslrootcert:
            try:
                with Path(self.sslrootcert).open("rb"):
                    pass
            except OSError as error:
                raise SettingsError(
                    f"DATABASE_SSLROOTCERT unreadable at {self.sslrootcert}: {error.strerror}"
                ) from None

    def connection_kwargs(self) -> dict[str, Any]:
        """Connection parameters as the credential files say right now."""
        values = {}
        for key in SECRET_KEYS:
            path = self.credentials_dir / key
            try:
                values[key] = path.read_text(encoding="utf-8").strip()
            except OSError as error:
                raise SettingsError(f"database setting {key!r} unreadable at {path}: {error.strerror}") from None
        kwargs: dict[str, Any] = {
            "host": values["host"],
            "port": int(values["port"]),
            "dbname": values["dbname"],
            "user": values["username"],
            "password": values["password"],
            "sslmode": self.sslmode,
            "application_name": "guestbook",
            "connect_timeout": 5,
        }
        if self.sslrootcert:
            kwargs["sslrootcert"] = self.sslrootcert
        return kwargs


# The bounds that must be positive, and the environment variables that set them.
_BOUNDS = (
    ("max_body_bytes", "MAX_BODY_BYTES"),
    ("database_wait_seconds", "DATABASE_WAIT_SECONDS"),
    ("readiness_wait_seconds", "READINESS_WAIT_SECONDS"),
    ("database_reconnect_seconds", "DATABASE_RECONNECT_SECONDS"),
    ("retry_after_seconds", "RETRY_AFTER_SECONDS"),
)
