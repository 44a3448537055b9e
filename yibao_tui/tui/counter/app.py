"""``yibao counter``: staff at a service window (经办窗口).

An operator logs in (工号 + password; five failures lock for 15 minutes, kept in the ledger). The
session's backend is built for ``Actor("counter", operator)``, so every read and write lands in
the audit log with the operator. The personal app's screens (F2-F5) show the person looked up
with ctrl+f; IDs stay masked until F6 reveals them, which is one more audited ``person.show``
read. F9 opens the audit log and F8 the operators (supervisors only). Idle for ``idle_minutes`` → back to the login
screen, and the session (person, screens, backend) is dropped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from yibao_tui.backend.base import Actor, Backend
from yibao_tui.domain.models import Operator
from yibao_tui.i18n import t
from yibao_tui.tui.host.app import HostApp, view_keys
from yibao_tui.tui.host.idle import Clock, IdleTimer
from yibao_tui.tui.widgets.common import focus_keys

if TYPE_CHECKING:
    from yibao_tui.printing import PrintOutcome

MakeBackend = Callable[[Actor], Backend]
#: The modes of a logged-in session, dropped and re-created at every logout.
WORK_MODES: tuple[str, ...] = ("balance", "family", "premium", "withdrawal", "audit", "operators")
#: Screens for supervisors only (the ledger refuses their data to anyone else as well).
SUPERVISOR_MODES = frozenset({"audit", "operators"})


def _login() -> Screen[Any]:
    from yibao_tui.tui.counter.login import CounterLoginScreen

    return CounterLoginScreen()


def _balance() -> Screen[Any]:
    from yibao_tui.tui.views.balance import BalanceScreen

    return BalanceScreen()


def _family() -> Screen[Any]:
    from yibao_tui.tui.views.family import FamilyScreen

    return FamilyScreen()


def _premium() -> Screen[Any]:
    from yibao_tui.tui.counter.premium import CounterPremiumScreen

    return CounterPremiumScreen()


def _withdrawal() -> Screen[Any]:
    from yibao_tui.tui.counter.withdrawal import CounterWithdrawalScreen

    return CounterWithdrawalScreen()


def _audit() -> Screen[Any]:
    from yibao_tui.tui.counter.audit import AuditScreen

    return AuditScreen()


def _operators() -> Screen[Any]:
    from yibao_tui.tui.counter.operators import OperatorsScreen

    return OperatorsScreen()


FACTORIES: dict[str, Callable[[], Screen[Any]]] = {
    "balance": _balance,
    "family": _family,
    "premium": _premium,
    "withdrawal": _withdrawal,
    "audit": _audit,
    "operators": _operators,
}
#: Seconds of warning, with a countdown, before an idle session is logged out.
IDLE_COUNTDOWN = 30.0
#: Actions that need a logged-in operator.
SESSION_ACTIONS = frozenset({"show", "lookup", "reveal", "logout", "help", "reprint"})


def receipts_dir() -> str:
    """Where the counter saves its receipts (as the receipt dialog names it)."""
    from yibao_tui.settings import export_dir

    return str(export_dir() / "receipts")


class CounterApp(HostApp):
    """The service-window app: operator login, any person, everything audited."""

    CSS_PATH = ["../views/views.tcss", "counter.tcss"]
    #: Keys the key bar drops last when the terminal is narrow (the session's own).
    KEYBAR_KEEP = frozenset({"lookup", "reveal", "operators", "audit", "logout"})
    idle_timer: IdleTimer  # the counter always has one (the host allows none)
    DEFAULT_MODE = "login"
    MODES = {"login": _login, **FACTORIES}
    BINDINGS = [
        *view_keys(),
        Binding("f6", "reveal", "key.mode_reveal", id="reveal"),
        Binding("f8", "show('operators')", "key.mode_operators", id="operators"),
        Binding("f9", "show('audit')", "key.mode_audit", id="audit"),
        Binding("f12", "logout", "key.mode_logout", id="logout"),
        Binding("ctrl+p", "command_palette", "key.palette", id="palette", show=False, priority=True),
        *focus_keys(),
    ]

    def __init__(
        self,
        make_backend: MakeBackend,
        *,
        window: str = "1",
        idle_minutes: float = 5.0,
        lang: str = "zh",
        today: dt.date | None = None,
        clock: Clock | None = None,
        cursor_blink: bool = True,
        printer: str | None = None,
    ) -> None:
        self.make_backend = make_backend
        #: The backend before login: only ``operator_login`` is asked of it.
        self.gate = make_backend(Actor("counter"))
        super().__init__(
            self.gate,
            lang=lang,
            # the same total idle time, its last IDLE_COUNTDOWN seconds counted down on screen
            idle_timer=self.make_idle(
                max(1.0, idle_minutes * 60 - IDLE_COUNTDOWN), IDLE_COUNTDOWN, clock
            ),
            today=today,
            cursor_blink=cursor_blink,
        )
        self.window = str(window)
        self.printer = printer
        #: Whether the window has a printer: found at each login (``None``: not asked yet).
        #: Without one, receipts are only saved as files: no print job, nothing spooled.
        self.print_ready: bool | None = None
        self.station = t("print.station_window", n=self.window)
        self.operator: Operator | None = None
        #: What the login screen says when it is shown again (why the session ended).
        self.login_notice = ""
        self.title = t("mode.counter.title", window=self.window)

    def on_mount(self) -> None:
        self.set_interval(1.0, self.idle_tick, name="idle")

    async def close_backends(self) -> None:
        """The session's backend and the gate."""
        for backend in {id(self.backend): self.backend, id(self.gate): self.gate}.values():
            try:
                await backend.close()
            except Exception:  # noqa: BLE001 - leaving anyway
                pass

    # --- session ------------------------------------------------------------------------------

    async def login(self, operator: Operator) -> None:
        """Called by the login screen: open the operator's session (its own audited backend)."""
        self.operator = operator
        self.backend = self.make_backend(Actor("counter", operator.id))
        self.login_notice = ""
        self.idle_timer.touch()
        self.title = t(
            "mode.counter.title_op",
            window=self.window,
            name=operator.name,
            id=operator.id,
            role=t(f"mode.role.{operator.role}"),
        )
        await self.switch_mode("balance")
        self.action_lookup()
        if self.printer is not None:
            self.run_worker(self._find_printer(), group="printer", exclusive=True, exit_on_error=False)

    async def _find_printer(self) -> None:
        """Once per login: is there a printer? Say so once when not (receipts are then saved as
        files only, not piled up in the spool), and how many documents wait for a reprint."""
        import asyncio

        from yibao_tui.printing import ABSENT, availability, pending

        problem = await asyncio.to_thread(availability, self.printer or None)
        self.print_ready = problem is None or problem.code not in ABSENT
        if problem is not None and not self.print_ready:
            self.notify(t("print.counter.no_printer", reason=problem.message(), path=receipts_dir()),
                        severity="warning", markup=False, timeout=15)
        kept = await asyncio.to_thread(pending)
        if kept:
            self.notify(t("print.reprint.kept", n=len(kept)), markup=False, timeout=10)

    def may_print(self) -> bool:
        """Receipts print only when the login found a printer (or has not finished asking)."""
        return self.printer is not None and self.print_ready is not False

    def printed(self, outcome: PrintOutcome) -> None:
        """A printer that vanished mid-session: say so once, and stop sending receipts to it;
        one that printed (the clerk's 打印回执 after fixing it) is back."""
        from yibao_tui.printing import ABSENT

        if outcome.printed:
            self.print_ready = True
        elif outcome.problem is not None and outcome.problem.code in ABSENT and self.print_ready:
            self.print_ready = False
            self.notify(t("print.counter.gone", reason=outcome.problem.message(), path=receipts_dir()),
                        severity="warning", markup=False, timeout=15)

    def action_reprint(self) -> None:
        """The palette's 补打单据: every document kept for a reprint."""
        if self.operator is not None:
            self.reprint_kept()

    async def logout(self, notice: str = "") -> None:
        """Back to the login screen; the person, the session's screens and backend are dropped."""
        if self.operator is None:
            return
        session = self.backend
        self.operator = None
        self.print_ready = None  # asked again at the next login
        self.forget()
        self.backend = self.gate
        self.login_notice = notice
        self.title = t("mode.counter.title", window=self.window)
        await self.switch_mode("login")
        for mode in WORK_MODES:
            await self.remove_mode(mode)
            self.add_mode(mode, FACTORIES[mode])
        if session is not self.gate:
            try:
                await session.close()
            except Exception:  # noqa: BLE001
                pass
        self.refresh_bindings()

    def idle_tick(self) -> None:
        """Every second: idle long enough → a countdown over the screen (a half-filled form
        stays under it; any key keeps the session), then the logout (issue 8 defect 11)."""
        from yibao_tui.tui.widgets.dialogs import IdleCountdown

        countdown = next((s for s in self.screen_stack if isinstance(s, IdleCountdown)), None)
        state = self.idle_timer.state() if self.operator is not None else "active"
        if state == "expired":
            self.run_worker(
                self.logout(t("mode.counter.idle_logout")),
                group="logout",
                exclusive=True,
                exit_on_error=False,
            )
        elif state == "warning":
            if countdown is None:
                self.push_screen(
                    IdleCountdown("mode.counter.idle_warning", self.idle_timer.remaining())
                )
            else:
                countdown.show(self.idle_timer.remaining())
        elif countdown is not None:
            self._hide_countdown()

    def activity(self) -> None:
        """A key or a click during the countdown keeps the session (the countdown closes)."""
        from yibao_tui.tui.widgets.dialogs import IdleCountdown

        if isinstance(self.screen, IdleCountdown):
            self.call_later(self._hide_countdown)

    def _hide_countdown(self) -> None:
        from yibao_tui.tui.widgets.dialogs import IdleCountdown

        if isinstance(self.screen, IdleCountdown):
            self.pop_screen()

    # --- actions ------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Nothing but login (and quit) before an operator is logged in."""
        if action in SESSION_ACTIONS and self.operator is None:
            return False
        return True

    def key_hidden(self, binding: Binding) -> bool:
        """The key bar leaves out what this operator cannot use (F8/F9 for a clerk)."""
        if self.operator is None or self.operator.role == "supervisor":
            return False
        return any(binding.action == f"show('{mode}')" for mode in SUPERVISOR_MODES)

    def key_description(self, binding: Binding) -> str | None:
        """F6 says what it does now: reveal the IDs, or mask them again."""
        if binding.action == "reveal" and not self.masked:
            return t("key.mode_mask_again")
        return None

    def watch_masked(self, masked: bool) -> None:
        self.refresh_bindings()  # the key bar's F6 says the other thing now

    def action_show(self, mode: str) -> None:
        """Switch to one of the session's screens (the audit log for supervisors only)."""
        if self.operator is None or mode not in FACTORIES:
            return
        if mode in SUPERVISOR_MODES and self.operator.role != "supervisor":
            self.notify(t(f"mode.{mode}.supervisors_only"), severity="warning", markup=False)
            return
        if mode != self.current_mode:
            self.switch_mode(mode)

    def action_lookup(self) -> None:
        """ctrl+f: the next person (type the ID or let the card reader type the card number)."""
        from yibao_tui.tui.views.lookup import LookupScreen

        if self.operator is not None and not isinstance(self.screen, LookupScreen):
            self.push_screen(LookupScreen())

    def action_reveal(self) -> None:
        """F6: show the full ID numbers of this person (logged), or mask them again."""
        if self.person is None:
            self.notify(t("mode.counter.no_person"), severity="warning", markup=False)
            return
        if not self.masked:
            self.masked = True
            self.notify(t("mode.counter.masked_again"), markup=False)
            return
        self.run_worker(self._reveal(), group="reveal", exclusive=True, exit_on_error=False)

    async def _reveal(self) -> None:
        person = self.person
        if person is None:
            return
        try:
            # The reveal is itself an audited read of the person (``person.show``).
            await self.backend.person(person.id)
        except Exception as err:  # noqa: BLE001
            self.report(err)
            return
        if self.person is not None and self.person.id == person.id:
            self.masked = False
            self.notify(t("mode.counter.revealed"), markup=False)

    def action_logout(self) -> None:
        """F12: end the session now."""
        self.run_worker(
            self.logout(t("mode.counter.logged_out")), group="logout", exclusive=True, exit_on_error=False
        )

    def action_help(self) -> None:
        """F1: the counter's keys."""
        from yibao_tui.tui.widgets.dialogs import MessageDialog

        text = Text()
        for key, name in HELP_KEYS:
            text.append(f"{key:<10}", style="bold")
            text.append(t(name) + "\n")
        text.append("\n" + t("mode.counter.help_privacy"), style="dim")
        self.push_screen(MessageDialog(t("mode.counter.help_title"), text, dialog_id="counter-help"))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """The palette: the session's screens and actions (only quit before login)."""
        if self.operator is not None:
            for key, name, action in PALETTE:
                yield SystemCommand(f"{t(name)} ({key})", t(name), self._runner(action))
            if self.printer is not None:
                yield SystemCommand(t("cmd.reprint"), t("cmd.reprint.help"), self._runner("reprint"))
            for action, key in getattr(screen, "COMMANDS_HERE", ()):
                yield SystemCommand(t(key), t(f"{key}.help"), self._runner(f"screen.{action}"))
        yield SystemCommand(t("cmd.quit"), t("cmd.quit.help"), self._runner("quit"))

    def _runner(self, action: str) -> Callable[[], None]:
        def run() -> None:
            self.call_later(self.run_action, action)

        return run


