"""A real PostgreSQL over TLS with RDS's logging, a master role like RDS's, and moto.

The master role has CREATEROLE and CREATEDB but is no superuser, as RDS's master user
(a member of rds_superuser) is not; each test gets its own database, owned by the master
as RDS's initial database is, and its own pair of app roles, so tests do not share state.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import psycopg
import pytest
from moto import mock_aws
from psycopg import sql

from rotation import handler
from rotation.steps import Rotation
from tests.app.postgres_server import PostgresServer
from tests.conftest import postgres_server
from tests.rotation.certificates import SERVER_NAME, Authority
from tests.rotation.secrets_manager import REGION, SecretsManager, allow_first_current

MASTER = "platform_admin"
MASTER_PASSWORD = "master-test-only"
_numbers = itertools.count()


@pytest.fixture(scope="session")
def authority() -> Authority:
    return Authority.create("rotation test CA")


@pytest.fixture(scope="session")
def ca_bundle(authority: Authority, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return authority.write(tmp_path_factory.mktemp("ca") / "bundle.pem")


@pytest.fixture(scope="session")
def server(authority: Authority) -> Iterator[PostgresServer]:
    """TLS, DDL statements logged (the RDS parameter group's log_statement) and pg_stat_statements."""
    settings = {"log_statement": "ddl", "shared_preload_libraries": "pg_stat_statements", "fsync": "off"}
    server = postgres_server(tls=authority.issue(SERVER_NAME), settings=settings)
    server.start()
    with server.admin() as admin:
        admin.execute("CREATE EXTENSION pg_stat_statements")
        admin.execute(
            sql.SQL("CREATE ROLE {} LOGIN CREATEROLE CREATEDB PASSWORD {}").format(
                sql.Identifier(MASTER), sql.Literal(MASTER_PASSWORD)
            )
        )
    yield server
    server.remove()


@dataclass(frozen=True)
class Database:
    """One test's database and app roles, and libpq connections to it as the app makes them."""

    server: PostgresServer
    name: str
    base: str
    ca_bundle: Path

    @property
    def clone(self) -> str:
        return f"{self.base}_clone"

    def connect(self, username: str, password: str, *, as_base: bool = False) -> psycopg.Connection:
        """verify-full TLS, like the app; `as_base` adds the app's `options=-c role=<base>`."""
        return psycopg.connect(
            host=SERVER_NAME,
            port=self.server.port,
            dbname=self.name,
            user=username,
            password=password,
            sslmode="verify-full",
            sslrootcert=str(self.ca_bundle),
            options=f"-c role={self.base}" if as_base else None,
            autocommit=True,
            connect_timeout=10,
        )

    def logs_in(self, username: str, password: str) -> bool:
        try:
            with self.connect(username, password) as connection:
                connection.execute("SELECT 1")
        except psycopg.OperationalError as error:
            if "password authentication failed" in str(error):
                return False
            raise
        return True

    def admin(self) -> psycopg.Connection:
        return self.server.admin(self.name)


@pytest.fixture
def database(server: PostgresServer, ca_bundle: Path) -> Iterator[Database]:
    number = next(_numbers)
    database = Database(server, f"app_{number}", f"guestbook_{number}", ca_bundle)
    with server.admin() as admin:
        admin.execute(
            sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(database.name), sql.Identifier(MASTER))
        )
    yield database
    with server.admin() as admin:
        admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(database.name)))
        for role in (database.clone, database.base):
            admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


@pytest.fixture(scope="session")
def boto_session() -> boto3.session.Session:
    """One session for every test: a client of a new session loads the service model again (0.3 s)."""
    return boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)


@pytest.fixture
def secrets_manager(boto_session: boto3.session.Session, monkeypatch: pytest.MonkeyPatch) -> Iterator[SecretsManager]:
    """moto with the master secret (as RDS manages it: username and password only) and an empty app secret."""
    allow_first_current(monkeypatch)
    with mock_aws():
        client = boto_session.client("secretsmanager")
        master = client.create_secret(
            Name="rds!db-test", SecretString=json.dumps({"username": MASTER, "password": MASTER_PASSWORD})
        )
        secret = client.create_secret(Name="guestbook-database")  # no value, as Terraform creates it
        yield SecretsManager(client, secret_arn=secret["ARN"], master_arn=master["ARN"])


Environment = Callable[..., dict[str, str]]


@pytest.fixture
def environment(database: Database, secrets_manager: SecretsManager) -> Environment:
    """The function's environment as Terraform sets it; keyword arguments override variables."""

    def make(**overrides: str) -> dict[str, str]:
        return {
            "DATABASE_HOST": SERVER_NAME,
            "DATABASE_PORT": str(database.server.port),
            "DATABASE_NAME": database.name,
            "APP_USERNAME": database.base,
            "MASTER_SECRET_ARN": secrets_manager.master_arn,
            "SECRET_ARN": secrets_manager.secret_arn,
            "CA_BUNDLE": str(database.ca_bundle),
            **overrides,
        }

    return make


@pytest.fixture
def rotation(environment: Environment, secrets_manager: SecretsManager) -> Rotation:
    return handler.cold_start(environment(), secrets_manager.client)
