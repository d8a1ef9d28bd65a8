"""The API as the app describes it at /openapi.json, and the whole API tested from that
description by Schemathesis: generated requests, valid and invalid, against the real app
and a real PostgreSQL; no 5xx, and every answer as described.

The description is loaded from the app's own module (the document /openapi.json serves,
which the first test checks), so the tests are generated at collection, before the app
runs. Schemathesis's fixture loader (schemathesis.pytest.from_fixture) would fetch it from
the running app instead, but 4.32.5 reads `Function._nodeid`, which pytest 9.2 no longer has.
"""

from __future__ import annotations

from typing import Any

import httpx
import schemathesis
from guestbook.openapi import DOCUMENT
from schemathesis import APIOperation, Case

from tests.app.conftest import RunningApp

schema = schemathesis.openapi.from_dict(DOCUMENT)
# Bounded and repeatable: at most 100 examples per operation, the same ones every run,
# nothing written to a .hypothesis directory.
schema.config.generation.update(max_examples=100, deterministic=True, database="none")


def test_the_description_is_served(shared_app: RunningApp) -> None:
    response = httpx.get(f"{shared_app.url}/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == DOCUMENT
    assert set(DOCUMENT["paths"]) == {"/entries", "/healthz", "/readyz"}


@schema.parametrize()
def test_the_api_answers_every_generated_request_as_described(
    case: Case[APIOperation[Any, Any, Any, Any]], shared_app: RunningApp
) -> None:
    case.call_and_validate(base_url=shared_app.url)
