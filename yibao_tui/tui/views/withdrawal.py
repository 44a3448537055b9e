"""提取资格 (F5): choose a case, answer its questions, see the verdict live, export it."""

from __future__ import annotations

from pathlib import Path

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding as KeyBinding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.timer import Timer
from textual.widgets import Button, Input, Label, Select, Static

from yibao_tui.domain.models import CaseQuestion, Person, WithdrawalVerdict
from yibao_tui.domain.money import format_fen
from yibao_tui.i18n import get_lang, name_of, t
from yibao_tui.tui.flows.withdrawal import WithdrawalChecklist
from yibao_tui.tui.views.base import YibaoScreen
from yibao_tui.tui.widgets.common import error_text, show_id, show_name

#: Seconds of no typing in a number answer before the verdict is asked for.
CHECK_PAUSE = 0.4


def case_name(case: str) -> str:
    """A withdrawal case in the user's language (the code itself if unknown)."""
    return name_of("ui.case.", case)


def verdict_text(verdict: WithdrawalVerdict) -> Text:
    """The verdict as plain text lines (for the exported checklist)."""
    lines = [t("cli.eligible") if verdict.eligible else t("cli.not_eligible")]
    lines.append(
        f"{t('ui.withdrawal.balance')}{format_fen(verdict.balance_fen)}    "
        f"{t('ui.withdrawal.payee')}{payee_name(verdict.payee)}"
    )
    for title, items in (
        (t("cli.unmet"), verdict.unmet),
        (t("cli.materials"), verdict.materials),
        (t("cli.warnings"), verdict.warnings),
    ):
        if items:
            lines.append("")
            lines.append(title)
            lines.extend(f"- {item}" for item in items)
    return Text("\n".join(lines))


def verdict_renderable(verdict: WithdrawalVerdict) -> Group:
    """The verdict panel: eligible or not, unmet conditions, materials, warnings (literal text)."""
    parts: list[RenderableType] = []
    head = Text()
    if verdict.eligible:
        head.append("✓ " + t("cli.eligible"), style="bold green")
    else:
        head.append("✗ " + t("cli.not_eligible"), style="bold red")
    head.append("\n")
    head.append(t("ui.withdrawal.balance"), style="dim")
    head.append(format_fen(verdict.balance_fen))
    head.append("    ")
    head.append(t("ui.withdrawal.payee"), style="dim")
    head.append(payee_name(verdict.payee))
    parts.append(head)
    for title, items, style in (
        (t("cli.unmet"), verdict.unmet, "red"),
        (t("cli.materials"), verdict.materials, ""),
        (t("cli.warnings"), verdict.warnings, "yellow"),
    ):
        if not items:
            continue
        parts.append(Text(""))
        parts.append(Text(title, style="bold underline"))
        grid = Table.grid(padding=(0, 1))
        grid.add_column(width=1, no_wrap=True)
        grid.add_column(ratio=1, overflow="fold")
        for item in items:
            grid.add_row(Text("•", style=style), Text(item, style=style))
        parts.append(grid)
    return Group(*parts)


def question_rows(questions: tuple[CaseQuestion, ...], *, compact: bool) -> list[Vertical]:
    """One row per question: its text and the answer field (``#q-<i>``, class ``answer``);
    the laptop, the counter and the kiosk lay out the same checklist."""
    lang = get_lang()
    rows = []
    for i, q in enumerate(questions):
        answer: Input | Select[str]
        if q.type == "int":
            answer = Input(
                placeholder=t("ui.withdrawal.number"),
                restrict=r"[0-9]*",
                max_length=5,
                compact=compact,
                id=f"q-{i}",
                classes="answer",
            )
        else:
            answer = Select(
                [(t("ui.yes"), "yes"), (t("ui.no"), "no")],
                prompt=t("ui.withdrawal.unanswered"),
                compact=compact,
                id=f"q-{i}",
                classes="answer",
            )
        rows.append(
            Vertical(
                Label(Text(q.text_in(lang)), classes="question"),
                answer,
                classes="question-row",
            )
        )
    return rows


async def show_case(
    flow: WithdrawalChecklist, event: Select.Changed, box: VerticalScroll, *, compact: bool
) -> bool:
    """A case was picked: tell the flow, and lay out its questions in ``box``; ``False`` when
    nothing changed."""
    # The picker's value now, not the event's: refreshing the options posts a blank first.
    value = event.select.value
    case = value if isinstance(value, str) else None
    if not flow.choose_case(case):
        return False
    await box.remove_children()
    await box.mount_all(question_rows(flow.questions, compact=compact))
    return True


