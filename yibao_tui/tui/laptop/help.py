"""F1: every key and what each screen does."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from yibao_tui.i18n import t
from yibao_tui.tui.widgets.common import translate_bindings

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
#: Cells of the key column ("  Tab / Shift+Tab").
KEY_WIDTH = 18
SCREEN_KEYS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "ui.screen.balance",
        (("N / P", "help.paging"), ("E", "cmd.export"), ("D", "cmd.print_statement"),
         ("X", "cmd.clear_filters")),
    ),
    ("ui.screen.family", (("A", "cmd.bind"), ("U", "cmd.unbind"), ("H", "cmd.history"))),
    ("ui.screen.premium", (("Q", "cmd.quote"), ("Y", "cmd.pay"))),
    ("ui.screen.withdrawal", (("E", "cmd.export_checklist"),)),
)


def _rows(rows: tuple[tuple[str, str], ...]) -> Table:
    """Keys and what they do: a long description wraps under itself, not under the keys."""
    grid = Table.grid()
    grid.add_column(width=KEY_WIDTH, no_wrap=True, style="bold")
    grid.add_column()
    for key, name in rows:
        grid.add_row(Text("  " + key), Text(t(name)))
    return grid


def _paragraph(text: str) -> Padding:
    """A paragraph indented like the key rows (every wrapped line too)."""
    return Padding(Text(text), (0, 0, 0, 2))


def help_text() -> Group:
    """The help page as literal text in the user's language."""
    parts: list[RenderableType] = [
        Text(t("help.title"), style="bold"),
        Text(""),
        Text(t("help.keys"), style="bold underline"),
        _rows(KEYS),
    ]
    for screen, keys in SCREEN_KEYS:
        parts += [
            Text(""),
            Text(t(screen), style="bold underline"),
            _paragraph(t(f"{screen}.help")),
            _rows(keys),
        ]
    parts += [Text(""), Text(t("help.privacy"), style="dim")]
    return Group(*parts)


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
