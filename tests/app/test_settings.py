"""How the app's settings turn the environment the chart sets into libpq's TLS parameters."""

from __future__ import annotations

from pathlib import Path

import pytest
from guestbook.settings import SECRET_KEYS, Settings, SettingsError


@pytest.fixture
def credentials_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "secret"
    directory.mkdir()
    for key in SECRET_KEYS:
        (directory / key).write_text("5432" if key == "port" else key)
    return directory


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    path = tmp_path / "global-bundle.pem"
    path.write_text("-----BEGIN CERTIFICATE-----\n")  # libpq reads it; the app only needs it to exist
    return path


def test_the_server_is_verified_against_the_named_bundle_by_default(credentials_dir: Path, bundle: Path) -> None:
    settings = Settings.from_environment(
        {"DATABASE_CREDENTIALS_DIR": str(credentials_dir), "DATABASE_SSLROOTCERT": str(bundle)}
    )
    kwargs = settings.connection_kwargs()
    assert (kwargs["sslmode"], kwargs["sslrootcert"]) == ("verify-full", str(bundle))


@pytest.mark.parametrize("sslmode", ["verify-full", "verify-ca"])
def test_a_verifying_mode_without_a_bundle_stops_the_app(sslmode: str) -> None:
    with pytest.raises(SettingsError, match=f"DATABASE_SSLMODE={sslmode} needs DATABASE_SSLROOTCERT"):
        Settings.from_environment({"DATABASE_SSLMODE": sslmode})


def test_a_bundle_that_is_not_there_stops_the_app(tmp_path: Path) -> None:
    missing = tmp_path / "etc" / "rds" / "global-bundle.pem"
    with pytest.raises(SettingsError, match=f"DATABASE_SSLROOTCERT unreadable at {missing}: No such file"):
        Settings.from_environment({"DATABASE_SSLROOTCERT": str(missing)})


def test_a_mode_that_does_not_verify_needs_no_bundle(credentials_dir: Path) -> None:
    """The app's tests run against a local server without TLS (DATABASE_SSLMODE=disable)."""
    settings = Settings.from_environment(
        {"DATABASE_CREDENTIALS_DIR": str(credentials_dir), "DATABASE_SSLMODE": "disable"}
    )
    assert "sslrootcert" not in settings.connection_kwargs()
