"""Issue 10 items 9-11 through the HTTP API and both backends: find by name (staff tokens only),
operator management and the paged audit log (an admin token or a supervisor's window session)."""

from __future__ import annotations

import httpx
import pytest

from tests.http.conftest import LiveServer, seed
from yibao_tui.backend.base import Backend
from yibao_tui.backend.http import HttpBackend
from yibao_tui.domain.errors import YibaoError


async def _code(coro: object) -> str:
    with pytest.raises(YibaoError) as info:
        await coro  # type: ignore[misc]
    return info.value.code


async def test_find_operators_and_audit_on_both_backends(backend: Backend) -> None:
    ids = await seed(backend)
    page = await backend.find_persons("张 伟")
    assert page.total == 1 and page.matches[0].id == ids["a"] and page.matches[0].name_masked == "张*"
    assert (await backend.find_persons("张建国", born=1950, region="110000")).matches[0].id == ids["parent"]
    assert (await backend.find_persons("张建国", born=1951)).total == 0
    await backend.operator_add("7002", "钱经办", "clerk", "clerk-pass-2")
    assert (await backend.operator_disable("7002")).status == "disabled"
    assert (await backend.operator_enable("7002")).status == "active"
    assert (await backend.operator_unlock("7002")).status == "active"
    assert (await backend.operator_reset_password("7002", "another-pass")).id == "7002"
    assert [o.id for o in await backend.operators()] == ["7002"]
    first = await backend.audit_page(action="operator", limit=2)
    assert len(first.rows) == 2 and first.next_cursor
    rest = await backend.audit_page(action="operator", cursor=first.next_cursor, limit=100)
    actions = {r.action for r in first.rows + rest.rows}
    assert {"operator.disable", "operator.enable", "operator.unlock", "operator.reset_password"} <= actions
    assert await _code(backend.operator_unlock("9999")) == "UNKNOWN_OPERATOR"


def _get(server: LiveServer, path: str, token: str, **params: str) -> httpx.Response:
    return httpx.get(server.url + path, params=params, headers={"Authorization": f"Bearer {token}"}, timeout=20)


async def test_personal_and_kiosk_tokens_cannot_search_and_clerks_cannot_supervise(
        live_server: LiveServer, admin_token: str) -> None:
    admin = HttpBackend(live_server.url, admin_token)
    try:
        ids = await seed(admin)
        await admin.operator_add("7001", "赵主管", "supervisor", "supervisor-pass")
        await admin.operator_add("7002", "钱经办", "clerk", "clerk-pass-2")
    finally:
        await admin.close()
    personal = live_server.token("personal", ids["a"])
    kiosk = live_server.token("kiosk", ids["a"], ttl=300)
    for token in (personal, kiosk):
        r = _get(live_server, "/v1/persons", token, name="张伟")
        assert r.status_code == 403 and r.json()["error"]["code"] == "FORBIDDEN"
        assert _get(live_server, "/v1/audit", token).status_code == 403
    clerk = live_server.token("counter", operator="7002", ttl=3600)
    r = _get(live_server, "/v1/persons", clerk, name="张伟")
    assert r.status_code == 200 and r.json()["total"] == 1  # any operator at a window may search
    for path in ("/v1/operators", "/v1/audit"):
        r = _get(live_server, path, clerk)
        assert r.status_code == 403 and r.json()["error"]["code"] == "SUPERVISOR_REQUIRED"
    boss = live_server.token("counter", operator="7001", ttl=3600)
    r = _get(live_server, "/v1/audit", boss, action="person.find", limit="5")
    assert r.status_code == 200 and r.json()["rows"][0]["operator"] == "7002" and "next_cursor" in r.json()
    assert "张伟" not in r.text and ids["a"] not in r.text
    r = httpx.post(live_server.url + "/v1/operators/7002/disable", timeout=20,
                   headers={"Authorization": f"Bearer {boss}", "Idempotency-Key": "k-disable-7002"})
    assert r.status_code == 200 and r.json()["status"] == "disabled"
    # the disabled clerk's open window session ends with it
    assert _get(live_server, "/v1/persons", clerk, name="张伟").status_code == 401
