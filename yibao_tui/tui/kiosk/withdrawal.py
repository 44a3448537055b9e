"""提取资格自查 at the kiosk: the checklist only (execution is at a service window).

The checklist itself is the shared ``WithdrawalChecklist`` flow; this screen lays it out big.
"""

from __future__ import annotations

from rich.console import Group
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, Select, Static

from yibao_tui.i18n import t
from yibao_tui.tui.flows.withdrawal import WithdrawalChecklist
from yibao_tui.tui.kiosk.base import KioskScreen
from yibao_tui.tui.views.withdrawal import case_name, show_case, take_answer, verdict_renderable


class KioskWithdrawal(KioskScreen):
    """Choose a case, answer, see the verdict; go to a window to have it paid out."""

    TITLE_KEY = "mode.kiosk.svc.withdrawal"
    AUTO_FOCUS = "#case"

    def __init__(self) -> None:
        super().__init__()
        self.flow: WithdrawalChecklist | None = None

    def compose_body(self) -> ComposeResult:
        holder = self.holder
        if holder is not None:
            self.flow = WithdrawalChecklist(self.backend, holder.id)
        yield Select(
            [],
            prompt=t("ui.withdrawal.case_prompt"),
            id="case",
        )
        with Horizontal(id="kiosk-withdrawal"):
            yield VerticalScroll(id="questions", can_focus=False)
            with VerticalScroll(id="verdict-box", can_focus=False):
                yield Static(Text(t("mode.kiosk.counter_only")), id="verdict")

    def on_mount(self) -> None:
        self.load_cases()

    @work(exclusive=True, exit_on_error=False, group="cases")
    async def load_cases(self) -> None:
        """The cases the backend's policy enables in the holder's region, into the picker."""
        flow = self.flow
        if flow is not None and await self.load_flow(flow, self.query_one("#verdict", Static)):
            self.query_one("#case", Select).set_options([(Text(case_name(c)), c) for c in flow.cases])

    @on(Select.Changed, "#case")
    async def _case(self, event: Select.Changed) -> None:
        flow = self.flow
        box = self.query_one("#questions", VerticalScroll)
        if flow is not None and await show_case(flow, event, box, compact=False):
            self.check()

    @on(Select.Changed, ".answer")
    @on(Input.Changed, ".answer")
    def _answered(self, event: Select.Changed | Input.Changed) -> None:
        if self.flow is not None and take_answer(self.flow, event):
            self.check()

    def facts(self) -> dict[str, str]:
        """The valid answers so far."""
        return self.flow.facts() if self.flow else {}

    @work(exclusive=True, exit_on_error=False, group="check")
    async def check(self) -> None:
        """The verdict from the backend (an audited read of the holder's own account)."""
        verdict_box = self.query_one("#verdict", Static)
        flow = self.flow
        if flow is None or flow.case is None:
            return
        try:
            verdict = await flow.judge()
        except Exception as err:  # noqa: BLE001
            self.say_error(verdict_box, err)
            return
        if verdict is None:
            if flow.problem is not None:
                self.say_error(verdict_box, flow.problem)
            return
        verdict_box.update(
            Group(
                verdict_renderable(verdict),
                Text(""),
                Text(t("mode.kiosk.counter_only"), style="bold"),
            )
        )
