"""Textual's command palette, with its last English line ("No matches found") translated.

Imported only when the palette is first opened (ctrl+p, F7).
"""

from __future__ import annotations

from rich.align import Align
from rich.text import Text
from textual.command import CommandList, CommandPalette
from textual.widgets.option_list import Option

from yibao_tui.i18n import t


class Palette(CommandPalette):
    """The command palette in the user's language (prompt and "no matches" line)."""

    def _start_no_matches_countdown(self, search_value: str) -> None:
        # As Textual's, with the line from the catalogue.
        self._stop_no_matches_countdown()

        def show_no_matches() -> None:
            if search_value:
                self.query_one(CommandList).add_option(
                    Option(
                        Align.center(Text(t("ui.palette.no_matches"), style="not bold")),
                        disabled=True,
                        id=self._NO_MATCHES,
                    )
                )
                self._list_visible = True
            else:
                self._list_visible = False

        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, show_no_matches)
