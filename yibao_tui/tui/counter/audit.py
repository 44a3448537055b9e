"""The audit log for supervisors (F9): filtered by person, operator, action and dates, newest first,
paged by keyset cursors (``n``/``p``), one readable line per record, exported to CSV (``e``).

Every record shows its channel and action translated and its detail as a readable line in the
user's language (``yibao_tui.i18n.audit``, the same words as ``yibao audit``): ID numbers, names
and account numbers masked; the subject's full ID only after F6 (the counter's audited reveal).
The ledger itself refuses the log to anyone but a supervisor (``SUPERVISOR_REQUIRED``).
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, DataTable, Input, Select, Static

from yibao_tui.domain.models import AuditRow, Person
from yibao_tui.i18n import catalogue, t
from yibao_tui.i18n.audit import action_name, channel_name, csv_header, csv_rows, describe
from yibao_tui.tui.views.base import YibaoScreen
from yibao_tui.tui.widgets.common import cell, column_width, paging_keys, short_time, show_id
from yibao_tui.tui.widgets.rowtable import RowTable

#: Records per page.
PAGE = 50
#: Records per page of the CSV export (all pages of the filtered log are written).
EXPORT_PAGE = 500
#: The actions offered in the filter: the families a supervisor asks about.
ACTION_FILTERS = ("person.find", "person.show", "balance", "statement", "credit", "spend", "family",
                  "premium", "withdrawal", "operator", "operator.login", "card.login", "audit.read")


class AuditScreen(YibaoScreen):
    """Who read or changed what, when, through which channel."""

    NAME_KEY = "mode.audit.title"
    AUTO_FOCUS = "#audit-person"
    BINDINGS = [*paging_keys()]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[AuditRow] = []
        #: Cursors of the pages before this one (for ``p``) and of the page after it.
        self._back: list[str | None] = []
        self._cursor: str | None = None
        self._next: str | None = None
        self.last_export: Path | None = None

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="audit-filters", classes="bar"):
            yield Input(placeholder=t("mode.audit.person"), id="audit-person", max_length=18)
            yield Input(placeholder=t("mode.audit.operator"), id="audit-operator", max_length=32)
            yield Select([(self._action_label(a), a) for a in ACTION_FILTERS], prompt=t("mode.audit.action"),
                         id="audit-action")
            yield Input(placeholder=t("mode.audit.from"), id="audit-since", max_length=10)
            yield Input(placeholder=t("mode.audit.to"), id="audit-to", max_length=10)
            yield Button(t("mode.audit.search"), id="audit-search", variant="primary")
            yield Button(t("ui.export"), id="audit-export")
        yield RowTable(id="audit-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="audit-info", classes="note")

    @staticmethod
    def _action_label(action: str) -> str:
        key = f"mode.audit.family.{action}"
        return t(key) if key in catalogue() else action_name(action)

    def on_mount(self) -> None:
        table = self.query_one("#audit-table", DataTable)
        for key, samples in (
            ("seq", ["999999"]),
            ("time", ["2026-01-01 00:00"]),
            ("channel", [channel_name("counter")]),
            ("operator", ["A0001"]),
            ("action", [action_name(a) for a in ("operator.login.failed", "operator.reset_password")]),
            ("subject", ["110***********002X"]),
            ("detail", ["x" * 40]),
        ):
            label = t(f"mode.audit.col.{key}")
            table.add_column(label, key=key, width=column_width(label, *samples))
        super().on_mount()
        self.search()

    def person_changed(self, person: Person | None) -> None:
        """The audit log does not follow the shown person."""

    def mask_changed(self, masked: bool) -> None:
        self._fill()

    # --- querying ---------------------------------------------------------------------------
    def _filters(self) -> dict[str, str | None]:
        action = self.query_one("#audit-action", Select).value
        return {
            "person": self.query_one("#audit-person", Input).value.strip() or None,
            "operator": self.query_one("#audit-operator", Input).value.strip() or None,
            "action": action if isinstance(action, str) else None,
            "date_from": self.query_one("#audit-since", Input).value.strip() or None,
            "date_to": self.query_one("#audit-to", Input).value.strip() or None,
        }

    @on(Button.Pressed, "#audit-search")
    @on(Input.Submitted, "#audit-person, #audit-operator, #audit-since, #audit-to")
    @on(Select.Changed, "#audit-action")
    def _search(self) -> None:
        self.search()

    def search(self) -> None:
        """The first page of the log under the filters."""
        self._back = []
        self.load(None)

    @work(exclusive=True, exit_on_error=False, group="audit")
    async def load(self, cursor: str | None) -> None:
        """One page (newest first) from ``cursor``."""
        try:
            page = await self.backend.audit_page(cursor=cursor, limit=PAGE, **self._filters())
        except Exception as err:  # noqa: BLE001
            self.report(err)
            return
        self.rows = page.rows
        self._cursor, self._next = cursor, page.next_cursor
        self._fill()

    def action_next_page(self) -> None:
        """``n``: the older records."""
        if self._next:
            self._back.append(self._cursor)
            self.load(self._next)

    def action_prev_page(self) -> None:
        """``p``: back to the newer records."""
        if self._back:
            self.load(self._back.pop())

    def _fill(self) -> None:
        table = self.query_one("#audit-table", DataTable)
        table.clear()
        for r in self.rows:
            table.add_row(
                cell(r.seq, right=True),
                cell(short_time(r.time)),
                cell(channel_name(r.channel)),
                cell(r.operator or ""),
                cell(action_name(r.action)),
                cell(show_id(r.subject, self.masked) if r.subject else ""),
                cell(describe(r)),
            )
        info = t("mode.audit.page", page=len(self._back) + 1, n=len(self.rows))
        if self._next:
            info += " · " + t("mode.audit.more")
        self.query_one("#audit-info", Static).update(Text(info, style="dim"))

    # --- export -----------------------------------------------------------------------------
    @on(Button.Pressed, "#audit-export")
    def action_export(self) -> None:
        """``e``: every page of the filtered log into a CSV file (masked, readable)."""
        self.export_csv()

    @work(exclusive=True, exit_on_error=False, group="audit-export")
    async def export_csv(self) -> Path | None:
        """Stream the filtered log into ``yibao-audit-<date>.csv`` in the export folder."""
        from yibao_tui.domain.csvout import writer
        from yibao_tui.files import open_private, private_dir
        from yibao_tui.settings import export_dir

        filters = self._filters()
        folder = export_dir()
        stamp = self.yapp.today.strftime("%Y%m%d")
        path = folder / f"yibao-audit-{stamp}.csv"
        n = 0
        while path.exists():
            n += 1
            path = folder / f"yibao-audit-{stamp}-{n}.csv"
        rows: list[list[str]] = []
        try:
            cursor: str | None = None
            while True:
                page = await self.backend.audit_page(cursor=cursor, limit=EXPORT_PAGE, **filters)
                rows += csv_rows(page.rows)
                if not page.next_cursor:
                    break
                cursor = page.next_cursor
            private_dir(folder)
            with open_private(path, encoding="utf-8-sig", newline="") as f:
                w = writer(f)  # the project's one CSV writer: formula-like cells neutralised
                w.writerow(csv_header())
                w.writerows(rows)
            count = len(rows)
        except Exception as err:  # noqa: BLE001
            path.unlink(missing_ok=True)
            self.report(err)
            return None
        self.last_export = path
        self.notify(t("ui.export.done", n=count, path=str(path)), title=t("ui.export.title"), markup=False,
                    timeout=15)
        return path
