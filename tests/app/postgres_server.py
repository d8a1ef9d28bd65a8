"""A real PostgreSQL server for the app's tests, from the machine's Debian packages.

Each test session gets its own cluster in a temporary directory, on a free loopback
port, with password (SCRAM) authentication over TCP so that a password change really
locks out the old one. `.ci/run` installs the `postgresql` package.

Options for the rotation function's tests: `tls` serves TLS with the given certificate
and key (clear connections still work), `settings` are further server parameters
(`log_statement=ddl`, …); the server's log is `log`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import psycopg

SUPERUSER_PASSWORD = "superuser-test-only"


def _binaries() -> Path | None:
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    return candidates[0] if candidates else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresMissing(RuntimeError):
    """No server binaries on this machine: tests skip (fail under CI), `make run-app` says so."""


@dataclass(frozen=True)
class TlsFiles:
    """A server certificate (PEM, chain included) and its unencrypted private key (PEM)."""

    certificate: bytes
    key: bytes


class PostgresServer:
    def __init__(self, *, tls: TlsFiles | None = None, settings: Mapping[str, str] | None = None) -> None:
        binaries = _binaries()
        if binaries is None:
            raise PostgresMissing("PostgreSQL is not installed (apt-get install postgresql; .ci/run does this)")
        self.bin = binaries
        self.root = Path(tempfile.mkdtemp(prefix="guestbook-pg-"))
        self.data = self.root / "data"
        self.socket_dir = self.root / "socket"
        self.port = free_port()
        self.log = self.root / "server.log"
        self._settings = dict(settings or {})
        self._as_postgres = os.geteuid() == 0  # the server refuses to run as root
        self.socket_dir.mkdir()
        password_file = self.root / "superuser-password"
        password_file.write_text(SUPERUSER_PASSWORD)
        if self._as_postgres:
            shutil.chown(self.root, "postgres")
            shutil.chown(self.socket_dir, "postgres")
            shutil.chown(password_file, "postgres")
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            f"--pwfile={password_file}",
            "--no-sync",
        )
        if tls is not None:
            self._install_tls(tls)

    def _install_tls(self, tls: TlsFiles) -> None:
        # The server refuses a key others can read, and must own it.
        certificate, key = self.root / "server.crt", self.root / "server.key"
        certificate.write_bytes(tls.certificate)
        key.write_bytes(tls.key)
        key.chmod(0o600)
        if self._as_postgres:
            shutil.chown(certificate, "postgres")
            shutil.chown(key, "postgres")
        self._settings |= {"ssl": "on", "ssl_cert_file": str(certificate), "ssl_key_file": str(key)}

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin / tool), *args]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        options = f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.socket_dir}"
        options += "".join(f" -c {name}={value}" for name, value in self._settings.items())
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def admin(self, dbname: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(
            host=str(self.socket_dir), port=self.port, user="postgres", dbname=dbname, autocommit=True
        )

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
