"""The function's environment: every problem reported at once, at cold start."""

from __future__ import annotations

import pytest

from rotation.settings import Settings, SettingsError

ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:"
GOOD = {
    "DATABASE_HOST": "dev-app.abcdefghijkl.eu-west-1.rds.amazonaws.com",
    "DATABASE_PORT": "5432",
    "DATABASE_NAME": "app",
    "APP_USERNAME": "guestbook",
    "MASTER_SECRET_ARN": ARN + "rds!db-0a1b2c3d-aBcDeF",
    "SECRET_ARN": ARN + "dev/guestbook/database-AbCdEf",
    "CA_BUNDLE": "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem",
}


def test_a_good_environment_is_read() -> None:
    settings = Settings.from_environ(GOOD)
    assert (settings.port, settings.base_username, settings.clone_username) == (5432, "guestbook", "guestbook_clone")


def test_every_problem_is_reported_in_one_error() -> None:
    environ = {**GOOD, "DATABASE_PORT": "70000", "APP_USERNAME": "Guestbook", "CA_BUNDLE": "http://example.com/b.pem"}
    del environ["DATABASE_HOST"], environ["SECRET_ARN"]
    with pytest.raises(SettingsError) as raised:
        Settings.from_environ(environ)
    assert str(raised.value) == (
        "invalid environment: missing DATABASE_HOST, SECRET_ARN; "
        "DATABASE_PORT='70000' is not a port number (1-65535); "
        "APP_USERNAME='Guestbook' must match ^[a-z_][a-z0-9_]{0,56}$; "
        "CA_BUNDLE='http://example.com/b.pem' must be an https URL or an absolute path (TLS cannot be turned off)"
    )


@pytest.mark.parametrize(
    ("variable", "value", "problem"),
    [
        ("APP_USERNAME", "a" * 58, "must match"),  # + "_clone" would pass PostgreSQL's 63
        ("APP_USERNAME", "pg_monitor", "starts with a reserved prefix"),
        ("APP_USERNAME", "rdsadmin", "starts with a reserved prefix"),
        ("APP_USERNAME", 'guest"book', "must match"),
        ("DATABASE_NAME", "app; DROP", "must match"),
        ("DATABASE_HOST", "db host", "is not a host name"),
        ("DATABASE_PORT", "0", "is not a port number"),
        ("SECRET_ARN", "guestbook-database", "is not a Secrets Manager secret ARN"),
        ("SECRET_ARN", GOOD["MASTER_SECRET_ARN"], "must not be the master secret"),
        ("CA_BUNDLE", "global-bundle.pem", "must be an https URL or an absolute path"),
    ],
)
def test_a_wrong_value_is_named(variable: str, value: str, problem: str) -> None:
    with pytest.raises(SettingsError, match=problem):
        Settings.from_environ({**GOOD, variable: value})


def test_a_file_bundle_is_accepted() -> None:
    assert Settings.from_environ({**GOOD, "CA_BUNDLE": "/var/task/global-bundle.pem"}).ca_bundle.startswith("/")


def test_the_longest_base_name_leaves_room_for_its_clone() -> None:
    """PostgreSQL truncates longer names (NAMEDATALEN 64): a clone name must not be cut."""
    assert len(Settings.from_environ({**GOOD, "APP_USERNAME": "a" * 57}).clone_username) == 63
