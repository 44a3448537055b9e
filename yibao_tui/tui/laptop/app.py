"""The laptop app: the four views on the F-keys, help, the command palette, a remembered person
and theme; a thin app on the shared host (``tui.host.app``), all talking to a ``Backend`` only.

Only what the first (balance) screen needs is imported at start; the other screens are imported
the first time they are shown. ``run_app`` is what ``yibao`` with no command calls.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import SystemCommand
from textual.binding import Binding
from textual.screen import ModalScreen, Screen

from yibao_tui.domain.errors import YibaoError
from yibao_tui.domain.models import Person
from yibao_tui.i18n import t
from yibao_tui.settings import Settings
from yibao_tui.tui.host.app import HostApp, view_keys

if TYPE_CHECKING:
    from yibao_tui.backend.base import Backend
    from yibao_tui.domain.models import StatementPage, Summary

#: Textual's name for the mode of the default screen: here the balance screen.
BALANCE_MODE = "_default"
#: Seconds the app waits at start for the first screen's data before building it empty.
FIRST_VIEW_WAIT = 0.25

#: Screen modes in F-key order: (mode, key, catalogue key of the name).
SCREENS: tuple[tuple[str, str, str], ...] = (
    ("balance", "f2", "ui.screen.balance"),
    ("family", "f3", "ui.screen.family"),
    ("premium", "f4", "ui.screen.premium"),
    ("withdrawal", "f5", "ui.screen.withdrawal"),
)


def _styled_now(screen: Screen[Any]) -> Screen[Any]:
    """Mark a new screen as styled with the current stylesheet (it is, when it mounts).

    Textual marks every new mode screen out of date, then re-parses every stylesheet and
    restyles every node before showing it: about 12 ms at start (BENCHMARKS.md) and again at
    the first F3, F4 and F5. A theme change still restyles (it bumps the app's count).
    """
    try:
        count = getattr(screen.app, "_css_update_count", None)
    except Exception:  # noqa: BLE001 - no app running: nothing to be current with
        return screen
    if isinstance(count, int):
        screen._css_update_count = count
    return screen


def _balance() -> Screen[Any]:
    from yibao_tui.tui.views.balance import BalanceScreen

    return _styled_now(BalanceScreen())


def _family() -> Screen[Any]:
    from yibao_tui.tui.views.family import FamilyScreen

    return _styled_now(FamilyScreen())


def _premium() -> Screen[Any]:
    from yibao_tui.tui.views.premium import PremiumScreen

    return _styled_now(PremiumScreen())


def _withdrawal() -> Screen[Any]:
    from yibao_tui.tui.views.withdrawal import WithdrawalScreen

    return _styled_now(WithdrawalScreen())


class FirstView:
    """What the balance screen shows first, read before it was built (``None``: not read)."""

    __slots__ = ("person", "summary", "page")

    def __init__(
        self, person: Person, summary: Summary | None, page: StatementPage | None
    ) -> None:
        self.person = person
        self.summary = summary
        self.page = page


class YibaoApp(HostApp):
    """医保个人账户: balance and statement, family bindings, premium payment, withdrawal."""

    CSS_PATH = "../views/views.tcss"
    TITLE = "yibao"
    # The balance screen is Textual's default screen (``get_default_screen``, mode
    # ``"_default"``), not a mode of MODES: Textual waits for a MODES screen to mount inside
    # its start-up batch, where the screen's first paint is thrown away, and repaints it only
    # a frame later (about 25 ms; BENCHMARKS.md). ``on_mount`` makes it switchable like a mode.
    MODES = {
        "family": _family,
        "premium": _premium,
        "withdrawal": _withdrawal,
    }
    # Descriptions are catalogue keys, translated per instance (see translate_bindings).
    BINDINGS = [
        *view_keys(),
        Binding("f6", "toggle_mask", "key.mask", id="mask", show=False),
        Binding("f7", "change_theme", "key.theme", id="theme", show=False),
        Binding(
            "ctrl+p",
            "command_palette",
            "key.palette",
            id="palette",
            show=False,
            priority=True,
            tooltip="key.palette.tooltip",
        ),
    ]

    def __init__(
        self,
        backend: Backend,
        person: str | None = None,
        lang: str = "zh",
        today: dt.date | None = None,
        offer_demo: bool = True,
        cursor_blink: bool = True,
        close_backend: bool = False,
    ) -> None:
        super().__init__(backend, lang=lang, today=today, cursor_blink=cursor_blink,
                         close_backend=close_backend)
        self.requested_person = person
        self.offer_demo = offer_demo
        self.settings = Settings.load()
        self._first: FirstView | None = None
        self.title = t("ui.app.title")
        if self.settings.theme and self.settings.theme in self.available_themes:
            self.theme = self.settings.theme

    # --- start-up ---------------------------------------------------------------------------

    async def on_load(self) -> None:
        """Fetch what the first screen shows before it is built, so that it paints once.

        The person, this year's figures and the first statement page are read in one go while
        nothing else runs (a local ledger answers in a few milliseconds; reading them while the
        screen is being composed made both wait on each other for the GIL). A slow server does
        not hold the terminal: after ``FIRST_VIEW_WAIT`` seconds the screens are built empty and
        filled when the answers arrive (``start``).
        """
        self._prefetch: asyncio.Task[FirstView | None] = asyncio.create_task(self._first_view())
        done, _ = await asyncio.wait({self._prefetch}, timeout=FIRST_VIEW_WAIT)
        if done and not self._prefetch.exception():
            view = self._prefetch.result()
            if view is not None:
                self._first = view
                # No watchers yet: the first screen reads it when it mounts.
                self.set_reactive(YibaoApp.person, view.person)

    def _painted(self) -> None:
        """The first screen is on the terminal: collect garbage again (see ``run_app``)."""
        gc.enable()

    async def _first_view(self) -> FirstView | None:
        """The requested or remembered person with the balance screen's first data."""
        person = await self._find_person()
        if person is None:
            return None
        from yibao_tui.tui.views.balance import BalanceScreen

        summary, page = await BalanceScreen.fetch_first(self.backend, person, self.today)
        return FirstView(person, summary, page)

    def take_first_view(self, person: Person) -> FirstView | None:
        """What was read for ``person`` at start, once (``None`` when nothing or not them)."""
        view, self._first = self._first, None
        return view if view is not None and view.person.id == person.id else None

    async def _find_person(self) -> Person | None:
        """The requested or remembered person; ``None`` when there is none (or no longer)."""
        who = self.requested_person or self.settings.last_person
        if not who:
            return None
        try:
            return await self.backend.person(who)
        except YibaoError as err:
            if self.requested_person or err.code != "UNKNOWN_PERSON":
                raise
            return None

    def on_mount(self) -> None:
        self.call_after_refresh(self._painted)
        # From now on F2 can switch back to the first screen like to any other mode.
        self._modes.setdefault(BALANCE_MODE, _balance)
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        self.start()

    @work(exclusive=True, exit_on_error=False, group="start")
    async def start(self) -> None:
        """Open the requested (or remembered) person; on an empty ledger offer demo data."""
        try:
            view = await self._prefetch
            if view is not None:
                if view.person is not self.person:
                    # It came after the screens were built: they take it now.
                    self._first = view
                self._show_person(view.person)
                return
            if self.offer_demo and await self.backend.is_empty():
                from yibao_tui.tui.widgets.dialogs import ConfirmDialog

                if await self.push_screen_wait(
                    ConfirmDialog(t("ui.demo.question"), yes=t("ui.demo.yes"), no=t("ui.demo.no"))
                ):
                    result = await self.backend.demo()
                    self.notify(t("ui.demo.loaded", persons=result.get("persons", 0)), markup=False)
            owner = await self.backend.demo_owner()
            if owner:
                await self.open_person(owner)
                return
            self.action_lookup()
        except Exception as err:  # noqa: BLE001 - every error becomes a notification
            self.report(err)

    async def open_person(self, who: str) -> Person:
        """Look ``who`` up and show their account on every screen; remembered for next time."""
        person = await self.backend.person(who)
        self._show_person(person)
        return person

    def _show_person(self, person: Person) -> None:
        if person is not self.person:
            self.person = person
        if self.settings.remember(person.card, person.id):  # the card, never the full ID
            self.settings.save()

    async def reload_person(self) -> None:
        """Fetch the current person again (after a payment the balance changed)."""
        if self.person is not None:
            self.person = await self.backend.person(self.person.id)

    def _remember_theme(self, theme: object) -> None:
        name = getattr(theme, "name", None)
        if isinstance(name, str) and name != self.settings.theme:
            self.settings.theme = name
            self.settings.save()

    # --- actions ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """No switching screens or person while a dialog is open: close it first (Esc)."""
        if action in ("show", "lookup") and isinstance(self.screen, ModalScreen):
            return False
        return True

    def get_default_screen(self) -> Screen[Any]:
        """The first screen: balance and statement (the mode ``BALANCE_MODE``)."""
        return _balance()

    def action_show(self, mode: str) -> None:
        """Switch to one of the four screens."""
        target = BALANCE_MODE if mode == "balance" else mode
        if target != self.current_mode and (target in self.MODES or target == BALANCE_MODE):
            self.switch_mode(target)

    def action_help(self) -> None:
        """F1: every key and what each screen does."""
        from yibao_tui.tui.laptop.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_lookup(self) -> None:
        """ctrl+f: find a person by ID or card number."""
        from yibao_tui.tui.views.lookup import LookupScreen

        if not isinstance(self.screen, LookupScreen):
            self.push_screen(LookupScreen())

    def action_toggle_mask(self) -> None:
        """Show or hide full ID numbers and names."""
        self.masked = not self.masked
        self.notify(t("ui.mask.on" if self.masked else "ui.mask.off"), markup=False)

    def screen_action(self, name: str) -> Callable[[], None]:
        """A palette callback that runs ``action_<name>`` on the screen showing then."""

        def run() -> None:
            self.call_later(self.run_action, f"screen.{name}")

        return run

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """The command palette: every screen and every action, in the user's language."""
        for mode, key, name in SCREENS:
            yield SystemCommand(
                f"{t(name)} ({key.upper()})",
                t(f"{name}.help"),
                lambda mode=mode: self.action_show(mode),
            )
        yield SystemCommand(t("cmd.lookup"), t("cmd.lookup.help"), self.action_lookup)
        yield SystemCommand(t("cmd.help"), t("cmd.help.help"), self.action_help)
        yield SystemCommand(t("cmd.mask"), t("cmd.mask.help"), self.action_toggle_mask)
        yield SystemCommand(t("cmd.theme"), t("cmd.theme.help"), self.action_change_theme)
        commands = getattr(screen, "COMMANDS_HERE", ())
        for action, key in commands:
            yield SystemCommand(t(key), t(f"{key}.help"), self.screen_action(action))
        yield SystemCommand(t("cmd.quit"), t("cmd.quit.help"), self.action_quit)


def run_app(backend: Backend, person: str | None = None, lang: str = "zh") -> int:
    """Run the TUI on ``backend`` (``yibao`` with no command); returns the exit code."""
    app = YibaoApp(backend, person=person, lang=lang, close_backend=True)
    # What is alive now (modules, classes, the stylesheet's sources) lives until exit: keep it
    # out of every later collection. Building the first screen allocates a great deal and frees
    # little, so the cyclic collector waits until it is painted (``YibaoApp._painted``).
    gc.freeze()
    gc.disable()
    try:
        result = app.run()
    finally:
        gc.enable()
    return int(result or 0) if app.return_code in (None, 0) else int(app.return_code or 1)


def css_path() -> Path:
    """The stylesheet (for tools that want to lint it)."""
    return Path(__file__).parent.parent / "views" / "views.tcss"
