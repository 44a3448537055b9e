"""The one app host under every surface: the laptop app, the service window and the kiosk.

It keeps what the shared views read from their app (``backend``, ``person``, ``masked``,
``today``, ``open_person``, ``reload_person``) and what every surface does alike: the language
and the key descriptions in it, the view keys (F1–F5, ctrl+f), masking (while masked, no
notification shows a full ID number), errors (a notification in the user's language, never a
traceback), idle tracking from input events, the theme picker and the command palette in the
user's language, printing on a thread, closing the backend at exit, and wide characters drawn
whole in toasts and lists over other widgets (``widechars``). A surface is a thin app
on top: its screens, its own keys, its session.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from textual import events
from textual.app import App
from textual.binding import Binding
from textual.events import DescendantFocus
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.worker import Worker, WorkerState

from yibao_tui.domain.models import Person
from yibao_tui.i18n import set_lang, t
from yibao_tui.tui.host import widechars
from yibao_tui.tui.host.idle import Clock, IdleTimer
from yibao_tui.tui.widgets.common import mask_ids_in, report_error, translate_bindings

if TYPE_CHECKING:
    from textual.screen import Screen

    from yibao_tui.backend.base import Backend
    from yibao_tui.printing import PrintOutcome
    from yibao_tui.receipts import Receipt


def view_keys() -> list[Binding]:
    """F1 help, F2–F5 the four views and ctrl+f the next person (the laptop's and the counter's
    keys; descriptions are catalogue keys, translated per app by ``translate_bindings``)."""
    return [
        Binding("f1", "help", "key.help", id="help"),
        Binding("f2", "show('balance')", "key.balance", id="balance"),
        Binding("f3", "show('family')", "key.family", id="family"),
        Binding("f4", "show('premium')", "key.premium", id="premium"),
        Binding("f5", "show('withdrawal')", "key.withdrawal", id="withdrawal"),
        Binding("ctrl+f", "lookup", "key.lookup", id="lookup"),
    ]


class HostApp(App[int]):
    """The base of every surface's app (the shared views' contract with their app)."""

    #: The person whose account the screens show (``None`` until one is chosen).
    person: reactive[Person | None] = reactive(None, always_update=True)
    #: De-identify IDs, names and cards on screen (on by default).
    masked: reactive[bool] = reactive(True)

    def __init__(
        self,
        backend: Backend,
        *,
        lang: str = "zh",
        today: dt.date | None = None,
        cursor_blink: bool = True,
        idle_timer: IdleTimer | None = None,
        close_backend: bool = True,
    ) -> None:
        self.lang = set_lang(lang)
        widechars.install()  # a toast's 导 is drawn whole over the edges under it
        super().__init__()
        translate_bindings(self)
        self.backend = backend
        #: ``None``: this surface never goes idle (the laptop app).
        self.idle_timer = idle_timer
        self.today = today or dt.date.today()
        self.cursor_blink = cursor_blink
        #: Close ``backend`` when the app ends (a test that lends one keeps it open).
        self.close_backend = close_backend
        #: Where documents print: ``None`` prints nothing, ``""`` the system default printer.
        self.printer: str | None = None
        #: The window or kiosk number printed on documents.
        self.station = ""

    @staticmethod
    def make_idle(seconds: float, countdown: float, clock: Clock | None) -> IdleTimer:
        """An idle timer on ``clock`` (the monotonic clock unless a test gives one)."""
        return IdleTimer(seconds, countdown, clock) if clock else IdleTimer(seconds, countdown)

    # --- the shared views' contract ---------------------------------------------------------

    async def open_person(self, who: str) -> Person:
        """Look ``who`` up (one audited read) and show them, masked."""
        person = await self.backend.person(who)
        self.masked = True
        self.person = person
        return person

    async def reload_person(self) -> None:
        """The balance changed: fetch it (an audited balance read, not another lookup)."""
        if self.person is not None:
            bal = await self.backend.balance(self.person.id)
            self.person = dataclasses.replace(self.person, balance_fen=bal.balance_fen, status=bal.status)

    def forget(self) -> None:
        """Drop everything about the last person: the reactive, notifications."""
        self.person = None
        self.masked = True
        self.clear_notifications()

    # --- input, idle and errors -------------------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        if self.idle_timer is not None and isinstance(event, events.InputEvent) and not isinstance(
            event, events.MouseMove | events.Leave | events.Enter
        ):
            self.idle_timer.touch()
            self.activity()
        await super().on_event(event)

    def activity(self) -> None:
        """A key or a click arrived (after the idle timer was touched)."""

    def on_descendant_focus(self, event: DescendantFocus) -> None:
        """Tests and screenshots turn the text cursor's blinking off."""
        if not self.cursor_blink and hasattr(event.widget, "cursor_blink"):
            event.widget.cursor_blink = False  # type: ignore[attr-defined]

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Safety net: a worker that failed without reporting becomes a notification."""
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.report(event.worker.error)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every notification (the views' errors too): full IDs masked unless revealed."""
        if self.masked:
            message, title = mask_ids_in(str(message)), mask_ids_in(str(title))
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def report(self, err: BaseException) -> None:
        """Show an error as a notification (IDs masked, never markup, never a traceback)."""
        report_error(self, err)

    async def on_unmount(self) -> None:
        if self.close_backend:
            await self.close_backends()

    async def close_backends(self) -> None:
        """Close the backend (a surface with more than one closes them all)."""
        try:
            await self.backend.close()
        except Exception:  # noqa: BLE001 - leaving anyway
            pass

    # --- the palette, themes, printing ------------------------------------------------------

    def action_command_palette(self) -> None:
        """ctrl+p: the command palette, with its prompt in the user's language."""
        from yibao_tui.tui.widgets.palette import Palette

        if self.use_command_palette and not self.screen.has_class("--textual-command-palette"):
            self.push_screen(
                Palette(id="--command-palette", placeholder=t("ui.palette.placeholder"))
            )

    def action_change_theme(self) -> None:
        """Pick a theme from the palette."""
        from textual.theme import ThemeProvider

        from yibao_tui.tui.widgets.palette import Palette

        self.push_screen(Palette(providers=[ThemeProvider], placeholder=t("ui.palette.themes")))

    def may_print(self) -> bool:
        """Whether documents go to a printer now (the counter also asks whether it has one)."""
        return self.printer is not None

    def print_later(self, doc: Receipt, name: str,
                    done: Callable[[PrintOutcome], None] | None = None, *,
                    again: bool = False) -> None:
        """Print ``doc`` on a thread (``lp`` may take a while) and say how it went; a failed
        print keeps the document in the spool. ``again``: a print the user asked for (a
        reprint button): its kept copy if one waits, else a new copy, even when the counter
        found no printer at login. Only prints: the payment is already done."""
        if self.printer is None or not (again or self.may_print()):
            return
        printer = self.printer or None

        async def job() -> None:
            import asyncio

            from yibao_tui.printing import print_document, print_or_reprint

            run = print_or_reprint if again else print_document
            outcome = await asyncio.to_thread(run, doc, name, printer)
            self.notify(outcome.message(), severity="information" if outcome.printed else "warning",
                        markup=False, timeout=10)
            self.printed(outcome)
            if done is not None:
                done(outcome)

        self.run_worker(job(), group="print", exit_on_error=False)

    def printed(self, outcome: PrintOutcome) -> None:
        """A print finished (or failed and its document was kept)."""

    def reprint_kept(self) -> None:
        """Print every kept document again (oldest first; stops at the first problem)."""
        if self.printer is None:
            return
        printer = self.printer or None

        async def job() -> None:
            import asyncio

            from yibao_tui.printing import reprint

            outcomes = await asyncio.to_thread(reprint, printer)
            done = [o for o in outcomes if o.printed]
            if not outcomes:
                self.notify(t("print.reprint.none"), markup=False)
            elif done:
                self.notify(t("print.reprint.done", n=len(done)), markup=False)
            for outcome in outcomes:
                self.printed(outcome)
                if not outcome.printed:
                    self.notify(outcome.message(), severity="warning", markup=False, timeout=10)

        self.run_worker(job(), group="print", exit_on_error=False)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[Any]:
        """No system commands unless a surface offers its own (never Textual's Quit/Screenshot
        at a kiosk)."""
        yield from ()
