"""ctrl+f: find a person by ID or social security card number, or by name (staff: the counter, the
CLI's local ledger); problems shown inline.

A name (anything that is not an ID or a card number) is searched with ``Backend.find_persons``:
``李建国`` or ``李建国 1980`` (a trailing year of birth narrows it). The namesakes are listed masked
(name, ID, sex, birth date, region), a page at a time; choosing one opens that person, which is
the audited ``person.show`` read. Without the right to search (a personal token) the screen says
that it needs an ID or card number."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

from yibao_tui.domain.errors import YibaoError
from yibao_tui.domain.idnum import id_problem, normalise_id
from yibao_tui.domain.models import PersonMatch, PersonMatchPage
from yibao_tui.i18n import t
from yibao_tui.tui.widgets.common import error_text, translate_bindings


def looks_like_id(text: str) -> bool:
    """Digits (and a final X) of about ID length: an ID number typed with a mistake."""
    value = normalise_id(text)
    body = value[:-1] if value.endswith("X") else value
    return 15 <= len(value) <= 19 and body.isdigit()


def looks_like_name(text: str) -> bool:
    """Not an ID or a card number (those are ASCII letters and digits with at least one digit)."""
    value = "".join(text.split())
    return bool(value) and not (value.isascii() and value.isalnum() and any(c.isdigit() for c in value))


def name_query(text: str) -> tuple[str, int | None]:
    """``李建国 1980`` → (``李建国``, 1980); a name alone → (name, None)."""
    head, _, tail = text.strip().rpartition(" ")
    if head.strip() and len(tail) == 4 and tail.isdigit():
        return head.strip(), int(tail)
    return text.strip(), None


#: Namesakes listed per page in the dialog.
FIND_PAGE = 8


class LookupScreen(ModalScreen[None]):
    """Type an ID or a card number (or scan the card: the reader types it and Enter)."""

    BINDINGS = [Binding("escape", "cancel", "key.cancel")]

    def __init__(self) -> None:
        super().__init__(classes="dialog-screen", id="lookup")
        translate_bindings(self)
        #: The name search shown in the list: (name, year), the page's cursor and its matches.
        self._query: tuple[str, int | None] | None = None
        self._next: str | None = None
        self._matches: list[PersonMatch] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(t("ui.lookup.title"), style="bold"), classes="dialog-title")
            yield Input(placeholder=t("ui.lookup.placeholder"), id="who", max_length=40)
            yield Static("", id="lookup-message", classes="inline-message")
            yield OptionList(id="lookup-matches")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("ui.lookup.find"), id="find", variant="primary")
                yield Button(t("ui.cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#lookup-matches", OptionList).display = False
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
        if looks_like_name(value):
            self._query = name_query(value)
            self.find_name(None)
            return
        self.find(value)

    @work(exclusive=True, exit_on_error=False, group="lookup")
    async def find_name(self, cursor: str | None) -> None:
        """One page of namesakes (audited by the backend); then pick one or ask for the next page."""
        assert self._query is not None
        name, born = self._query
        self._say(t("ui.lookup.searching"), False)
        try:
            page: PersonMatchPage = await self.app.backend.find_persons(  # type: ignore[attr-defined]
                name, born=born, cursor=cursor, limit=FIND_PAGE)
        except YibaoError as err:
            self._hide_matches()
            if err.code == "FORBIDDEN":
                self._say(t("ui.lookup.name_not_allowed"))
            else:
                self._say(error_text(err, self.app.masked))  # type: ignore[attr-defined]
            return
        except Exception as err:  # noqa: BLE001
            self._hide_matches()
            self._say(error_text(err))
            return
        if not page.matches:
            self._hide_matches()
            self._say(t("ui.lookup.unknown_name", who=name if born is None else f"{name} {born}"))
            return
        self._show_matches(page, cursor is None)

    def _show_matches(self, page: PersonMatchPage, first: bool) -> None:
        from yibao_tui.domain.policy_source import region_name
        from yibao_tui.i18n import get_lang

        self._matches = page.matches if first else [*self._matches, *page.matches]
        self._next = page.next_cursor
        options = self.query_one("#lookup-matches", OptionList)
        options.clear_options()
        for i, m in enumerate(self._matches):
            label = (f"{m.name_masked}  {m.id_masked}  {t('sex.' + m.sex)}  {m.birth_date}  "
                     f"{region_name(m.region, get_lang())}")
            options.add_option(Option(Content(label), id=f"m{i}"))
        if self._next:
            options.add_option(Option(Content(t("ui.lookup.more")), id="more"))
        options.display = True
        options.highlighted = 0 if first else len(self._matches) - len(page.matches)
        options.focus()
        self._say(t("ui.lookup.matches", total=page.total, shown=len(self._matches)), False)

    def _hide_matches(self) -> None:
        self._matches, self._next = [], None
        options = self.query_one("#lookup-matches", OptionList)
        options.clear_options()
        options.display = False

    @on(OptionList.OptionSelected, "#lookup-matches")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        option_id = event.option.id or ""
        if option_id == "more":
            self.find_name(self._next)
        elif option_id.startswith("m"):
            self.find(self._matches[int(option_id[1:])].id)

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
