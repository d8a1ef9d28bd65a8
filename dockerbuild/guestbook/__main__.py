"""`python -m guestbook`: serve the API until SIGTERM, then finish in-flight requests.

On SIGTERM uvicorn stops accepting connections, lets requests in flight finish (up to
SHUTDOWN_GRACE_SECONDS), then closes the database pool and exits 0.
"""

from __future__ import annotations

import logging
import sys

import uvicorn

from guestbook.api import create_app
from guestbook.database import Database
from guestbook.logs import configure_logging
from guestbook.settings import Settings, SettingsError


def main() -> int:
    configure_logging()
    try:
        settings = Settings.from_environment()
        settings.connection_kwargs()  # fail fast, with the file's name, if the Secret is not mounted
    except SettingsError as error:
        logging.getLogger("guestbook").error("cannot start", extra={"reason": str(error)})
        return 2
    uvicorn.run(
        create_app(Database(settings), settings),
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
