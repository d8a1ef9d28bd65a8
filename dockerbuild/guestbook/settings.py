"""Where the app's settings come from.

Database credentials are files in one directory (a mounted Secret), one file per key,
read again for every new connection. The credential is the app's own, rotated with
alternating users (docs/database-credentials.md): each rotation changes the password of
the login the pods are not using, then External Secrets updates the Secret and the
kubelet the files, and the next new connection logs in with them, without a restart.
Sessions opened with the previous login keep working (a password change ends no session,
and that login's password changes only at the next rotation, days later); none of them
outlives DATABASE_MAX_LIFETIME_SECONDS.

Whichever login the files name (the base role or its clone), every session acts as
DATABASE_ROLE: libpq's `options=-c role=<role>` sets it as the session's role at login, so
the tables belong to that role and are created in its schema (search_path's "$user").
Empty means no role is set, for a local run as a single user.

A verifying sslmode (verify-ca, verify-full) needs the CA bundle the server's certificate
chains to: DATABASE_SSLROOTCERT names it (the image carries AWS's RDS bundle, the chart
points at it). It is checked at start, so a missing bundle stops the pod with its name
instead of failing every connection.

The environment variables (the chart sets the first four, METRICS_PORT and SHUTDOWN_GRACE_SECONDS):

    DATABASE_CREDENTIALS_DIR       /var/run/secrets/database: files host, port, dbname, username, password
    DATABASE_ROLE                  (none)  the role every session acts as, a PostgreSQL name
    DATABASE_SSLMODE               verify-full  libpq's sslmode
    DATABASE_SSLROOTCERT           (none)  the CA bundle a verifying sslmode needs
    LISTEN_HOST / LISTEN_PORT      0.0.0.0 / 8080
    METRICS_PORT                   9090    Prometheus metrics, on LISTEN_HOST (guestbook/metrics.py)
    SHUTDOWN_GRACE_SECONDS         20      in-flight requests' time to finish after SIGTERM

and the bounds that keep one request, or a database outage, from taking the pod down, and
an older login from staying in use (each field below says why its default is what it is;
the chart sets none of them):

    MAX_BODY_BYTES                 16384   largest POST body, refused with 413 while it is read
    DATABASE_WAIT_SECONDS          1.0     a request's wait for a database slot and connection, then 503
    READINESS_WAIT_SECONDS         0.5     /readyz's wait for a connection, then "not ready"
    DATABASE_RECONNECT_SECONDS     2.0     how long the pool retries one failed connection attempt
    DATABASE_MAX_LIFETIME_SECONDS  300     a connection's age when it is replaced by one from the files
    RETRY_AFTER_SECONDS            5       the Retry-After of a 503
    DATABASE_POOL_MIN / _MAX       1 / 10  connections; at most _MAX requests use the database at once
"""

from __future__ import annotations

import math
import os
import re
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
# A role name that needs no quoting anywhere: in libpq's options string (where a space would
# start another option), as an SQL identifier (unquoted names fold to lower case) and within
# NAMEDATALEN (https://www.postgresql.org/docs/current/sql-syntax-lexical.html#SQL-SYNTAX-IDENTIFIERS).
ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class SettingsError(RuntimeError):
    """A setting is missing or malformed; the message names it."""


