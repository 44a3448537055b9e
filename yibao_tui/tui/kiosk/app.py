"""The kiosk app: welcome → card → PIN → the holder's own account, and nothing else.

Locked down: no inherited bindings (no ctrl+q), ctrl+c/z/\\/q/p swallowed by priority bindings,
no command palette, no text selection, no screenshot or suspend actions. Leaving needs the
admin key (``admin_key`` in the config) and the admin PIN. Idle ``idle_seconds`` → a countdown →
the session is wiped: the person is dropped, every screen but the welcome is removed, the
notifications are cleared.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
from collections.abc import Callable
from dataclasses import dataclass

from textual.binding import Binding
from textual.screen import Screen

from yibao_tui.backend.base import Actor, Backend
from yibao_tui.domain.models import Person
from yibao_tui.i18n import t
from yibao_tui.tui.host.app import HostApp
from yibao_tui.tui.host.idle import Clock, IdleTimer
from yibao_tui.tui.kiosk.config import KioskConfig

#: Keys that must do nothing at a kiosk (quit, interrupt, suspend, quit-with-core, palette).
BLOCKED_KEYS: tuple[str, ...] = (
    "ctrl+q",
    "ctrl+c",
    "ctrl+z",
    "ctrl+backslash",
    "ctrl+p",
    "ctrl+s",
    "ctrl+x",
    "super+c",
)
#: Failed admin PINs before the admin dialog is refused for a while.
ADMIN_MAX_FAILURES = 3
ADMIN_LOCK_SECONDS = 300.0


@dataclass
class KioskSession:
    """The card holder of the current session (dropped at the end of it)."""

    person: Person


class KioskApp(HostApp, inherit_bindings=False):
    """医保自助终端: the card holder's own account, masked, locked down."""

    CSS_PATH = "kiosk.tcss"
    idle_timer: IdleTimer  # the kiosk always has one (the host allows none)
    TITLE = "yibao kiosk"
    ENABLE_COMMAND_PALETTE = False
    ALLOW_SELECT = False
    BINDINGS = [Binding(key, "blocked", show=False, priority=True, system=True) for key in BLOCKED_KEYS]

    def __init__(
        self,
        make_backend: Callable[[Actor], Backend],
        config: KioskConfig,
        *,
        lang: str = "zh",
        today: dt.date | None = None,
        clock: Clock | None = None,
        cursor_blink: bool = True,
    ) -> None:
        super().__init__(
            make_backend(Actor("kiosk")),
            lang=lang,
            idle_timer=self.make_idle(config.idle_seconds, config.countdown_seconds, clock),
            today=today,
            cursor_blink=cursor_blink,
        )
        self.kiosk_config = config
        self.printer = config.printer
        self.station = t("print.station_kiosk", n=config.kiosk_id) if config.kiosk_id else ""
        self.session: KioskSession | None = None
        #: Why the last session ended (generic text, nothing personal), for the welcome screen.
        self.notice = ""
        self.admin_failures = 0
        self.admin_locked_until = 0.0
        self._bindings.bind(config.admin_key, "admin", show=False, priority=True)
        self.title = t("mode.kiosk.title")

    def get_default_screen(self) -> Screen[None]:
        from yibao_tui.tui.kiosk.welcome import KioskWelcome

        return KioskWelcome()

    def on_mount(self) -> None:
        self.set_interval(0.5, self.idle_tick, name="idle")
        # a web session starts with the cyclic collector off (yibao_tui.web.session): on again
        # once the welcome screen is painted
        self.call_after_refresh(gc.enable)

    # --- lock-down ----------------------------------------------------------------------------

    def action_blocked(self) -> None:
        """Swallowed keys do nothing."""

    def action_command_palette(self) -> None:
        """No command palette at a kiosk (the header icon calls this too)."""

    async def action_quit(self) -> None:
        """Quitting needs the admin PIN."""

    def action_help_quit(self) -> None:
        """Not even a hint."""

    def action_suspend_process(self) -> None:
        """No suspending."""

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        """No screenshots of someone's account."""

    def action_admin(self) -> None:
        """The admin key: ask for the admin PIN (leaving the kiosk)."""
        from yibao_tui.tui.kiosk.dialogs import KioskAdminDialog

        if any(isinstance(s, KioskAdminDialog) for s in self.screen_stack):
            return
        if self.idle_timer.clock() < self.admin_locked_until:
            return
        self.push_screen(KioskAdminDialog())

    async def check_admin_pin(self, pin: str) -> bool:
        """Compare with the config's hash (on a thread: scrypt is slow by design)."""
        from yibao_tui.ledger.access import check_secret

        stored = self.kiosk_config.admin_pin_hash
        ok = bool(stored) and await asyncio.to_thread(check_secret, pin, stored or "")
        if ok:
            self.admin_failures = 0
            return True
        self.admin_failures += 1
        if self.admin_failures >= ADMIN_MAX_FAILURES:
            self.admin_failures = 0
            self.admin_locked_until = self.idle_timer.clock() + ADMIN_LOCK_SECONDS
        return False

    # --- sessions -----------------------------------------------------------------------------

    @property
    def in_session(self) -> bool:
        """Someone is past the welcome screen (typing a card, a PIN, or signed in)."""
        from yibao_tui.tui.kiosk.dialogs import KioskAdminDialog

        return any(not isinstance(s, KioskAdminDialog) for s in self.screen_stack[1:])

    def start_session(self, person: Person) -> None:
        """The PIN was right: the holder's home screen, on a clean stack."""
        from yibao_tui.tui.kiosk.home import KioskHome

        self._pop_to_welcome()
        self.session = KioskSession(person)
        self.idle_timer.touch()
        self.push_screen(KioskHome())

    def end_session(self, notice: str = "") -> None:
        """Wipe the session: the person, every screen but the welcome, the notifications."""
        self.session = None
        self.notice = notice
        self._pop_to_welcome()
        self.forget()
        self.idle_timer.touch()

    def _pop_to_welcome(self) -> None:
        while len(self.screen_stack) > 1:
            self.pop_screen()

    @property
    def person_id(self) -> str:
        """The signed-in holder's ID (the only person a kiosk screen may ask about)."""
        if self.session is None:
            raise LookupError("no session")
        return self.session.person.id

    # --- idle ---------------------------------------------------------------------------------

    def idle_tick(self) -> None:
        """Every half second: the countdown, then the wipe."""
        from yibao_tui.tui.kiosk.dialogs import KioskCountdown

        state = self.idle_timer.state()
        if not self.in_session:
            if state == "expired":
                self.idle_timer.touch()
                welcome = self.screen_stack[0]
                clear = getattr(welcome, "clear", None)
                if callable(clear):
                    clear()  # a half-typed card number does not wait for the next person
            return
        countdown = next((s for s in self.screen_stack if isinstance(s, KioskCountdown)), None)
        if state == "expired":
            self.end_session(t("mode.kiosk.timed_out"))
        elif state == "warning":
            if countdown is None:
                self.push_screen(KioskCountdown(self.idle_timer.remaining()))
            else:
                countdown.show(self.idle_timer.remaining())
        elif countdown is not None:
            self._hide_countdown()

    def activity(self) -> None:
        """Input during the countdown keeps the session (the countdown closes afterwards)."""
        from yibao_tui.tui.kiosk.dialogs import KioskCountdown

        if isinstance(self.screen, KioskCountdown):
            self.call_later(self._hide_countdown)

    def _hide_countdown(self) -> None:
        from yibao_tui.tui.kiosk.dialogs import KioskCountdown

        if isinstance(self.screen, KioskCountdown):
            self.pop_screen()

