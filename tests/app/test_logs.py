"""What the app writes to its log: one JSON object per request, for machines, not terminals."""

from __future__ import annotations

import time

from tests.app.conftest import RunningApp

ACCESS = "guestbook.access"


def access_records(app: RunningApp, expected: int) -> list[dict[str, object]]:
    """The access lines but the fixture's readiness polls, once `expected` of them are
    written (each is written just after its response)."""
    deadline = time.monotonic() + 5
    while True:
        records = [r for r in app.log_records() if r["logger"] == ACCESS and r["path"] != "/readyz"]
        if len(records) >= expected or time.monotonic() > deadline:
            return records
        time.sleep(0.05)


def test_every_request_logs_one_structured_line(app: RunningApp) -> None:
    with app.client() as client:
        client.get("/entries", params={"limit": 3})
        client.post("/entries", json={"author": "ada", "message": "hello"})
        client.post("/entries", json={"author": ""})
        client.get("/nowhere")
    records = access_records(app, 4)
    assert [(r["method"], r["path"], r["status"]) for r in records] == [
        ("GET", "/entries", 200),
        ("POST", "/entries", 201),
        ("POST", "/entries", 400),
        ("GET", "/nowhere", 404),
    ]
    assert all(isinstance(r["duration_ms"], float) for r in records)


def test_no_line_carries_terminal_colour_codes(app: RunningApp) -> None:
    """uvicorn adds `color_message` (with ANSI escapes) to its records for its own console."""
    with app.client() as client:
        client.get("/healthz")
    access_records(app, 1)
    assert "\\u001b" not in app.log.read_text()
    assert not [record for record in app.log_records() if "color_message" in record]
