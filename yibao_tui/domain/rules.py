"""The rules: may this binding / payment / withdrawal happen, and if not, which error code.

Pure functions over plain facts gathered by the ledger. The ledger calls them inside its write
transaction, so the TUI, the CLI and the HTTP server all get the same answers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from yibao_tui.domain.errors import Msg, YibaoError
from yibao_tui.domain.policy import SPEND_KINDS, WITHDRAWAL_CASES, RegionPolicy
from yibao_tui.domain.relations import Relation, check_plausible

VERIFY_METHODS = ("counter", "face", "letter")
#: Verification methods in the order a form offers them.
FORM_METHODS = ("counter", "letter", "face")
#: Channels with a camera and liveness check: the only ones that can verify a face.
FACE_CHANNELS = frozenset({"app", "kiosk"})
_YES = {"yes", "y", "true", "1", "是", "对", "有"}
_NO = {"no", "n", "false", "0", "否", "不", "无", "没有"}


@dataclass(frozen=True, slots=True)
class PersonFacts:
    """What the rules need to know about a person."""

    id: str
    scheme: str
    region: str
    birth_date: dt.date
    status: str  # account status; "active" for resident members


def same_province(a: str, b: str) -> bool:
    """Region codes share their first two digits."""
    return a[:2] == b[:2]


def require_account_usable(p: PersonFacts) -> None:
    """An employee member whose account is in normal use."""
    if p.scheme != "employee":
        raise YibaoError("NOT_EMPLOYEE_INSURED", id=p.id)
    if p.status == "closed":
        raise YibaoError("ACCOUNT_CLOSED", id=p.id)
    if p.status != "active":
        raise YibaoError("ACCOUNT_CLOSED", id=p.id)


def check_binding(
    holder: PersonFacts,
    relative: PersonFacts,
    relation: Relation,
    verified_by: str,
    policy: RegionPolicy,
    active_relations: list[str],
    holder_is_member: bool,
    relative_is_holder: bool,
    already_bound: bool,
    today: dt.date,
) -> None:
    """Every rule a new binding must pass, in the order a counter clerk would check them."""
    if holder.id == relative.id:
        raise YibaoError("SELF_BINDING")
    require_account_usable(holder)
    if verified_by not in VERIFY_METHODS:
        raise YibaoError("INVALID_ARGUMENT", detail=f"--verified-by {verified_by}")
    if already_bound:
        raise YibaoError("ALREADY_BOUND")
    check_plausible(relation, holder.birth_date, relative.birth_date)
    if not policy.cross_province and not same_province(holder.region, relative.region):
        raise YibaoError(
            "CROSS_REGION_NOT_ALLOWED", holder_region=holder.region, relative_region=relative.region
        )
    if len(active_relations) >= policy.binding_cap:
        raise YibaoError("BINDING_LIMIT_REACHED", cap=policy.binding_cap)
    cap = policy.relation_caps.get(relation.value)
    if cap is not None and sum(1 for r in active_relations if r == relation.value) >= cap:
        raise YibaoError("RELATION_LIMIT_REACHED", relation=Msg(f"relation.{relation.value}"), cap=cap)
    if policy.one_way:
        if holder_is_member:
            raise YibaoError("ONE_WAY_BINDING", detail=Msg("reason.oneway.holder_is_member"))
        if relative_is_holder:
            raise YibaoError("ONE_WAY_BINDING", detail=Msg("reason.oneway.relative_is_holder"))
    age = relative_age(relative.birth_date, today)
    if verified_by == "face" and age < policy.face_age:
        raise YibaoError("VERIFICATION_NOT_ACCEPTED", detail=Msg("reason.verify.face_under_16"))
    if verified_by == "letter" and age >= policy.face_age:
        raise YibaoError("VERIFICATION_NOT_ACCEPTED", detail=Msg("reason.verify.letter_16_plus"))


def accepted_methods(policy: RegionPolicy, channel: str, age: int) -> list[str]:
    """The verification methods ``check_binding`` accepts for a relative aged ``age``, of those
    ``channel`` can perform, in the order a form offers them: the counter's check always, a
    letter under ``face_age``, a face from it and only where there is a camera."""
    out = []
    for m in FORM_METHODS:
        if m == "face" and (channel not in FACE_CHANNELS or age < policy.face_age):
            continue
        if m == "letter" and age >= policy.face_age:
            continue
        out.append(m)
    return out


def method_bands(policy: RegionPolicy, channel: str) -> list[tuple[int, int | None, list[str]]]:
    """``accepted_methods`` by age band: ``(min_age, max_age or None, methods)``."""
    return [(0, policy.face_age - 1, accepted_methods(policy, channel, 0)),
            (policy.face_age, None, accepted_methods(policy, channel, policy.face_age))]


def check_scheme_age(scheme: str, birth: dt.date, today: dt.date, policy: RegionPolicy) -> None:
    """Employee insurance is for people of working age: nobody under ``policy.working_age``."""
    if scheme == "employee" and relative_age(birth, today) < policy.working_age:
        raise YibaoError("NOT_WORKING_AGE", birth_date=birth.isoformat(), age=policy.working_age)


def relative_age(birth: dt.date, today: dt.date) -> int:
    """Whole years on ``today``."""
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def check_spend_kind(kind: str) -> None:
    """A known kind of bill; pension is never payable from the account."""
    if kind not in SPEND_KINDS:
        raise YibaoError("INVALID_ARGUMENT", detail=f"--kind {kind}")
    if kind == "pension":
        raise YibaoError("USE_NOT_ALLOWED", use=Msg(f"kind.{kind}"))


def order_payers(policy: RegionPolicy, payers: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Order the holders who bound a patient: ``(binding_id, account_id, balance)`` tuples.

    ``highest-balance`` (临沧): by balance, highest first, then binding order; ``binding-order``
    (北京): by binding order.
    """
    if policy.payer_order == "binding-order":
        return sorted(payers, key=lambda p: p[0])
    return sorted(payers, key=lambda p: (-p[2], p[0]))


