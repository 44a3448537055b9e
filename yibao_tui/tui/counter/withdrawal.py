"""提取 at the counter: the personal checklist, then execution with a supervisor's co-sign.

The supervisor logs in on the same screen (工号 + password). The ledger pays the whole balance
to the stated payee and closes the account in one transaction; one idempotency key per
execution, so pressing twice pays once. A masked receipt is saved (text, and PDF when reportlab
is installed) and shown.
"""

from __future__ import annotations

import uuid

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Input, Static

from yibao_tui.domain.errors import YibaoError
from yibao_tui.domain.masking import mask_card, mask_name
from yibao_tui.domain.models import Person, WithdrawalReceipt
from yibao_tui.domain.money import format_fen
from yibao_tui.i18n import t
from yibao_tui.tui.views.withdrawal import WithdrawalScreen


class CounterWithdrawalScreen(WithdrawalScreen):
    """The checklist (F5) with the payee, the co-sign and the execute button."""

    NAME_KEY = "mode.counter.withdrawal"

    def __init__(self) -> None:
        super().__init__()
        self.key = str(uuid.uuid4())
        self.executing = False
        self.last_receipt: WithdrawalReceipt | None = None

    def compose_body(self) -> ComposeResult:
        yield from super().compose_body()
        with Horizontal(id="execute-form", classes="bar"):
            yield Input(placeholder=t("mode.wd.payee_name"), id="payee-name", max_length=64)
            yield Input(
                placeholder=t("mode.wd.payee_account"),
                id="payee-account",
                max_length=32,
                restrict=r"[0-9 ]*",
            )
            # Masked like the password beside it: a password typed one field early never shows.
            yield Input(
                placeholder=t("mode.wd.supervisor"), id="sup-id", password=True, max_length=32
            )
            yield Input(
                placeholder=t("mode.wd.supervisor_pw"), id="sup-pw", password=True, max_length=128
            )
            yield Button(t("mode.wd.execute"), id="execute", variant="error")
        yield Static("", id="execute-message", classes="inline-message")

    def person_changed(self, person: Person | None) -> None:
        super().person_changed(person)
        self.key = str(uuid.uuid4())
        self._say("")
        for field in ("#payee-name", "#payee-account", "#sup-id", "#sup-pw"):
            self.query_one(field, Input).value = ""
        closed = person is not None and person.status == "closed"
        # A closed account has nothing left to pay out: the button says so by being disabled.
        self.query_one("#execute", Button).disabled = closed or self.executing
        done = self.last_receipt
        if done is not None and (person is None or done.person_id != person.id):
            self.last_receipt = done = None  # another person: this one's withdrawal is done with
        if closed and done is not None:
            # Just executed here: keep the withdrawal id in sight (the reload closes the account).
            self._say(t("mode.wd.done", id=done.withdrawal_id), style="bold green")
        elif closed:
            self._say(t("mode.wd.closed"), style="bold red")

    def _say(self, message: str, style: str = "bold red") -> None:
        self.query_one("#execute-message", Static).update(Text(message, style=style))

    @on(Button.Pressed, "#execute")
    @on(Input.Submitted, "#sup-pw")
    def execute(self) -> None:
        """Check the form, ask for confirmation, then execute (once)."""
        from yibao_tui.tui.widgets.dialogs import ConfirmDialog

        person, case, verdict = self.person, self.case, self.verdict
        if self.executing or person is None:
            return
        if case is None or verdict is None:
            self._say(t("ui.withdrawal.pick_case"))
            return
        if not verdict.eligible:
            self._say(YibaoError("WITHDRAWAL_NOT_ELIGIBLE").message())
            return
        payee = self.query_one("#payee-name", Input).value.strip()
        account = "".join(self.query_one("#payee-account", Input).value.split())
        sup = self.query_one("#sup-id", Input).value.strip()
        pw = self.query_one("#sup-pw", Input).value
        if not payee or not account or not sup or not pw:
            self._say(t("mode.wd.missing"))
            return
        question = Text(t("mode.wd.confirm", amount=format_fen(verdict.balance_fen)))
        # What is about to happen, as the operator typed it (masked: the public may be watching).
        question.append("\n\n")
        for label, value in (
            (t("receipt.payee"), mask_name(payee)),
            (t("receipt.account"), mask_card(account)),
        ):  # not the co-signer's 工号 field: it may hold a password typed one field early
            question.append(f"{label}{t('colon')}", style="dim")
            question.append(value + "\n")
        question.rstrip()
        facts = self.facts()

        def answered(yes: bool | None) -> None:
            if yes:
                self.executing = True
                self.query_one("#execute", Button).disabled = True
                self.run_execute(person.id, case, facts, payee, account, sup, pw)

        # Irreversible (pays out and closes the account): Enter alone must not do it.
        self.app.push_screen(
            ConfirmDialog(question, yes=t("mode.wd.execute"), no=t("ui.cancel"), default_no=True),
            answered,
        )

    @work(exclusive=True, exit_on_error=False, group="execute")
    async def run_execute(
        self,
        who: str,
        case: str,
        facts: dict[str, str],
        payee: str,
        account: str,
        supervisor: str,
        password: str,
    ) -> None:
        """The co-signed withdrawal; a refusal is shown under the form."""
        from yibao_tui.tui.widgets.common import error_text

        self.query_one("#sup-pw", Input).value = ""
        self._say(t("mode.wd.working"), style="yellow")
        try:
            receipt = await self.backend.withdrawal_execute(
                who, case, facts, payee, account, supervisor, password, key=self.key
            )
        except Exception as err:  # noqa: BLE001
            self._say(error_text(err))
            return
        finally:
            self.executing = False
            self.query_one("#execute", Button).disabled = False
        self.last_receipt = receipt
        self.query_one("#execute", Button).disabled = True  # the account is closed now
        self.key = str(uuid.uuid4())
        self._say(t("mode.wd.done", id=receipt.withdrawal_id), style="bold green")
        self.show_receipt(receipt)
        try:
            await self.yapp.reload_person()
        except Exception as err:  # noqa: BLE001
            self.report(err)

    def show_receipt(self, receipt: WithdrawalReceipt) -> None:
        """Save the masked receipt (text, and PDF when reportlab is installed) and show it."""
        from yibao_tui.receipts import save_receipt_files, withdrawal_receipt
        from yibao_tui.tui.widgets.dialogs import MessageDialog

        person = self.person
        doc = withdrawal_receipt(receipt, holder_name=person.name if person else "",
                                 station=getattr(self.app, "station", ""))
        body = Text(doc.text())
        try:
            saved = save_receipt_files(doc, f"withdrawal-{receipt.withdrawal_id}")
            body.append(saved.describe(), style="dim")
        except OSError as err:
            self.report(err)
        print_later = getattr(self.app, "print_later", None)
        if print_later is not None:  # the window's printer
            print_later(doc, f"withdrawal-{receipt.withdrawal_id}")
        self.app.push_screen(
            MessageDialog(t("mode.wd.receipt_title"), body, dialog_id="wd-receipt")
        )
