"""The kiosk's home: the holder's services as big buttons (1-4), 结束服务 (F10)."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid
from textual.screen import Screen
from textual.widgets import Button, Static

from yibao_tui.domain.masking import mask_name
from yibao_tui.i18n import t
from yibao_tui.tui.kiosk.base import KioskScreen

SERVICES: tuple[tuple[str, str], ...] = (
    ("balance", "mode.kiosk.svc.balance"),
    ("family", "mode.kiosk.svc.family"),
    ("premium", "mode.kiosk.svc.premium"),
    ("withdrawal", "mode.kiosk.svc.withdrawal"),
)


class KioskHome(KioskScreen):
    """您好，吴*: choose a service."""

    BACK = False
    AUTO_FOCUS = "#svc-balance"
    BINDINGS = [
        Binding("1", "open('balance')", "mode.kiosk.svc.balance", show=False),
        Binding("2", "open('family')", "mode.kiosk.svc.family", show=False),
        Binding("3", "open('premium')", "mode.kiosk.svc.premium", show=False),
        Binding("4", "open('withdrawal')", "mode.kiosk.svc.withdrawal", show=False),
    ]

    def compose_body(self) -> ComposeResult:
        holder = self.holder
        name = mask_name(holder.name) if holder else ""
        yield Static(Text(t("mode.kiosk.hello", name=name), style="bold"), id="hello")
        with Grid(id="services"):
            for i, (key, label) in enumerate(SERVICES, start=1):
                yield Button(
                    f"{i}  {t(label)}", id=f"svc-{key}", variant="primary", classes="kiosk-big"
                )

    @on(Button.Pressed, ".kiosk-big")
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id and event.button.id.startswith("svc-"):
            self.action_open(event.button.id[4:])

    def action_open(self, service: str) -> None:
        """Open one service on top of the home screen."""
        self.app.push_screen(make_service(service))


def make_service(service: str) -> Screen[None]:
    """A new screen for ``service`` (screens are never reused across sessions)."""
    if service == "balance":
        from yibao_tui.tui.kiosk.account import KioskBalance

        return KioskBalance()
    if service == "family":
        from yibao_tui.tui.kiosk.account import KioskFamily

        return KioskFamily()
    if service == "premium":
        from yibao_tui.tui.kiosk.premium import KioskPremium

        return KioskPremium()
    from yibao_tui.tui.kiosk.withdrawal import KioskWithdrawal

    return KioskWithdrawal()
