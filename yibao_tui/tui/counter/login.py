"""The counter's login screen: 工号 and password; lockouts explained inline."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.screen import Screen
from textual.widgets import Button, Header, Input, Label, Static

from yibao_tui.domain.errors import YibaoError
from yibao_tui.i18n import t
from yibao_tui.tui.widgets.keybar import KeyBar

if TYPE_CHECKING:
    from yibao_tui.tui.counter.app import CounterApp


class CounterLoginScreen(Screen[None]):
    """Operator number and password (the password is never echoed)."""

    AUTO_FOCUS = "#op-id"
    # Enter in 工号 moves on as the key arrives (not after the field has handled it): in a fast
    # burst the password's keys would otherwise follow into 工号 (see ``focus_keys``).
    BINDINGS = [Binding("enter", "next_field", show=False, priority=True)]

    @property
    def capp(self) -> CounterApp:
        """The app, typed."""
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="≡")
        with Center():
            with Vertical(id="login-box"):
                yield Static(Text(t("mode.login.title"), style="bold"), id="login-title")
                yield Label(t("mode.login.operator"))
                yield Input(placeholder=t("mode.login.operator_hint"), id="op-id", max_length=32)
                yield Label(t("mode.login.password"))
                yield Input(password=True, id="op-pw", max_length=128)
                yield Button(t("mode.login.submit"), id="login", variant="primary")
                yield Static("", id="login-message", classes="inline-message")
        yield KeyBar()  # the bar of every other screen (Textual's Footer drew a stray ▏)

    def on_screen_resume(self) -> None:
        """Shown again after a session: empty fields, and why the session ended."""
        self.query_one("#op-id", Input).value = ""
        self.query_one("#op-pw", Input).value = ""
        self.say(self.capp.login_notice, error=False)
        self.query_one("#op-id", Input).focus()

    def say(self, message: str, error: bool = True) -> None:
        """A line under the form (literal text)."""
        self.query_one("#login-message", Static).update(
            Text(message, style="bold red" if error else "yellow")
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "next_field":
            focused = self.focused
            return focused is not None and focused.id == "op-id"
        return True

    def action_next_field(self) -> None:
        """Enter in 工号: on to the password, at once (``Widget.focus`` would wait its turn
        behind the keys already queued)."""
        self.set_focus(self.query_one("#op-pw", Input))

    @on(Input.Submitted, "#op-pw")
    @on(Button.Pressed, "#login")
    def submit(self) -> None:
        """Check the password (a second press while checking is ignored)."""
        op_id = self.query_one("#op-id", Input).value.strip()
        password = self.query_one("#op-pw", Input).value
        if not op_id or not password:
            self.say(t("mode.login.missing"))
            return
        self.attempt(op_id, password)

    @work(exclusive=True, exit_on_error=False, group="login")
    async def attempt(self, op_id: str, password: str) -> None:
        """One login attempt against the ledger (failures are counted there)."""
        from yibao_tui.tui.widgets.common import error_text

        pw = self.query_one("#op-pw", Input)
        pw.value = ""
        self.say(t("mode.login.checking"), error=False)
        try:
            operator = await self.capp.gate.operator_login(op_id, password)
        except YibaoError as err:
            self.say(error_text(err))
            pw.focus()
            return
        except Exception as err:  # noqa: BLE001
            self.say(error_text(err))
            return
        self.say("", error=False)
        await self.capp.login(operator)
