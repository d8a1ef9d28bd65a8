"""HTTP API: list and create guestbook entries, liveness and readiness probes, and the
API's own description. Every answer is JSON; bounds come from Settings. Every request is
counted and timed (guestbook/metrics.py); the metrics are served on a port of their own."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from guestbook.body import read_json, text_fields
from guestbook.database import UNAVAILABLE, Database, Entry, SchemaMissing
from guestbook.gate import DatabaseGate
from guestbook.logs import AccessLog
from guestbook.metrics import Metrics, RequestMetrics
from guestbook.openapi import DOCUMENT, ENTRY_FIELDS, LIMIT_DEFAULT, LIMIT_RANGE
from guestbook.problems import Problem, http_error_response, problem_response, server_error_response
from guestbook.settings import Settings

log = logging.getLogger(__name__)


def _entry(entry: Entry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "author": entry.author,
        "message": entry.message,
        "created_at": entry.created_at.isoformat(),
    }


def _limit(request: Request) -> int:
    lowest, highest = LIMIT_RANGE
    problem = Problem(
        400, "invalid query", fields={"limit": f"limit must be a whole number from {lowest} to {highest}"}
    )
    try:
        limit = int(request.query_params.get("limit", str(LIMIT_DEFAULT)))
    except ValueError:
        raise problem from None
    if not lowest <= limit <= highest:
        raise problem
    return limit


def create_app(database: Database, settings: Settings, metrics: Metrics) -> Starlette:
    schema_ready = threading.Event()
    gate = DatabaseGate(
        slots=settings.pool_max, wait=settings.database_wait_seconds, retry_after=settings.retry_after_seconds
    )

    def prepare(wait: float) -> bool:
        """Create the schema once the database is reachable; cheap once done."""
        if not schema_ready.is_set():
            try:
                database.ensure_schema(wait)
            except (UNAVAILABLE, SchemaMissing) as error:
                log.warning("database not ready", extra={"reason": str(error)})
                return False
            schema_ready.set()
        return True

    async def healthz(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    check: asyncio.Future[bool] | None = None

    async def readyz(_: Request) -> JSONResponse:
        """Outside the gate, so a backlog of requests cannot make the pod look unready; and
        one check at a time, whoever asks (kubelet, load balancer, anyone): callers arriving
        during a check share its answer, so /readyz holds at most one worker thread."""
        nonlocal check
        if check is None or check.done():
            wait = settings.readiness_wait_seconds
            check = asyncio.ensure_future(run_in_threadpool(lambda: prepare(wait) and database.is_reachable(wait)))
        ready = await asyncio.shield(check)
        return JSONResponse({"ready": ready}, status_code=200 if ready else 503)

    async def entries(request: Request) -> JSONResponse:
        if request.method == "POST":
            return await create_entry(request)
        limit = _limit(request)
        found = await gate.run(lambda wait: database.latest(limit, wait=wait))
        return JSONResponse({"entries": [_entry(e) for e in found]})

    async def create_entry(request: Request) -> JSONResponse:
        fields = text_fields(await read_json(request, settings.max_body_bytes), ENTRY_FIELDS)
        entry = await gate.run(lambda wait: database.add(fields["author"], fields["message"], wait=wait))
        return JSONResponse(_entry(entry), status_code=201)

    async def openapi(_: Request) -> JSONResponse:
        return JSONResponse(DOCUMENT)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        database.open()
        await run_in_threadpool(prepare, settings.database_wait_seconds)
        try:
            yield
        finally:
            database.close()
            log.info("database pool closed")

    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            # One route for both methods, so a 405 names them all in its Allow header.
            Route("/entries", entries, methods=["GET", "POST"]),
            Route("/openapi.json", openapi),
        ],
        middleware=[Middleware(AccessLog), Middleware(RequestMetrics, metrics=metrics)],
        exception_handlers={
            Problem: problem_response,
            HTTPException: http_error_response,
            Exception: server_error_response,
        },
        lifespan=lifespan,
    )
