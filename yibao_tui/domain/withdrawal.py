"""The withdrawal eligibility checklist (DOMAIN.md §5): which case, what materials, what verdict."""

from __future__ import annotations

from yibao_tui.domain.errors import Msg, YibaoError
from yibao_tui.domain.models import QuestionInfo, WithdrawalVerdict
from yibao_tui.domain.policy import RegionPolicy
from yibao_tui.domain.rules import PersonFacts, check_case_name, parse_fact_value

ALWAYS_WARNINGS = ("forgery", "intermediary", "regional", "closes")


def verdict(
    person: PersonFacts, balance: int, policy: RegionPolicy, case: str, facts: dict[str, str], lang: str
) -> WithdrawalVerdict:
    """Judge ``case`` for ``person`` from the ledger facts and the answers in ``facts``; the
    verdict's texts in ``lang`` (a refusal is raised unrendered)."""
    from yibao_tui.i18n import t

    check_case_name(case)
    definition = policy.withdrawal_cases.get(case)
    if definition is None:
        raise YibaoError("POLICY_MISSING", region=person.region, year=policy.year, item=Msg("policy.item.withdrawal"))
    known = {q.name: q for q in definition.questions}
    for name in facts:
        if name not in known:
            raise YibaoError("INVALID_FACT", detail=f"{name} ({', '.join(known)})")
    answers = {name: parse_fact_value(known[name].type, name, v) for name, v in facts.items()}

    unmet: list[str] = []
    if person.scheme != "employee":
        unmet.append(t("withdrawal.unmet.scheme", lang=lang))
    elif person.status != "active":
        unmet.append(t("withdrawal.unmet.status", lang=lang, status=t(f"status.{person.status}", lang=lang)))
    elif balance <= 0:
        unmet.append(t("withdrawal.unmet.balance", lang=lang))
    if case not in policy.enabled_cases:
        unmet.append(t("withdrawal.unmet.region", lang=lang))

    questions: list[QuestionInfo] = []
    materials = [m.get(lang) for m in policy.always_materials] + [m.get(lang) for m in definition.materials]
    for q in definition.questions:
        text = q.text.get(lang)
        answer = answers.get(q.name)
        met: bool | None = None
        if q.type == "bool" and q.expect is not None:
            if answer is None:
                unmet.append(t("withdrawal.unmet.unanswered", lang=lang, question=text))
            else:
                met = answer == q.expect
                if not met:
                    unmet.append(t("withdrawal.unmet.fact", lang=lang, question=text))
        elif q.type == "int" and definition.waiting_months > 0:
            if answer is None:
                unmet.append(t("withdrawal.unmet.unanswered", lang=lang, question=text))
            else:
                met = int(answer) >= definition.waiting_months
                if not met:
                    unmet.append(t("withdrawal.unmet.waiting", lang=lang, months=definition.waiting_months))
        if q.material is not None and answer is True:
            materials.append(q.material.get(lang))
        questions.append(
            QuestionInfo(
                name=q.name,
                type=q.type,
                text=text,
                answer=None if answer is None else ("yes" if answer is True else "no" if answer is False else str(answer)),
                met=met,
            )
        )
    warnings = [t(f"withdrawal.warn.{w}", lang=lang) for w in ALWAYS_WARNINGS]
    return WithdrawalVerdict(
        id=person.id,
        case=case,
        eligible=not unmet,
        balance_fen=balance,
        payee=definition.payee,
        materials=materials,
        warnings=warnings,
        unmet=unmet,
        questions=questions,
    )
