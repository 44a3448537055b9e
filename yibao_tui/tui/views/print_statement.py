"""打印对账单 (the balance screen's key D and palette command): a CUPS printer, or a PDF file.

The screen asks CUPS for its printers first (``lpstat``, on a thread); this dialog shows the
period and the choices: every printer (the system default first), and 保存为 PDF into the
export folder. Without CUPS or a printer it says why, and saving as PDF is still offered.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from yibao_tui.i18n import t
from yibao_tui.tui.widgets.common import translate_bindings

#: The dialog's answer: ``("print", printer)`` or ``("pdf", "")``; ``None`` when closed.
Choice = tuple[str, str]
SAVE_PDF = "pdf"


class PrintStatementDialog(ModalScreen[Choice | None]):
    """Where the statement goes: a printer or a PDF file."""

    BINDINGS = [Binding("escape", "cancel", "key.cancel")]

    def __init__(self, period: str, printers: list[str], default: str, problem: str,
                 folder: str) -> None:
        super().__init__(classes="dialog-screen", id="print-statement")
        translate_bindings(self)
        self.period = period
        # the system default first: Enter prints there
        self.printers = sorted(printers, key=lambda name: name != default)
        self.default = default
        self.problem = problem
        self.folder = folder

    def compose(self) -> ComposeResult:
        options = [
            Option(Text(t("print.dialog.printer", printer=name)
                        + (t("print.dialog.default") if name == self.default else "")), id=f"printer:{name}")
            for name in self.printers
        ]
        options.append(Option(Text(t("print.dialog.save_pdf", path=self.folder)), id=SAVE_PDF))
        with Vertical(classes="dialog"):
            yield Static(Text(t("print.dialog.title"), style="bold"), classes="dialog-title")
            yield Static(Text(self.period), id="print-period")
            if self.problem:
                yield Static(Text(t("print.dialog.no_printer", reason=self.problem), style="yellow"),
                             id="print-problem")
            yield OptionList(*options, id="print-choices")

    def on_mount(self) -> None:
        self.query_one("#print-choices", OptionList).focus()

    @on(OptionList.OptionSelected, "#print-choices")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        choice = event.option.id or ""
        if choice == SAVE_PDF:
            self.dismiss((SAVE_PDF, ""))
        elif choice.startswith("printer:"):
            self.dismiss(("print", choice.removeprefix("printer:")))

    def action_cancel(self) -> None:
        """Escape: nothing printed, nothing saved."""
        self.dismiss(None)
