"""Issue 9 item 4 through the real server: an amount past the ledger's limits is INVALID_AMOUNT
(400), however large the JSON integer."""

from __future__ import annotations

import uuid

import httpx

from tests.http.conftest import EMPLOYEE_A, LiveServer


def test_http_amount_of_2_53_is_refused_with_the_amount_code(live_server: LiveServer) -> None:
    token = live_server.token("admin", label="tests")
    h = {"Authorization": f"Bearer {token}"}

    def post(path: str, body: dict) -> httpx.Response:
        return httpx.post(f"{live_server.url}{path}", json=body,
                          headers={**h, "Idempotency-Key": str(uuid.uuid4())}, timeout=30)

    r = post("/v1/persons", {"id": EMPLOYEE_A, "name": "张伟", "scheme": "employee", "region": "110000"})
    assert r.status_code in (200, 201), r.text
    for amount in (2**53 - 1, 1_000_000_001):
        r = post(f"/v1/persons/{EMPLOYEE_A}/credits", {"amount_fen": amount})
        assert (r.status_code, r.json()["error"]["code"]) == (400, "INVALID_AMOUNT"), r.text
    r = post("/v1/spending", {"patient": EMPLOYEE_A, "amount_fen": 2**53 - 1, "kind": "outpatient"})
    assert (r.status_code, r.json()["error"]["code"]) == (400, "INVALID_AMOUNT"), r.text
    r = post(f"/v1/persons/{EMPLOYEE_A}/credits", {"amount_fen": 1_000_000_000})  # ¥10,000,000 exactly
    assert r.status_code == 200 and r.json()["balance_after_fen"] == 1_000_000_000, r.text
