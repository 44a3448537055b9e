"""ctrl+f: find a person by ID or social security card number; problems shown inline."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from yibao_tui.domain.errors import YibaoError
from yibao_tui.domain.idnum import id_problem, normalise_id
from yibao_tui.i18n import t
from yibao_tui.widgets.common import error_text, translate_bindings


def looks_like_id(text: str) -> bool:
    """Digits (and a final X) of about ID length: an ID number typed with a mistake."""
    value = normalise_id(text)
    body = value[:-1] if value.endswith("X") else value
    return 15 <= len(value) <= 19 and body.isdigit()


class LookupScreen(ModalScreen[None]):
    """Type an ID or a card number (or scan the card: the reader types it and Enter)."""

    BINDINGS = [Binding("escape", "cancel", "key.cancel")]

    def __init__(self) -> None:
        super().__init__(classes="dialog-screen", id="lookup")
        translate_bindings(self)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(t("ui.lookup.title"), style="bold"), classes="dialog-title")
            yield Input(placeholder=t("ui.lookup.placeholder"), id="who", max_length=40)
            yield Static("", id="lookup-message", classes="inline-message")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("ui.lookup.find"), id="find", variant="primary")
                yield Button(t("ui.cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#who", Input).focus()

    def _say(self, message: str, error: bool = True) -> None:
        label = self.query_one("#lookup-message", Static)
        label.update(Text(message, style="bold red" if error else ""))

    @on(Input.Changed, "#who")
    def _typing(self, event: Input.Changed) -> None:
        value = normalise_id(event.value)
        if len(value) >= 18 and looks_like_id(value):
            problem = id_problem(value, today=self.app.today)  # type: ignore[attr-defined]
            self._say(t("ui.lookup.bad_id", reason=problem) if problem else "", bool(problem))
        else:
            self._say("", False)

    @on(Input.Submitted, "#who")
    @on(Button.Pressed, "#find")
    def _find(self) -> None:
        value = self.query_one("#who", Input).value.strip()
        if not value:
            self._say(t("ui.lookup.empty"))
            return
        self.find(value)

    @work(exclusive=True, exit_on_error=False, group="lookup")
    async def find(self, value: str) -> None:
        """Ask the backend; unknown and invalid numbers are explained here, not in a popup."""
        self._say(t("ui.lookup.searching"), False)
        try:
            await self.app.open_person(value)  # type: ignore[attr-defined]
        except YibaoError as err:
            if err.code == "UNKNOWN_PERSON" and looks_like_id(value):
                problem = id_problem(value, today=self.app.today)  # type: ignore[attr-defined]
                if problem:
                    self._say(t("ui.lookup.bad_id", reason=problem))
                    return
            if err.code == "UNKNOWN_PERSON":
                self._say(t("ui.lookup.unknown", who=value))
            else:
                self._say(error_text(err, self.app.masked))  # type: ignore[attr-defined]
            return
        except Exception as err:  # noqa: BLE001
            self._say(error_text(err))
            return
        self.dismiss(None)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        """Close without changing the person."""
        self.dismiss(None)
