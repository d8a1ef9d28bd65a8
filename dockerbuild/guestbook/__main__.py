"""`python -m guestbook`: serve the API until SIGTERM, then finish in-flight requests.

On SIGTERM uvicorn stops accepting connections, lets requests in flight finish (up to
SHUTDOWN_GRACE_SECONDS), then closes the database pool and exits 0. The metrics are
served from the start on METRICS_PORT, by a thread of their own (guestbook/metrics.py).
"""

from __future__ import annotations

import logging
import sys

import uvicorn

from guestbook.api import create_app
from guestbook.database import Database
from guestbook.logs import configure_logging
from guestbook.metrics import Metrics
from guestbook.settings import Settings, SettingsError


def main() -> int:
    configure_logging()
    log = logging.getLogger("guestbook")
    try:
        settings = Settings.from_environment()
        settings.connection_kwargs()  # fail fast, with the file's name, if the Secret is not mounted
    except SettingsError as error:
        log.error("cannot start", extra={"reason": str(error)})
        return 2
    metrics = Metrics()
    database = Database(settings, on_login=metrics.note_login)
    metrics.watch_pool(database.pool)
    try:
        metrics.serve(settings.listen_host, settings.metrics_port)
    except OSError as error:
        log.error("cannot start", extra={"reason": f"METRICS_PORT {settings.metrics_port}: {error.strerror}"})
        return 2
    uvicorn.run(
        create_app(database, settings, metrics),
        host=settings.listen_host,
        port=settings.listen_port,
        timeout_graceful_shutdown=settings.shutdown_grace_seconds,
        log_config=None,
        access_log=False,  # logs.AccessLog writes one structured line per request instead
        server_header=False,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
