"""The audit log for supervisors (F9): filter by person, operator and date, newest first."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, DataTable, Input, Static

from yibao_tui.domain.models import AuditRow, Person
from yibao_tui.i18n import t
from yibao_tui.screens.base import YibaoScreen
from yibao_tui.widgets.common import cell, column_width, short_time, show_id

#: Rows fetched per query (the newest).
LIMIT = 500


class AuditScreen(YibaoScreen):
    """Who read or changed what, when, through which channel."""

    NAME_KEY = "mode.audit.title"
    AUTO_FOCUS = "#audit-person"

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[AuditRow] = []

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="audit-filters", classes="bar"):
            yield Input(placeholder=t("mode.audit.person"), id="audit-person", max_length=18)
            yield Input(placeholder=t("mode.audit.operator"), id="audit-operator", max_length=32)
            yield Input(placeholder=t("mode.audit.since"), id="audit-since", max_length=10)
            yield Button(t("mode.audit.search"), id="audit-search", variant="primary")
        yield DataTable(id="audit-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="audit-info", classes="note")

    def on_mount(self) -> None:
        table = self.query_one("#audit-table", DataTable)
        for key, samples in (
            ("seq", ["999999"]),
            ("time", ["2026-01-01 00:00"]),
            ("channel", ["counter"]),
            ("operator", ["A0001"]),
            ("action", ["withdrawal.execute"]),
            ("subject", ["110***********002X"]),
            ("detail", ["x" * 30]),
        ):
            label = t(f"mode.audit.col.{key}")
            table.add_column(label, key=key, width=column_width(label, *samples))
        super().on_mount()
        self.search()

    def person_changed(self, person: Person | None) -> None:
        """The audit log does not follow the shown person."""

    def mask_changed(self, masked: bool) -> None:
        self._fill()

    @on(Button.Pressed, "#audit-search")
    @on(Input.Submitted, "#audit-person, #audit-operator, #audit-since")
    def _search(self) -> None:
        self.search()

    @work(exclusive=True, exit_on_error=False, group="audit")
    async def search(self) -> None:
        """Query the log with the filters."""
        person = self.query_one("#audit-person", Input).value.strip() or None
        operator = self.query_one("#audit-operator", Input).value.strip() or None
        since = self.query_one("#audit-since", Input).value.strip() or None
        try:
            rows = await self.backend.audit(
                person=person, operator=operator, since=since, limit=LIMIT
            )
        except Exception as err:  # noqa: BLE001
            self.report(err)
            return
        self.rows = rows
        self._fill()

    def _fill(self) -> None:
        from yibao_tui.modes.receipts import scrub_ids

        table = self.query_one("#audit-table", DataTable)
        table.clear()
        for r in self.rows:
            detail = scrub_ids(r.detail or "") if self.masked else (r.detail or "")
            table.add_row(
                cell(r.seq, right=True),
                cell(short_time(r.time)),
                cell(r.channel),
                cell(r.operator or ""),
                cell(r.action),
                cell(show_id(r.subject, self.masked) if r.subject else ""),
                cell(detail),
            )
        self.query_one("#audit-info", Static).update(
            Text(t("mode.audit.count", n=len(self.rows), limit=LIMIT), style="dim")
        )
