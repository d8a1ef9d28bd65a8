"""The Lambda entry point as the runtime calls it: environment read once, one step per call."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rotation import handler, package
from rotation.settings import SettingsError
from rotation.steps import STEPS
from tests.rotation.conftest import Database, Environment
from tests.rotation.secrets_manager import REGION, SecretsManager


@pytest.fixture
def cold(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A fresh execution environment: nothing cached from an earlier cold start."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    handler._runtime.cache_clear()
    yield
    handler._runtime.cache_clear()


def test_the_handler_string_names_the_entry_point() -> None:
    module, _, function = package.HANDLER.rpartition(".")
    assert getattr(__import__(module, fromlist=[function]), function) is handler.lambda_handler


def test_a_whole_rotation_through_the_entry_point(
    cold: None,
    database: Database,
    secrets_manager: SecretsManager,
    environment: Environment,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, setting in environment().items():
        monkeypatch.setenv(name, setting)
    token = secrets_manager.begin()
    for step in STEPS:
        handler.lambda_handler(secrets_manager.event(step, token), None)
    assert handler._runtime.cache_info().misses == 1  # one cold start for the four calls
    value = secrets_manager.value()
    assert database.logs_in(value["username"], value["password"])


def test_a_misconfigured_function_fails_every_call_with_every_problem(
    cold: None, secrets_manager: SecretsManager, environment: Environment, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, setting in environment(DATABASE_PORT="five", CA_BUNDLE="").items():
        monkeypatch.setenv(name, setting)
    event = secrets_manager.event("createSecret", secrets_manager.begin())
    for _ in range(2):
        with pytest.raises(SettingsError, match=r"missing CA_BUNDLE; DATABASE_PORT='five' is not a port number"):
            handler.lambda_handler(event, None)
