"""Messages and texts come back in the caller's language (``?lang=``, else ``Accept-Language``,
else zh), whatever the server process's own language is; ``HttpBackend`` sends the language of
the CLI or the app."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.http.conftest import LiveServer, seed
from yibao_tui.backend import http as http_module
from yibao_tui.backend.http import HttpBackend
from yibao_tui.domain.errors import YibaoError
from yibao_tui.domain.idnum import make_id
from yibao_tui.i18n import get_lang, set_lang, t
from yibao_tui.ledger.store import Ledger

CJK = re.compile(r"[\u4e00-\u9fff]")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def process_lang() -> Iterator[Any]:
    """Set the process's language (the server shares this process) and restore it after."""
    before = get_lang()
    yield set_lang
    set_lang(before)


@pytest.fixture
async def ids(live_server: LiveServer, admin_token: str) -> dict[str, str]:
    hb = HttpBackend(live_server.url, admin_token)
    try:
        return await seed(hb)
    finally:
        await hb.close()


def _get(server: LiveServer, path: str, token: str, lang: str | None = None, header: str | None = None,
         **params: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    if header is not None:
        headers["Accept-Language"] = header
    if lang is not None:
        params["lang"] = lang
    return httpx.get(server.url + path, headers=headers, params=params, timeout=20)


@pytest.mark.parametrize(
    ("lang", "header", "expected"),
    [
        (None, None, "zh"),
        (None, "en", "en"),
        (None, "en-US,en;q=0.9", "en"),
        (None, "zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        (None, "fr, en;q=0.5, zh;q=0.8", "zh"),
        (None, "zh;q=0.1, en;q=0.9", "en"),
        (None, "de", "zh"),
        ("en", "zh-CN", "en"),  # the parameter wins
        ("zh", "en", "zh"),
    ],
)
def test_the_language_of_an_error(
    live_server: LiveServer, admin_token: str, process_lang: Any, lang: str | None, header: str | None,
    expected: str,
) -> None:
    process_lang("en" if expected == "zh" else "zh")  # never the process's own language
    r = _get(live_server, "/v1/persons/C9999999/balance", admin_token, lang, header)
    assert r.status_code == 404
    assert r.json()["error"]["message"] == t("error.UNKNOWN_PERSON", lang=expected, id="C9999999")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_parameters_rendered_by_the_ledger_follow_the_caller(
    live_server: LiveServer, admin_token: str, ids: dict[str, str], process_lang: Any, lang: str
) -> None:
    """A reason the ledger raises (unrendered, a ``Msg``) is rendered in the caller's language,
    whatever the server process's language."""
    process_lang("en" if lang == "zh" else "zh")
    good = make_id("110101", dt.date(1991, 1, 1), 77)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    r = _get(live_server, f"/v1/persons/{bad}/balance", admin_token, header=lang)
    message = r.json()["error"]["message"]
    assert r.status_code == 400
    assert message == t("error.INVALID_ID_NUMBER", lang=lang,
                        reason=t("reason.id.check_digit", lang=lang, expected=good[-1]))
    # the server's own argument checks too
    r = _get(live_server, f"/v1/persons/{ids['a']}/statement", admin_token, lang=lang, limit="0")
    detail = t("server.arg.range", lang=lang, lo=1, hi=1000)
    assert r.json()["error"]["message"] == t("error.INVALID_ARGUMENT", lang=lang, detail=f"limit: {detail}")
    # a relation named in a refusal
    body = {"relative": ids["b"], "relation": "spouse", "verified_by": "face"}
    headers = {"Authorization": f"Bearer {admin_token}", "Accept-Language": lang}
    for key in ("r-1", "r-2"):
        r = httpx.post(f"{live_server.url}/v1/persons/{ids['a']}/bindings", json=body, timeout=20,
                       headers={**headers, "Idempotency-Key": key})
        if r.status_code == 200:
            body = {**body, "relative": ids["stranger"]}  # a second spouse: over the cap
    error = r.json()["error"]
    assert r.status_code == 422 and error["code"] == "RELATION_LIMIT_REACHED"
    assert t("relation.spouse", lang=lang) in error["message"]
    assert (CJK.search(error["message"]) is None) == (lang == "en")


def _expected_verdict(server: LiveServer, who: str, lang: str) -> dict[str, Any]:
    """The checklist as the ledger judges it, rendered in ``lang``."""
    ledger = Ledger(server.db)
    try:
        verdict: dict[str, Any] = ledger.withdrawal_check(who, "emigration", {"settled_abroad": "yes"}).render(lang).to_json()
    finally:
        ledger.close()
    return verdict


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_withdrawal_checklist_in_the_callers_language(
    live_server: LiveServer, admin_token: str, ids: dict[str, str], process_lang: Any, lang: str
) -> None:
    process_lang("en" if lang == "zh" else "zh")
    r = _get(live_server, f"/v1/persons/{ids['a']}/withdrawal-check", admin_token, header=lang,
             case="emigration", fact=["settled_abroad=yes"])
    assert r.status_code == 200
    assert r.json() == _expected_verdict(live_server, ids["a"], lang)
    assert t("withdrawal.warn.closes", lang=lang) in r.json()["warnings"]
    assert r.json() != _expected_verdict(live_server, ids["a"], "en" if lang == "zh" else "zh")


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_http_backend_asks_in_its_users_language(
    live_server: LiveServer, admin_token: str, ids: dict[str, str], process_lang: Any,
    monkeypatch: pytest.MonkeyPatch, lang: str,
) -> None:
    """The adapter sends the CLI's or the app's language, and gets texts and messages in it."""
    process_lang("en" if lang == "zh" else "zh")  # what the server process would use by itself
    monkeypatch.setattr(http_module, "get_lang", lambda: lang)  # the user's choice, in the adapter
    hb = HttpBackend(live_server.url, admin_token)
    try:
        verdict = await hb.withdrawal_check(ids["a"], "emigration", {"settled_abroad": "yes"})
        assert verdict.to_json() == _expected_verdict(live_server, ids["a"], lang)
        assert t("withdrawal.warn.closes", lang=lang) in verdict.warnings
        with pytest.raises(YibaoError) as info:
            await hb.balance("C9999999")
        assert info.value.code == "UNKNOWN_PERSON"
        assert info.value.message(lang) == t("error.UNKNOWN_PERSON", lang=lang, id="C9999999")
        assert getattr(info.value, "server_message", None) == info.value.message(lang)
    finally:
        await hb.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_withdrawal_execute_refusals_in_the_callers_language(
    live_server: LiveServer, admin_token: str, ids: dict[str, str], process_lang: Any, lang: str
) -> None:
    process_lang("en" if lang == "zh" else "zh")
    hb = HttpBackend(live_server.url, admin_token)
    try:
        await hb.operator_add("op1", "刘敏", "clerk", "clerk-pass-1")
        await hb.operator_add("sup1", "陈静", "supervisor", "super-pass-1")
    finally:
        await hb.close()
    counter = live_server.token("counter", label="window-1", operator="op1")
    url = f"{live_server.url}/v1/persons/{ids['a']}/withdrawals"
    body = {"case": "emigration", "facts": {"settled_abroad": "yes"}, "payee_name": "张伟",
            "payee_account": "6222020200001234567", "supervisor": "op1", "supervisor_password": "clerk-pass-1"}
    headers = {"Authorization": f"Bearer {counter}", "Accept-Language": lang}

    def post(key: str, **change: Any) -> dict[str, Any]:
        r = httpx.post(url, json={**body, **change}, headers={**headers, "Idempotency-Key": key}, timeout=20)
        assert r.status_code in (400, 422), r.text
        error: dict[str, Any] = r.json()["error"]
        return error

    assert post("w-1")["message"] == t("error.COSIGN_REQUIRED", lang=lang)
    cosigned = {"supervisor": "sup1", "supervisor_password": "super-pass-1"}
    error = post("w-2", payee_name="", **cosigned)
    assert error["code"] == "INVALID_NAME"
    assert error["message"] == t("error.INVALID_NAME", lang=lang, reason=t("reason.name.empty", lang=lang))
    error = post("w-account", payee_account="12345", **cosigned)  # once "payee bank account: …" in English
    assert error["code"] == "INVALID_ARGUMENT"
    assert error["message"] == t("error.INVALID_ARGUMENT", lang=lang, detail=t("detail.payee_account", lang=lang))
    assert (CJK.search(error["message"]) is None) == (lang == "en")
    error = post("w-3", **cosigned)  # the answers do not make the case
    assert error == {**error, "code": "WITHDRAWAL_NOT_ELIGIBLE",
                     "message": t("error.WITHDRAWAL_NOT_ELIGIBLE", lang=lang)}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_cli_against_the_server_speaks_its_lang(
    live_server: LiveServer, admin_token: str, ids: dict[str, str], process_lang: Any, lang: str
) -> None:
    """``yibao --backend URL --lang L``: the server process speaks the other language."""
    process_lang("en" if lang == "zh" else "zh")
    env = {**os.environ, "YIBAO_TOKEN": admin_token, "PYTHONPATH": str(ROOT)}
    env.pop("YIBAO_BACKEND", None)
    base = [sys.executable, "-m", "yibao_tui", "--backend", live_server.url, "--lang", lang, "--json"]

    def run(*args: str) -> tuple[int, dict[str, Any]]:
        proc = subprocess.run([*base, *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
        assert "Traceback" not in proc.stderr
        return proc.returncode, json.loads(proc.stdout)

    code, out = run("balance", "C9999999")
    assert code == 2
    assert out == {"error": {"code": "UNKNOWN_PERSON", "message": t("error.UNKNOWN_PERSON", lang=lang, id="C9999999")}}
    code, out = run("withdrawal", "check", ids["a"], "--case", "emigration", "--fact", "settled_abroad=yes")
    assert code == 0
    expected = _expected_verdict(live_server, ids["a"], lang)
    assert {k: out[k] for k in ("warnings", "materials", "unmet")} == {
        k: expected[k] for k in ("warnings", "materials", "unmet")}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_import_row_reasons_in_the_callers_language(
    live_server: LiveServer, admin_token: str, process_lang: Any, lang: str
) -> None:
    """The ledger leaves each refused row's reason unrendered; the server renders it in the
    caller's language (it was the server process's)."""
    process_lang("en" if lang == "zh" else "zh")
    rows = [{"line": 2, "id": "12345", "name": "张三", "scheme": "employee", "region": "110000"}]
    r = httpx.post(f"{live_server.url}/v1/import/persons", json={"rows": rows}, timeout=20,
                   headers={"Authorization": f"Bearer {admin_token}", "Accept-Language": lang,
                            "Idempotency-Key": f"imp-{lang}"})
    [error] = r.json()["errors"]
    assert error["code"] == "INVALID_ID_NUMBER"
    assert error["reason"] == t("error.INVALID_ID_NUMBER", lang=lang,
                                reason=t("reason.id.length", lang=lang, n=5))


def test_the_verdicts_codes_are_the_same_in_every_language(
    live_server: LiveServer, admin_token: str, ids: dict[str, str], process_lang: Any
) -> None:
    """Issue 8: the verdict is judged as codes; the texts (unchanged fields) come in the
    request's language, the codes (added fields) are the same in both."""
    process_lang("en")
    answers = {}
    for lang in ("zh", "en"):
        r = _get(live_server, f"/v1/persons/{ids['b']}/withdrawal-check", admin_token, lang=lang,
                 case="death", fact=["death_certified=no"])
        assert r.status_code == 200
        answers[lang] = r.json()
    zh, en = answers["zh"], answers["en"]
    assert zh["unmet_codes"] == en["unmet_codes"] == [{"code": "fact", "question": "death_certified"},
                                                      {"code": "unanswered", "question": "heir_proven"}]
    assert zh["warning_codes"] == en["warning_codes"] == ["forgery", "intermediary", "regional", "closes"]
    assert CJK.search(" ".join(zh["unmet"])) and CJK.search(" ".join(en["unmet"])) is None
    assert zh["unmet"][0].startswith(t("withdrawal.unmet.fact", lang="zh", question=""))
