"""The OpenAPI contract: committed, served, and honoured (schemathesis against the live server)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.http.conftest import LiveServer, seed
from yibao_tui.backend.http import HttpBackend
from yibao_tui.server.openapi import COMMITTED, build_openapi, render
from yibao_tui.server.routes import OPS

#: Examples per operation: enough to find a 500, small enough for a 2-core CI machine.
MAX_EXAMPLES = 12


def test_committed_document_is_current() -> None:
    """A change to the API must come with a reviewed change of openapi.json
    (regenerate with ``python -m yibao_tui.server.openapi``)."""
    assert COMMITTED.read_text(encoding="utf-8") == render()


def test_served_document_is_the_committed_one(live_server: LiveServer) -> None:
    r = httpx.get(live_server.url + "/openapi.json")
    assert r.status_code == 200 and r.json() == json.loads(COMMITTED.read_text(encoding="utf-8"))


def test_every_operation_is_documented_with_its_roles() -> None:
    doc = build_openapi()
    for op in OPS:
        entry = doc["paths"][op.path][op.method.lower()]
        assert entry["x-roles"] == sorted(op.roles)
        if op.method == "POST":
            assert any(p["name"] == "Idempotency-Key" and p["required"] for p in entry["parameters"])


@pytest.fixture(scope="module")
def api_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, str]]:
    server = LiveServer(tmp_path_factory.mktemp("schemathesis") / "ledger.db").start()
    token = server.token("admin", label="schemathesis")

    async def prepare() -> None:
        hb = HttpBackend(server.url, token)
        try:
            await seed(hb)
        finally:
            await hb.close()

    asyncio.run(prepare())
    try:
        yield server, token
    finally:
        server.stop()


@pytest.fixture(scope="module")
def api_schema(api_server: tuple[LiveServer, str]) -> object:
    server, _ = api_server
    # demo generates whole ledgers: far too slow to fuzz, and covered by the behaviour suite
    return schemathesis.openapi.from_url(server.url + "/openapi.json").exclude(operation_id="demo")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms(case: schemathesis.Case, api_server: tuple[LiveServer, str]) -> None:
    _, token = api_server
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"},
        checks=[not_a_server_error, status_code_conformance, content_type_conformance,
                response_schema_conformance],
        timeout=30,
    )
