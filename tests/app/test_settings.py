"""How the app's settings turn the environment the chart sets into libpq's parameters (TLS,
the role every session acts as), and the bounds that keep a request or an outage from
taking the pod down and an older login from staying in use."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from guestbook.settings import MAX_POOL_SIZE, SECRET_KEYS, Settings, SettingsError

from tests.conftest import ROOT


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


def test_every_session_acts_as_the_database_role(credentials_dir: Path) -> None:
    settings = Settings.from_environment(
        {"DATABASE_CREDENTIALS_DIR": str(credentials_dir), "DATABASE_SSLMODE": "disable", "DATABASE_ROLE": "guestbook"}
    )
    kwargs = settings.connection_kwargs()
    assert (kwargs["user"], kwargs["options"]) == ("username", "-c role=guestbook")


def test_without_a_database_role_the_login_acts_as_itself(credentials_dir: Path) -> None:
    """A local run as a single user: no role is set."""
    for environ in ({}, {"DATABASE_ROLE": ""}):
        settings = Settings.from_environment(
            {"DATABASE_CREDENTIALS_DIR": str(credentials_dir), "DATABASE_SSLMODE": "disable", **environ}
        )
        assert "options" not in settings.connection_kwargs()


@pytest.mark.parametrize(
    "role",
    ["Guestbook", "guestbook -c search_path=public", "1guestbook", "g" * 64, "guest-book", '"guestbook"', "gb\n"],
)
def test_a_database_role_that_is_not_a_plain_postgresql_name_stops_the_app(role: str) -> None:
    """Such a name would need quoting, or would add options of its own to the connection."""
    with pytest.raises(SettingsError) as caught:
        Settings.from_environment({"DATABASE_SSLMODE": "disable", "DATABASE_ROLE": role})
    assert str(caught.value).startswith("DATABASE_ROLE must be a PostgreSQL role name")
    assert str(caught.value).endswith(f"got {role!r}")


def test_the_longest_plain_role_name_is_accepted() -> None:
    role = "_" + "g" * 62  # NAMEDATALEN - 1
    assert Settings.from_environment({"DATABASE_SSLMODE": "disable", "DATABASE_ROLE": role}).database_role == role


def test_credential_files_read_across_a_swap_are_read_again(
    credentials_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rotation changes the username with the password: a read that straddled the
    kubelet's swap pairs one login's name with the other's password, and is not used."""
    base = dict.fromkeys(SECRET_KEYS, "x")
    torn = base | {"username": "guestbook_clone", "password": "base-password"}
    swapped = base | {"username": "guestbook_clone", "password": "clone-password"}
    reads = iter([torn, swapped, swapped])
    monkeypatch.setattr(Settings, "_read_files", lambda _: next(reads))
    settings = Settings.from_environment(
        {"DATABASE_CREDENTIALS_DIR": str(credentials_dir), "DATABASE_SSLMODE": "disable"}
    )
    assert settings.credential_files() == swapped


def probe_timeouts() -> dict[str, int]:
    """timeoutSeconds of each probe in the chart's Deployment template (Kubernetes's
    default, 1 s, where a probe sets none)."""
    lines = (ROOT / "charts" / "app" / "templates" / "deployment.yaml").read_text().splitlines()
    timeouts = {}
    for number, line in enumerate(lines):
        if probe := re.fullmatch(r"( *)(\w+Probe):", line):
            block = itertools.takewhile(lambda inner: inner.startswith(probe[1] + " "), lines[number + 1 :])
            found = [int(m[1]) for inner in block if (m := re.fullmatch(r" *timeoutSeconds: (\d+)", inner))]
            timeouts[probe[2]] = found[0] if found else 1
    return timeouts


def test_the_default_bounds_suit_the_charts_probes() -> None:
    """With the database down, /readyz answers within a second and /entries well within the
    readiness probe's timeout; the chart sets none of these, so the defaults are what runs."""
    defaults = Settings.from_environment({"DATABASE_SSLMODE": "disable"})
    timeouts = probe_timeouts()
    assert set(timeouts) == {"startupProbe", "livenessProbe", "readinessProbe"}
    assert defaults.readiness_wait_seconds <= 0.5 < timeouts["readinessProbe"]
    assert defaults.database_wait_seconds < timeouts["readinessProbe"] / 2
    assert defaults.pool_max <= MAX_POOL_SIZE


def test_by_default_a_session_from_older_credential_files_is_gone_within_five_minutes() -> None:
    """The app's share of the rotation window (docs/database-credentials.md); psycopg_pool's
    own default would be an hour."""
    assert Settings.from_environment({"DATABASE_SSLMODE": "disable"}).database_max_lifetime_seconds == 300


def test_the_bounds_come_from_the_environment() -> None:
    settings = Settings.from_environment(
        {
            "DATABASE_SSLMODE": "disable",
            "MAX_BODY_BYTES": "4096",
            "DATABASE_WAIT_SECONDS": "2.5",
            "READINESS_WAIT_SECONDS": "0.25",
            "DATABASE_RECONNECT_SECONDS": "4",
            "DATABASE_MAX_LIFETIME_SECONDS": "60",
            "RETRY_AFTER_SECONDS": "30",
        }
    )
    assert (
        settings.max_body_bytes,
        settings.database_wait_seconds,
        settings.readiness_wait_seconds,
        settings.database_reconnect_seconds,
        settings.database_max_lifetime_seconds,
        settings.retry_after_seconds,
    ) == (4096, 2.5, 0.25, 4.0, 60.0, 30)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DATABASE_WAIT_SECONDS", "0", "DATABASE_WAIT_SECONDS must be a positive number, got 0.0"),
        ("MAX_BODY_BYTES", "-1", "MAX_BODY_BYTES must be a positive number, got -1"),
        ("READINESS_WAIT_SECONDS", "nan", "READINESS_WAIT_SECONDS must be a positive number, got nan"),
        ("DATABASE_MAX_LIFETIME_SECONDS", "inf", "DATABASE_MAX_LIFETIME_SECONDS must be a positive number, got inf"),
        ("RETRY_AFTER_SECONDS", "soon", "a numeric setting is not a number"),
        ("DATABASE_POOL_MAX", "64", "1 <= max <= 32; got 1 and 64"),
    ],
)
def test_a_bound_out_of_range_stops_the_app(variable: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=re.escape(message)):
        Settings.from_environment({"DATABASE_SSLMODE": "disable", variable: value})
