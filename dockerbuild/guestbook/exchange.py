"""What the request middlewares (the access log, the metrics) note of one HTTP exchange:
the status the app answered with, and how long it took."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from starlette.types import Message, Send


@dataclass
class Exchange:
    status: int = 500  # if the app fails before it answers, Starlette answers 500
    started: float = field(default_factory=time.perf_counter)

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started

    def noting(self, send: Send) -> Send:
        """`send`, noting the status of the response it starts."""

        async def send_and_note(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.status = message["status"]
            await send(message)

        return send_and_note