@dataclass(frozen=True)
class Settings:
    credentials_dir: Path
    # The role every session acts as, whichever login the files name; "" sets none.
    database_role: str
    sslmode: str
    sslrootcert: str | None
    listen_host: str
    listen_port: int
    # A port apart from the API's: the ALB targets LISTEN_PORT only, so /metrics stays private.
    metrics_port: int
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
    # psycopg_pool opens connections only when it needs them, so under steady load a pool
    # keeps the sessions it has. It replaces a connection once this long (less up to 5 %)
    # after it opened, when it is next returned; requests and the readiness probe (every
    # 5 s) take the idle connections in turn. So this bounds how long after the credential
    # files change a session that logged in with the previous ones stays in use. psycopg_pool's
    # default is an hour; 5 min costs a pod at most DATABASE_POOL_MAX logins per 5 minutes
    # and keeps the whole rotation window (docs/database-credentials.md) under ten minutes.
    database_max_lifetime_seconds: float = 300.0
    # The readiness probe's period: by then the pod has looked at the database again.
    retry_after_seconds: int = 5

    @classmethod
    def from_environment(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        try:
            settings = cls(
                credentials_dir=Path(env.get("DATABASE_CREDENTIALS_DIR", "/var/run/secrets/database")),
                database_role=env.get("DATABASE_ROLE", ""),
                sslmode=env.get("DATABASE_SSLMODE", "verify-full"),
                sslrootcert=env.get("DATABASE_SSLROOTCERT") or None,
                listen_host=env.get("LISTEN_HOST", "0.0.0.0"),  # noqa: S104 - a container listens on its pod IP
                listen_port=int(env.get("LISTEN_PORT", "8080")),
                metrics_port=int(env.get("METRICS_PORT", "9090")),
                shutdown_grace_seconds=int(env.get("SHUTDOWN_GRACE_SECONDS", "20")),
                pool_min=int(env.get("DATABASE_POOL_MIN", "1")),
                pool_max=int(env.get("DATABASE_POOL_MAX", "10")),
                max_body_bytes=int(env.get("MAX_BODY_BYTES", cls.max_body_bytes)),
                database_wait_seconds=float(env.get("DATABASE_WAIT_SECONDS", cls.database_wait_seconds)),
                readiness_wait_seconds=float(env.get("READINESS_WAIT_SECONDS", cls.readiness_wait_seconds)),
                database_reconnect_seconds=float(env.get("DATABASE_RECONNECT_SECONDS", cls.database_reconnect_seconds)),
                database_max_lifetime_seconds=float(
                    env.get("DATABASE_MAX_LIFETIME_SECONDS", cls.database_max_lifetime_seconds)
                ),
                retry_after_seconds=int(env.get("RETRY_AFTER_SECONDS", cls.retry_after_seconds)),
            )
        except ValueError as error:
            raise SettingsError(f"a numeric setting is not a number: {error}") from None
        settings.check_bounds()
        settings.check_ports()
        settings.check_role()
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

    def check_ports(self) -> None:
        for variable, port in (("LISTEN_PORT", self.listen_port), ("METRICS_PORT", self.metrics_port)):
            if not 1 <= port <= 65535:
                raise SettingsError(f"{variable} must be a port number from 1 to 65535, got {port}")
        if self.metrics_port == self.listen_port:
            raise SettingsError(f"METRICS_PORT must differ from LISTEN_PORT, both are {self.listen_port}")

    def check_role(self) -> None:
        if self.database_role and not ROLE_NAME.fullmatch(self.database_role):
            raise SettingsError(
                "DATABASE_ROLE must be a PostgreSQL role name (lower-case letters, digits and _,"
                f" not starting with a digit, at most 63 characters) or empty; got {self.database_role!r}"
            )

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

    def credential_files(self) -> dict[str, str]:
        """The files' contents, all from one version of the Secret.

        The kubelet swaps all of a Secret's files at once, but they are read one at a time;
        with alternating users a rotation changes the username as well as the password, so
        a read across a swap could pair one login's name with the other's password. Read
        until two reads agree (the kubelet updates a volume at most once per sync).
        """
        values = self._read_files()
        for _ in range(_MAX_REREADS):
            again = self._read_files()
            if again == values:
                break
            values = again
        return values

    def _read_files(self) -> dict[str, str]:
        values = {}
        for key in SECRET_KEYS:
            path = self.credentials_dir / key
            try:
                values[key] = path.read_text(encoding="utf-8").strip()
            except OSError as error:
                raise SettingsError(f"database setting {key!r} unreadable at {path}: {error.strerror}") from None
        return values

    def connection_kwargs(self) -> dict[str, Any]:
        """Connection parameters as the credential files say right now."""
        values = self.credential_files()
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
        if self.database_role:
            # The session's role from the start: RESET ROLE and DISCARD ALL return to it, and
            # a login that is not a member of it is refused at connect with the server's reason
            # (https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNECT-OPTIONS).
            kwargs["options"] = f"-c role={self.database_role}"
        return kwargs


# Reads of the credential files beyond the first, at most, until two agree.
_MAX_REREADS = 3
# The bounds that must be positive, and the environment variables that set them.
_BOUNDS = (
    ("max_body_bytes", "MAX_BODY_BYTES"),
    ("database_wait_seconds", "DATABASE_WAIT_SECONDS"),
    ("readiness_wait_seconds", "READINESS_WAIT_SECONDS"),
    ("database_reconnect_seconds", "DATABASE_RECONNECT_SECONDS"),
    ("database_max_lifetime_seconds", "DATABASE_MAX_LIFETIME_SECONDS"),
    ("retry_after_seconds", "RETRY_AFTER_SECONDS"),
)
