"""What every main screen shares: the header line, the person line, the footer, reloading."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Header, Static

from yibao_tui.domain.models import Person
from yibao_tui.i18n import t
from yibao_tui.tui.widgets.common import person_line, report_error, translate_bindings
from yibao_tui.tui.widgets.keybar import KeyBar

if TYPE_CHECKING:
    from yibao_tui.backend.base import Backend
    from yibao_tui.tui.host.app import HostApp


class YibaoScreen(Screen[None]):
    """A main screen: subclasses implement ``compose_body`` and ``load``."""

    #: Catalogue key of the screen's name (shown as the sub-title).
    NAME_KEY: ClassVar[str] = ""
    #: ``(action, catalogue key)`` pairs the command palette offers on this screen.
    COMMANDS_HERE: ClassVar[tuple[tuple[str, str], ...]] = ()

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)
        self.sub_title = t(self.NAME_KEY) if self.NAME_KEY else ""
        self._shown: tuple[str, bool] | None = None
        self._resumed = False

    @property
    def yapp(self) -> HostApp:
        """The app, typed."""
        return self.app  # type: ignore[return-value]

    @property
    def backend(self) -> Backend:
        """The one thing a screen may call."""
        return self.yapp.backend

    @property
    def person(self) -> Person | None:
        """The person whose account is shown."""
        return self.yapp.person

    @property
    def masked(self) -> bool:
        """Whether IDs and names are de-identified."""
        return self.yapp.masked

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="≡")
        yield Static(Text(t("ui.person.none")), id="person-line", classes="person-line")
        yield from self.compose_body()
        yield KeyBar()

    def compose_body(self) -> ComposeResult:
        """The screen's own widgets."""
        yield from ()

    def on_mount(self) -> None:
        self.watch(self.app, "person", self._person_changed, init=False)
        self.watch(self.app, "masked", self._mask_changed, init=False)
        self._person_changed(self.person)

    def on_screen_resume(self) -> None:
        # Another screen may have changed the data (a payment, a binding): load again.
        if self._resumed and self._shown is not None:
            self.refresh_data()
        self._resumed = True

    def _person_changed(self, person: Person | None) -> None:
        line = self.query_one("#person-line", Static)
        if person is None:
            line.update(Text(t("ui.person.none"), style="dim"))
        else:
            line.update(person_line(person, self.masked))
        self._shown = (person.id, self.masked) if person else None
        self.person_changed(person)

    def _mask_changed(self, masked: bool) -> None:
        if self.person is not None:
            self.query_one("#person-line", Static).update(person_line(self.person, masked))
        self.mask_changed(masked)

    def person_changed(self, person: Person | None) -> None:
        """The shown person changed (or was reloaded): load everything again."""

    def mask_changed(self, masked: bool) -> None:
        """Masking was switched: redraw what shows IDs and names."""
        self.person_changed(self.person)

    def refresh_data(self) -> None:
        """Shown again after another screen: reload what may have changed."""
        self.person_changed(self.person)

    def report(self, err: BaseException) -> None:
        """Every error becomes a notification in the user's language."""
        report_error(self, err)

    def on_worker_state_changed(self, event: Any) -> None:
        from textual.worker import WorkerState

        if event.state == WorkerState.ERROR and event.worker.error is not None:
            event.stop()
            report_error(self, event.worker.error)
