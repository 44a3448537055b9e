"""What a personal or kiosk token can learn about other people: nothing (issue 9 item 3).

Binding from an app or a kiosk needs the relative's own confirmation; answers carry masked
identities; "unknown" and "not yours" are one refusal; refusals and probes are rate-limited."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any

import httpx
import pytest

from tests.http.conftest import REGION, LiveServer, seed
from yibao_tui.backend.base import Actor
from yibao_tui.backend.http import HttpBackend
from yibao_tui.cli import main
from yibao_tui.domain.errors import YibaoError
from yibao_tui.domain.idnum import make_id
from yibao_tui.domain.masking import mask_id
from yibao_tui.server.selfservice import RATE_LIMIT, RATE_WINDOW

NAMES = ("张伟", "李娜", "张小明", "张建国", "王芳", "赵六", "张小红")
NOBODY = make_id("110101", dt.date(1979, 4, 4), 66)


@pytest.fixture
async def ids(live_server: LiveServer, admin_token: str) -> dict[str, str]:
    admin = HttpBackend(live_server.url, admin_token)
    try:
        ids = await seed(admin)
        ids["f"] = make_id("110101", dt.date(1984, 8, 8), 77)
        await admin.add_person(ids["f"], "赵六", "employee", REGION, card="C0000006")
        ids["kid"] = make_id("110101", dt.date(2018, 2, 2), 88)
        await admin.add_person(ids["kid"], "张小红", "resident", REGION)
        await admin.card_set_pin("C0000001", "246810")
        return ids
    finally:
        await admin.close()


def _call(server: LiveServer, token: str, method: str, path: str, body: dict[str, Any] | None = None,
          key: str = "k") -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": "en"}
    if method == "POST":
        headers["Idempotency-Key"] = key
        return httpx.post(server.url + path, json=body or {}, headers=headers, timeout=20)
    return httpx.get(server.url + path, headers=headers, timeout=20)


def _leaks(text: str, ids: dict[str, str], own: str) -> list[str]:
    """Full ID numbers (other than the caller's own) and names found in ``text``."""
    return [i for i in ids.values() if i != own and i in text] + [n for n in NAMES if n in text]


def _shape(r: httpx.Response) -> tuple[int, str]:
    body = r.json()
    for volatile in ("id", "created_at", "expires_at"):
        body.pop(volatile, None)
    return r.status_code, json.dumps(body, sort_keys=True)


def test_walking_card_and_id_numbers_with_a_personal_token_learns_nothing(
    live_server: LiveServer, ids: dict[str, str]
) -> None:
    me = ids["a"]
    token = live_server.token("personal", me)
    # existing people (by ID and by card) and nobody, as an attacker walks them
    targets = [ids["b"], ids["stranger"], ids["f"], "C0000006", NOBODY, "C0000099", "C0000100"]
    binds, requests, quotes, unbinds = [], [], [], []
    for n, who in enumerate(targets):
        binds.append(_call(live_server, token, "POST", f"/v1/persons/{me}/bindings",
                           {"relative": who, "relation": "spouse", "verified_by": "face"}, key=f"b{n}"))
        requests.append(_call(live_server, token, "POST", f"/v1/persons/{me}/binding-requests",
                              {"relative": who, "relation": "spouse"}, key=f"r{n}"))
        quotes.append(_call(live_server, token, "GET", f"/v1/persons/{me}/premium-quote?relative={who}&year=2027"))
        unbinds.append(_call(live_server, token, "POST", f"/v1/persons/{me}/bindings/{who}/unbind", key=f"u{n}"))
        live_server.clock.advance(RATE_WINDOW)  # (the rate limit is tested below)
    everything = "".join(r.text for r in binds + requests + quotes + unbinds)
    assert _leaks(everything, ids, me) == []
    # one refusal for everybody and nobody
    assert {_shape(r) for r in binds} == {(403, _shape(binds[0])[1])}
    assert binds[0].json()["error"]["code"] == "SELF_SERVICE_BINDING"
    assert len({_shape(r) for r in quotes}) == 1 and quotes[0].json()["error"]["code"] == "NOT_AVAILABLE"
    assert quotes[0].status_code == 404
    assert len({_shape(r) for r in unbinds}) == 1 and unbinds[0].json()["error"]["code"] == "NOT_AVAILABLE"
    # a request is answered alike (by ID or by card), whoever the number belongs to
    by_id = {_shape(r) for r, who in zip(requests, targets, strict=True) if len(who) == 18}
    by_card = {_shape(r) for r, who in zip(requests, targets, strict=True) if len(who) != 18}
    assert all(r.status_code == 200 for r in requests)
    assert len({json.loads(s)["status"] for _, s in by_id | by_card}) == 1
    assert {json.dumps({k: v for k, v in json.loads(s).items() if k != "relative_id"}) for _, s in by_id | by_card} \
        == {json.dumps({k: v for k, v in json.loads(_shape(requests[0])[1]).items() if k != "relative_id"})}


def test_staff_keep_the_precise_codes(live_server: LiveServer, ids: dict[str, str], admin_token: str) -> None:
    me = ids["a"]
    unknown = _call(live_server, admin_token, "GET", f"/v1/persons/{me}/premium-quote?relative={NOBODY}&year=2027")
    unbound = _call(live_server, admin_token, "GET",
                    f"/v1/persons/{me}/premium-quote?relative={ids['parent']}&year=2027")
    assert unknown.json()["error"]["code"] == "UNKNOWN_PERSON"
    assert unbound.json()["error"]["code"] == "NOT_BOUND"


def test_a_kiosk_tells_no_card_from_a_wrong_pin(live_server: LiveServer, ids: dict[str, str]) -> None:
    device = live_server.token("kiosk", label="lobby")
    for n in range(3):  # C0000001 is locked now
        _call(live_server, device, "POST", "/v1/kiosk-sessions", {"card": "C0000001", "pin": "135790"}, key=f"l{n}")
    answers = [_call(live_server, device, "POST", "/v1/kiosk-sessions", {"card": card, "pin": pin}, key=card + pin)
               for card, pin in (("C0000001", "246810"), ("C0000001", "135790"),  # locked: right PIN, wrong PIN
                                 ("C0000006", "135790"), ("C0000099", "135790"))]  # no PIN set, no such card
    assert {_shape(r) for r in answers} == {_shape(answers[0])}
    assert answers[0].json()["error"]["code"] == "BAD_PIN"
    assert "locked" in answers[0].json()["error"]["message"]


async def test_a_relative_confirms_a_request_from_their_own_session(
    live_server: LiveServer, ids: dict[str, str], admin_token: str
) -> None:
    holder, relative = ids["a"], ids["b"]
    mine = live_server.token("personal", holder)
    theirs = live_server.token("personal", relative)
    stranger = live_server.token("personal", ids["stranger"])
    made = _call(live_server, mine, "POST", f"/v1/persons/{holder}/binding-requests",
                 {"relative": relative, "relation": "spouse"}, key="req-1")
    assert made.status_code == 200 and made.json()["status"] == "pending"
    rid = made.json()["id"]
    # the relative sees who asks, masked; the holder cannot confirm for them, nor can a stranger
    incoming = _call(live_server, theirs, "GET", f"/v1/persons/{relative}/binding-requests").json()["requests"]
    assert [(r["id"], r["direction"], r["relation"]) for r in incoming] == [(rid, "incoming", "spouse")]
    assert holder not in json.dumps(incoming) and incoming[0]["holder_id"].startswith(holder[:3])
    for token, who in ((mine, holder), (stranger, ids["stranger"])):
        r = _call(live_server, token, "POST", f"/v1/persons/{who}/binding-requests/{rid}/confirm", key="c")
        assert r.status_code == 404 and r.json()["error"]["code"] == "NOT_AVAILABLE"
    done = _call(live_server, theirs, "POST", f"/v1/persons/{relative}/binding-requests/{rid}/confirm", key="c-1")
    assert done.status_code == 200
    binding = done.json()
    assert (binding["status"], binding["verified_by"], binding["relation"]) == ("active", "face", "spouse")
    assert holder not in done.text  # the holder's ID is masked to the relative
    # confirmed once: a second confirmation with another key is refused, the same key replays
    again = _call(live_server, theirs, "POST", f"/v1/persons/{relative}/binding-requests/{rid}/confirm", key="c-2")
    assert again.json()["error"]["code"] == "NOT_AVAILABLE"
    replay = _call(live_server, theirs, "POST", f"/v1/persons/{relative}/binding-requests/{rid}/confirm", key="c-1")
    assert replay.status_code == 200 and replay.headers.get("Idempotent-Replayed") == "true"
    admin = HttpBackend(live_server.url, admin_token)
    try:
        rows = await admin.bindings(holder)
        assert [(b.relative_id, b.verified_by) for b in rows] == [(relative, "face")]
    finally:
        await admin.close()
    # a relative under 16 cannot confirm through a kiosk: the counter binds children
    kid = live_server.token("kiosk", ids["kid"], ttl=300)
    req = _call(live_server, mine, "POST", f"/v1/persons/{holder}/binding-requests",
                {"relative": ids["kid"], "relation": "child"}, key="req-2").json()
    r = _call(live_server, kid, "POST", f"/v1/persons/{ids['kid']}/binding-requests/{req['id']}/confirm", key="k")
    assert r.json()["error"]["code"] == "VERIFICATION_NOT_ACCEPTED"
    declined = _call(live_server, kid, "POST", f"/v1/persons/{ids['kid']}/binding-requests/{req['id']}/decline",
                     key="d")
    assert declined.json()["status"] == "declined"


async def test_a_self_service_token_is_rate_limited(
    live_server: LiveServer, ids: dict[str, str], monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    me = ids["a"]
    token = live_server.token("personal", me)
    other = live_server.token("personal", ids["b"])
    for n in range(RATE_LIMIT):
        r = _call(live_server, token, "GET", f"/v1/persons/{me}/premium-quote?relative=C00{n:05d}&year=2027")
        assert r.status_code == 404
    live_server.clock.advance(10)
    limited = _call(live_server, token, "GET", f"/v1/persons/{me}/balance")
    assert limited.status_code == 429 and limited.json()["error"]["code"] == "RATE_LIMITED"
    assert int(limited.headers["Retry-After"]) == int(RATE_WINDOW) - 10
    assert str(int(RATE_WINDOW) - 10) in limited.json()["error"]["message"]
    # another token is not held up
    assert _call(live_server, other, "GET", f"/v1/persons/{ids['b']}/balance").status_code == 200
    # the app's backend turns it into a clear error; the CLI prints it and exits 1
    hb = HttpBackend(live_server.url, token, actor=Actor("http"))
    try:
        with pytest.raises(YibaoError) as info:
            await hb.balance(me)
    finally:
        await hb.close()
    assert info.value.code == "RATE_LIMITED"
    assert "290" in info.value.message("zh") and "290" in info.value.message("en")
    monkeypatch.setenv("YIBAO_TOKEN", token)
    code = await asyncio.to_thread(main, ["--backend", live_server.url, "--lang", "en", "balance", me])
    err = capsys.readouterr().err
    assert code == 1 and "Too many requests" in err and "290" in err and "Traceback" not in err
    # the window slides: once the oldest refusals are old enough, the token works again
    live_server.clock.advance(RATE_WINDOW)
    assert _call(live_server, token, "GET", f"/v1/persons/{me}/balance").status_code == 200


def test_every_server_process_on_a_ledger_shares_the_rate_limit(live_server: LiveServer,
                                                                 ids: dict[str, str]) -> None:
    """The window is kept in the ledger file: refusals counted by one server process hold up
    the token at another on the same ledger, and at a server started again."""
    me = ids["a"]
    token = live_server.token("personal", me)
    for n in range(RATE_LIMIT):
        _call(live_server, token, "GET", f"/v1/persons/{me}/premium-quote?relative=C00{n:05d}&year=2027")
    second = LiveServer(live_server.db, clock=live_server.clock).start()
    try:
        assert _call(second, token, "GET", f"/v1/persons/{me}/balance").status_code == 429
    finally:
        second.stop()
    live_server.stop()
    live_server.start()
    assert _call(live_server, token, "GET", f"/v1/persons/{me}/balance").status_code == 429
    live_server.clock.advance(RATE_WINDOW)
    assert _call(live_server, token, "GET", f"/v1/persons/{me}/balance").status_code == 200


async def test_the_app_shows_the_rate_limit_clearly(live_server: LiveServer, ids: dict[str, str]) -> None:
    """The personal app on a server that has rate-limited its token says so, with the wait."""
    from yibao_tui.tui.laptop.app import YibaoApp

    me = ids["a"]
    token = live_server.token("personal", me)
    for n in range(RATE_LIMIT):
        _call(live_server, token, "GET", f"/v1/persons/{me}/premium-quote?relative=C00{n:05d}&year=2027")
    backend = HttpBackend(live_server.url, token)
    app = YibaoApp(backend, person=me, lang="zh", cursor_blink=False)  # type: ignore[arg-type]
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            for _ in range(100):
                await pilot.pause(0.05)
                if app._notifications:
                    break
            texts = [str(n.message) for n in app._notifications]
    finally:
        await backend.close()
    assert any("请求过于频繁" in text and str(int(RATE_WINDOW)) in text for text in texts), texts


async def test_the_http_backend_asks_and_confirms(live_server: LiveServer, ids: dict[str, str]) -> None:
    holder, relative = ids["a"], ids["stranger"]
    app = HttpBackend(live_server.url, live_server.token("personal", holder))
    theirs = HttpBackend(live_server.url, live_server.token("personal", relative))
    try:
        asked = await app.request_binding(holder, relative, "sibling")
        assert asked["status"] == "pending" and relative not in json.dumps(asked)
        incoming = await theirs.binding_requests(relative)
        assert [r["id"] for r in incoming if r["direction"] == "incoming"] == [asked["id"]]
        binding = await theirs.confirm_binding(relative, asked["id"])
        assert (binding.status, binding.verified_by, binding.relative_id) == ("active", "face", relative)
        assert binding.holder_id != holder and binding.holder_id.startswith(holder[:3])  # masked
        other = await app.request_binding(holder, ids["f"], "sibling")
        third = HttpBackend(live_server.url, live_server.token("personal", ids["f"]))
        try:
            assert (await third.decline_binding(ids["f"], other["id"]))["status"] == "declined"
        finally:
            await third.close()
        assert [b.relative_id for b in await app.bindings(holder)] == [mask_id(relative)]
    finally:
        await app.close()
        await theirs.close()


async def test_a_self_service_token_sees_its_relatives_masked_and_names_them_so(
    live_server: LiveServer, ids: dict[str, str], admin_token: str
) -> None:
    """GET .../bindings, bound-by, premium quotes and payments show other people masked to a
    personal or kiosk token; the masked ID it was shown names that relative in a quote, a payment
    and an unbinding, and nobody else. Staff keep the full IDs."""
    holder, parent, spouse = ids["a"], ids["parent"], ids["b"]
    admin = HttpBackend(live_server.url, admin_token)
    app = HttpBackend(live_server.url, live_server.token("personal", holder))
    theirs = HttpBackend(live_server.url, live_server.token("personal", parent))
    try:
        await admin.bind(holder, parent, "parent", "counter", True, "bind-parent")
        await admin.bind(holder, spouse, "spouse", "counter", True, "bind-spouse")
        staff_view = await admin.bindings(holder)
        assert {b.relative_id for b in staff_view} == {parent, spouse}
        assert "张建国" in {b.relative_name for b in staff_view}
        shown = await app.bindings(holder)
        assert {b.relative_id for b in shown} == {mask_id(parent), mask_id(spouse)}
        assert {b.relative_name for b in shown} == {"张*国", "李*"} and {b.holder_id for b in shown} == {holder}
        by = await theirs.bound_by(parent)
        assert [(b.holder_id, b.relative_id) for b in by] == [(mask_id(holder), parent)]
        # the masked ID the list showed names the relative
        masked = mask_id(parent)
        quote = await app.premium_quote(holder, masked, 2027)
        assert (quote.payer_id, quote.relative_id) == (holder, masked)
        paid = await app.premium_pay(holder, masked, 2027, key="pay-masked")
        assert paid.relative_id == masked and paid.amount_fen == quote.amount_fen
        assert [p.relative_id for p in await admin.premium_payments(holder)] == [parent]
        assert [p.relative_id for p in await app.premium_payments(holder)] == [masked]
        assert [p.payer_id for p in await theirs.premium_payments(parent)] == [mask_id(holder)]
        # a masked ID that is none of the holder's relatives names nobody
        for other in (mask_id(ids["stranger"]), "110***********0000"):
            with pytest.raises(YibaoError) as info:
                await app.premium_quote(holder, other, 2027)
            assert info.value.code == "NOT_AVAILABLE"
        ended = await app.unbind(holder, mask_id(spouse), key="unbind-masked")
        assert (ended.status, ended.relative_id) == ("ended", mask_id(spouse))
        assert [b.relative_id for b in await admin.bindings(holder)] == [parent]
        # staff cannot name anybody by a masked ID
        with pytest.raises(YibaoError):
            await admin.premium_quote(holder, masked, 2027)
    finally:
        for b in (admin, app, theirs):
            await b.close()
