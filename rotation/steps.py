"""The four steps of a rotation, as Secrets Manager calls them, each safe to run again.

Secrets Manager retries a failed step and may repeat one that succeeded, so each step
first looks for its own work (a pending value already put, a password already set, a
label already moved) and returns without repeating it. The steps do not rely on
AWSCURRENT being elsewhere than on this rotation's version: PutSecretValue labels the
first version of a secret AWSCURRENT itself, which may happen on the first rotation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from rotation import roles, scram
from rotation.database import Server, logs_in, session
from rotation.secret import CURRENT, PENDING, Credential, Secrets
from rotation.settings import Settings


class RotationError(RuntimeError):
    """This rotation must not go on; the message says why, without any secret."""


@dataclass(frozen=True)
class Rotation:
    """What every step works with, built once per cold start (handler.py)."""

    settings: Settings
    secrets: Secrets
    server: Server


@dataclass(frozen=True)
class Outcome:
    action: str
    username: str | None = None


Stages = Mapping[str, list[str]]


def create_secret(rotation: Rotation, token: str, stages: Stages) -> Outcome:
    """Stage a new password for the role not in use; the base role on the first rotation."""
    existing = rotation.secrets.pending(token)
    if existing is not None:
        return Outcome("already created", existing.username)
    current = rotation.secrets.current(stages, besides=token)
    base = rotation.settings.base_username
    username = base if current is None else roles.alternate(current[1].username, base)
    rotation.secrets.put_pending(token, Credential(username, rotation.secrets.new_password()))
    return Outcome("created", username)


def set_secret(rotation: Rotation, token: str, stages: Stages) -> Outcome:
    """Give the pending role its password, as the master user, once the current one is proven."""
    settings, server = rotation.settings, rotation.server
    pending = _pending(rotation, token)
    if logs_in(server, pending.username, pending.password):
        return Outcome("already set", pending.username)
    current = rotation.secrets.current(stages, besides=token)
    if current is None:
        # The first rotation: no credential exists yet that could be proven.
        if pending.username != settings.base_username:
            raise RotationError(f"the first rotation sets {settings.base_username!r}, not {pending.username!r}")
    else:
        version, credential = current
        if roles.alternate(credential.username, settings.base_username) != pending.username:
            raise RotationError(f"version {token} does not alternate with the current {credential.username!r}")
        # As AWS's own functions do: only who already holds a working credential of
        # this secret gets the next one set, so a tampered secret cannot steer the master user.
        if not logs_in(server, credential.username, credential.password):
            raise RotationError(f"the current credential (version {version}) does not log in: refusing to set the next")
    master = rotation.secrets.master()
    if master.username in (settings.base_username, settings.clone_username):
        raise RotationError(f"the master user {master.username!r} is one of the app's roles: refusing to alter it")
    with session(server, master.username, master.password) as connection:
        roles.apply(
            connection,
            base=settings.base_username,
            username=pending.username,
            verifier=scram.verifier(pending.password),
            database=settings.database,
        )
    return Outcome("set", pending.username)


def test_secret(rotation: Rotation, token: str, stages: Stages) -> Outcome:
    """Log in with the pending credential, act as the base role and reach its schema."""
    base = rotation.settings.base_username
    pending = _pending(rotation, token)
    with session(rotation.server, pending.username, pending.password) as connection:
        connection.run(f"SET ROLE {roles.identifier(base)}")
        rows = connection.run(
            "SELECT has_schema_privilege(:schema, 'USAGE'), has_schema_privilege(:schema, 'CREATE')", schema=base
        )
        if rows != [[True, True]]:
            raise RotationError(f"{pending.username!r} acting as {base!r} cannot use and create in schema {base!r}")
        connection.run("SELECT 1")
    return Outcome("tested", pending.username)


def finish_secret(rotation: Rotation, token: str, stages: Stages) -> Outcome:
    """Make the pending version current; the previous one becomes AWSPREVIOUS."""
    if CURRENT in stages[token]:
        return Outcome("already current")
    previous = next((version for version, labels in stages.items() if CURRENT in labels), None)
    rotation.secrets.make_current(token, previous)
    return Outcome("finished")


STEPS: dict[str, Callable[[Rotation, str, Stages], Outcome]] = {
    "createSecret": create_secret,
    "setSecret": set_secret,
    "testSecret": test_secret,
    "finishSecret": finish_secret,
}


def run(rotation: Rotation, step: str, token: str) -> Outcome:
    """One step, if `token` is the rotation in progress (AWSPENDING); nothing once a later one began."""
    stages = rotation.secrets.stages()
    labels = stages.get(token)
    if labels is None:
        raise RotationError(f"version {token} is not a version of the secret: no rotation of it is in progress")
    if PENDING not in labels:
        if CURRENT in labels:
            return Outcome("already current")
        raise RotationError(f"version {token} is not AWSPENDING: it is not the rotation in progress")
    return STEPS[step](rotation, token, stages)


def _pending(rotation: Rotation, token: str) -> Credential:
    pending = rotation.secrets.pending(token)
    if pending is None:
        raise RotationError(f"version {token} has no AWSPENDING value: createSecret has not run")
    base = rotation.settings.base_username
    if pending.username not in (base, rotation.settings.clone_username):
        raise RotationError(f"version {token} is for {pending.username!r}, not one of the app's roles")
    return pending
