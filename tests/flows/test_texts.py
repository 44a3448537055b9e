"""Issue 8 defect 14: no untranslated or mixed text where people read it: a withdrawal case by
its name (CLI, audit log), an invalid answer said with its question, the refusals' catalogue
texts without raw codes in brackets, a transport failure in words."""

from __future__ import annotations

import re
import socket

import pytest

from tests.tui.tuikit import HOLDER
from yibao_tui.backend.http import HttpBackend
from yibao_tui.cli.output import verdict_lines
from yibao_tui.domain.errors import YibaoError
from yibao_tui.i18n import catalogue, load_section, set_lang
from yibao_tui.i18n.audit import describe
from yibao_tui.tui.flows.withdrawal import WithdrawalChecklist

CODES = re.compile(r"[（(](letter|face|counter|supervisor|clerk|emigration|cli|tui|kiosk)[）)]")


def test_no_code_in_brackets_in_the_chinese_catalogue():
    """"（letter）" in a Chinese refusal, "复核签字（supervisor）"."""
    for section in ("cli_help", "modes", "server", "ui", "cli"):
        load_section(section)
    found = {k: v for k, v in catalogue("zh").items() if CODES.search(v)}
    assert found == {}


async def test_the_case_is_named_in_the_cli_and_the_audit_log(backend):
    verdict = await backend.withdrawal_check(HOLDER, "emigration", {})
    line = verdict_lines(verdict.to_json())[0]
    assert "emigration" not in line and "出国（境）定居" in line
    rows = await backend.audit(person=HOLDER, limit=5)
    [check] = [r for r in rows if r.action == "withdrawal.check"][:1]
    assert "emigration" not in describe(check) and "出国（境）定居" in describe(check)


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_an_invalid_answer_is_said_with_its_question(backend, lang):
    """"情况说明无效：months_since_stop=-1"."""
    set_lang(lang)
    try:
        flow = WithdrawalChecklist(backend, HOLDER)
        await flow.load()
        flow.choose_case("left-employee-insurance")
        flow.answer("months_since_stop", "-1")
        assert isinstance(flow.problem, YibaoError)
        text = flow.problem.message()
        assert "months_since_stop" not in text and "-1" in text
        assert ("停保至今的月数" if lang == "zh" else "Months since insurance stopped") in text
    finally:
        set_lang("zh")


async def test_a_server_that_is_down_is_said_in_words():
    """"(ConnectError: …)": the exception's English stays in the log."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once closed
    hb = HttpBackend(f"http://127.0.0.1:{port}", "yb_test", retries=0, backoff=0.01)
    try:
        with pytest.raises(YibaoError) as caught:
            await hb.balance(HOLDER)
    finally:
        await hb.close()
    text = caught.value.message()
    assert "ConnectError" not in text and "Errno" not in text
    assert "服务器没有在运行" in text
