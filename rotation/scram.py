"""A password as PostgreSQL stores it: a SCRAM-SHA-256 verifier, computed here.

Why: the RDS parameter group sets `log_statement = ddl`, and pg_stat_statements keeps
the text of utility statements, so `ALTER ROLE … PASSWORD 'clear'` would put the password
in CloudWatch Logs and in a view. PostgreSQL stores a PASSWORD that already has the
verifier's shape as it is (https://www.postgresql.org/docs/current/sql-createrole.html),
so only the verifier is ever sent. A verifier does not log in by itself: with it, an
attacker would also need a recorded SCRAM exchange (RFC 5802, section 9), which TLS
prevents, or to guess a 40-character random password through 4096 PBKDF2 rounds.

Format (PostgreSQL's src/common/scram-common.c, RFC 5802 and RFC 7677):
`SCRAM-SHA-256$<iterations>:<base64 salt>$<base64 StoredKey>:<base64 ServerKey>`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

# PostgreSQL's default (scram_iterations); every new connection of the app pays for
# these rounds on its side, so more would slow the app's logins, not only attackers.
ITERATIONS = 4096
SALT_BYTES = 16  # PostgreSQL's SCRAM_DEFAULT_SALT_LEN
# The only characters a verifier has, so it can be written between single quotes
# (CREATE ROLE takes no bind parameters) with nothing to escape.
VERIFIER = re.compile(r"^SCRAM-SHA-256\$[0-9]+:[A-Za-z0-9+/]+={0,2}\$[A-Za-z0-9+/]+={0,2}:[A-Za-z0-9+/]+={0,2}$")
PRINTABLE_ASCII = re.compile(r"^[\x21-\x7e]+$")


def verifier(password: str, *, salt: bytes | None = None, iterations: int = ITERATIONS) -> str:
    """The SCRAM-SHA-256 verifier of `password`; `salt` is random unless given (tests)."""
    # PostgreSQL SASLprep-normalizes a password before hashing; for printable ASCII that
    # is the identity, and our passwords are alphanumeric (secret.py), so refuse the rest
    # rather than implement SASLprep.
    if not PRINTABLE_ASCII.fullmatch(password):
        raise ValueError("the password must be printable ASCII without spaces")
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    salted = hashlib.pbkdf2_hmac("sha256", password.encode("ascii"), salt, iterations)
    client_key = hmac.digest(salted, b"Client Key", "sha256")
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.digest(salted, b"Server Key", "sha256")
    return f"SCRAM-SHA-256${iterations}:{_b64(salt)}${_b64(stored_key)}:{_b64(server_key)}"


def sql_literal(text: str) -> str:
    """`text` as an SQL string literal, once it is known to be a verifier."""
    if not VERIFIER.fullmatch(text):
        raise ValueError("not a SCRAM-SHA-256 verifier")
    return f"'{text}'"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
