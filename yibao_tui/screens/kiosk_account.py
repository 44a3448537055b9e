"""The holder's balance and statement, and their family bindings (read only, masked)."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Digits, Static

from yibao_tui.domain.masking import mask_id, mask_name
from yibao_tui.domain.models import StatementPage
from yibao_tui.domain.money import format_fen
from yibao_tui.i18n import t
from yibao_tui.modes.receipts import scrub_ids
from yibao_tui.screens.kiosk_base import KioskScreen
from yibao_tui.widgets.common import cell, kind_name, relation_name, short_time

#: Statement rows per page at the kiosk (large text, few rows).
PAGE = 10


class KioskBalance(KioskScreen):
    """余额与明细: the balance in big digits and the statement, ten rows a page."""

    TITLE_KEY = "mode.kiosk.svc.balance"
    AUTO_FOCUS = "#next"
    BINDINGS = [
        Binding("n,pagedown", "next_page", "mode.kiosk.next"),
        Binding("p,pageup", "prev_page", "mode.kiosk.prev"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.cursors: list[str | None] = [None]
        self.page: StatementPage | None = None

    def compose_body(self) -> ComposeResult:
        with Vertical(id="kiosk-balance"):
            yield Static(Text(t("mode.kiosk.balance")), classes="kiosk-caption")
            with Horizontal(id="balance-row"):
                yield Digits("", id="balance")
                yield Static("", id="balance-status", classes="kiosk-caption")
        yield DataTable(id="statement", cursor_type="row", zebra_stripes=True)
        with Horizontal(classes="kiosk-buttons"):
            yield Button(t("mode.kiosk.prev"), id="prev", classes="kiosk-nav")
            yield Static("", id="page-info", classes="kiosk-caption")
            yield Button(t("mode.kiosk.next"), id="next", classes="kiosk-nav")

    def on_mount(self) -> None:
        table = self.query_one("#statement", DataTable)
        for key, width in (
            ("time", 16),
            ("kind", 10),
            ("amount", 13),
            ("balance", 13),
            ("memo", 28),
        ):
            table.add_column(t(f"ui.col.{key}"), key=key, width=width)
        self.load()

    @work(exclusive=True, exit_on_error=False, group="load")
    async def load(self) -> None:
        """The balance and one page of the statement."""
        status = self.query_one("#balance-status", Static)
        try:
            bal = await self.backend.balance(self.kapp.person_id)
            page = await self.backend.statement(
                self.kapp.person_id, cursor=self.cursors[-1], limit=PAGE
            )
        except Exception as err:  # noqa: BLE001
            self.say_error(status, err)
            return
        self.query_one("#balance", Digits).update(format_fen(bal.balance_fen, symbol=False))
        status.update(
            Text(t(f"status.{bal.status}"), style="" if bal.status == "active" else "bold red")
        )
        self.page = page
        table = self.query_one("#statement", DataTable)
        table.clear()
        for e in page.entries:
            memo = e.memo
            if e.counterparty:
                memo = f"{memo} · {mask_id(e.counterparty)}" if memo else mask_id(e.counterparty)
            table.add_row(
                cell(short_time(e.time)),
                cell(kind_name(e.kind)),
                cell(
                    format_fen(e.amount_fen),
                    right=True,
                    style="green" if e.amount_fen > 0 else "red",
                ),
                cell(format_fen(e.balance_after_fen), right=True),
                cell(scrub_ids(memo)),
            )
        self.query_one("#page-info", Static).update(Text(t("mode.kiosk.page", n=len(self.cursors))))
        self.query_one("#prev", Button).disabled = len(self.cursors) <= 1
        self.query_one("#next", Button).disabled = not page.next_cursor

    @on(Button.Pressed, "#next")
    def action_next_page(self) -> None:
        """Older entries."""
        if self.page is not None and self.page.next_cursor:
            self.cursors.append(self.page.next_cursor)
            self.load()

    @on(Button.Pressed, "#prev")
    def action_prev_page(self) -> None:
        """Newer entries."""
        if len(self.cursors) > 1:
            self.cursors.pop()
            self.load()


class KioskFamily(KioskScreen):
    """家庭成员: who the holder bound (and who bound the holder), masked."""

    TITLE_KEY = "mode.kiosk.svc.family"
    AUTO_FOCUS = "#family"

    def compose_body(self) -> ComposeResult:
        yield Static(Text(t("mode.kiosk.family_bound")), classes="kiosk-caption")
        yield DataTable(id="family", cursor_type="row", zebra_stripes=True)
        yield Static("", id="bound-by", classes="kiosk-caption")

    def on_mount(self) -> None:
        table = self.query_one("#family", DataTable)
        for key, width in (
            ("relation", 10),
            ("name", 10),
            ("id", 20),
            ("status", 8),
            ("since", 12),
        ):
            table.add_column(t(f"mode.kiosk.col.{key}"), key=key, width=width)
        self.load()

    @work(exclusive=True, exit_on_error=False, group="load")
    async def load(self) -> None:
        """The holder's bindings and who bound the holder."""
        note = self.query_one("#bound-by", Static)
        try:
            bindings = await self.backend.bindings(self.kapp.person_id)
            bound_by = await self.backend.bound_by(self.kapp.person_id)
        except Exception as err:  # noqa: BLE001
            self.say_error(note, err)
            return
        table = self.query_one("#family", DataTable)
        table.clear()
        for b in bindings:
            table.add_row(
                cell(relation_name(b.relation)),
                cell(mask_name(b.relative_name)),
                cell(mask_id(b.relative_id)),
                cell(t(f"mode.kiosk.binding.{b.status}")),
                cell(short_time(b.bound_at)[:10]),
            )
        if not bindings:
            note.update(Text(t("mode.kiosk.family_none")))
        if bound_by:
            holders = "、".join(mask_id(b.holder_id) for b in bound_by)
            note.update(Text(t("mode.kiosk.bound_by", holders=holders)))
