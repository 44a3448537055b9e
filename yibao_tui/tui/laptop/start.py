"""What an empty ledger offers instead of a dead end: the demo data, importing a roster,
registering a person, looking one up (issue 8 defect 7)."""

from __future__ import annotations

import uuid
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Static

from yibao_tui.domain.errors import YibaoError
from yibao_tui.domain.idnum import normalise_id
from yibao_tui.domain.models import Person
from yibao_tui.files import read_roster
from yibao_tui.i18n import t
from yibao_tui.tui.widgets.common import error_text, translate_bindings

#: The choices, in the order offered: (id, catalogue key of the button).
CHOICES = (
    ("demo", "ui.start.demo"),
    ("import", "ui.start.import"),
    ("add", "ui.start.add"),
    ("lookup", "ui.start.lookup"),
)


class StartDialog(ModalScreen[str | None]):
    """The ledger has nobody: say what can be done; dismisses with the choice's id."""

    BINDINGS = [Binding("escape", "cancel", "key.close")]

    def __init__(self, *, demo: bool = True) -> None:
        super().__init__(classes="dialog-screen", id="start")
        translate_bindings(self)
        self.demo = demo

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-wide"):
            yield Static(Text(t("ui.start.title"), style="bold"), classes="dialog-title")
            yield Static(Text(t("ui.start.body")), classes="dialog-body")
            with Horizontal(classes="dialog-buttons"):
                for choice, key in CHOICES:
                    if choice != "demo" or self.demo:
                        yield Button(
                            t(key),
                            id=choice,
                            variant="primary" if choice == CHOICES[0][0] else "default",
                        )

    def on_mount(self) -> None:
        self.query(Button).first().focus()

    @on(Button.Pressed)
    def _chosen(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id)

    def action_cancel(self) -> None:
        """Close: the person line still says how to come back (Ctrl+F)."""
        self.dismiss(None)


class ImportDialog(ModalScreen[int | None]):
    """Import a roster CSV (``id,name,scheme,region``), all or nothing; dismisses with the
    number imported."""

    BINDINGS = [Binding("escape", "cancel", "key.cancel")]

    def __init__(self) -> None:
        super().__init__(classes="dialog-screen", id="import")
        translate_bindings(self)
        self._key = str(uuid.uuid4())

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-wide"):
            yield Static(Text(t("ui.import.title"), style="bold"), classes="dialog-title")
            yield Label(t("ui.import.path"))
            yield Input(placeholder="roster.csv", id="path")
            yield Static("", id="import-error", classes="inline-message")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("ui.import.submit"), id="submit", variant="primary")
                yield Button(t("ui.cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    @on(Input.Submitted, "#path")
    @on(Button.Pressed, "#submit")
    def _submit(self) -> None:
        self.run_import(self.query_one("#path", Input).value.strip())

    @work(exclusive=True, exit_on_error=False, group="import")
    async def run_import(self, path: str) -> None:
        """Read the file and import it; the rows refused are listed in the dialog."""
        message = self.query_one("#import-error", Static)
        try:
            rows = read_roster(Path(path).expanduser())
            result = await self.app.backend.import_persons(rows, self._key)  # type: ignore[attr-defined]
        except Exception as err:  # noqa: BLE001 - said in the dialog
            message.update(Text(error_text(err), style="bold red"))
            return
        if result.errors:
            lines = [t("ui.import.failed", n=len(result.errors))]
            lines += [
                t("ui.import.row", line=e.get("line", "?"), reason=e.get("reason", ""))
                for e in result.errors[:5]
            ]
            message.update(Text("\n".join(lines), style="bold red"))
            self._key = str(uuid.uuid4())  # a corrected file is a new request
            return
        self.dismiss(result.imported)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        """Close without importing."""
        self.dismiss(None)


class AddPersonDialog(ModalScreen[Person | None]):
    """Register one person (ID, name, scheme, region); dismisses with the person."""

    BINDINGS = [Binding("escape", "cancel", "key.cancel")]

    def __init__(self) -> None:
        super().__init__(classes="dialog-screen", id="add-person")
        translate_bindings(self)
        self._attempt: tuple[tuple[str, str, str, str], str] | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-wide"):
            yield Static(Text(t("ui.add.title"), style="bold"), classes="dialog-title")
            yield Label(t("ui.add.id"))
            yield Input(placeholder=t("ui.bind.id_placeholder"), id="new-id", max_length=24, compact=True)
            yield Label(t("ui.add.name"))
            yield Input(id="new-name", max_length=40, compact=True)
            yield Label(t("ui.add.scheme"))
            with RadioSet(id="new-scheme", compact=True):
                yield RadioButton(t("scheme.employee"), id="scheme-employee", value=True)
                yield RadioButton(t("scheme.resident"), id="scheme-resident")
            yield Label(t("ui.add.region"))
            yield Input(placeholder="440300", id="new-region", max_length=6, compact=True)
            yield Static("", id="add-error", classes="inline-message")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("ui.add.submit"), id="submit", variant="primary")
                yield Button(t("ui.cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#new-id", Input).focus()

    @on(Button.Pressed, "#submit")
    def _submit(self) -> None:
        pressed = self.query_one("#new-scheme", RadioSet).pressed_button
        scheme = "resident" if pressed is not None and pressed.id == "scheme-resident" else "employee"
        request = (
            normalise_id(self.query_one("#new-id", Input).value),
            self.query_one("#new-name", Input).value.strip(),
            scheme,
            self.query_one("#new-region", Input).value.strip(),
        )
        if self._attempt is None or self._attempt[0] != request:
            self._attempt = (request, str(uuid.uuid4()))
        self.add(*request, key=self._attempt[1])

    @work(exclusive=True, exit_on_error=False, group="add")
    async def add(self, id: str, name: str, scheme: str, region: str, key: str) -> None:
        """Register through the backend (its rules check the ID, name, scheme and region)."""
        try:
            person = await self.app.backend.add_person(id, name, scheme, region, key=key)  # type: ignore[attr-defined]
        except YibaoError as err:
            self.query_one("#add-error", Static).update(Text(error_text(err), style="bold red"))
            return
        self.dismiss(person)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        """Close without registering."""
        self.dismiss(None)
