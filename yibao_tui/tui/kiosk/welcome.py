"""The kiosk's welcome, card and PIN screens (nobody is signed in yet)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Center, Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Input, Static

from yibao_tui.domain.errors import YibaoError, card_login_refusal
from yibao_tui.domain.masking import mask_card
from yibao_tui.i18n import t

if TYPE_CHECKING:
    from yibao_tui.tui.kiosk.app import KioskApp


class KioskWelcome(Screen[None]):
    """The base of the stack: the greeting and the card field, focused at all times, so a
    keyboard-wedge reader's fast typing lands in it whole (no screen switch mid-number)."""

    AUTO_FOCUS = "#card"

    def compose(self) -> ComposeResult:
        with Vertical(id="welcome"):
            yield Static(Text(t("mode.kiosk.welcome"), style="bold"), id="welcome-title")
            yield Static(Text(t("mode.kiosk.card_prompt")), id="welcome-hint")
            with Center():
                with Vertical(classes="kiosk-box", id="card-box"):
                    yield Input(
                        password=True,
                        max_length=20,
                        restrict=r"[0-9A-Za-z]*",
                        placeholder=t("mode.kiosk.card_placeholder"),
                        id="card",
                    )
                    yield Static("", id="echo", classes="kiosk-echo")
                    with Center():
                        yield Button(
                            t("mode.kiosk.ok"), id="ok", variant="primary", classes="kiosk-big"
                        )
            yield Static("", id="welcome-notice")

    def on_screen_resume(self) -> None:
        notice = getattr(self.app, "notice", "")
        self.query_one("#welcome-notice", Static).update(Text(notice, style="bold yellow"))
        self.clear()

    def clear(self) -> None:
        """Empty the card field (after a session, or when someone walked away mid-number)."""
        card = self.query_one("#card", Input)
        card.value = ""
        card.focus()

    @on(Input.Changed, "#card")
    def _changed(self, event: Input.Changed) -> None:
        shown = mask_card(event.value) if event.value else ""
        self.query_one("#echo", Static).update(Text(shown, style="dim"))
        if event.value:
            kapp: KioskApp = self.app  # type: ignore[assignment]
            kapp.notice = ""
            self.query_one("#welcome-notice", Static).update("")

    @on(Input.Submitted, "#card")
    @on(Button.Pressed, "#ok")
    def submit(self) -> None:
        """On to the PIN; the card field is emptied at once."""
        card = self.query_one("#card", Input)
        value = card.value.strip()
        if len(value) < 6:
            self.query_one("#welcome-notice", Static).update(
                Text(t("mode.kiosk.card_short"), style="bold red")
            )
            card.focus()
            return
        card.value = ""
        self.app.push_screen(KioskPinScreen(value))


class _Entry(Screen[None]):
    """A centred box with a prompt, a masked input, a message and OK / cancel."""

    AUTO_FOCUS = "#entry"
    DEFAULT_CLASSES = "kiosk-entry"  # centred on the screen both ways (kiosk.tcss)
    PROMPT = ""

    def input_widget(self) -> Input:
        """The input of this screen."""
        raise NotImplementedError

    def compose(self) -> ComposeResult:
        with Center():
            with Vertical(classes="kiosk-box"):
                yield Static(Text(t(self.PROMPT), style="bold"), classes="kiosk-prompt")
                yield self.input_widget()
                yield Static("", id="echo", classes="kiosk-echo")
                yield Static("", id="message", classes="kiosk-message")
                with Horizontal(classes="kiosk-buttons"):
                    yield Button(
                        t("mode.kiosk.ok"), id="ok", variant="primary", classes="kiosk-big"
                    )
                    yield Button(t("ui.cancel"), id="cancel", classes="kiosk-big")

    def say(self, text: str, style: str = "bold red") -> None:
        """A message under the input (literal text)."""
        self.query_one("#message", Static).update(Text(text, style=style))

    @on(Button.Pressed, "#cancel")
    def cancel(self) -> None:
        """Back to the welcome screen, nothing kept."""
        self.app.end_session("")  # type: ignore[attr-defined]

    def key_escape(self) -> None:
        self.cancel()


class KioskPinScreen(_Entry):
    """The six-digit PIN (never echoed); three wrong lock the card for 30 minutes."""

    PROMPT = "mode.kiosk.pin_prompt"

    #: Refusals on this screen after which the PIN box closes (the ledger locks a card after
    #: three wrong PINs; a card already locked is refused in the same words).
    TRIES = 3

    def __init__(self, card: str) -> None:
        super().__init__()
        self.card = card
        self.refusals = 0

    def input_widget(self) -> Input:
        return Input(
            password=True,
            max_length=6,
            restrict=r"[0-9]*",
            id="entry",
            placeholder=t("mode.kiosk.pin_placeholder"),
        )

    def on_mount(self) -> None:
        self.query_one("#echo", Static).update(Text(mask_card(self.card), style="dim"))

    @on(Input.Submitted, "#entry")
    @on(Button.Pressed, "#ok")
    def submit(self) -> None:
        """Check the PIN against the ledger."""
        pin = self.query_one("#entry", Input).value
        if len(pin) != 6:
            self.say(t("mode.kiosk.pin_short"))
            return
        self.query_one("#ok", Button).disabled = True
        self.check(pin)

    @work(exclusive=True, exit_on_error=False, group="pin")
    async def check(self, pin: str) -> None:
        """One attempt (counted in the ledger, so a restart does not reset it)."""
        from yibao_tui.tui.kiosk.base import kiosk_error_text

        entry = self.query_one("#entry", Input)
        entry.value = ""
        kapp: Any = self.app
        try:
            person = await kapp.backend.card_login(self.card, pin)
        except YibaoError as raw:
            # One refusal for an unknown card, no PIN, a wrong PIN and a locked card, as the
            # server gives a kiosk (issue 9): a stranger learns nothing about the card. The PIN
            # box closes after as many refusals as lock a card, counted on this screen (what the
            # user typed here, nothing the ledger knows).
            err = card_login_refusal(raw)
            if err is not raw:
                self.refusals += 1
            closed = self.refusals >= self.TRIES
            self.query_one("#ok", Button).disabled = closed
            self.say(kiosk_error_text(err))
            if closed:
                # No PIN box under the lock message: only the way back is left.
                entry.disabled = True
                entry.display = False
                self.set_focus(self.query_one("#cancel", Button))
            else:
                entry.focus()
            return
        except Exception as err:  # noqa: BLE001
            self.query_one("#ok", Button).disabled = False
            self.say(kiosk_error_text(err))
            return
        self.card = ""
        kapp.start_session(person)
