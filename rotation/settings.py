"""The function's environment, set by Terraform, validated once at cold start.

Every problem is reported in one error, so a misconfigured function says everything that
is wrong on its first invocation instead of one variable per deploy.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath

from rotation.roles import USERNAME, clone_of

SECRET_ARN = re.compile(r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@!-]+$")
HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,252}[A-Za-z0-9])?$")  # a DNS name or an IPv4 address
DATABASE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
# Reserved by PostgreSQL (pg_*) and by RDS (rds_superuser, rdsadmin, …).
RESERVED_PREFIXES = ("pg_", "rds")

VARIABLES = (
    "DATABASE_HOST",
    "DATABASE_PORT",
    "DATABASE_NAME",
    "APP_USERNAME",
    "MASTER_SECRET_ARN",
    "SECRET_ARN",
    "CA_BUNDLE",
)


class SettingsError(ValueError):
    """The environment is not usable; the message names every variable at fault."""


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    database: str
    base_username: str
    master_secret_arn: str
    secret_arn: str
    # An https URL (fetched at cold start, tls.py) or an absolute path to a PEM bundle.
    ca_bundle: str

    @property
    def clone_username(self) -> str:
        return clone_of(self.base_username)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        problems = list(_problems(environ))
        if problems:
            raise SettingsError("invalid environment: " + "; ".join(problems))
        return cls(
            host=environ["DATABASE_HOST"],
            port=int(environ["DATABASE_PORT"]),
            database=environ["DATABASE_NAME"],
            base_username=environ["APP_USERNAME"],
            master_secret_arn=environ["MASTER_SECRET_ARN"],
            secret_arn=environ["SECRET_ARN"],
            ca_bundle=environ["CA_BUNDLE"],
        )


def _problems(environ: Mapping[str, str]) -> Iterator[str]:
    missing = [name for name in VARIABLES if not environ.get(name)]
    if missing:
        yield "missing " + ", ".join(missing)
    value = environ.get

    host = value("DATABASE_HOST")
    if host and not HOST.fullmatch(host):
        yield f"DATABASE_HOST={host!r} is not a host name"
    port = value("DATABASE_PORT")
    if port and not (port.isdigit() and 1 <= int(port) <= 65535):
        yield f"DATABASE_PORT={port!r} is not a port number (1-65535)"
    database = value("DATABASE_NAME")
    if database and not DATABASE.fullmatch(database):
        yield f"DATABASE_NAME={database!r} must match {DATABASE.pattern}"

    username = value("APP_USERNAME")
    if username and not USERNAME.fullmatch(username):
        # 57 characters at most, so that `<base>_clone` fits PostgreSQL's 63.
        yield f"APP_USERNAME={username!r} must match {USERNAME.pattern}"
    elif username and username.startswith(RESERVED_PREFIXES):
        yield f"APP_USERNAME={username!r} starts with a reserved prefix ({', '.join(RESERVED_PREFIXES)})"

    for name in ("MASTER_SECRET_ARN", "SECRET_ARN"):
        arn = value(name)
        if arn and not SECRET_ARN.fullmatch(arn):
            yield f"{name}={arn!r} is not a Secrets Manager secret ARN"
    if value("SECRET_ARN") and value("SECRET_ARN") == value("MASTER_SECRET_ARN"):
        yield "SECRET_ARN must not be the master secret (MASTER_SECRET_ARN): RDS rotates that one"

    bundle = value("CA_BUNDLE")
    if bundle and not (bundle.startswith("https://") or PurePosixPath(bundle).is_absolute()):
        yield f"CA_BUNDLE={bundle!r} must be an https URL or an absolute path (TLS cannot be turned off)"
