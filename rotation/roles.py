"""The SQL of a rotation: the app's two roles, its schema and their grants, run as the master user.

Base role (`guestbook`): LOGIN and nothing else; it owns the schema of its name and may
connect to the database. Clone (`guestbook_clone`): a member of the base role, so it
inherits the base role's privileges and may `SET ROLE` to it (the app does, through
`options=-c role=<base>`, so objects stay owned by the base role whichever logs in).

Everything is idempotent (IF NOT EXISTS, GRANT again) and runs in one transaction, so a
retried or interrupted setSecret leaves either the old state or the whole new one.
Names reach SQL only after matching a strict pattern, quoted as identifiers; passwords
reach it only as SCRAM verifiers (scram.py): utility statements take no bind parameters.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable
from typing import Any, Protocol

from rotation.scram import sql_literal

USERNAME = re.compile(r"^[a-z_][a-z0-9_]{0,56}$")  # + "_clone" fits PostgreSQL's 63 bytes
IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
CLONE_SUFFIX = "_clone"
# A credential for a role with any of these would be more than the app needs; refuse to
# hand one out instead of silently altering a role someone else changed.
PRIVILEGED = ("rolsuper", "rolcreatedb", "rolcreaterole", "rolreplication", "rolbypassrls")  # as `apply` selects them


class RoleError(RuntimeError):
    """The database or the secret is not in a state this rotation may act on."""


class Session(Protocol):
    """The part of pg8000.native.Connection used here."""

    def run(self, sql: str, **params: Any) -> list[list[Any]] | None: ...


def clone_of(base: str) -> str:
    return base + CLONE_SUFFIX


def alternate(username: str, base: str) -> str:
    """The role the next rotation sets: the other one of the pair."""
    if username == base:
        return clone_of(base)
    if username == clone_of(base):
        return base
    raise RoleError(f"the current username {username!r} is neither {base!r} nor {clone_of(base)!r}: refusing to rotate")


def identifier(name: str) -> str:
    if not IDENTIFIER.fullmatch(name):
        raise RoleError(f"{name!r} is not an identifier this function writes into SQL")
    return f'"{name}"'


def statements(*, base: str, username: str, verifier: str, database: str, existing: Iterable[str]) -> list[str]:
    """What makes `username` (the base role or its clone) log in with `verifier`, in order."""
    clone = clone_of(base)
    if username not in (base, clone):
        raise RoleError(f"refusing to set a password for {username!r}: only {base!r} and {clone!r} are rotated")
    present = set(existing)
    password = sql_literal(verifier)
    role, base_role, clone_role = identifier(username), identifier(base), identifier(clone)
    attributes = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT"
    set_password = (
        f"ALTER ROLE {role} WITH LOGIN PASSWORD {password}"
        if username in present
        else f"CREATE ROLE {role} WITH {attributes} PASSWORD {password}"
    )
    if username == clone and base not in present:
        raise RoleError(f"the base role {base!r} does not exist: the credential in use cannot be its clone's")
    return [
        *([set_password] if username == base else []),
        # CREATE SCHEMA … AUTHORIZATION needs the master user to be able to SET ROLE to
        # the owner; on PostgreSQL 16+ creating a role grants only ADMIN on it.
        f"GRANT {base_role} TO CURRENT_USER",
        f"CREATE SCHEMA IF NOT EXISTS {base_role} AUTHORIZATION {base_role}",
        f"GRANT CONNECT ON DATABASE {identifier(database)} TO {base_role}",
        *([set_password, f"GRANT {base_role} TO {clone_role}"] if username == clone else []),
    ]


def apply(session: Session, *, base: str, username: str, verifier: str, database: str) -> None:
    """Run `statements` in one transaction, once the roles are known to hold no more than they should."""
    existing = _checked_roles(session, base)
    plan = statements(base=base, username=username, verifier=verifier, database=database, existing=existing)
    session.run("BEGIN")
    try:
        for statement in plan:
            session.run(statement)
    except Exception:
        with contextlib.suppress(Exception):  # a broken connection rolls back by itself; keep the first error
            session.run("ROLLBACK")
        raise
    session.run("COMMIT")


def _checked_roles(session: Session, base: str) -> list[str]:
    """Which of the two roles exist; RoleError if one has a privileged attribute or a
    membership beyond the clone's in the base role (pg_read_all_data, rds_superuser, …)."""
    names = [base, clone_of(base)]
    roles = session.run(
        "SELECT rolname, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls"
        " FROM pg_roles WHERE rolname = ANY(CAST(:names AS text[]))",
        names=names,
    )
    for name, *flags in roles or []:
        held = [attribute for attribute, flag in zip(PRIVILEGED, flags, strict=True) if flag]
        if held:
            raise RoleError(f"role {name!r} has {', '.join(held)}: refusing to hand out a credential for it")
    memberships = session.run(
        "SELECT member.rolname, granted.rolname FROM pg_auth_members"
        " JOIN pg_roles member ON member.oid = pg_auth_members.member"
        " JOIN pg_roles granted ON granted.oid = pg_auth_members.roleid"
        " WHERE member.rolname = ANY(CAST(:names AS text[]))",
        names=names,
    )
    for member, granted in memberships or []:
        if (member, granted) != (clone_of(base), base):
            raise RoleError(f"role {member!r} is a member of {granted!r}: refusing to hand out a credential for it")
    return [str(row[0]) for row in roles or []]
