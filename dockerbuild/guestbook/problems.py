"""Every answer that is not a success: a JSON object with `error`, and `fields` naming each
field that is wrong. Raised as `Problem` anywhere in a request, rendered in one place."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response


class Problem(Exception):
    """An answer with status `status` and body {"error": message, "fields": fields}.

    `reason` goes to the request's log line, never to the client (it may name hosts).
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        fields: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        reason: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.fields = fields
        self.headers = headers
        self.reason = reason


async def problem_response(request: Request, exc: Exception) -> Response:
    """Starlette's exception handler for `Problem`. The handlers are coroutines: Starlette
    runs plain functions in the worker threads an outage must not use up."""
    assert isinstance(exc, Problem)  # noqa: S101 - registered for Problem only
    if exc.reason:
        request.state.reason = exc.reason  # for the access log line (logs.AccessLog)
    body: dict[str, object] = {"error": exc.message}
    if exc.fields:
        body["fields"] = exc.fields
    return JSONResponse(body, status_code=exc.status, headers=exc.headers)


async def http_error_response(_: Request, exc: Exception) -> Response:
    """Starlette's own 404 and 405 (with its Allow header), as JSON rather than plain text."""
    assert isinstance(exc, HTTPException)  # noqa: S101 - registered for HTTPException only
    return JSONResponse({"error": exc.detail}, status_code=exc.status_code, headers=exc.headers)


async def server_error_response(_: Request, __: Exception) -> Response:
    """A bug: the client learns nothing about it; uvicorn logs the traceback."""
    return JSONResponse({"error": "internal error"}, status_code=500)
