"""F1: every key and what each screen does."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from yibao_tui.i18n import t
from yibao_tui.widgets.common import translate_bindings

#: (key, catalogue key) rows of the key table, in the order shown.
KEYS: tuple[tuple[str, str], ...] = (
    ("F1", "key.help"),
    ("F2", "ui.screen.balance"),
    ("F3", "ui.screen.family"),
    ("F4", "ui.screen.premium"),
    ("F5", "ui.screen.withdrawal"),
    ("Ctrl+F", "cmd.lookup"),
    ("Ctrl+P", "help.palette"),
    ("F6", "cmd.mask"),
    ("F7", "cmd.theme"),
    ("Tab / Shift+Tab", "help.focus"),
    ("Esc", "help.escape"),
    ("Ctrl+Q", "cmd.quit"),
)
SCREEN_KEYS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "ui.screen.balance",
        (("N / P", "help.paging"), ("E", "cmd.export"), ("X", "cmd.clear_filters")),
    ),
    ("ui.screen.family", (("A", "cmd.bind"), ("U", "cmd.unbind"), ("H", "cmd.history"))),
    ("ui.screen.premium", (("Q", "cmd.quote"), ("Y", "cmd.pay"))),
    ("ui.screen.withdrawal", (("E", "cmd.export_checklist"),)),
)


def help_text() -> Text:
    """The help page as literal text in the user's language."""
    text = Text()
    text.append(t("help.title"), style="bold")
    text.append("\n\n")
    text.append(t("help.keys"), style="bold underline")
    text.append("\n")
    for key, name in KEYS:
        text.append(f"  {key:<16}", style="bold")
        text.append(t(name))
        text.append("\n")
    for screen, keys in SCREEN_KEYS:
        text.append("\n")
        text.append(t(screen), style="bold underline")
        text.append("\n  ")
        text.append(t(f"{screen}.help"))
        text.append("\n")
        for key, name in keys:
            text.append(f"  {key:<16}", style="bold")
            text.append(t(name))
            text.append("\n")
    text.append("\n")
    text.append(t("help.privacy"), style="dim")
    return text


class HelpScreen(ModalScreen[None]):
    """The keys and the screens, in one scrollable page."""

    BINDINGS = [
        Binding("escape", "close", "key.close"),
        Binding("f1", "close", "key.close", show=False),
    ]

    def __init__(self) -> None:
        super().__init__(classes="dialog-screen", id="help")
        translate_bindings(self)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-wide dialog-tall", id="help-dialog"):
            with VerticalScroll(id="help-scroll"):
                yield Static(help_text(), id="help-text")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("ui.close"), id="close", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#help-scroll").focus()

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        """Close the help."""
        self.dismiss(None)
