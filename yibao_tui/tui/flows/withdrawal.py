"""The withdrawal checklist as one flow: case, questions, answers, the current verdict (no Textual).

A verdict counts only for the case and the answers it was judged on: an invalid answer, or an
answer changed since, means no verdict (and so no export and no execution on it). The backend
is asked once per distinct set of answers, so the audit log holds one ``withdrawal.check`` per
verdict the user saw, not one per keystroke (the view waits for typing to pause).

The cases and their questions come from the ``Backend`` (``withdrawal_cases``): the system of
record's policy, the server's through ``--backend URL``, never this process's own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from yibao_tui.domain.errors import YibaoError
from yibao_tui.domain.models import CaseQuestion, WithdrawalCaseInfo, WithdrawalVerdict

if TYPE_CHECKING:
    from yibao_tui.backend.base import Backend

#: The largest count a number answer may hold (the rules refuse more).
MAX_COUNT = 10_000


class WithdrawalChecklist:
    """One person's eligibility checklist."""

    def __init__(self, backend: Backend, who: str) -> None:
        self.backend = backend
        self.who = who
        self._cases: dict[str, WithdrawalCaseInfo] = {}
        #: The cases the person's region enables, in the policy's order (``load``).
        self.cases: list[str] = []
        self.case: str | None = None
        self.questions: tuple[CaseQuestion, ...] = ()
        #: What was typed or picked, per question name (as typed; checked in ``facts``).
        self.answers: dict[str, str] = {}
        self._verdict: WithdrawalVerdict | None = None
        self._judged: tuple[str, tuple[tuple[str, str], ...]] | None = None
        self._refused: tuple[tuple[str, tuple[tuple[str, str], ...]], YibaoError] | None = None

    async def load(self) -> list[str]:
        """The cases the backend's policy enables in the person's region (no case it would
        refuse), with their questions."""
        info = await self.backend.withdrawal_cases(self.who)
        self._cases = {c.name: c for c in info.cases}
        self.cases = [c.name for c in info.cases]
        return self.cases

    # --- input ----------------------------------------------------------------------------------

    def choose_case(self, case: str | None) -> bool:
        """A case (``None``: none; one the region does not enable is none); ``True`` when it
        changed (the answers are then cleared)."""
        if case is not None and case not in self.cases:
            case = None
        if case == self.case:
            return False
        self.case = case
        definition = self._cases.get(case) if case else None
        self.questions = tuple(definition.questions) if definition else ()
        self.answers = {}
        self._verdict = self._judged = self._refused = None
        return True

    def answer(self, name: str, value: str | None) -> None:
        """The answer to question ``name`` (``None`` or blank: unanswered)."""
        if value is None or not value.strip():
            self.answers.pop(name, None)
        else:
            self.answers[name] = value.strip()

    def _parse(self) -> tuple[dict[str, str], YibaoError | None]:
        facts: dict[str, str] = {}
        problem: YibaoError | None = None
        for q in self.questions:
            raw = self.answers.get(q.name)
            if raw is None:
                continue
            if q.type == "int":
                if raw.isascii() and raw.isdigit() and int(raw) <= MAX_COUNT:
                    facts[q.name] = str(int(raw))
                    continue
            elif raw in ("yes", "no"):
                facts[q.name] = raw
                continue
            if problem is None:
                # said in words, with the question as the user sees it (never ``name=value``)
                from yibao_tui.i18n import get_lang, t

                reason = "reason.fact.number" if q.type == "int" else "reason.fact.yes_no"
                detail = t(reason, question=q.text_in(get_lang()), value=raw[:20])
                problem = YibaoError("INVALID_FACT", detail=detail)
        return facts, problem

    def facts(self) -> dict[str, str]:
        """The valid answers so far (``yes``/``no``, a whole number); unanswered left out."""
        return self._parse()[0]

    def _key(self) -> tuple[str, tuple[tuple[str, str], ...]] | None:
        facts, problem = self._parse()
        if self.case is None or problem is not None:
            return None
        return self.case, tuple(sorted(facts.items()))

    @property
    def problem(self) -> YibaoError | None:
        """Why there is no verdict on the answers as they are now (an invalid answer, found
        here or by the rules), else ``None``."""
        _, problem = self._parse()
        if problem is not None:
            return problem
        if self._refused is not None and self._refused[0] == self._key():
            return self._refused[1]
        return None

    # --- the verdict ----------------------------------------------------------------------------

    @property
    def verdict(self) -> WithdrawalVerdict | None:
        """The verdict on the case and answers as they are now, else ``None``."""
        key = self._key()
        if key is None or key != self._judged:
            return None
        return self._verdict

    @property
    def pending(self) -> bool:
        """Whether the answers as they are now still need a verdict from the backend."""
        key = self._key()
        return key is not None and key != self._judged

    async def judge(self) -> WithdrawalVerdict | None:
        """The verdict on the answers as they are now: asked of the backend only when they
        differ from the last ones judged (one audited check per verdict shown). ``None`` with
        ``problem`` saying why when an answer is invalid, here or by the rules."""
        key = self._key()
        if key is None:
            return None
        if key == self._judged:
            return self._verdict
        if self._refused is not None and self._refused[0] == key:
            return None
        case, facts = key
        try:
            verdict = await self.backend.withdrawal_check(self.who, case, dict(facts))
        except YibaoError as err:
            self._refused = (key, err)
            return None
        if key != self._key():
            return None  # answered again meanwhile: the newer answers get their own verdict
        self._verdict, self._judged = verdict, key
        return verdict

    def forget(self) -> None:
        """The account changed (a payment, an execution): the next ``judge`` asks again."""
        self._verdict = self._judged = self._refused = None
