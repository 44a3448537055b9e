"""Issue 8 "errors and verdicts carry a code and parameters; text is rendered at the edge": the
domain judges a withdrawal as codes, and the verdict's texts come in the language the edge asks
for, whatever the process's language is."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from yibao_tui.domain.errors import Msg, YibaoError
from yibao_tui.domain.policy import policy_for
from yibao_tui.domain.rules import PersonFacts
from yibao_tui.domain.withdrawal import Judgement, verdict
from yibao_tui.i18n import set_lang, t

SHENZHEN = policy_for("440300", 2026)
WORKER = PersonFacts(id="440300198005051013", scheme="employee", region="440300",
                     birth_date=dt.date(1980, 5, 5), status="active")


SUSPENDED = dataclasses.replace(WORKER, status="suspended")


def _judge(person: PersonFacts = WORKER, balance: int = 100_000, case: str = "left-employee-insurance",
           facts: dict[str, str] | None = None) -> Judgement:
    return verdict(person, balance, SHENZHEN, case, facts or {})


def test_the_unmet_conditions_are_codes_with_plain_parameters():
    j = _judge(SUSPENDED, case="death", facts={"death_certified": "no"})
    assert [u.to_json() for u in j.unmet] == [
        {"code": "status", "status": "suspended"},
        {"code": "fact", "question": "death_certified"},
        {"code": "unanswered", "question": "heir_proven"},
    ]
    assert all(isinstance(u.text, Msg) for u in j.unmet)  # not rendered: no language chosen here
    assert _judge(case="serious-illness").unmet[0].to_json() == {"code": "region"}  # not in 深圳
    six = dataclasses.replace(SHENZHEN.withdrawal_cases["left-employee-insurance"], waiting_months=6)
    policy = dataclasses.replace(SHENZHEN, withdrawal_cases={**SHENZHEN.withdrawal_cases, six.name: six})
    waiting = verdict(WORKER, 1, policy, six.name, {"insurance_stopped": "yes", "months_since_stop": "1"})
    assert [u.to_json() for u in waiting.unmet] == [{"code": "waiting", "question": "months_since_stop", "months": 6}]
    assert waiting.render("en").unmet == [t("withdrawal.unmet.waiting", lang="en", months=6)]


@pytest.mark.parametrize("process", ["zh", "en"])
def test_the_edge_renders_in_the_language_of_its_call(process):
    """The process's language does not leak into a verdict rendered for a caller in another."""
    set_lang(process)
    j = _judge(case="death", facts={"death_certified": "yes"})
    zh, en = j.render("zh"), j.render("en")
    assert zh.unmet_codes == en.unmet_codes == [{"code": "unanswered", "question": "heir_proven"}]
    question = SHENZHEN.withdrawal_cases["death"].questions[1].text
    assert zh.unmet == [t("withdrawal.unmet.unanswered", lang="zh", question=question.zh)]
    assert en.unmet == [t("withdrawal.unmet.unanswered", lang="en", question=question.en)]
    assert zh.warning_codes == en.warning_codes == ["forgery", "intermediary", "regional", "closes"]
    assert zh.warnings == [t(f"withdrawal.warn.{w}", lang="zh") for w in zh.warning_codes]
    assert en.warnings == [t(f"withdrawal.warn.{w}", lang="en") for w in en.warning_codes]
    assert [q.text for q in en.questions] == [q.text.en for q in SHENZHEN.withdrawal_cases["death"].questions]
    assert zh.materials != en.materials and zh.materials[0] == SHENZHEN.always_materials[0].zh
    set_lang("zh")


def test_a_status_is_named_in_the_language_of_the_call():
    j = _judge(SUSPENDED)
    assert j.render("en").unmet[0] == t("withdrawal.unmet.status", lang="en", status=t("status.suspended", lang="en"))
    assert j.render("zh").unmet[0] == t("withdrawal.unmet.status", lang="zh", status=t("status.suspended", lang="zh"))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_invalid_answer_is_said_with_its_question_in_the_language_of_the_call(lang):
    """Issue 8 defect 14 ("情况说明无效：months_since_stop=-1") on every surface: the refusal
    names the question as people read it, in the language it is rendered in."""
    with pytest.raises(YibaoError) as info:
        _judge(facts={"insurance_stopped": "yes", "months_since_stop": "-1"})
    assert info.value.code == "INVALID_FACT"
    question = next(q for q in SHENZHEN.withdrawal_cases["left-employee-insurance"].questions
                    if q.name == "months_since_stop")
    message = info.value.message(lang)
    assert question.text.get(lang) in message and "-1" in message and "months_since_stop" not in message
    with pytest.raises(YibaoError) as info:
        _judge(case="death", facts={"agent": "maybe"})
    assert "maybe" in info.value.message(lang) and "agent=" not in info.value.message(lang)
