"""HTTP API: list and create guestbook entries, plus liveness and readiness probes."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from psycopg import Error as DatabaseError
from psycopg_pool import PoolTimeout
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from guestbook.database import Database, Entry

log = logging.getLogger(__name__)
UNAVAILABLE = (DatabaseError, PoolTimeout)


def _entry(entry: Entry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "author": entry.author,
        "message": entry.message,
        "created_at": entry.created_at.isoformat(),
    }


def _problem(status: int, message: str, **details: Any) -> JSONResponse:
    return JSONResponse({"error": message, **details}, status_code=status)


def create_app(database: Database) -> Starlette:
    schema_ready = threading.Event()

    def prepare() -> bool:
        """Create the schema once the database is reachable; cheap once done."""
        if not schema_ready.is_set():
            try:
                database.ensure_schema()
            except UNAVAILABLE as error:
                log.warning("database not ready", extra={"reason": str(error)})
                return False
            schema_ready.set()
        return True

    async def healthz(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> JSONResponse:
        ready = await run_in_threadpool(lambda: prepare() and database.is_reachable())
        return JSONResponse({"ready": ready}, status_code=200 if ready else 503)

    async def list_entries(request: Request) -> JSONResponse:
        try:
            limit = int(request.query_params.get("limit", "20"))
        except ValueError:
            return _problem(400, "limit must be a whole number")
        if not 1 <= limit <= 100:
            return _problem(400, "limit must be between 1 and 100")
        try:
            entries = await run_in_threadpool(database.latest, limit)
        except UNAVAILABLE:
            log.exception("listing entries failed")
            return _problem(503, "database unavailable")
        return JSONResponse({"entries": [_entry(e) for e in entries]})

    async def create_entry(request: Request) -> JSONResponse:
        try:
            body = await request.json()
        except ValueError:
            return _problem(400, "body must be JSON")
        problems = {
            field: f"{field} must be text of 1 to {limit} characters"
            for field, limit in (("author", 100), ("message", 1000))
            if not isinstance(body, dict) or not isinstance(body.get(field), str) or not 1 <= len(body[field]) <= limit
        }
        if problems:
            return _problem(400, "invalid entry", fields=problems)
        try:
            entry = await run_in_threadpool(database.add, body["author"], body["message"])
        except UNAVAILABLE:
            log.exception("creating an entry failed")
            return _problem(503, "database unavailable")
        return JSONResponse(_entry(entry), status_code=201)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        database.open()
        await run_in_threadpool(prepare)
        try:
            yield
        finally:
            database.close()
            log.info("database pool closed")

    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/entries", list_entries, methods=["GET"]),
            Route("/entries", create_entry, methods=["POST"]),
        ],
        lifespan=lifespan,
    )
