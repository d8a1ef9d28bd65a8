"""The local run's environment: loopback only, sslmode relaxed here and nowhere else."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest

from scripts.run_app import LOCAL_SSLMODE, ROOT, LocalDatabase, LocalRunError, app_environment, banner, local_database
from tests.app import postgres_server
from tests.app.postgres_server import PostgresServer


def test_the_local_environment_relaxes_sslmode_and_listens_on_loopback(tmp_path: Path) -> None:
    base = {
        "PATH": "/usr/bin",
        "PYTHONPATH": "/elsewhere",
        "DATABASE_SSLMODE": "verify-full",
        "DATABASE_SSLROOTCERT": "/etc/rds.pem",
        "LISTEN_HOST": "0.0.0.0",  # noqa: S104 - what the container uses, overridden here
        "DATABASE_POOL_MAX": "4",
    }
    env = app_environment(tmp_path, 9000, base)
    assert LOCAL_SSLMODE == "disable"
    assert env["DATABASE_SSLMODE"] == "disable"
    assert "DATABASE_SSLROOTCERT" not in env
    assert (env["LISTEN_HOST"], env["LISTEN_PORT"]) == ("127.0.0.1", "9000")
    assert env["DATABASE_CREDENTIALS_DIR"] == str(tmp_path)
    assert env["PYTHONPATH"].split(":") == [str(ROOT / "dockerbuild"), "/elsewhere"]
    assert env["DATABASE_POOL_MAX"] == "4"  # other settings pass through
    assert base["DATABASE_SSLMODE"] == "verify-full"  # the caller's mapping is left alone
    assert env["METRICS_PORT"] == "9001"  # beside the app's port, never the default 9090 another run holds


def test_without_postgresql_the_local_run_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(postgres_server, "_binaries", lambda: None)
    with (
        pytest.raises(LocalRunError, match=r"^PostgreSQL is not installed \(apt-get install postgresql"),
        local_database(tmp_path),
    ):
        pass


def test_the_banner_names_the_password_file_but_not_the_password(tmp_path: Path) -> None:
    (tmp_path / "dbname").write_text("guestbook")
    (tmp_path / "password").write_text("s3cret-throwaway")
    server = cast(PostgresServer, SimpleNamespace(port=54321, bin=Path("/usr/lib/postgresql/17/bin")))
    shown = banner("http://127.0.0.1:8080", LocalDatabase(server, tmp_path), 1.0)
    assert "s3cret-throwaway" not in shown
    assert "postgresql://guestbook@127.0.0.1:54321/guestbook" in shown
    assert f"credential files in {tmp_path} (the password: its file `password`)" in shown
