"""The OpenAPI contract: committed, served, and honoured (schemathesis against the live server)."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
import os
from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.http.conftest import EMPLOYEE_A, LiveServer, seed
from yibao_tui.backend.http import HttpBackend
from yibao_tui.domain.idnum import make_id
from yibao_tui.server.openapi import COMMITTED, build_openapi, render
from yibao_tui.server.routes import OPS
from yibao_tui.server.selfservice import RATE_WINDOW

#: Examples per operation: enough to find a 500, small enough for a 2-core CI machine (~25 s for
#: both tokens). ``YIBAO_FUZZ_EXAMPLES=200`` runs a deeper search by hand.
MAX_EXAMPLES = int(os.environ.get("YIBAO_FUZZ_EXAMPLES", "12"))


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


#: The people the fuzzed server knows (``seed``), and their card.
_SEEDED: list[str] = []
_CARD = "C0000001"
#: Valid ID numbers of nobody (a real region, a past birth date, a correct check digit).
_UNKNOWN_IDS = st.builds(
    make_id,
    st.sampled_from(["110101", "440300", "310115", "510104"]),
    st.dates(dt.date(1930, 1, 1), dt.date(2024, 12, 31)),
    st.integers(0, 999),
)


def _known_ids() -> st.SearchStrategy[str]:
    return st.deferred(lambda: st.sampled_from(_SEEDED))


# The document declares these formats; random strings that match their patterns are (almost)
# never a valid ID number, so that every request would stop at INVALID_ID_NUMBER. Mostly the
# seeded people, sometimes a valid number of nobody.
schemathesis.openapi.format("id-number", st.one_of(_known_ids(), _UNKNOWN_IDS))
schemathesis.openapi.format("person-ref", st.one_of(_known_ids(), _known_ids(), st.just(_CARD), _UNKNOWN_IDS))
schemathesis.openapi.format("card-number", st.from_regex(r"\AC[0-9]{7}\Z"))

#: A fresh Idempotency-Key per request (a generated one may repeat across operations).
_KEYS = itertools.count()


@pytest.fixture(scope="module")
def api_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, str, str]]:
    server = LiveServer(tmp_path_factory.mktemp("schemathesis") / "ledger.db").start()
    token = server.token("admin", label="schemathesis")

    async def prepare() -> None:
        hb = HttpBackend(server.url, token)
        try:
            _SEEDED[:] = list((await seed(hb)).values())
        finally:
            await hb.close()

    asyncio.run(prepare())
    personal = server.token("personal", EMPLOYEE_A, label="schemathesis-personal")
    try:
        yield server, token, personal
    finally:
        server.stop()


@pytest.fixture(scope="module")
def api_schema(api_server: tuple[LiveServer, str, str]) -> object:
    server = api_server[0]
    # demo generates whole ledgers: far too slow to fuzz, and covered by the behaviour suite
    return schemathesis.openapi.from_url(server.url + "/openapi.json").exclude(operation_id="demo")


schema = schemathesis.pytest.from_fixture("api_schema")
_CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _call(case: schemathesis.Case, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    if case.method.upper() == "POST":
        headers["Idempotency-Key"] = f"schemathesis-{next(_KEYS)}"
    case.call_and_validate(headers=headers, checks=_CHECKS, timeout=30)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms(case: schemathesis.Case, api_server: tuple[LiveServer, str, str]) -> None:
    """An admin token: every operation it may call, and 403 for the ones it may not."""
    _call(case, api_server[1])


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES // 2,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_for_a_personal_token(case: schemathesis.Case, api_server: tuple[LiveServer, str, str]) -> None:
    """A personal token (scoped to one person): the self-service answers too. Its rate-limit
    window is let pass before each request, or most answers would be 429."""
    server, _, personal = api_server
    server.clock.advance(RATE_WINDOW)
    _call(case, personal)
