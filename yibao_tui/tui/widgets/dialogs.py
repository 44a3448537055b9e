"""Small modal dialogs: a yes/no confirmation, a message box, a list to pick from."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option

from yibao_tui.i18n import t
from yibao_tui.tui.widgets.common import translate_bindings


class ConfirmDialog(ModalScreen[bool]):
    """Ask a question; dismisses with ``True`` (yes) or ``False`` (no, escape)."""

    BINDINGS = [Binding("escape", "cancel", "key.cancel")]

    def __init__(
        self,
        question: str | Text,
        *,
        yes: str | None = None,
        no: str | None = None,
        default_no: bool = False,
    ) -> None:
        super().__init__(classes="dialog-screen")
        translate_bindings(self)
        self.question = question if isinstance(question, Text) else Text(question)
        self.yes = yes or t("ui.yes")
        self.no = no or t("ui.no")
        self.default_no = default_no

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.question, classes="dialog-body")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.yes, id="yes", variant="primary")
                yield Button(self.no, id="no")

    def on_mount(self) -> None:
        self.query_one("#no" if self.default_no else "#yes", Button).focus()

    @on(Button.Pressed, "#yes")
    def _yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#no")
    def _no(self) -> None:
        self.dismiss(False)

    def action_cancel(self) -> None:
        """Escape answers no."""
        self.dismiss(False)


class MessageDialog(ModalScreen[None]):
    """Show a text (a receipt, a result) with a close button, and optionally one more button
    that does something without closing (``extra``: its label and what it does, e.g. 打印回执)."""

    BINDINGS = [Binding("escape", "close", "key.close")]

    def __init__(self, title: str, body: Text, *, dialog_id: str = "message",
                 extra: tuple[str, Callable[[], None]] | None = None) -> None:
        super().__init__(classes="dialog-screen", id=dialog_id)
        translate_bindings(self)
        self.title_text = title
        self.body = body
        self.extra = extra

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(self.title_text, style="bold"), classes="dialog-title")
            yield Static(self.body, classes="dialog-body", id="message-body")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("ui.close"), id="close", variant="primary")
                if self.extra is not None:
                    yield Button(self.extra[0], id="extra")

    @on(Button.Pressed, "#extra")
    def _extra(self) -> None:
        if self.extra is not None:
            self.extra[1]()

    def on_mount(self) -> None:
        self.query_one("#close", Button).focus()

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        self.dismiss(None)

    def action_close(self) -> None:
        """Escape closes."""
        self.dismiss(None)


class PickerDialog(ModalScreen[tuple[str | None] | None]):
    """A list to choose from (a ``Picker``'s): Enter chooses, Esc keeps the choice.

    Dismisses with ``(value,)``, or ``None`` when closed without choosing.
    """

    BINDINGS = [Binding("escape", "cancel", "key.cancel")]

    def __init__(
        self, title: str, options: list[tuple[str, str | None]], current: str | None
    ) -> None:
        super().__init__(classes="dialog-screen", id="picker")
        translate_bindings(self)
        self.title_text = title
        self.options = options
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-narrow"):
            yield Static(Text(self.title_text, style="bold"), classes="dialog-title")
            yield OptionList(
                *(Option(Text(label), id=str(i)) for i, (label, _) in enumerate(self.options)),
                id="picker-list",
            )

    def on_mount(self) -> None:
        options = self.query_one("#picker-list", OptionList)
        for i, (_, value) in enumerate(self.options):
            if value == self.current:
                options.highlighted = i
        options.focus()

    @on(OptionList.OptionSelected, "#picker-list")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        index = event.option_index
        if 0 <= index < len(self.options):
            self.dismiss((self.options[index][1],))

    def action_cancel(self) -> None:
        """Escape keeps the choice."""
        self.dismiss(None)


class IdleCountdown(ModalScreen[None]):
    """``N 秒后将自动退出登录``: over the screen, which stays as it is; any key or click keeps
    the session (the app closes this on input)."""

    def __init__(self, key: str, seconds: int, *, classes: str = "dialog-screen",
                 id: str = "idle-countdown") -> None:  # noqa: A002 - Textual's own name
        super().__init__(classes=classes, id=id)
        #: The catalogue key of the text (its ``n`` is the seconds left).
        self.key = key
        self.seconds = seconds

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self._text(), id="countdown-text", classes="dialog-body")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("mode.kiosk.continue"), id="continue", variant="primary")

    def _text(self) -> Text:
        return Text(t(self.key, n=self.seconds), style="bold")

    def show(self, seconds: int) -> None:
        """Update the seconds left."""
        if seconds != self.seconds:
            self.seconds = seconds
            self.query_one("#countdown-text", Static).update(self._text())

    @on(Button.Pressed, "#continue")
    def keep(self) -> None:
        """Continue the session."""
        if self.app.screen is self:
            self.dismiss(None)
