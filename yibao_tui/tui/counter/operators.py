"""The supervisor's operators screen (F8): every operator and their state, and the actions a
supervisor takes: disable a departed clerk, enable again, end a lockout now, reset a password.

Each action is confirmed first (the default answer is no); a new password is typed twice in
masked fields. The ledger checks that the one acting is an active supervisor and records every
change in the audit log.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Static

from yibao_tui.domain.errors import YibaoError
from yibao_tui.domain.models import OperatorInfo, Person
from yibao_tui.i18n import t
from yibao_tui.tui.views.base import YibaoScreen
from yibao_tui.tui.widgets.common import cell, column_width, error_text, translate_bindings
from yibao_tui.tui.widgets.rowtable import RowTable

#: The actions, their button and the confirmation each asks.
ACTIONS = ("disable", "enable", "unlock", "reset_password")


class PasswordDialog(ModalScreen[str | None]):
    """A new password, typed twice, never shown; dismisses with it or ``None``."""

    BINDINGS = [Binding("escape", "cancel", "key.cancel")]

    def __init__(self, operator: OperatorInfo) -> None:
        super().__init__(classes="dialog-screen", id="operator-password")
        translate_bindings(self)
        self.operator = operator

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(t("mode.operators.password_title", id=self.operator.id, name=self.operator.name)),
                         classes="dialog-title")
            yield Input(placeholder=t("mode.operators.password"), password=True, id="pw1", max_length=200)
            yield Input(placeholder=t("mode.operators.password_again"), password=True, id="pw2", max_length=200)
            yield Static("", id="pw-message", classes="inline-message")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("mode.operators.set"), id="pw-ok", variant="primary")
                yield Button(t("ui.cancel"), id="pw-cancel")

    def on_mount(self) -> None:
        self.query_one("#pw1", Input).focus()

    @on(Input.Submitted, "#pw1")
    def _next(self) -> None:
        self.query_one("#pw2", Input).focus()

    @on(Input.Submitted, "#pw2")
    @on(Button.Pressed, "#pw-ok")
    def _ok(self) -> None:
        first = self.query_one("#pw1", Input).value
        second = self.query_one("#pw2", Input).value
        message = self.query_one("#pw-message", Static)
        if len(first) < 8:
            message.update(Text(t("mode.operators.password_short"), style="bold red"))
        elif first != second:
            message.update(Text(t("cli.secret.mismatch"), style="bold red"))
        else:
            self.dismiss(first)
            return
        # Refused: OK takes the next click at once (a Button ignores clicks while it shows its
        # pressed effect, 0.2 s, so a quick retry was lost).
        self.query_one("#pw-ok", Button).remove_class("-active")

    @on(Button.Pressed, "#pw-cancel")
    def action_cancel(self) -> None:
        """Close without changing anything."""
        self.dismiss(None)


class OperatorsScreen(YibaoScreen):
    """Operators for a supervisor: the list with actions."""

    NAME_KEY = "mode.operators.title"
    AUTO_FOCUS = "#operators-table"

    def __init__(self) -> None:
        super().__init__()
        self.operators: list[OperatorInfo] = []

    def compose_body(self) -> ComposeResult:
        yield RowTable(id="operators-table", cursor_type="row", zebra_stripes=True)
        with Horizontal(id="operators-actions", classes="bar"):
            for action in ACTIONS:
                yield Button(t(f"mode.operators.{action}"), id=f"op-{action}")
        yield Static("", id="operators-info", classes="note")

    def on_mount(self) -> None:
        table = self.query_one("#operators-table", DataTable)
        for key, samples in (("id", ["A0001"]), ("name", ["欧阳小明明"]), ("role", [t("mode.role.supervisor")]),
                             ("status", [t("operator.status.disabled")]), ("until", ["2026-01-01 00:00"])):
            label = t(f"mode.operators.col.{key}")
            table.add_column(label, key=key, width=column_width(label, *samples))
        super().on_mount()
        self.refresh_data()

    def person_changed(self, person: Person | None) -> None:
        """The operators do not follow the shown person."""

    def refresh_data(self) -> None:
        """Reload the list (audited as ``operator.list``)."""
        self.load()

    @work(exclusive=True, exit_on_error=False, group="operators")
    async def load(self) -> None:
        """Ask the backend for every operator."""
        try:
            self.operators = await self.backend.operators()
        except Exception as err:  # noqa: BLE001
            self.report(err)
            return
        table = self.query_one("#operators-table", DataTable)
        row = table.cursor_row
        table.clear()
        for o in self.operators:
            table.add_row(cell(o.id), cell(o.name), cell(t(f"mode.role.{o.role}")),
                          cell(t(f"operator.status.{o.status}")),
                          cell((o.locked_until or o.disabled_at or "")[:16]))
        if self.operators:
            table.move_cursor(row=min(max(row, 0), len(self.operators) - 1))

    def chosen(self) -> OperatorInfo | None:
        """The operator on the table's cursor row."""
        table = self.query_one("#operators-table", DataTable)
        if not self.operators or not 0 <= table.cursor_row < len(self.operators):
            return None
        return self.operators[table.cursor_row]

    @on(Button.Pressed, "#operators-actions Button")
    def _pressed(self, event: Button.Pressed) -> None:
        self.act(str(event.button.id or "")[3:])

    def act(self, action: str) -> None:
        """Confirm, then (for a password) ask for the new one, then do it."""
        from yibao_tui.tui.widgets.dialogs import ConfirmDialog

        target = self.chosen()
        if target is None or action not in ACTIONS:
            return
        question = t(f"mode.operators.confirm.{action}", id=target.id, name=target.name)

        def confirmed(yes: bool | None) -> None:
            if not yes:
                return
            if action == "reset_password":
                self.app.push_screen(PasswordDialog(target), lambda pw: self._run(action, target, pw) if pw else None)
            else:
                self._run(action, target, None)

        self.app.push_screen(ConfirmDialog(Text(question), default_no=True), confirmed)

    def _run(self, action: str, target: OperatorInfo, password: str | None) -> None:
        self.run_worker(self._do(action, target, password), group="operator-action", exclusive=True,
                        exit_on_error=False)

    async def _do(self, action: str, target: OperatorInfo, password: str | None) -> None:
        b = self.backend
        try:
            if action == "reset_password":
                assert password is not None
                info = await b.operator_reset_password(target.id, password)
            else:
                info = await {"disable": b.operator_disable, "enable": b.operator_enable,
                              "unlock": b.operator_unlock}[action](target.id)
        except YibaoError as err:
            self.query_one("#operators-info", Static).update(Text(error_text(err), style="bold red"))
            return
        done = t(f"mode.operators.done.{action}", id=info.id, status=t(f"operator.status.{info.status}"))
        self.query_one("#operators-info", Static).update(Text(done))
        self.load()
