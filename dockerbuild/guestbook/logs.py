"""One JSON object per log line, so the cluster's log pipeline can index fields; and one
such line per request (AccessLog), in place of uvicorn's access log."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from starlette.types import ASGIApp, Receive, Scope, Send

from guestbook.exchange import Exchange

# Attributes every LogRecord has, and uvicorn's `color_message` (its message with ANSI
# colour codes, for its own console formatter): not fields of our lines.
_NOT_FIELDS = {*vars(logging.makeLogRecord({})), "color_message"}

access_log = logging.getLogger("guestbook.access")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **{key: value for key, value in vars(record).items() if key not in _NOT_FIELDS},
        }
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True


class AccessLog:
    """ASGI middleware: one line per HTTP request with method, path, status and duration.

    A request answered 503 because the database is away carries the `reason` its handler
    left in the request state, and no traceback: an outage is expected, and one line per
    request is enough. A bug (500) is logged at error level; uvicorn adds its traceback.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        exchange = Exchange()
        try:
            await self.app(scope, receive, exchange.noting(send))
        finally:
            fields = {
                "method": scope["method"],
                "path": scope["path"],
                "status": exchange.status,
                "duration_ms": round(exchange.seconds * 1000, 1),
            }
            reason = scope.get("state", {}).get("reason")
            if reason:
                fields["reason"] = reason
            status = exchange.status
            level = logging.ERROR if status == 500 else logging.WARNING if status >= 500 else logging.INFO
            access_log.log(level, "request", extra=fields)
