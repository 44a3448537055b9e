"""What every main screen shares: the header line, the person line, the footer, reloading."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Header, Static

from yibao_tui.domain.errors import YibaoError
from yibao_tui.domain.models import Person
from yibao_tui.i18n import t
from yibao_tui.tui.widgets.common import person_line, report_error, translate_bindings
from yibao_tui.tui.widgets.keybar import KeyBar

if TYPE_CHECKING:
    from textual.timer import Timer

    from yibao_tui.backend.base import Backend
    from yibao_tui.tui.host.app import HostApp

#: Seconds between attempts to refresh while the server cannot be reached.
STALE_RETRY = 10.0


class Freshness:
    """When the app's data was last read successfully, and whether the server is unreachable
    now (one per app: every screen marks its data stale from the same moment)."""

    def __init__(self) -> None:
        #: ``HH:MM:SS`` of the last successful read (``None``: nothing read yet).
        self.fresh_at: str | None = None
        #: Set while the server cannot be reached: the time the data on screen is from.
        self.stale_from: str | None = None

    def ok(self) -> bool:
        """A read succeeded; ``True`` when that ends a stale spell."""
        import datetime as dt

        self.fresh_at = dt.datetime.now().strftime("%H:%M:%S")
        was, self.stale_from = self.stale_from, None
        return was is not None

    def failed(self, err: BaseException) -> bool:
        """A read failed; ``True`` when that starts a stale spell (the server went away)."""
        if not (isinstance(err, YibaoError) and err.code == "BACKEND_UNAVAILABLE"):
            return False
        if self.stale_from is not None:
            return False
        self.stale_from = self.fresh_at or "--:--:--"
        return True


def freshness(app: object) -> Freshness:
    """The app's ``Freshness`` (made on first use)."""
    found = getattr(app, "_yibao_freshness", None)
    if not isinstance(found, Freshness):
        found = Freshness()
        app._yibao_freshness = found  # type: ignore[attr-defined]
    return found


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
        self._retry: Timer | None = None

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
        self._draw_person_line()

    def _draw_person_line(self) -> None:
        """The person, and while the server cannot be reached, the time the data is from."""
        line = self.query_one("#person-line", Static)
        person = self.person
        stale = freshness(self.app).stale_from
        note = None if stale is None else Text(t("ui.stale", time=stale), style="bold reverse yellow")
        if person is not None:
            line.update(person_line(person, self.masked, note))
            return
        text = Text(t("ui.person.none"), style="dim")
        if note is not None:
            text.append("  ").append_text(note)
        line.update(text)

    def _person_changed(self, person: Person | None) -> None:
        self._draw_person_line()
        self._shown = (person.id, self.masked) if person else None
        self.person_changed(person)

    def _mask_changed(self, masked: bool) -> None:
        self._draw_person_line()
        self.mask_changed(masked)

    def person_changed(self, person: Person | None) -> None:
        """The shown person changed (or was reloaded): load everything again."""

    def mask_changed(self, masked: bool) -> None:
        """Masking was switched: redraw what shows IDs and names."""
        self.person_changed(self.person)

    def refresh_data(self) -> None:
        """Shown again after another screen: reload what may have changed."""
        self.person_changed(self.person)

    def fresh(self) -> None:
        """A read succeeded: the data on screen is current (the stale mark goes)."""
        if freshness(self.app).ok():
            self._draw_person_line()
            self.notify(t("ui.stale.over"), markup=False)
        if self._retry is not None:
            self._retry.stop()
            self._retry = None

    def report(self, err: BaseException) -> None:
        """Every error becomes a notification in the user's language. When the server cannot
        be reached, the data on screen is marked stale with its time, once, and read again
        every ``STALE_RETRY`` seconds until that succeeds (issue 8 defect 12)."""
        state = freshness(self.app)
        was_stale = state.stale_from is not None
        state.failed(err)
        if state.stale_from is not None and isinstance(err, YibaoError) and err.code == "BACKEND_UNAVAILABLE":
            self._draw_person_line()
            if self._retry is None:
                self._retry = self.set_interval(STALE_RETRY, self._try_again)
            if was_stale:
                return  # said once; the mark stays until a read succeeds
        report_error(self, err)

    def _try_again(self) -> None:
        if self.is_current:
            self.refresh_data()

    def on_worker_state_changed(self, event: Any) -> None:
        from textual.worker import WorkerState

        if event.state == WorkerState.ERROR and event.worker.error is not None:
            event.stop()
            report_error(self, event.worker.error)
