"""Plain result records that cross every boundary (ledger → backend → CLI, TUI, HTTP).

Each has ``to_json()`` giving the CLI/HTTP field names, which are a contract: extend, never
rename. ``from_json()`` rebuilds one on the HTTP client side.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Self


class Record:
    """Mixin: JSON round trip for frozen dataclasses of plain values."""

    def to_json(self) -> dict[str, Any]:
        """The contract fields as a JSON-ready dict."""
        return dataclasses.asdict(self)  # type: ignore[call-overload, no-any-return]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        """Rebuild from ``to_json()`` output (unknown keys ignored)."""
        names = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        kwargs: dict[str, Any] = {}
        for k, v in data.items():
            if k not in names:
                continue
            sub = _NESTED.get((cls.__name__, k))
            if sub is not None and isinstance(v, list):
                v = [sub.from_json(x) for x in v]
            kwargs[k] = v
        return cls(**kwargs)


@dataclass(frozen=True, slots=True)
class Person(Record):
    """A registered person (and their account, for employee members)."""

    id: str
    name: str
    scheme: str  # employee | resident
    region: str
    card: str | None
    status: str  # active | suspended | closed (of the personal account; resident: active)
    birth_date: str
    sex: str
    balance_fen: int | None  # None for resident members (no personal account)
    created_at: str
    replayed: bool = False  # ``person add`` answered from its idempotency key


@dataclass(frozen=True, slots=True)
class Balance(Record):
    """``yibao balance``."""

    id: str
    balance_fen: int
    status: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class Entry(Record):
    """One line of a statement: a movement on the person's account."""

    time: str
    kind: str
    amount_fen: int  # signed: + credit, - debit
    balance_after_fen: int
    memo: str
    entry_id: int = 0
    counterparty: str = ""


@dataclass(frozen=True, slots=True)
class StatementPage(Record):
    """A page of a statement. ``opening``/``closing`` are right under the date filter."""

    id: str
    entries: list[Entry]
    opening_balance_fen: int
    closing_balance_fen: int
    next_cursor: str | None = None
    prev_cursor: str | None = None
    total: int | None = None


@dataclass(frozen=True, slots=True)
class Summary(Record):
    """The figures at the top of the balance screen."""

    id: str
    balance_fen: int
    year: int
    year_credits_fen: int
    year_spending_fen: int
    months: list[str] = field(default_factory=list)  # "YYYY-MM", oldest first
    month_balances_fen: list[int] = field(default_factory=list)  # balance at each month's end


@dataclass(frozen=True, slots=True)
class Binding(Record):
    """A family mutual-aid binding (current or ended: history is kept)."""

    holder_id: str
    relative_id: str
    relation: str
    status: str  # active | ended
    bound_at: str
    verified_by: str
    unbound_at: str | None = None
    relative_name: str = ""
    binding_id: int = 0
    replayed: bool = False
    #: Why an ended binding ended: ``unbound`` (by the holder) or ``account-closed`` (the
    #: holder's account was paid out and closed); None while active.
    ended_reason: str | None = None


@dataclass(frozen=True, slots=True)
class PremiumQuote(Record):
    """``yibao premium quote``."""

    payer_id: str
    relative_id: str
    region: str
    year: int
    amount_fen: int
    balance_fen: int
    balance_after_fen: int
    #: the years of the relative's region open for payment today, newest first
    open_years: list[int] = field(default_factory=list)
    #: the quoted year's collection window (ISO dates; ``closes``: its last day, extension included)
    opens: str | None = None
    closes: str | None = None


@dataclass(frozen=True, slots=True)
class PremiumWindowInfo(Record):
    """One year's collection window in a region (ISO dates)."""

    year: int
    opens: str
    closes: str
    #: the window's last day when the region extends it (into the spring, say), else None
    extended_to: str | None
    #: its standard (None: not configured, so not payable)
    amount_fen: int | None
    #: open today (and the standard configured)
    open: bool
    #: a note on special cases (newborns …), in the caller's language
    note: str = ""


