"""The kiosk's modal dialogs: the idle countdown, the admin PIN, a PIN to confirm a payment."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from yibao_tui.i18n import t
from yibao_tui.tui.widgets.dialogs import IdleCountdown


class KioskCountdown(IdleCountdown):
    """``N 秒后将结束服务``: the counter's idle countdown (``show``, ``keep``) in the kiosk's big,
    centred look; any key or touch keeps the session."""

    def __init__(self, seconds: int) -> None:
        super().__init__("mode.kiosk.countdown", seconds, classes="kiosk-modal", id="countdown")

    def compose(self) -> ComposeResult:
        with Vertical(classes="kiosk-box"):
            yield Static(self._text(), id="countdown-text")
            with Horizontal(classes="kiosk-buttons"):  # centred under the centred text
                yield Button(
                    t("mode.kiosk.continue"), id="continue", variant="primary", classes="kiosk-big"
                )

    def _text(self) -> Text:
        return Text(t(self.key, n=self.seconds), style="bold", justify="center")


class KioskAdminDialog(ModalScreen[None]):
    """The admin PIN: right → the kiosk exits; wrong three times → refused for five minutes."""

    AUTO_FOCUS = "#admin-pin"

    def __init__(self) -> None:
        super().__init__(classes="kiosk-modal", id="admin")

    def compose(self) -> ComposeResult:
        with Vertical(classes="kiosk-box"):
            yield Static(Text(t("mode.kiosk.admin_prompt"), style="bold"))
            yield Input(password=True, max_length=12, restrict=r"[0-9]*", id="admin-pin")
            yield Static("", id="admin-message", classes="kiosk-message")
            with Horizontal(classes="kiosk-buttons"):
                yield Button(
                    t("mode.kiosk.admin_exit"), id="admin-ok", variant="error", classes="kiosk-big"
                )
                yield Button(t("ui.cancel"), id="admin-cancel", classes="kiosk-big")

    @on(Input.Submitted, "#admin-pin")
    @on(Button.Pressed, "#admin-ok")
    def submit(self) -> None:
        """Check the PIN."""
        pin = self.query_one("#admin-pin", Input).value
        self.query_one("#admin-pin", Input).value = ""
        self.check(pin)

    @work(exclusive=True, exit_on_error=False, group="admin")
    async def check(self, pin: str) -> None:
        """Right → exit the app; wrong → say so (three wrong close the dialog)."""
        kapp: Any = self.app
        if await kapp.check_admin_pin(pin):
            kapp.exit(0)
            return
        if kapp.admin_locked_until > kapp.idle_timer.clock():
            self.dismiss(None)
            return
        self.query_one("#admin-message", Static).update(
            Text(t("mode.kiosk.admin_wrong"), style="bold red")
        )

    @on(Button.Pressed, "#admin-cancel")
    def cancel(self) -> None:
        """Close."""
        self.dismiss(None)

    def key_escape(self) -> None:
        self.cancel()


class KioskPinConfirm(ModalScreen[bool]):
    """The PIN again before money moves: verified by ``backend.card_login`` (counted in the ledger)."""

    AUTO_FOCUS = "#confirm-pin"

    def __init__(self, question: Text) -> None:
        super().__init__(classes="kiosk-modal", id="pin-confirm")
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="kiosk-box"):
            yield Static(self.question, id="confirm-question")
            yield Static(Text(t("mode.kiosk.pin_again"), style="bold"))
            yield Input(password=True, max_length=6, restrict=r"[0-9]*", id="confirm-pin")
            yield Static("", id="confirm-message", classes="kiosk-message")
            with Horizontal(classes="kiosk-buttons"):
                yield Button(
                    t("mode.kiosk.confirm_pay"),
                    id="confirm-ok",
                    variant="warning",
                    classes="kiosk-big",
                )
                yield Button(t("ui.cancel"), id="confirm-cancel", classes="kiosk-big")

    @on(Input.Submitted, "#confirm-pin")
    @on(Button.Pressed, "#confirm-ok")
    def submit(self) -> None:
        """Check the PIN."""
        pin = self.query_one("#confirm-pin", Input).value
        if len(pin) != 6:
            self.query_one("#confirm-message", Static).update(
                Text(t("mode.kiosk.pin_short"), style="bold red")
            )
            return
        self.query_one("#confirm-pin", Input).value = ""
        self.query_one("#confirm-ok", Button).disabled = True
        self.check(pin)

    @work(exclusive=True, exit_on_error=False, group="confirm")
    async def check(self, pin: str) -> None:
        """``card_login`` with the holder's ID: right → True; locked → the session ends."""
        from yibao_tui.domain.errors import YibaoError
        from yibao_tui.tui.kiosk.base import kiosk_error_text

        kapp: Any = self.app
        try:
            await kapp.backend.card_login(kapp.person_id, pin)
        except YibaoError as err:
            if err.code == "CARD_LOCKED":
                kapp.end_session(kiosk_error_text(err))
                return
            self.query_one("#confirm-ok", Button).disabled = False
            self.query_one("#confirm-message", Static).update(
                Text(kiosk_error_text(err), style="bold red")
            )
            return
        except Exception as err:  # noqa: BLE001
            self.query_one("#confirm-ok", Button).disabled = False
            self.query_one("#confirm-message", Static).update(
                Text(kiosk_error_text(err), style="bold red")
            )
            return
        self.dismiss(True)

    @on(Button.Pressed, "#confirm-cancel")
    def cancel(self) -> None:
        """Do not pay."""
        self.dismiss(False)

    def key_escape(self) -> None:
        self.cancel()
