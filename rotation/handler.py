"""The Lambda entry point: `rotation.handler.lambda_handler` (package.HANDLER).

The cold start validates the environment, gets the CA bundle and creates the Secrets
Manager client, once per execution environment; a failure there is raised at every
invocation until fixed. Each invocation runs one step and logs one JSON line.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import time
from collections.abc import Mapping
from typing import Any

import boto3
from botocore.config import Config

from rotation import steps, tls
from rotation.database import Server
from rotation.secret import Secrets, SecretsClient
from rotation.settings import Settings
from rotation.steps import Outcome, Rotation, RotationError

logger = logging.getLogger("rotation")
logger.setLevel(logging.INFO)  # Lambda's root logger shows WARNING and above only
# Bounded, so a stuck call fails the step (Secrets Manager retries it) within the Lambda timeout.
CLIENT_CONFIG = Config(connect_timeout=5, read_timeout=15, retries={"mode": "standard", "max_attempts": 3})


def lambda_handler(event: Mapping[str, Any], context: object) -> None:
    handle(_runtime(), event)


@functools.cache
def _runtime() -> Rotation:
    return cold_start(os.environ, boto3.client("secretsmanager", config=CLIENT_CONFIG))


def cold_start(environ: Mapping[str, str], client: SecretsClient) -> Rotation:
    settings = Settings.from_environ(environ)
    bundle = tls.bundle_file(settings.ca_bundle)
    server = Server(settings.host, settings.port, settings.database, tls.database_context(bundle))
    return Rotation(settings, Secrets(client, settings), server)


def handle(rotation: Rotation, event: Mapping[str, Any]) -> Outcome:
    """Run the event's step for the one secret this function rotates; log one line either way."""
    line = {"step": event.get("Step"), "token": event.get("ClientRequestToken"), "secret": event.get("SecretId")}
    started = time.monotonic()
    try:
        step, token = _checked(rotation.settings, event)
        outcome = steps.run(rotation, step, token)
    except Exception as error:
        _log(logging.ERROR, line, started, outcome="failed", error=f"{type(error).__name__}: {error}")
        raise
    _log(logging.INFO, line, started, outcome=outcome.action, username=outcome.username)
    return outcome


def _log(level: int, line: Mapping[str, object], started: float, **fields: object) -> None:
    milliseconds = round((time.monotonic() - started) * 1000)
    logger.log(level, json.dumps({**line, **fields, "milliseconds": milliseconds}, default=str))


def _checked(settings: Settings, event: Mapping[str, Any]) -> tuple[str, str]:
    step, secret, token = event.get("Step"), event.get("SecretId"), event.get("ClientRequestToken")
    if secret != settings.secret_arn:
        # A confused deputy: the function's role may touch one secret, but refuse before asking.
        raise RotationError(f"SecretId {secret!r} is not the secret this function rotates ({settings.secret_arn})")
    if step not in steps.STEPS:
        raise RotationError(f"Step {step!r} is not one of {', '.join(steps.STEPS)}")
    if not isinstance(token, str) or not token:
        raise RotationError("ClientRequestToken is missing")
    return step, token
