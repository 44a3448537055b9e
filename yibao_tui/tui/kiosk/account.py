"""The holder's balance and statement, and their family bindings (read only, masked)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Digits, Static
from textual.widgets.data_table import ColumnKey

from yibao_tui.domain.masking import mask_id, mask_name
from yibao_tui.domain.models import StatementPage
from yibao_tui.domain.money import format_fen
from yibao_tui.i18n import t
from yibao_tui.receipts import scrub_ids
from yibao_tui.tui.flows.pager import StatementPager
from yibao_tui.tui.kiosk.base import KioskScreen
from yibao_tui.tui.widgets.common import cell, kind_name, relation_name, short_time
from yibao_tui.tui.widgets.rowtable import RowTable

#: Statement rows per page when the table's height is not known yet.
PAGE = 10
#: Bounds of the rows per page (a page is what fits on screen: no scrolling inside a page).
MIN_PAGE, MAX_PAGE = 3, 30
#: Every statement kind (for the kind column's width).
KIND_CODES: tuple[str, ...] = (
    "opening", "credit", "outpatient", "pharmacy", "inpatient", "commercial-insurance",
    "long-term-care", "pension", "premium", "withdrawal", "reversal",
)
#: Fixed columns: time (``2026-03-02 10:00``), amount and balance (``-¥12,345.67``).
TIME_W, MONEY_W = 16, 11
#: The memo column's minimum: a masked ID (18 cells) or ``2025 · 子女 王*``.
MEMO_MIN = 18


def statement_widths(screen_width: int) -> list[tuple[str, int]]:
    """Column widths that fit ``screen_width`` (80 cells at least): the kind column gets its
    longest name if there is room, the memo column the rest (never less than a masked ID)."""
    from rich.cells import cell_len

    # the table's margins (2), each column's padding (2 x 5), the two money columns and the time
    room = max(80, screen_width) - 2 - 10 - TIME_W - 2 * MONEY_W
    longest = max(cell_len(kind_name(k)) for k in KIND_CODES)
    kind = max(8, min(longest, room - MEMO_MIN))
    return [
        ("time", TIME_W),
        ("kind", kind),
        ("amount", MONEY_W),
        ("balance", MONEY_W),
        ("memo", max(MEMO_MIN, room - kind)),
    ]


def fit(text: str, width: int) -> Text:
    """A cell cut to ``width`` cells with an ellipsis (the table would cut it silently)."""
    cell_text = Text(text, no_wrap=True)
    cell_text.truncate(width, overflow="ellipsis")
    return cell_text


class KioskBalance(KioskScreen):
    """余额与明细: the balance in big digits and the statement, a screenful of rows a page."""

    TITLE_KEY = "mode.kiosk.svc.balance"
    AUTO_FOCUS = "#next"
    BINDINGS = [
        Binding("n,pagedown", "next_page", "mode.kiosk.next"),
        Binding("p,pageup", "prev_page", "mode.kiosk.prev"),
    ]

    def __init__(self) -> None:
        super().__init__()
        #: The holder's statement, a screenful per page (the shared pager).
        self.pager: StatementPager | None = None
        #: Who a statement line's counterparty is, as the holder knows them (``子女 王*``);
        #: fetched once per screen (the screen is dropped with the session).
        self.labels: dict[str, str] | None = None

    def compose_body(self) -> ComposeResult:
        with Vertical(id="kiosk-balance"):
            yield Static(Text(t("mode.kiosk.balance")), classes="kiosk-caption")
            with Horizontal(id="balance-row"):
                yield Digits("", id="balance")
                yield Static("", id="balance-status", classes="kiosk-caption")
        yield RowTable(id="statement", cursor_type="row", zebra_stripes=True)
        with Horizontal(classes="kiosk-buttons"):
            yield Button(t("mode.kiosk.prev"), id="prev", classes="kiosk-nav")
            yield Static("", id="page-info", classes="kiosk-caption")
            yield Button(t("mode.kiosk.next"), id="next", classes="kiosk-nav")
            if getattr(self.app, "printer", None) is not None:  # a kiosk with a printer
                yield Button(t("print.button.statement"), id="print-statement", classes="kiosk-nav")

    def on_mount(self) -> None:
        table = self.query_one("#statement", DataTable)
        for key, width in statement_widths(self.app.size.width):
            table.add_column(t(f"ui.col.{key}"), key=key, width=width)
        # after the first layout: the rows per page follow the table's height
        self.call_after_refresh(self.load)

    @on(Button.Pressed, "#print-statement")
    def _print_pressed(self) -> None:
        self.print_statement()

    @work(exclusive=True, exit_on_error=False, group="print-statement")
    async def print_statement(self) -> None:
        """The 12 months ending today, printed with the kiosk's number (masked like the screen)."""
        from yibao_tui.printing import twelve_month_statement

        holder = self.holder
        try:
            doc = await twelve_month_statement(
                self.backend, self.kapp.person_id, holder.name if holder else "", self.kapp.today,
                station=self.kapp.station, printed_at=dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
            )
        except Exception as err:  # noqa: BLE001
            self.kapp.report(err)
            return
        self.notify(t("print.kiosk.printing"), markup=False)
        self.kapp.print_later(doc, f"statement-{dt.datetime.now():%Y%m%d%H%M%S}")

    def page_rows(self) -> int:
        """As many rows as the table shows without scrolling (its header takes one line)."""
        height = self.query_one("#statement", DataTable).scrollable_content_region.height
        if height <= 1:
            return PAGE
        return max(MIN_PAGE, min(MAX_PAGE, height - 1))

    async def _labels(self) -> dict[str, str]:
        """The holder's relatives (ended bindings too) as ``relation masked-name``."""
        if self.labels is None:
            labels: dict[str, str] = {}
            try:
                for b in await self.backend.bindings(self.kapp.person_id, include_ended=True):
                    labels[b.relative_id] = f"{relation_name(b.relation)} {mask_name(b.relative_name)}"
            except Exception:  # noqa: BLE001 - the masked ID will do
                pass
            # two children both ``子女 王*``: the last four of their IDs tell them apart
            seen = Counter(labels.values())
            labels = {rid: f"{v} {rid[-4:]}" if seen[v] > 1 else v for rid, v in labels.items()}
            labels[self.kapp.person_id] = t("mode.kiosk.self")
            self.labels = labels
        return self.labels

    def counterparty(self, who: str, labels: dict[str, str]) -> str:
        """``子女 王*`` for a relative, ``本人`` for the holder, else the masked ID."""
        return labels.get(who) or mask_id(who)

    @property
    def page(self) -> StatementPage | None:
        """The page shown."""
        return self.pager.page if self.pager else None

    @work(exclusive=True, exit_on_error=False, group="load")
    async def load(self, move: str = "first") -> None:
        """The balance and one page of the statement (``move``: first, next or prev)."""
        status = self.query_one("#balance-status", Static)
        if self.pager is None:
            self.pager = StatementPager(self.backend, self.kapp.person_id, self.page_rows())
        pager = self.pager
        try:
            bal = await self.backend.balance(self.kapp.person_id)
            if move == "next":
                page = await pager.next()
            elif move == "prev":
                page = await pager.prev()
            else:
                page = await pager.first(page_size=self.page_rows())
            labels = await self._labels()
        except Exception as err:  # noqa: BLE001
            self.say_error(status, err)
            return
        self.query_one("#balance", Digits).update(format_fen(bal.balance_fen, symbol=False))
        status.update(
            Text(t(f"status.{bal.status}"), style="" if bal.status == "active" else "bold red")
        )
        if page is None:
            return
        table = self.query_one("#statement", DataTable)
        table.clear()
        kind_w, memo_w = table.columns[ColumnKey("kind")].width, table.columns[ColumnKey("memo")].width
        for e in page.entries:
            memo = e.memo
            if e.counterparty:
                who = self.counterparty(e.counterparty, labels)
                memo = f"{memo} · {who}" if memo else who
            table.add_row(
                cell(short_time(e.time)),
                fit(kind_name(e.kind), kind_w),  # cut visibly (English names are long)
                cell(
                    format_fen(e.amount_fen),
                    right=True,
                    style="green" if e.amount_fen > 0 else "red",
                ),
                cell(format_fen(e.balance_after_fen), right=True),
                fit(scrub_ids(memo), memo_w),
            )
        pages = pager.pages
        number = f"{pager.number} / {pages}" if pages is not None else str(pager.number)
        self.query_one("#page-info", Static).update(Text(t("mode.kiosk.page", n=number)))
        self.query_one("#prev", Button).disabled = not pager.has_prev
        self.query_one("#next", Button).disabled = not pager.has_next

    @on(Button.Pressed, "#next")
    def action_next_page(self) -> None:
        """Older entries."""
        if self.pager is not None and self.pager.has_next:
            self.load("next")

    @on(Button.Pressed, "#prev")
    def action_prev_page(self) -> None:
        """Newer entries."""
        if self.pager is not None and self.pager.has_prev:
            self.load("prev")


class KioskFamily(KioskScreen):
    """家庭成员: who the holder bound (and who bound the holder), masked."""

    TITLE_KEY = "mode.kiosk.svc.family"
    AUTO_FOCUS = "#family"

    def compose_body(self) -> ComposeResult:
        yield Static(Text(t("mode.kiosk.family_bound")), classes="kiosk-caption")
        yield RowTable(id="family", cursor_type="row", zebra_stripes=True)
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
            table.add_column(t(f"family.col.{key}"), key=key, width=width)
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
                cell(t(f"binding.{b.status}")),
                cell(short_time(b.bound_at)[:10]),
            )
        if not bindings:
            note.update(Text(t("mode.kiosk.family_none")))
        if bound_by:
            holders = t("mode.list_sep").join(mask_id(b.holder_id) for b in bound_by)
            note.update(Text(t("mode.kiosk.bound_by", holders=holders)))