def split_bill(amount: int, balances: list[int]) -> tuple[list[int], int]:
    """Each account pays up to its balance, in order; the rest is cash."""
    rest = amount
    parts: list[int] = []
    for b in balances:
        pay = min(rest, max(b, 0))
        parts.append(pay)
        rest -= pay
    return parts, rest


def check_premium(payer: PersonFacts, relative: PersonFacts, bound: bool, payer_policy: RegionPolicy,
                  standard: RegionPolicy, already_paid: bool, balance: int, on: dt.date) -> int:
    """The amount to pay for the relative's resident premium on ``on``, or the refusal."""
    require_account_usable(payer)
    if not bound:
        raise YibaoError("NOT_BOUND")
    if relative.scheme != "resident":
        raise YibaoError("NOT_RESIDENT_INSURED", id=relative.id)
    if not payer_policy.allows("premium"):
        raise YibaoError("USE_NOT_ALLOWED", use=Msg("kind.premium"))
    if not payer_policy.cross_province and not same_province(payer.region, relative.region):
        raise YibaoError(
            "CROSS_REGION_NOT_ALLOWED", holder_region=payer.region, relative_region=relative.region
        )
    if standard.premium_fen is None:
        raise YibaoError(
            "POLICY_MISSING", region=relative.region, year=standard.year, item=Msg("policy.item.premium")
        )
    if already_paid:
        raise YibaoError("PREMIUM_ALREADY_PAID", id=relative.id, year=standard.year)
    check_premium_window(standard, relative.region, on)
    return standard.premium_fen


def check_premium_window(standard: RegionPolicy, region: str, on: dt.date) -> None:
    """The premium of ``standard.year`` is collected in a window the region sets: refused
    outside it (``PREMIUM_PERIOD_CLOSED`` naming it), and when none is configured
    (``POLICY_MISSING``: never a guessed window)."""
    window = standard.premium_window
    if window is None:
        raise YibaoError(
            "POLICY_MISSING", region=region, year=standard.year, item=Msg("policy.item.premium_window")
        )
    if not window.is_open(on):
        raise YibaoError(
            "PREMIUM_PERIOD_CLOSED", region=region, year=standard.year,
            opens=window.opens.isoformat(), closes=window.last_day.isoformat(),
        )


def parse_fact_value(qtype: str, name: str, value: str) -> bool | int:
    """``yes``/``no`` (是/否 …) for yes/no questions, a whole number for counts."""
    v = str(value).strip().lower()
    if qtype == "int":
        try:
            n = int(v)
        except ValueError:
            raise YibaoError("INVALID_FACT", detail=f"{name}={value}") from None
        if n < 0 or n > 10_000:
            raise YibaoError("INVALID_FACT", detail=f"{name}={value}")
        return n
    if v in _YES:
        return True
    if v in _NO:
        return False
    raise YibaoError("INVALID_FACT", detail=f"{name}={value}")


def check_case_name(case: str) -> None:
    """One of the seven withdrawal cases."""
    if case not in WITHDRAWAL_CASES:
        raise YibaoError("UNKNOWN_WITHDRAWAL_CASE", case=case, choices=", ".join(WITHDRAWAL_CASES))
