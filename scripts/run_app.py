"""Run the guestbook locally in one command: a throwaway PostgreSQL and the app on 127.0.0.1.

    make run-app                  # http://127.0.0.1:8080
    make run-app PORT=9000
    .venv/bin/python -m scripts.run_app --port 9000

PostgreSQL comes from the machine's Debian packages (`apt-get install postgresql`) and is
started exactly as the app's tests start it (tests/app/postgres_server.py): a new cluster
in a temporary directory, on a free loopback port, with password (SCRAM) authentication.
A database and the app's least-privilege role are created as the tests create them, with
the rotation function's own SQL (LOGIN only, CONNECT, a schema of its own; a random
password), their credentials written as files laid out like the mounted Secret, and the
app runs as its container runs it, `python -m guestbook` with DATABASE_ROLE set, listening
on 127.0.0.1 only.

The one setting that differs from a deployment: the throwaway server has no TLS, so this
local mode, and only it, sets DATABASE_SSLMODE=disable (and prints that it does). The
image and the chart keep verify-full with AWS's RDS CA bundle.

Ctrl-C (or SIGTERM) stops the app gracefully, then PostgreSQL, and deletes its data.
bench_app.py reuses these pieces.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO
from urllib.parse import urlsplit

import httpx

from tests.app.local_database import APP_ROLE, fresh_database, set_password
from tests.app.postgres_server import PostgresMissing, PostgresServer

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"
# The throwaway server has no certificate; RDS requires TLS and the image verifies it.
LOCAL_SSLMODE = "disable"
DEFAULT_PORT = 8080
STOP_GRACE_SECONDS = 25  # the app's SHUTDOWN_GRACE_SECONDS (20) and a little more


class LocalRunError(RuntimeError):
    """The local run cannot start; the message says why and what to do."""


@dataclass(frozen=True)
class LocalDatabase:
    server: PostgresServer
    credentials_dir: Path

    @property
    def url(self) -> str:
        """Without the password, which stays in its credential file (terminal output gets copied and kept)."""
        dbname = (self.credentials_dir / "dbname").read_text(encoding="utf-8")
        return f"postgresql://{APP_ROLE}@{LOOPBACK}:{self.server.port}/{dbname}"


@contextlib.contextmanager
def local_database(workdir: Path) -> Iterator[LocalDatabase]:
    """A running throwaway PostgreSQL with the app's role and a database, and its credential files.

    The server and the database are the app tests' own (tests/app/postgres_server.py and
    tests/app/local_database.py's fresh_database), with a random password instead of the tests'
    fixed one. The server is stopped and its data deleted on exit.
    """
    try:
        server = PostgresServer()
    except PostgresMissing as error:
        raise LocalRunError(str(error)) from None
    except subprocess.CalledProcessError as error:
        raise LocalRunError(f"initdb failed: {error.stderr.decode(errors='replace').strip()}") from None
    try:
        server.start()
        with fresh_database(server, workdir / "secret") as credentials:
            password = secrets.token_urlsafe(18)
            set_password(server, credentials.read("dbname"), APP_ROLE, password)
            credentials.write(password=password)
            yield LocalDatabase(server, credentials.directory)
    finally:
        server.remove()


def app_environment(credentials_dir: Path, port: int, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The app's environment for a local run: loopback only, and sslmode relaxed for the local server.

    Metrics are served on the next port (`metrics_port`), so a second local run or another
    service on 9090 does not stop the app. Other settings (DATABASE_POOL_MAX, …) pass
    through from `base` (the caller's environment).
    """
    env = dict(os.environ if base is None else base)
    env.pop("DATABASE_SSLROOTCERT", None)
    env.update(
        {
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "dockerbuild"), env.get("PYTHONPATH")])),
            "DATABASE_CREDENTIALS_DIR": str(credentials_dir),
            "DATABASE_ROLE": APP_ROLE,
            "DATABASE_SSLMODE": LOCAL_SSLMODE,
            "LISTEN_HOST": LOOPBACK,
            "LISTEN_PORT": str(port),
            "METRICS_PORT": str(metrics_port(port)),
        }
    )
    return env


def metrics_port(port: int) -> int:
    return port + 1