@dataclass(frozen=True, slots=True)
class PremiumYears(Record):
    """Which contribution years of a region can be paid today, and the windows around."""

    region: str
    today: str
    #: newest first
    open_years: list[int]
    #: the configured windows from last year to two years ahead, oldest first
    windows: list[PremiumWindowInfo] = field(default_factory=list)

    def next_window(self) -> PremiumWindowInfo | None:
        """The next window to open after today (None: none configured)."""
        later = [w for w in self.windows if w.opens > self.today]
        return min(later, key=lambda w: w.opens) if later else None


@dataclass(frozen=True, slots=True)
class MethodBand(Record):
    """The verification methods a binding accepts for a relative aged ``min_age`` to
    ``max_age`` (None: no upper bound), in the order a form offers them."""

    min_age: int
    max_age: int | None
    methods: list[str]


@dataclass(frozen=True, slots=True)
class BindingRules(Record):
    """What a binding form must know before anything is typed: the holder's region's cap and
    how many bindings are active, the caps per relation, and the verification methods accepted
    per age band on the channel asked about (the ledger's policy and today)."""

    holder_id: str
    region: str
    year: int
    today: str
    cap: int
    active: int
    relation_caps: dict[str, int]
    face_age: int
    cross_province: bool
    one_way: bool
    #: the holder has not signed the pledge (承诺书) yet: the next binding needs it
    pledge_required: bool
    channel: str
    methods: list[MethodBand] = field(default_factory=list)

    def methods_for(self, age: int | None) -> list[str]:
        """The methods accepted for a relative of ``age`` (None: not known yet, every method
        some age would accept, in form order)."""
        out: list[str] = []
        for band in self.methods:
            if age is None or (band.min_age <= age and (band.max_age is None or age <= band.max_age)):
                out += [m for m in band.methods if m not in out]
        order = ("counter", "letter", "face")
        return sorted(out, key=lambda m: order.index(m) if m in order else len(order))


@dataclass(frozen=True, slots=True)
class CaseQuestion(Record):
    """A question of a withdrawal case as the region's policy asks it (texts in both languages:
    policy data, picked by language where it is shown)."""

    name: str
    type: str  # bool | int
    text: dict[str, str]
    #: the answer a yes/no question needs (None: any)
    expect: bool | None = None
    #: a material asked for when the answer is yes
    material: dict[str, str] | None = None

    def text_in(self, lang: str) -> str:
        """The question in ``lang`` (Chinese when there is no text in it)."""
        return self.text.get(lang) or self.text.get("zh", self.name)


