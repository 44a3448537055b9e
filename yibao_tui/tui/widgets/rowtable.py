"""``RowTable``: Textual's ``DataTable`` for lists of records (F3's bindings, F4's payments,
the counter's audit log and operators, the kiosk's statement). Its own module: the balance
screen at start draws its statement with ``StatementView`` and does not load ``DataTable``."""

from __future__ import annotations

from typing import Any, Self

from textual import events
from textual.binding import Binding
from textual.widgets import DataTable


class RowTable(DataTable[Any]):
    """A row table whose Home and End move the row cursor to the first and the last row (a
    ``DataTable`` scrolls sideways with them), and that knows whether the user picked a row
    (moved the cursor, clicked or selected one) since it was last filled."""

    BINDINGS = [
        Binding("home", "scroll_top", show=False),
        Binding("end", "scroll_bottom", show=False),
    ]

    #: Whether the user chose the cursor's row (``clear`` forgets it).
    picked = False

    def clear(self, columns: bool = False) -> Self:
        self.picked = False
        return super().clear(columns)

    def _pick(self) -> None:
        self.picked = True

    def action_cursor_up(self) -> None:
        self._pick()
        super().action_cursor_up()

    def action_cursor_down(self) -> None:
        self._pick()
        super().action_cursor_down()

    def action_page_up(self) -> None:
        self._pick()
        super().action_page_up()

    def action_page_down(self) -> None:
        self._pick()
        super().action_page_down()

    def action_scroll_top(self) -> None:
        self._pick()
        super().action_scroll_top()

    def action_scroll_bottom(self) -> None:
        self._pick()
        super().action_scroll_bottom()

    async def _on_click(self, event: events.Click) -> None:
        self._pick()
        await super()._on_click(event)