def take_answer(flow: WithdrawalChecklist, event: Select.Changed | Input.Changed) -> bool:
    """An answer field changed (``#q-<i>``): tell the flow; ``False`` when it is not one."""
    event.stop()
    widget = event.control
    if widget is None or widget.id is None or not widget.id.startswith("q-"):
        return False
    i = int(widget.id.removeprefix("q-"))
    if i >= len(flow.questions):
        return False
    flow.answer(flow.questions[i].name, event.value if isinstance(event.value, str) else None)
    return True


def payee_name(payee: str) -> str:
    """Who receives the money, in the user's language."""
    name = t(f"payee.{payee}")
    return payee if name == f"payee.{payee}" else name


class WithdrawalScreen(YibaoScreen):
    """Withdrawal in cash is normally impossible; this checklist says when it is not."""

    NAME_KEY = "ui.screen.withdrawal"
    AUTO_FOCUS = "#case"
    BINDINGS = [KeyBinding("e", "export", "key.export_checklist", id="export_checklist")]
    COMMANDS_HERE = (("export", "cmd.export_checklist"),)

    def __init__(self) -> None:
        super().__init__()
        #: The checklist of the person shown (``None``: nobody).
        self.flow: WithdrawalChecklist | None = None
        self._check_timer: Timer | None = None

    @property
    def case(self) -> str | None:
        """The case chosen."""
        return self.flow.case if self.flow else None

    @property
    def questions(self) -> tuple[CaseQuestion, ...]:
        """The chosen case's questions."""
        return self.flow.questions if self.flow else ()

    @property
    def verdict(self) -> WithdrawalVerdict | None:
        """The verdict on the case and answers on screen now; ``None`` when there is none
        (not asked yet, an answer is invalid, or the answers changed since)."""
        return self.flow.verdict if self.flow else None

    def facts(self) -> dict[str, str]:
        """The valid answers so far: ``{name: "yes" | "no" | "<int>"}``."""
        return self.flow.facts() if self.flow else {}

    def _no_verdict(self, message: Text | None = None) -> None:
        """Take the verdict off the screen (a hint or an error instead)."""
        self.query_one("#verdict", Static).update(
            message or Text(t("ui.withdrawal.hint"), style="dim")
        )

    def compose_body(self) -> ComposeResult:
        with Horizontal(classes="bar"):
            yield Select([], prompt=t("ui.withdrawal.case_prompt"), id="case")
            yield Button(t("ui.withdrawal.export"), id="export", variant="primary")
        with Horizontal(id="withdrawal-body"):
            # Neither pane takes focus: Tab goes from one answer to the next field of the form
            # (a focusable verdict pane shifted every later field by one at the counter).
            yield VerticalScroll(id="questions", can_focus=False)
            with VerticalScroll(id="verdict-box", can_focus=False):
                yield Static(Text(t("ui.withdrawal.hint"), style="dim"), id="verdict")

    def person_changed(self, person: Person | None) -> None:
        select = self.query_one("#case", Select)
        if person is None:
            self.flow = None
            select.set_options([])
            return
        keep = self.case
        old = self.flow
        if old is None or old.who != person.id:
            self.flow = WithdrawalChecklist(self.backend, person.id)
            select.set_options([])
            self._no_verdict()
            self.query_one("#questions", VerticalScroll).remove_children()
            self.load_cases(self.flow)
            return
        old.forget()  # the same person reloaded (status, balance): judge again
        select.set_options([(Text(case_name(c)), c) for c in old.cases])
        if keep in old.cases:
            select.value = keep
            self.check()
        else:
            self._no_verdict()
            self.query_one("#questions", VerticalScroll).remove_children()

    @work(exclusive=True, exit_on_error=False, group="cases")
    async def load_cases(self, flow: WithdrawalChecklist) -> None:
        """The cases the backend's policy enables for the person, into the picker."""
        try:
            await flow.load()
        except Exception as err:  # noqa: BLE001
            self.report(err)
            return
        if flow is self.flow:
            self.query_one("#case", Select).set_options([(Text(case_name(c)), c) for c in flow.cases])

    def refresh_data(self) -> None:
        if self.case:
            self.check()

    def mask_changed(self, masked: bool) -> None:
        """The checklist shows no IDs."""

    @on(Select.Changed, "#case")
    async def _case_changed(self, event: Select.Changed) -> None:
        flow = self.flow
        box = self.query_one("#questions", VerticalScroll)
        if flow is None or not await show_case(flow, event, box, compact=True):
            return
        self._no_verdict()
        self.check()

    @on(Select.Changed, ".answer")
    @on(Input.Changed, ".answer")
    def _answered(self, event: Select.Changed | Input.Changed) -> None:
        flow = self.flow
        if flow is None or not take_answer(flow, event):
            return
        if not flow.pending:
            self.show_verdict()
        elif isinstance(event, Input.Changed):
            # Typing: ask when it pauses (one audited check per verdict seen, not per key).
            self.check_soon()
        else:
            self.check()

    def check_soon(self) -> None:
        """Judge once typing has paused for ``CHECK_PAUSE`` seconds."""
        self._no_verdict(Text(t("ui.withdrawal.checking"), style="dim"))
        if self._check_timer is not None:
            self._check_timer.stop()
        self._check_timer = self.set_timer(CHECK_PAUSE, self.check)

    def show_verdict(self) -> None:
        """The verdict, or why there is none, as the flow says now."""
        flow = self.flow
        if flow is None or flow.case is None:
            self._no_verdict()
        elif flow.verdict is not None:
            self.query_one("#verdict", Static).update(verdict_renderable(flow.verdict))
        elif flow.problem is not None:
            self._no_verdict(Text("✗ " + error_text(flow.problem, self.masked), style="bold red"))
        else:
            self._no_verdict()

    @work(exclusive=True, exit_on_error=False, group="check")
    async def check(self) -> None:
        """Ask the backend for the verdict on the answers so far (only if they are new)."""
        flow = self.flow
        if flow is None or flow.case is None:
            return
        if flow.problem is None:
            try:
                await flow.judge()
            except Exception as err:  # noqa: BLE001
                self._no_verdict()
                self.report(err)
                return
        self.show_verdict()

    @on(Button.Pressed, "#export")
    def action_export(self) -> None:
        """Save the checklist as a text file."""
        if self.verdict is None or self.person is None:
            self.notify(t("ui.withdrawal.pick_case"), severity="warning", markup=False)
            return
        self.export_checklist()

    @work(exclusive=True, exit_on_error=False, group="export")
    async def export_checklist(self) -> Path | None:
        """Write the verdict, answers, materials and warnings to a text file."""
        from yibao_tui.settings import export_dir

        person, verdict = self.person, self.verdict
        if person is None or verdict is None:
            return None
        facts = self.facts()
        lang = get_lang()
        lines = [
            t("ui.checklist.title"),
            "",
            f"{t('ui.checklist.person')}{t('colon')}{show_name(person.name, self.masked)} "
            f"{show_id(person.id, self.masked)}",
            f"{t('ui.checklist.case')}{t('colon')}{case_name(verdict.case)}",
            f"{t('ui.checklist.date')}{t('colon')}{self.yapp.today.isoformat()}",
            "",
            verdict_text(verdict).plain,
            "",
            t("ui.checklist.answers"),
        ]
        for q in self.questions:
            answer = facts.get(q.name)
            shown = {"yes": t("ui.yes"), "no": t("ui.no")}.get(answer or "", answer or "")
            lines.append(
                f"- {q.text_in(lang)}{t('colon')}{shown or t('ui.withdrawal.unanswered')}"
            )
        folder = export_dir()
        stamp = self.yapp.today.strftime("%Y%m%d")
        stem = f"yibao-withdrawal-{verdict.case}-{person.id[-4:]}-{stamp}"
        path = folder / f"{stem}.txt"
        n = 0
        while path.exists():
            n += 1
            path = folder / f"{stem}-{n}.txt"
        try:
            from yibao_tui.files import open_private, private_dir

            private_dir(folder)
            with open_private(path) as fh:  # 0600: it names the person
                fh.write("\n".join(lines) + "\n")
        except OSError as err:
            self.report(err)
            return None
        self.notify(
            t("ui.export.checklist_done", path=str(path)),
            title=t("ui.export.title"),
            markup=False,
            timeout=15,
        )
        self.last_export = path
        return path