def start_app(env: Mapping[str, str], output: IO[bytes] | None = None) -> subprocess.Popen[bytes]:
    """`python -m guestbook` in its own session, so that only our one SIGTERM reaches it."""
    return subprocess.Popen(
        [sys.executable, "-m", "guestbook"],
        env=dict(env),
        stdout=output,
        stderr=subprocess.STDOUT if output is not None else None,
        start_new_session=True,
    )


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 30) -> float:
    """Seconds until GET /readyz answers 200; LocalRunError if the app exits or the time runs out."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise LocalRunError(f"the app exited with status {process.returncode} before it was ready")
        try:
            if httpx.get(f"{url}/readyz", timeout=5).status_code == 200:
                return time.monotonic() - started
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise LocalRunError(f"the app was not ready within {timeout:.0f} s")


def stop_app(process: subprocess.Popen[bytes], grace: float = STOP_GRACE_SECONDS) -> int:
    """SIGTERM, as Kubernetes sends it; SIGKILL if the app has not exited after `grace` seconds."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def check_port_free(port: int) -> None:
    with socket.socket() as probe:
        try:
            probe.bind((LOOPBACK, port))
        except OSError as error:
            raise LocalRunError(
                f"{LOOPBACK}:{port} is taken ({error.strerror}); choose another: make run-app PORT=…"
            ) from None


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def interrupt_on_sigterm() -> None:
    """SIGTERM and SIGINT both end the run through the cleanup (`finally`) paths."""
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started with SIGINT ignored
    signal.signal(signal.SIGTERM, _interrupt)


def _ignore_signals() -> None:
    """Cleanup runs to the end: a second Ctrl-C must not leave PostgreSQL running."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def banner(url: str, database: LocalDatabase, ready_after: float) -> str:
    post = """'{"author": "ada", "message": "hello"}'"""
    return "\n".join(
        [
            "",
            f"guestbook is listening on {url} (ready after {ready_after:.1f} s); only on {LOOPBACK}.",
            f"PostgreSQL {database.server.bin.parent.name}: {database.url}",
            f"  the app's own role {APP_ROLE!r}: LOGIN, CONNECT and its schema {APP_ROLE!r}, nothing more.",
            f"  credential files in {database.credentials_dir} (the password: its file `password`);",
            "  all of it is deleted on exit.",
            f"DATABASE_SSLMODE={LOCAL_SSLMODE} in this local mode only (the throwaway server has no TLS;",
            "  the image and the chart connect with verify-full).",
            "Try:",
            f"  curl -s {url}/healthz",
            f"  curl -s {url}/readyz",
            f"  curl -s -X POST {url}/entries -H 'content-type: application/json' -d {post}",
            f"  curl -s '{url}/entries?limit=5'",
            f"  curl -s {url}/openapi.json",
            f"  curl -s http://{LOOPBACK}:{metrics_port(urlsplit(url).port or DEFAULT_PORT)}/metrics",
            "Ctrl-C stops the app, then PostgreSQL.",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port on {LOOPBACK} (default {DEFAULT_PORT})")
    args = parser.parse_args(argv)
    interrupt_on_sigterm()
    url = f"http://{LOOPBACK}:{args.port}"
    try:
        check_port_free(args.port)
        check_port_free(metrics_port(args.port))
        print("starting a throwaway PostgreSQL (tests/app/postgres_server.py) …", flush=True)
        with tempfile.TemporaryDirectory(prefix="guestbook-local-") as workdir, local_database(Path(workdir)) as db:
            print(
                f"local mode: DATABASE_SSLMODE={LOCAL_SSLMODE} (the throwaway server has no TLS), "
                f"LISTEN_HOST={LOOPBACK}, LISTEN_PORT={args.port}, METRICS_PORT={metrics_port(args.port)}",
                flush=True,
            )
            app = start_app(app_environment(db.credentials_dir, args.port))
            try:
                print(banner(url, db, wait_ready(url, app)), flush=True)
                status = app.wait()
                print(f"the app exited with status {status}; stopping PostgreSQL", file=sys.stderr)
                return status or 1
            except KeyboardInterrupt:
                print("\nstopping the app (SIGTERM), then PostgreSQL …", flush=True)
                return 0
            finally:
                _ignore_signals()
                stop_app(app)
    except KeyboardInterrupt:
        return 130
    except LocalRunError as error:
        print(f"run-app: {error}", file=sys.stderr)
        return 1
    finally:
        _ignore_signals()


if __name__ == "__main__":
    sys.exit(main())