@dataclass(frozen=True, slots=True)
class WithdrawalCaseInfo(Record):
    """A withdrawal case a region enables: who is paid, the waiting time, the materials (both
    languages) and the questions."""

    name: str
    payee: str
    waiting_months: int
    materials: list[dict[str, str]]
    questions: list[CaseQuestion] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class WithdrawalCases(Record):
    """The withdrawal cases enabled in a person's region this year (the ledger's policy), in
    the policy's order, and the materials every case needs."""

    id: str
    region: str
    year: int
    cases: list[WithdrawalCaseInfo]
    always_materials: list[dict[str, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PremiumPayment(Record):
    """``yibao premium pay`` and the list of past payments."""

    payment_id: str
    payer_id: str
    relative_id: str
    year: int
    amount_fen: int
    balance_after_fen: int
    time: str
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class Charge(Record):
    """One account's share of a bill."""

    account_id: str
    amount_fen: int


@dataclass(frozen=True, slots=True)
class SpendResult(Record):
    """``yibao spend``."""

    patient_id: str
    kind: str
    amount_fen: int
    charges: list[Charge]
    cash_fen: int
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class CreditResult(Record):
    """``yibao credit``."""

    id: str
    amount_fen: int
    balance_after_fen: int
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class QuestionInfo(Record):
    """A checklist question as the UI shows it."""

    name: str
    type: str
    text: str
    answer: str | None = None
    met: bool | None = None


@dataclass(frozen=True, slots=True)
class WithdrawalVerdict(Record):
    """``yibao withdrawal check``."""

    id: str
    case: str
    eligible: bool
    balance_fen: int
    payee: str
    materials: list[str]
    warnings: list[str]
    unmet: list[str]
    questions: list[QuestionInfo] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class VerifyReport(Record):
    """``yibao verify``."""

    ok: bool
    failures: list[str]
    accounts: int = 0
    entries: int = 0
    audit: int = 0


@dataclass(frozen=True, slots=True)
class AuditRow(Record):
    """One audit log record."""

    seq: int
    time: str
    channel: str
    operator: str | None
    action: str
    subject: str | None
    detail: str


@dataclass(frozen=True, slots=True)
class ImportResult(Record):
    """``yibao import persons``. Each error's ``reason`` is its message, which the ledger leaves
    unrendered (a ``Msg``): ``to_json(lang)`` renders it in the language of that call."""

    imported: int
    errors: list[dict[str, Any]]
    replayed: bool = False

    def to_json(self, lang: str | None = None) -> dict[str, Any]:
        """The contract fields, every reason rendered in ``lang`` (default: the current one)."""
        from yibao_tui.domain.errors import Msg

        errors = [{k: v.render(lang) if isinstance(v, Msg) else v for k, v in e.items()} for e in self.errors]
        return {"imported": self.imported, "errors": errors, "replayed": self.replayed}


@dataclass(frozen=True, slots=True)
class Operator(Record):
    """A member of staff at a service window."""

    id: str
    name: str
    role: str  # clerk | supervisor


@dataclass(frozen=True, slots=True)
class WithdrawalReceipt(Record):
    """An executed withdrawal: the balance paid out and the account closed."""

    withdrawal_id: str
    person_id: str
    case: str
    payee: str  # holder | heir
    payee_name: str
    payee_account: str
    amount_fen: int
    operator: str
    cosigner: str
    time: str
    replayed: bool = False


# --- counter staff (issue 10 items 9-11) ----------------------------------------------------
@dataclass(slots=True)
class PersonMatch(Record):
    """A person found by name: enough to tell namesakes apart, masked for a shared screen.

    ``id`` is the handle staff open the person with (itself an audited read); displays show
    ``id_masked`` and ``name_masked``. Not frozen, unlike the other records: a frozen dataclass
    sets each field through ``object.__setattr__``, which made building one page of 20 matches
    cost as much as the indexed query itself (bench/bench_find.py)."""

    id: str
    id_masked: str
    name_masked: str
    sex: str
    birth_date: str
    region: str
    scheme: str
    status: str


@dataclass(frozen=True, slots=True)
class PersonMatchPage(Record):
    """One keyset page of ``person find``; ``total`` counts every match of the query."""

    matches: list[PersonMatch]
    next_cursor: str | None = None
    total: int = 0


@dataclass(frozen=True, slots=True)
class OperatorInfo(Record):
    """A member of staff as a supervisor manages them (never the password hash)."""

    id: str
    name: str
    role: str
    status: str  # active | locked | disabled
    failures: int = 0
    locked_until: str | None = None
    disabled_at: str | None = None
    created_at: str = ""


@dataclass(frozen=True, slots=True)
class AuditPage(Record):
    """One keyset page of the audit log, newest first; ``cursor`` continues after ``next_cursor``."""

    rows: list[AuditRow]
    next_cursor: str | None = None


_NESTED: dict[tuple[str, str], type[Record]] = {
    ("StatementPage", "entries"): Entry,
    ("SpendResult", "charges"): Charge,
    ("WithdrawalVerdict", "questions"): QuestionInfo,
    ("PersonMatchPage", "matches"): PersonMatch,
    ("AuditPage", "rows"): AuditRow,
    ("PremiumYears", "windows"): PremiumWindowInfo,
    ("BindingRules", "methods"): MethodBand,
    ("WithdrawalCaseInfo", "questions"): CaseQuestion,
    ("WithdrawalCases", "cases"): WithdrawalCaseInfo,
}
