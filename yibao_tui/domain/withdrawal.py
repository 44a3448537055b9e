"""The withdrawal eligibility checklist (DOMAIN.md §5): which case, what materials, what verdict.

The verdict is judged here as codes and parameters (``Judgement``: each unmet condition a code,
its parameters and its catalogue text not rendered yet; the materials and questions as policy
texts in both languages). The edge renders it in the language of its call (``render``): the
local backend in the caller's, the server in the request's. Nothing here picks a language.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from yibao_tui.domain.errors import Msg, YibaoError
from yibao_tui.domain.models import QuestionInfo, WithdrawalVerdict
from yibao_tui.domain.policy import Question, RegionPolicy, Text
from yibao_tui.domain.rules import PersonFacts, check_case_name, parse_fact_value

ALWAYS_WARNINGS = ("forgery", "intermediary", "regional", "closes")


@dataclass(frozen=True, slots=True)
class Unmet:
    """A condition the case needs and the person does not meet: ``code`` (``scheme``,
    ``status``, ``balance``, ``region``, ``unanswered``, ``fact``, ``waiting``), its plain
    parameters (a question's name, a status, months), and the text to render."""

    code: str
    text: Msg
    params: tuple[tuple[str, Any], ...] = ()

    def to_json(self) -> dict[str, Any]:
        """``{"code": ..., **params}`` (plain values: the same in every language)."""
        return {"code": self.code, **dict(self.params)}


@dataclass(frozen=True, slots=True)
class Asked:
    """A question of the case with its answer (``yes``/``no``/a number, None: unanswered) and
    whether the answer meets the case (None: not a condition, or unanswered)."""

    question: Question
    answer: str | None
    met: bool | None


@dataclass(frozen=True, slots=True)
class Judgement:
    """A verdict not rendered yet: ``render(lang)`` gives the ``WithdrawalVerdict`` of the
    contract (CLI and HTTP JSON) in one language."""

    id: str
    case: str
    eligible: bool
    balance_fen: int
    payee: str
    materials: tuple[Text, ...]
    unmet: tuple[Unmet, ...]
    questions: tuple[Asked, ...]
    warnings: tuple[str, ...] = ALWAYS_WARNINGS

    def render(self, lang: str) -> WithdrawalVerdict:
        """The verdict with its texts in ``lang``, and the unmet conditions' codes."""
        return WithdrawalVerdict(
            id=self.id,
            case=self.case,
            eligible=self.eligible,
            balance_fen=self.balance_fen,
            payee=self.payee,
            materials=[m.get(lang) for m in self.materials],
            warnings=[Msg(f"withdrawal.warn.{w}").render(lang) for w in self.warnings],
            unmet=[u.text.render(lang) for u in self.unmet],
            questions=[
                QuestionInfo(name=a.question.name, type=a.question.type, text=a.question.text.get(lang),
                             answer=a.answer, met=a.met)
                for a in self.questions
            ],
            unmet_codes=[u.to_json() for u in self.unmet],
            warning_codes=list(self.warnings),
        )


def _unmet(code: str, **params: Any) -> Unmet:
    """An unmet condition; a question's text goes into the message, its name into the codes."""
    question: Question | None = params.pop("question", None)
    text_params: dict[str, Any] = dict(params)
    plain: dict[str, Any] = dict(params)
    if question is not None:
        text_params["question"] = question.text
        plain = {"question": question.name, **plain}
    if code == "status":
        text_params["status"] = Msg(f"status.{params['status']}")
    return Unmet(code, Msg(f"withdrawal.unmet.{code}", **text_params), tuple(plain.items()))


def verdict(
    person: PersonFacts, balance: int, policy: RegionPolicy, case: str, facts: dict[str, str]
) -> Judgement:
    """Judge ``case`` for ``person`` from the ledger facts and the answers in ``facts`` (a
    refusal is raised as a code with parameters)."""
    check_case_name(case)
    definition = policy.withdrawal_cases.get(case)
    if definition is None:
        raise YibaoError("POLICY_MISSING", region=person.region, year=policy.year, item=Msg("policy.item.withdrawal"))
    known = {q.name: q for q in definition.questions}
    for name in facts:
        if name not in known:
            raise YibaoError("INVALID_FACT", detail=f"{name} ({', '.join(known)})")
    answers: dict[str, bool | int] = {}
    for name, value in facts.items():
        q = known[name]
        try:
            answers[name] = parse_fact_value(q.type, name, value)
        except YibaoError:  # said with the question as people read it, never ``name=value``
            reason = "reason.fact.number" if q.type == "int" else "reason.fact.yes_no"
            raise YibaoError("INVALID_FACT", detail=Msg(reason, question=q.text, value=str(value)[:20])) from None

    unmet: list[Unmet] = []
    if person.scheme != "employee":
        unmet.append(_unmet("scheme"))
    elif person.status != "active":
        unmet.append(_unmet("status", status=person.status))
    elif balance <= 0:
        unmet.append(_unmet("balance"))
    if case not in policy.enabled_cases:
        unmet.append(_unmet("region"))

    asked: list[Asked] = []
    materials = [*policy.always_materials, *definition.materials]
    for q in definition.questions:
        answer = answers.get(q.name)
        met: bool | None = None
        if q.type == "bool" and q.expect is not None:
            if answer is None:
                unmet.append(_unmet("unanswered", question=q))
            else:
                met = answer == q.expect
                if not met:
                    unmet.append(_unmet("fact", question=q))
        elif q.type == "int" and definition.waiting_months > 0:
            if answer is None:
                unmet.append(_unmet("unanswered", question=q))
            else:
                met = int(answer) >= definition.waiting_months
                if not met:
                    unmet.append(_unmet("waiting", question=q, months=definition.waiting_months))
        if q.material is not None and answer is True:
            materials.append(q.material)
        shown = None if answer is None else ("yes" if answer is True else "no" if answer is False else str(answer))
        asked.append(Asked(q, shown, met))
    return Judgement(
        id=person.id,
        case=case,
        eligible=not unmet,
        balance_fen=balance,
        payee=definition.payee,
        materials=tuple(materials),
        unmet=tuple(unmet),
        questions=tuple(asked),
    )
