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
from textual.widgets import Button, Input, Label, Select, Static

from yibao_tui.domain.models import Person, WithdrawalVerdict
from yibao_tui.domain.money import format_fen
from yibao_tui.domain.policy import Question, policy_for
from yibao_tui.i18n import get_lang, t
from yibao_tui.screens.base import YibaoScreen
from yibao_tui.widgets.common import show_id, show_name


def case_name(case: str) -> str:
    """A withdrawal case in the user's language (the code itself if unknown)."""
    name = t(f"ui.case.{case}")
    return case if name == f"ui.case.{case}" else name


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


def payee_name(payee: str) -> str:
    """Who receives the money, in the user's language."""
    name = t(f"ui.payee.{payee}")
    return payee if name == f"ui.payee.{payee}" else name


class WithdrawalScreen(YibaoScreen):
    """Withdrawal in cash is normally impossible; this checklist says when it is not."""

    NAME_KEY = "ui.screen.withdrawal"
    AUTO_FOCUS = "#case"
    BINDINGS = [KeyBinding("e", "export", "key.export_checklist", id="export_checklist")]
    COMMANDS_HERE = (("export", "cmd.export_checklist"),)

    def __init__(self) -> None:
        super().__init__()
        self.case: str | None = None
        self.questions: tuple[Question, ...] = ()
        self._verdict: WithdrawalVerdict | None = None
        #: The case and answers ``_verdict`` was judged on.
        self._judged: tuple[str, dict[str, str]] | None = None

    @property
    def verdict(self) -> WithdrawalVerdict | None:
        """The verdict on the case and answers on screen now; ``None`` when there is none
        (not asked yet, an answer is invalid, or the answers changed since)."""
        if self._verdict is None or self.case is None or self._judged is None:
            return None
        if self._judged != (self.case, self.facts()):
            return None
        return self._verdict

    def _no_verdict(self, message: Text | None = None) -> None:
        """Forget the verdict and take it off the screen (a hint or an error instead)."""
        self._verdict = None
        self._judged = None
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
            select.set_options([])
            return
        policy = policy_for(person.region, self.yapp.today.year)
        cases = list(policy.withdrawal_cases)
        keep = self.case if self.case in cases else None
        select.set_options([(Text(case_name(c)), c) for c in cases])
        if keep:
            select.value = keep
            self.check()
        else:
            self.case = None
            self._no_verdict()
            self.query_one("#questions", VerticalScroll).remove_children()

    def refresh_data(self) -> None:
        if self.case:
            self.check()

    def mask_changed(self, masked: bool) -> None:
        """The checklist shows no IDs."""

    @on(Select.Changed, "#case")
    async def _case_changed(self, event: Select.Changed) -> None:
        person = self.person
        case = event.value if isinstance(event.value, str) else None
        if case == self.case:
            return
        self.case = case
        self._no_verdict()
        box = self.query_one("#questions", VerticalScroll)
        await box.remove_children()
        if case is None or person is None:
            self.questions = ()
            return
        policy = policy_for(person.region, self.yapp.today.year)
        wcase = policy.withdrawal_cases.get(case)
        self.questions = wcase.questions if wcase else ()
        lang = get_lang()
        rows = []
        for i, q in enumerate(self.questions):
            if q.type == "int":
                answer = Input(
                    placeholder=t("ui.withdrawal.number"),
                    type="integer",
                    compact=True,
                    id=f"q-{i}",
                    classes="answer",
                )
            else:
                answer = Select(
                    [(t("ui.yes"), "yes"), (t("ui.no"), "no")],
                    prompt=t("ui.withdrawal.unanswered"),
                    compact=True,
                    id=f"q-{i}",
                    classes="answer",
                )
            rows.append(
                Vertical(
                    Label(Text(q.text.get(lang)), classes="question"),
                    answer,
                    classes="question-row",
                )
            )
        await box.mount_all(rows)
        self.check()

    @on(Select.Changed, ".answer")
    @on(Input.Changed, ".answer")
    def _answered(self, event: Select.Changed | Input.Changed) -> None:
        event.stop()
        self.check()

    def facts(self) -> dict[str, str]:
        """The answers so far: ``{name: "yes" | "no" | "<int>"}``; unanswered are left out."""
        facts: dict[str, str] = {}
        for i, q in enumerate(self.questions):
            try:
                widget = self.query_one(f"#q-{i}")
            except Exception:  # noqa: BLE001 - not mounted yet
                continue
            if isinstance(widget, Select) and isinstance(widget.value, str):
                facts[q.name] = widget.value
            elif isinstance(widget, Input) and widget.value.strip().lstrip("-").isdigit():
                facts[q.name] = str(int(widget.value.strip()))
        return facts

    @work(exclusive=True, exit_on_error=False, group="check")
    async def check(self) -> None:
        """Ask the backend for the verdict on the answers so far."""
        from yibao_tui.domain.errors import YibaoError
        from yibao_tui.widgets.common import error_text

        person = self.person
        case = self.case
        if person is None or case is None:
            return
        facts = self.facts()
        try:
            verdict = await self.backend.withdrawal_check(person.id, case, facts)
        except YibaoError as err:
            # An invalid answer: no verdict at all (an older one would be about other answers).
            self._no_verdict(Text("✗ " + error_text(err, self.masked), style="bold red"))
            return
        except Exception as err:  # noqa: BLE001
            self._no_verdict()
            self.report(err)
            return
        if (case, facts) != (self.case, self.facts()):
            return  # the answers changed while it was asked: a newer check is on its way
        self._verdict = verdict
        self._judged = (case, facts)
        self.query_one("#verdict", Static).update(verdict_renderable(verdict))

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
            f"{t('ui.checklist.person')}{t('ui.colon')}{show_name(person.name, self.masked)} "
            f"{show_id(person.id, self.masked)}",
            f"{t('ui.checklist.case')}{t('ui.colon')}{case_name(verdict.case)}",
            f"{t('ui.checklist.date')}{t('ui.colon')}{self.yapp.today.isoformat()}",
            "",
            verdict_text(verdict).plain,
            "",
            t("ui.checklist.answers"),
        ]
        for q in self.questions:
            answer = facts.get(q.name)
            shown = {"yes": t("ui.yes"), "no": t("ui.no")}.get(answer or "", answer or "")
            lines.append(
                f"- {q.text.get(lang)}{t('ui.colon')}{shown or t('ui.withdrawal.unanswered')}"
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
