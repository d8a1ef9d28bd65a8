"""The SCRAM-SHA-256 verifier, against scramp's (pg8000's SCRAM library) and the server's.

The server's own check, that the password logs in after only the verifier was sent, is
in test_rotation.py; here the verifier is compared with an independent implementation.
"""

from __future__ import annotations

import base64

import pytest
from scramp import ScramMechanism

from rotation import roles, scram


def test_the_verifier_matches_scramp_for_the_same_salt() -> None:
    salt = bytes(range(16))
    salt_again, stored_key, server_key, iterations = ScramMechanism("SCRAM-SHA-256").make_auth_info(
        "correct0horse0battery0staple", iteration_count=4096, salt=salt
    )
    expected = "SCRAM-SHA-256${}:{}${}:{}".format(
        iterations, *(base64.b64encode(part).decode() for part in (salt_again, stored_key, server_key))
    )
    assert scram.verifier("correct0horse0battery0staple", salt=salt) == expected


def test_each_verifier_has_its_own_salt() -> None:
    assert scram.verifier("same0password") != scram.verifier("same0password")


@pytest.mark.parametrize("password", ["pass word", "mot-de-passe-é", ""])
def test_passwords_that_would_need_saslprep_are_refused(password: str) -> None:
    with pytest.raises(ValueError, match="printable ASCII"):
        scram.verifier(password)


@pytest.mark.parametrize(
    "text",
    ["plain-password", "SCRAM-SHA-256$4096:c2FsdA==$a2V5:a2V5'; DROP ROLE x; --", "SCRAM-SHA-256$4096:c2FsdA==$a2V5"],
    ids=["not a verifier", "quote injection", "no server key"],
)
def test_only_a_verifier_becomes_an_sql_literal(text: str) -> None:
    with pytest.raises(ValueError, match="not a SCRAM-SHA-256 verifier"):
        scram.sql_literal(text)


def test_the_statements_carry_the_verifier_and_no_password() -> None:
    verifier = scram.verifier("the0password0itself")
    statements = roles.statements(
        base="guestbook", username="guestbook_clone", verifier=verifier, database="app", existing=["guestbook"]
    )
    assert statements == [
        'GRANT "guestbook" TO CURRENT_USER',
        'CREATE SCHEMA IF NOT EXISTS "guestbook" AUTHORIZATION "guestbook"',
        'GRANT CONNECT ON DATABASE "app" TO "guestbook"',
        'CREATE ROLE "guestbook_clone" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS'
        f" INHERIT PASSWORD '{verifier}'",
        'GRANT "guestbook" TO "guestbook_clone"',
    ]
    assert all("the0password0itself" not in statement for statement in statements)
