"""余额与明细 (F2): the balance, this year's figures, a 24-month trend, the paged statement."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Digits, Input, Sparkline, Static

from yibao_tui.domain.models import Entry, Person, StatementPage, Summary
from yibao_tui.domain.money import fen_to_plain, format_fen
from yibao_tui.i18n import t
from yibao_tui.tui.flows.pager import StatementFilter, StatementPager
from yibao_tui.tui.views.base import YibaoScreen
from yibao_tui.tui.widgets.common import (
    cell,
    column_width,
    kind_name,
    paging_keys,
    short_time,
    show_id,
)
from yibao_tui.tui.widgets.link import LinkButton
from yibao_tui.tui.widgets.picker import Picker
from yibao_tui.tui.widgets.statement import Column, StatementView

if TYPE_CHECKING:
    from pathlib import Path

    from yibao_tui.backend.base import Backend

#: Rows per keyset page; the statement never holds more than one page.
PAGE_SIZE = 50
#: Rows per page while exporting (streamed to the file, page by page).
EXPORT_PAGE = 500
KINDS = (
    "credit",
    "outpatient",
    "pharmacy",
    "inpatient",
    "premium",
    "commercial-insurance",
    "long-term-care",
    "withdrawal",
    "reversal",
    "opening",
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_date(text: str) -> str | None | bool:
    """``None`` for empty, the ISO date when valid, ``False`` when not a date."""
    value = text.strip()
    if not value:
        return None
    if not _DATE.match(value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return value


class BalanceScreen(YibaoScreen):
    """The first screen: where the money is and where it went."""

    NAME_KEY = "ui.screen.balance"
    AUTO_FOCUS = "#statement"
    BINDINGS = [
        *paging_keys(),
        Binding("d", "print_statement", "key.print", id="print_statement"),
        Binding("x", "clear_filters", "key.clear_filters", id="clear_filters", show=False),
    ]
    COMMANDS_HERE = (
        ("next_page", "cmd.next_page"),
        ("prev_page", "cmd.prev_page"),
        ("export", "cmd.export"),
        ("print_statement", "cmd.print_statement"),
        ("clear_filters", "cmd.clear_filters"),
    )

    def __init__(self) -> None:
        super().__init__()
        #: The shown person's statement, one keyset page at a time (``None``: nobody).
        self.pager: StatementPager | None = None
        self._filters: tuple[str | None, str | None, str | None] = (None, None, None)
        #: The last statement saved as PDF (D, then 保存为 PDF).
        self.last_pdf: Path | None = None

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="summary"):
            with Vertical(id="balance-box"):
                yield Static(t("ui.balance.label"), classes="caption")
                yield Digits("", id="balance-digits")
            yield Static("", id="year-figures")
            with Vertical(id="trend-box"):
                yield Static(t("ui.balance.trend"), classes="caption")
                yield Sparkline([], id="trend")
        with Horizontal(id="filters", classes="bar"):
            yield Input(placeholder=t("ui.filter.from"), id="date-from", max_length=10)
            yield Input(placeholder=t("ui.filter.to"), id="date-to", max_length=10)
            yield Picker(
                [(kind_name(k), k) for k in KINDS],
                prompt=t("ui.filter.all_kinds"),
                title=t("ui.col.kind"),
                id="kind",
            )
            yield LinkButton(t("ui.export"), id="export", primary=True)
        money = format_fen(-99_999_999)
        yield StatementView(
            [
                Column(t("ui.col.time"), column_width(t("ui.col.time"), "2025-01-01 00:00")),
                Column(t("ui.col.kind"), column_width(t("ui.col.kind"), *map(kind_name, KINDS))),
                Column(t("ui.col.amount"), column_width(t("ui.col.amount"), money), right=True),
                Column(t("ui.col.balance"), column_width(t("ui.col.balance"), money), right=True),
                Column(t("ui.col.memo"), column_width(t("ui.col.memo"), minimum=30)),
            ],
            id="statement",
        )
        with Horizontal(id="pager", classes="bar"):
            yield LinkButton(t("ui.prev_page"), id="prev")
            yield Static("", id="page-info")
            yield LinkButton(t("ui.next_page"), id="next")

    # --- loading ---------------------------------------------------------------------------

    @staticmethod
    async def fetch_first(
        backend: Backend, person: Person, today: dt.date
    ) -> tuple[Summary | None, StatementPage | None]:
        """What the screen first shows for ``person``: the year's summary and the newest page.

        The app reads it before the screen is built (``YibaoApp.on_load``) so the first paint
        has the data. A part that fails is ``None``: the screen then asks again and reports.
        """
        if person.balance_fen is None:
            return None, None
        summary, page = await asyncio.gather(
            backend.summary(person.id, today.year),
            backend.statement(person.id, cursor=None, limit=PAGE_SIZE, with_total=True),
            return_exceptions=True,
        )
        return (
            summary if isinstance(summary, Summary) else None,
            page if isinstance(page, StatementPage) else None,
        )

    def person_changed(self, person: Person | None) -> None:
        self.pager = None
        if person is not None:
            self.pager = StatementPager(self.backend, person.id, PAGE_SIZE)
            self.pager.filter = StatementFilter(*self._filters)
        take = getattr(self.app, "take_first_view", None)
        first = take(person) if take is not None and person is not None else None
        if first is not None and first.summary is not None and person is not None:
            self.fresh()  # read at start
            self.workers.cancel_group(self, "summary")
            self._show_summary(person, first.summary)
        else:
            self.load_summary()
        if (
            first is not None
            and first.page is not None
            and self.pager is not None
            and self._filters == (None, None, None)
        ):
            self.workers.cancel_group(self, "page")
            self.pager.adopt(first.page, PAGE_SIZE)
            self._show_page(first.page)
        else:
            self.load_page()

    def refresh_data(self) -> None:
        self.load_summary()
        self.load_page()

    def mask_changed(self, masked: bool) -> None:
        """Redraw the page (counterparties are IDs); the summary has none."""
        self.load_page()

    @work(exclusive=True, exit_on_error=False, group="summary")
    async def load_summary(self) -> None:
        """The balance, this year's credits and spending, the month-end balances."""
        person = self.person
        if person is None or person.balance_fen is None:
            self._show_summary(person, None)
            return
        try:
            summary = await self.backend.summary(person.id, self.yapp.today.year)
        except Exception as err:  # noqa: BLE001
            self.report(err)
            return
        self.fresh()
        self._show_summary(person, summary)

    def _show_summary(self, person: Person | None, summary: Summary | None) -> None:
        digits = self.query_one("#balance-digits", Digits)
        figures = self.query_one("#year-figures", Static)
        trend = self.query_one("#trend", Sparkline)
        if person is None:
            digits.update("")
            figures.update("")
            trend.data = []
            return
        if summary is None:
            digits.update("-")
            figures.update(Text(t("ui.balance.no_account"), style="dim"))
            trend.data = []
            return
        digits.update(format_fen(summary.balance_fen, symbol=False))
        text = Text()
        text.append(t("ui.balance.year", year=summary.year), style="bold")
        text.append("\n")
        text.append(t("ui.balance.credits"))
        text.append(format_fen(summary.year_credits_fen), style="green")
        text.append("\n")
        text.append(t("ui.balance.spending"))
        text.append(format_fen(summary.year_spending_fen), style="red")
        if summary.months:
            text.append("\n")
            text.append(
                t("ui.balance.months", first=summary.months[0], last=summary.months[-1]),
                style="dim",
            )
        figures.update(text)
        trend.data = [v / 100 for v in summary.month_balances_fen] or [0]

    @work(exclusive=True, exit_on_error=False, group="page")
    async def load_page(self, move: str = "reload") -> None:
        """The page the pager is on (``move``: ``reload``, ``next``, ``prev`` or ``first``);
        one keyset page, never the whole history."""
        person, pager = self.person, self.pager
        if person is None or pager is None or person.balance_fen is None:
            self._show_page(None)
            return
        try:
            if move == "next":
                page = await pager.next()
            elif move == "prev":
                page = await pager.prev()
            elif move == "first":
                page = await pager.first(StatementFilter(*self._filters))
            else:
                page = await pager.reload()
        except Exception as err:  # noqa: BLE001
            self.report(err)
            return
        self.fresh()
        if page is not None:
            self._show_page(page)

    def _show_page(self, page: StatementPage | None) -> None:
        """Fill the statement and the page line (``None``: no account, nothing to show)."""
        table = self.query_one("#statement", StatementView)
        info = self.query_one("#page-info", Static)
        if page is None:
            table.set_rows([])
            info.update("")
            self._update_pager()
            return
        rows = []
        for e in page.entries:
            amount_style = "green" if e.amount_fen > 0 else ("red" if e.amount_fen < 0 else "")
            rows.append(
                [
                    cell(short_time(e.time)),
                    cell(kind_name(e.kind)),
                    cell(format_fen(e.amount_fen), style=amount_style),
                    cell(format_fen(e.balance_after_fen)),
                    cell(self._memo(e)),
                ]
            )
        table.set_rows(rows)
        if not page.entries:
            info.update(Text(t("ui.statement.empty"), style="dim"))
        else:
            # counted on the first page, said on every page
            count = self.pager.total if self.pager is not None else page.total
            total = t("ui.statement.total", n=count) if count is not None else ""
            info.update(
                Text(
                    t(
                        "ui.statement.page",
                        page=self.page_number(),
                        opening=format_fen(page.opening_balance_fen),
                        closing=format_fen(page.closing_balance_fen),
                    )
                    + total
                )
            )
        self._update_pager()

    def _memo(self, e: Entry) -> str:
        """The memo, and whom else the movement was for (a relative's bill or premium; the ID
        masked like every ID)."""
        person = self.person
        if not e.counterparty or (person is not None and e.counterparty == person.id):
            return e.memo
        other = t("ui.statement.for", id=show_id(e.counterparty, self.masked))
        return f"{e.memo} · {other}" if e.memo else other

    def page_number(self) -> str:
        """``3 / 12`` (or ``3`` while the pages are not counted)."""
        pager = self.pager
        if pager is None:
            return ""
        pages = pager.pages
        return f"{pager.number} / {pages}" if pages is not None else str(pager.number)

    def _update_pager(self) -> None:
        pager = self.pager
        self.query_one("#prev", LinkButton).disabled = pager is None or not pager.has_prev
        self.query_one("#next", LinkButton).disabled = pager is None or not pager.has_next

    # --- paging and filters ----------------------------------------------------------------

    def action_next_page(self) -> None:
        """The rest of this page first (it may be taller than the screen), then the next
        (older) page."""
        if self.query_one("#statement", StatementView).scroll_page(1):
            return
        if self.pager is not None and self.pager.has_next:
            self.load_page("next")

    def action_prev_page(self) -> None:
        """The top of this page first, then the previous (newer) page."""
        if self.query_one("#statement", StatementView).scroll_page(-1):
            return
        if self.pager is not None and self.pager.has_prev:
            self.load_page("prev")

    def action_clear_filters(self) -> None:
        """Show the whole statement again."""
        self.query_one("#date-from", Input).value = ""
        self.query_one("#date-to", Input).value = ""
        self.query_one("#kind", Picker).clear()
        self._apply_filters()

    @on(LinkButton.Pressed, "#next")
    def _next(self) -> None:
        if self.pager is not None and self.pager.has_next:  # the link turns the page at once
            self.load_page("next")

    @on(LinkButton.Pressed, "#prev")
    def _prev(self) -> None:
        if self.pager is not None and self.pager.has_prev:
            self.load_page("prev")

    @on(LinkButton.Pressed, "#export")
    def _export(self) -> None:
        self.action_export()

    @on(Input.Changed, "#date-from, #date-to")
    def _date_changed(self, event: Input.Changed) -> None:
        valid = parse_date(event.value) is not False
        event.input.set_class(not valid, "-invalid")
        if valid:
            self._apply_filters()

    @on(Input.Submitted, "#date-from, #date-to")
    def _date_submitted(self, event: Input.Submitted) -> None:
        if parse_date(event.value) is False:
            self.notify(
                t("ui.filter.bad_date", value=event.value),
                severity="warning",
                markup=False,
            )

    @on(Picker.Changed, "#kind")
    def _kind_changed(self) -> None:
        self._apply_filters()

    def _apply_filters(self) -> None:
        date_from = parse_date(self.query_one("#date-from", Input).value)
        date_to = parse_date(self.query_one("#date-to", Input).value)
        if date_from is False or date_to is False:
            return
        kind = self.query_one("#kind", Picker).value
        filters = (date_from or None, date_to or None, kind)
        if filters != self._filters:
            self._filters = filters  # type: ignore[assignment]
            self.load_page("first")

    # --- print or save as PDF ---------------------------------------------------------------

    def action_print_statement(self) -> None:
        """The statement of the chosen dates (else the last 12 months) to a printer or a PDF."""
        person = self.person
        if person is None or person.balance_fen is None:
            return
        self.print_statement()

    @work(exclusive=True, exit_on_error=False, group="print")
    async def print_statement(self) -> None:
        """Ask CUPS for its printers (on a thread), then let the user choose where it goes."""
        from yibao_tui.printing import NO_PRINTER, PrintProblem, printers, statement_period
        from yibao_tui.settings import export_dir
        from yibao_tui.tui.views.print_statement import PrintStatementDialog

        person = self.person
        if person is None:
            return
        date_from, date_to, _ = self._filters
        start, end = statement_period(self.yapp.today, date_from, date_to)
        try:
            names, default = await asyncio.to_thread(printers)
            problem = "" if names else PrintProblem(NO_PRINTER).message()
        except PrintProblem as err:
            names, default, problem = [], "", err.message()

        def chosen(choice: tuple[str, str] | None) -> None:
            if choice is not None and self.person is person:
                self.send_statement(person, date_from, date_to, choice)

        self.app.push_screen(PrintStatementDialog(
            t("print.dialog.period", date_from=start, date_to=end), names, default, problem,
            str(export_dir())), chosen)

    @work(exclusive=True, exit_on_error=False, group="print")
    async def send_statement(self, person: Person, date_from: str | None, date_to: str | None,
                             choice: tuple[str, str]) -> None:
        """Make the statement (masked) and print it or save it as a PDF in the export folder."""
        from yibao_tui.printing import (
            NO_PDF,
            PrintProblem,
            period_statement,
            print_document,
            save_pdf,
        )
        from yibao_tui.settings import export_dir
        from yibao_tui.tui.views.print_statement import SAVE_PDF

        self.notify(t("print.dialog.working"), markup=False)
        try:
            doc = await period_statement(
                self.backend, person.id, person.name, self.yapp.today, date_from, date_to,
                station=getattr(self.app, "station", ""),
                printed_at=dt.datetime.now().strftime("%Y-%m-%d %H:%M"))
            name = f"statement-{person.id[-4:]}-{self.yapp.today:%Y%m%d}"
            if choice[0] == SAVE_PDF:
                path = await asyncio.to_thread(save_pdf, doc, f"yibao-{name}", export_dir())
                self.last_pdf = path
                self.notify(t("print.saved_pdf", path=str(path)), markup=False, timeout=15)
                return
            outcome = await asyncio.to_thread(print_document, doc, name, choice[1])
        except ImportError:
            self.notify(PrintProblem(NO_PDF).message(), severity="warning", markup=False, timeout=10)
            return
        except Exception as err:  # noqa: BLE001
            self.report(err)
            return
        self.notify(outcome.message(), severity="information" if outcome.printed else "warning",
                    markup=False, timeout=15)

    # --- export ----------------------------------------------------------------------------

    def action_export(self) -> None:
        """Write the filtered statement to a CSV file, page by page."""
        if self.person is None:
            return
        self.export_csv()

    @work(exclusive=True, exit_on_error=False, group="export")
    async def export_csv(self) -> Path | None:
        """Stream every page of the filtered statement into a CSV file; show where it is."""
        from yibao_tui.domain.csvout import writer as csv_writer
        from yibao_tui.files import open_private, private_dir
        from yibao_tui.settings import export_dir

        person = self.person
        if person is None:
            return None
        date_from, date_to, kind = self._filters
        stamp = self.yapp.today.strftime("%Y%m%d")
        folder = export_dir()
        path = folder / f"yibao-statement-{person.id[-4:]}-{stamp}.csv"
        n = 0
        while path.exists():
            n += 1
            path = folder / f"yibao-statement-{person.id[-4:]}-{stamp}-{n}.csv"
        self.notify(t("ui.export.started"), markup=False)
        try:
            private_dir(folder)
            with open_private(path, encoding="utf-8-sig", newline="") as f:
                writer = csv_writer(f)  # the one CSV writer: formula-like cells neutralised
                writer.writerow(
                    [
                        t("ui.col.time"),
                        t("ui.col.kind"),
                        t("ui.col.amount"),
                        t("ui.col.balance"),
                        t("ui.col.memo"),
                        "kind",
                        "entry_id",
                        "counterparty",
                    ]
                )
                cursor: str | None = None
                rows = 0
                while True:
                    page = await self.backend.statement(
                        person.id,
                        date_from=date_from,
                        date_to=date_to,
                        kind=kind,
                        cursor=cursor,
                        limit=EXPORT_PAGE,
                        newest_first=False,
                    )
                    for e in page.entries:
                        writer.writerow(
                            [
                                e.time,
                                kind_name(e.kind),
                                fen_to_plain(e.amount_fen),
                                fen_to_plain(e.balance_after_fen),
                                e.memo,
                                e.kind,
                                e.entry_id,
                                ""
                                if e.counterparty in ("", person.id)
                                else show_id(e.counterparty, self.masked),
                            ]
                        )
                    rows += len(page.entries)
                    if not page.next_cursor:
                        break
                    cursor = page.next_cursor
        except Exception as err:  # noqa: BLE001
            path.unlink(missing_ok=True)
            self.report(err)
            return None
        self.notify(
            t("ui.export.done", n=rows, path=str(path)),
            title=t("ui.export.title"),
            markup=False,
            timeout=15,
        )
        self.last_export = path
        return path
