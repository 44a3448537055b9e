"""The statement table: one keyset page drawn with Textual's Line API.

``DataTable`` renders every visible cell through Rich on each repaint (about 40 ms a page here);
this view builds one line per row, caches it as a ``Strip`` and only crops it when drawing, so
paging costs little more than the query (the Toolong approach, DESIGN.md). Every cell is a
``rich.text.Text``: database text is never parsed as markup.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip


@dataclass(frozen=True, slots=True)
class Column:
    """A fixed-width column (width in terminal cells)."""

    label: str
    width: int
    right: bool = False


class StatementView(ScrollView, can_focus=True):
    """A header line and one line per row; up/down move a row cursor; the header stays put."""

    COMPONENT_CLASSES = {
        "statement--header",
        "statement--odd",
        "statement--cursor",
    }
    DEFAULT_CSS = """
    StatementView {
        height: 1fr;
        background: $surface;
        & > .statement--header {
            text-style: bold;
            color: $text-accent;
            background: $panel;
        }
        & > .statement--odd {
            background: $boost;
        }
        & > .statement--cursor {
            background: $block-cursor-blurred-background;
        }
        &:focus > .statement--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
        }
    }
    """
    BINDINGS = [
        Binding("up", "cursor(-1)", show=False),
        Binding("down", "cursor(1)", show=False),
        Binding("pageup", "cursor(-10)", show=False),
        Binding("pagedown", "cursor(10)", show=False),
        Binding("home", "cursor(-1000000)", show=False),
        Binding("end", "cursor(1000000)", show=False),
    ]

    cursor_row: reactive[int] = reactive(0)

    def __init__(self, columns: list[Column], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.columns = columns
        self._rows: list[list[Text]] = []
        self._strips: dict[int, Strip] = {}
        self._width = 1 + sum(c.width + 1 for c in columns)
        self.virtual_size = Size(self._width, 1)

    # --- data ------------------------------------------------------------------------------

    def set_rows(self, rows: list[list[Text]]) -> None:
        """Show ``rows`` (one list of cells per row), cursor on the first, scrolled to the top."""
        self._rows = rows
        self._strips.clear()
        self.virtual_size = Size(self._width, len(rows) + 1)
        self.cursor_row = 0
        self.scroll_to(0, 0, animate=False)
        self.refresh()

    @property
    def row_count(self) -> int:
        """How many rows the page has."""
        return len(self._rows)

    def row_texts(self) -> list[list[str]]:
        """The rows as plain strings (for tests and tools)."""
        return [[cell.plain for cell in row] for row in self._rows]

    # --- drawing ---------------------------------------------------------------------------

    def _line(self, cells: list[Text]) -> Strip:
        line = Text(" ", no_wrap=True, end="")
        for column, cell in zip(self.columns, cells, strict=False):
            text = cell.copy()
            text.truncate(column.width, overflow="ellipsis")
            pad = " " * max(0, column.width - text.cell_len)
            if column.right:
                line.append(pad)
                line.append_text(text)
            else:
                line.append_text(text)
                line.append(pad)
            line.append(" ")
        segments = list(line.render(self.app.console))
        return Strip(segments, line.cell_len)

    def _header(self) -> Strip:
        return self._line([Text(c.label) for c in self.columns])

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            style = base + self.get_component_rich_style("statement--header")
            strip = self._header()
        else:
            index = scroll_y + y - 1
            if index >= len(self._rows):
                return Strip.blank(width, base)
            cached = self._strips.get(index)
            if cached is None:
                cached = self._strips[index] = self._line(self._rows[index])
            strip = cached
            if index == self.cursor_row:
                style = base + self.get_component_rich_style("statement--cursor")
            elif index % 2:
                style = base + self.get_component_rich_style("statement--odd")
            else:
                style = base
        strip = strip.apply_style(style)
        return strip.crop_extend(scroll_x, scroll_x + width, style)

    # --- cursor ----------------------------------------------------------------------------

    def watch_cursor_row(self, old: int, new: int) -> None:
        self.refresh()

    def action_cursor(self, delta: int) -> None:
        """Move the row cursor and keep it in view."""
        if not self._rows:
            return
        row = max(0, min(len(self._rows) - 1, self.cursor_row + delta))
        self.cursor_row = row
        visible = max(1, self.scrollable_content_region.height - 1)
        top = self.scroll_offset.y
        if row < top:
            self.scroll_to(y=row, animate=False)
        elif row >= top + visible:
            self.scroll_to(y=row - visible + 1, animate=False)

    @property
    def visible_rows(self) -> int:
        """How many rows fit under the header."""
        return max(1, self.scrollable_content_region.height - 1)

    def scroll_page(self, direction: int) -> bool:
        """Show the next (``1``) or previous (``-1``) screenful of this page's rows, the cursor
        with it; ``False`` when the page has no more rows that way (the pager then turns)."""
        top, visible = self.scroll_offset.y, self.visible_rows
        if direction > 0:
            if top + visible >= len(self._rows):
                return False
            self.scroll_to(y=top + visible, animate=False)
            self.cursor_row = min(len(self._rows) - 1, top + visible)
        else:
            if top <= 0:
                return False
            self.scroll_to(y=max(0, top - visible), animate=False)
            self.cursor_row = max(0, top - visible)
        return True

    def on_click(self, event: events.Click) -> None:
        if event.y >= 1:
            index = self.scroll_offset.y + event.y - 1
            if 0 <= index < len(self._rows):
                self.cursor_row = index
