"""What both modes share: the attributes the personal app's screens read (``backend``,
``person``, ``masked``, ``today``, ``open_person``, ``reload_person``), idle tracking from input
events, and errors that never show a full ID number.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual import events
from textual.app import App
from textual.events import DescendantFocus
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.worker import Worker, WorkerState

from yibao_tui.domain.errors import YibaoError
from yibao_tui.domain.models import Person
from yibao_tui.i18n import t
from yibao_tui.receipts import scrub_ids
from yibao_tui.tui.host.idle import Clock, IdleTimer

if TYPE_CHECKING:
    from yibao_tui.backend.base import Backend
    from yibao_tui.printing import PrintOutcome
    from yibao_tui.receipts import Receipt


def safe_error_text(err: BaseException) -> str:
    """The message for ``err`` in the user's language, with any full ID number masked."""
    if isinstance(err, YibaoError):
        text = err.message()
        left = err.params.get("left")
        if left is not None and err.code in ("BAD_CREDENTIALS", "BAD_PIN"):
            text += t("mode.tries_left", left=left)
        return scrub_ids(text)
    return t("ui.error.unexpected", kind=type(err).__name__)


class ModeApp(App[int]):
    """Base of the counter and kiosk apps (the personal screens' contract with their app)."""

    #: The person whose account the screens show (``None`` until one is chosen).
    person: reactive[Person | None] = reactive(None, always_update=True)
    #: De-identify IDs, names and cards on screen.
    masked: reactive[bool] = reactive(True)

    def __init__(
        self,
        backend: Backend,
        *,
        idle_timer: IdleTimer,
        today: dt.date | None = None,
        cursor_blink: bool = True,
    ) -> None:
        super().__init__()
        self.backend = backend
        self.idle_timer = idle_timer
        self.today = today or dt.date.today()
        self.cursor_blink = cursor_blink
        #: Where documents print: ``None`` prints nothing, ``""`` the system default printer.
        self.printer: str | None = None
        #: The window or kiosk number printed on documents.
        self.station = ""

    @staticmethod
    def make_idle(seconds: float, countdown: float, clock: Clock | None) -> IdleTimer:
        """An idle timer on ``clock`` (the monotonic clock unless a test gives one)."""
        return IdleTimer(seconds, countdown, clock) if clock else IdleTimer(seconds, countdown)

    # --- the personal screens' contract -----------------------------------------------------

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

    # --- idle and errors --------------------------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent) and not isinstance(event, events.MouseMove | events.Leave
                                                                    | events.Enter):
            self.idle_timer.touch()
            self.activity()
        await super().on_event(event)

    def activity(self) -> None:
        """A key or a click arrived (after the idle timer was touched)."""

    def on_descendant_focus(self, event: DescendantFocus) -> None:
        """Tests turn the text cursor's blinking off."""
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
        """Every notification (the personal screens' errors too): full IDs masked unless revealed."""
        if self.masked:
            message, title = scrub_ids(str(message)), scrub_ids(str(title))
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def report(self, err: BaseException) -> None:
        """Show an error as a notification (IDs masked, never markup, never a traceback)."""
        try:
            self.notify(safe_error_text(err), title=t("ui.error.title"), severity="error",
                        markup=False, timeout=8)
        except Exception:  # noqa: BLE001 - shutting down
            pass

    def forget(self) -> None:
        """Drop everything about the last person: the reactive, notifications."""
        self.person = None
        self.masked = True
        self.clear_notifications()

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

    def get_system_commands(self, screen: Any) -> Any:  # pragma: no cover - overridden
        yield from ()
