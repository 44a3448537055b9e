"""The audit log for supervisors (F9): filter by person, operator and date, newest first."""

from __future__ import annotations

import re
from typing import Any

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
            ("action", ["withdrawal.execute", "operator.login.failed"]),
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
        table = self.query_one("#audit-table", DataTable)
        table.clear()
        for r in self.rows:
            detail = mask_detail(r.detail or "") if self.masked else (r.detail or "")
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


#: Keys of an audit detail (the request of a write, as JSON) that hold a person's name or a bank
#: account; masked like names and card numbers elsewhere (DOMAIN.md §8) until F6 reveals them.
NAME_KEYS = frozenset({"name", "payee", "payee_name", "relative_name", "holder_name"})
ACCOUNT_KEYS = frozenset({"account", "payee_account", "card", "bank_account"})
#: A run of digits long enough to be a bank or card number (IDs are handled by ``scrub_ids``).
_LONG_NUMBER = re.compile(r"(?<![0-9])[0-9]{12,}(?![0-9])")


def mask_detail(detail: str) -> str:
    """An audit detail fit for a shared screen: full IDs, names and account numbers masked."""
    import json

    from yibao_tui.domain.masking import mask_card, mask_name
    from yibao_tui.modes.receipts import scrub_ids

    def walk(value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: walk(v, str(k)) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, key) for v in value]
        if isinstance(value, str):
            if key in NAME_KEYS:
                return mask_name(value)
            if key in ACCOUNT_KEYS:
                return mask_card(value)
            return _mask_numbers(scrub_ids(value))
        return value

    try:
        data = json.loads(detail)
    except ValueError:
        return _mask_numbers(scrub_ids(detail))
    if not isinstance(data, dict | list):
        return _mask_numbers(scrub_ids(detail))
    return json.dumps(walk(data), ensure_ascii=False, sort_keys=True)


def _mask_numbers(text: str) -> str:
    from yibao_tui.domain.masking import mask_card

    return _LONG_NUMBER.sub(lambda m: mask_card(m.group(0)), text)
