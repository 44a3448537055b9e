"""提取资格自查 at the kiosk: the checklist only (execution is at a service window)."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Input, Label, Select, Static

from yibao_tui.domain.policy import Question, policy_for
from yibao_tui.i18n import get_lang, t
from yibao_tui.screens.kiosk_base import KioskScreen
from yibao_tui.screens.withdrawal import case_name, verdict_renderable


class KioskWithdrawal(KioskScreen):
    """Choose a case, answer, see the verdict; go to a window to have it paid out."""

    TITLE_KEY = "mode.kiosk.svc.withdrawal"
    AUTO_FOCUS = "#case"

    def __init__(self) -> None:
        super().__init__()
        self.case: str | None = None
        self.questions: tuple[Question, ...] = ()

    def compose_body(self) -> ComposeResult:
        holder = self.holder
        cases = (
            list(policy_for(holder.region, self.kapp.today.year).withdrawal_cases) if holder else []
        )
        yield Select(
            [(Text(case_name(c)), c) for c in cases],
            prompt=t("ui.withdrawal.case_prompt"),
            id="case",
        )
        with Horizontal(id="kiosk-withdrawal"):
            yield VerticalScroll(id="questions")
            with VerticalScroll(id="verdict-box"):
                yield Static(Text(t("mode.kiosk.counter_only")), id="verdict")

    @on(Select.Changed, "#case")
    async def _case(self, event: Select.Changed) -> None:
        holder = self.holder
        case = event.value if isinstance(event.value, str) else None
        if case == self.case or holder is None:
            return
        self.case = case
        box = self.query_one("#questions", VerticalScroll)
        await box.remove_children()
        wcase = policy_for(holder.region, self.kapp.today.year).withdrawal_cases.get(case or "")
        self.questions = wcase.questions if wcase else ()
        rows = []
        for i, q in enumerate(self.questions):
            if q.type == "int":
                answer: Input | Select[str] = Input(
                    type="integer",
                    id=f"q-{i}",
                    classes="answer",
                    placeholder=t("ui.withdrawal.number"),
                )
            else:
                answer = Select(
                    [(t("ui.yes"), "yes"), (t("ui.no"), "no")],
                    prompt=t("ui.withdrawal.unanswered"),
                    id=f"q-{i}",
                    classes="answer",
                )
            rows.append(
                Vertical(Label(Text(q.text.get(get_lang()))), answer, classes="question-row")
            )
        await box.mount_all(rows)
        self.check()

    @on(Select.Changed, ".answer")
    @on(Input.Changed, ".answer")
    def _answered(self, event: Select.Changed | Input.Changed) -> None:
        event.stop()
        self.check()

    def facts(self) -> dict[str, str]:
        """The answers so far."""
        facts: dict[str, str] = {}
        for i, q in enumerate(self.questions):
            widgets = self.query(f"#q-{i}")
            if not widgets:
                continue
            w = widgets.first()
            if isinstance(w, Select) and isinstance(w.value, str):
                facts[q.name] = w.value
            elif isinstance(w, Input) and w.value.strip().isdigit():
                facts[q.name] = str(int(w.value.strip()))
        return facts

    @work(exclusive=True, exit_on_error=False, group="check")
    async def check(self) -> None:
        """The verdict from the backend (an audited read of the holder's own account)."""
        verdict_box = self.query_one("#verdict", Static)
        if self.case is None:
            return
        try:
            verdict = await self.backend.withdrawal_check(
                self.kapp.person_id, self.case, self.facts()
            )
        except Exception as err:  # noqa: BLE001
            self.say_error(verdict_box, err)
            return
        from rich.console import Group

        verdict_box.update(
            Group(
                verdict_renderable(verdict),
                Text(""),
                Text(t("mode.kiosk.counter_only"), style="bold"),
            )
        )