HELP_KEYS: tuple[tuple[str, str], ...] = (
    ("F2", "ui.screen.balance"),
    ("F3", "ui.screen.family"),
    ("F4", "ui.screen.premium"),
    ("F5", "mode.counter.withdrawal"),
    ("Ctrl+F", "mode.counter.lookup"),
    ("F6", "key.mode_reveal"),
    ("F8", "key.mode_operators"),
    ("F9", "key.mode_audit"),
    ("F12", "key.mode_logout"),
    ("Ctrl+P", "help.palette"),
    ("Ctrl+Q", "cmd.quit"),
)
PALETTE: tuple[tuple[str, str, str], ...] = (
    ("F2", "ui.screen.balance", "show('balance')"),
    ("F3", "ui.screen.family", "show('family')"),
    ("F4", "ui.screen.premium", "show('premium')"),
    ("F5", "mode.counter.withdrawal", "show('withdrawal')"),
    ("Ctrl+F", "mode.counter.lookup", "lookup"),
    ("F6", "key.mode_reveal", "reveal"),
    ("F8", "key.mode_operators", "show('operators')"),
    ("F9", "key.mode_audit", "show('audit')"),
    ("F12", "key.mode_logout", "logout"),
)


def run_counter(
    make_backend: MakeBackend,
    window: str = "1",
    idle_minutes: float = 5.0,
    lang: str = "zh",
    printer: str | None = "",
) -> int:
    """``yibao counter``: run the service-window app; returns the exit code. ``printer``: where
    receipts print (``""`` the system default, ``None`` nowhere)."""
    app = CounterApp(make_backend, window=window, idle_minutes=idle_minutes, lang=lang,
                     printer=printer)
    result = app.run()
    return int(result or 0) if app.return_code in (None, 0) else int(app.return_code or 1)
