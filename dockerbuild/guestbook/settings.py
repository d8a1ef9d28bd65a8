"""Where the app's settings come from.

Database credentials are files in one directory (a mounted Secret), one file per key,
read again for every new connection: when RDS rotates the password, External Secrets
updates the Secret and the kubelet the files, and the next connection uses them
without a restart. Everything else comes from environment variables.

A verifying sslmode (verify-ca, verify-full) needs the CA bundle the server's certificate
chains to: DATABASE_SSLROOTCERT names it (the image carries AWS's RDS bundle, the chart
points at it). It is checked at start, so a missing bundle stops the pod with its name
instead of failing every connection.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The keys of the Secret the chart's ExternalSecret produces: exactly these files.
SECRET_KEYS = ("host", "port", "dbname", "username", "password")
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
            )
        except ValueError as error:
            raise SettingsError(f"a numeric setting is not a number: {error}") from None
        settings.check_root_certificate()
        return settings

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
