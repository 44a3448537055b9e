"""Wide (CJK) characters of an overlay are drawn whole (a workaround of Textualize/textual#6357).

Textual's compositor cuts every line at the left and right edge of every visible widget, the
ones under a toast too, and paints each piece from the topmost widget there. A wide character of
a toast (or of an open list, a tooltip) that straddles the edge of a widget under it is split in
two halves, and a half of a wide character is drawn as a space: "导出完成" became " 出完成" on F5
(issue 8 item 15). ``bench/toast_wide_chars.py`` shows it in a bare Textual app.

``Compositor`` below cuts a widget's line only where another widget wins the next piece: where
the same widget is on top on both sides of an edge, the piece spans the edge, and the pieces it
covers get an empty strip (so the widgets under it do not take them). Partial updates end each
piece where its strip ends. ``install()`` makes every screen created afterwards use it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import cast

from textual import _compositor
from textual.geometry import Region
from textual.strip import Strip

_EMPTY = Strip([], 0)


class Compositor(_compositor.Compositor):
    """Textual's compositor that never cuts a widget's line between two pieces it wins."""

    def _render_chops(
        self, crop: Region, is_rendered_line: Callable[[int], bool]
    ) -> Sequence[Mapping[int, Strip]]:
        cuts = self.cuts
        chops: list[dict[int, Strip | None]] = [dict.fromkeys(cut_set[:-1]) for cut_set in cuts]
        for region, clip, strips in self._get_renders(crop):
            render_region = region.intersection(clip)
            render_x = render_region.x
            first_cut, last_cut = render_region.column_span
            for y, strip in zip(render_region.line_range, strips, strict=False):
                if not is_rendered_line(y):
                    continue
                line = chops[y]
                final_cuts = [cut for cut in cuts[y] if last_cut >= cut >= first_cut]
                if len(final_cuts) < 2:
                    continue
                starts = final_cuts[:-1]
                free = [line.get(cut) is None for cut in starts]
                # cut where this widget loses the piece on either side; the end always
                ends = [
                    cut
                    for n, cut in enumerate(final_cuts[1:], start=1)
                    if n == len(starts) or not (free[n - 1] and free[n])
                ]
                pieces = strip.divide([cut - render_x for cut in ends])
                start = final_cuts[0]
                for end, piece in zip(ends, pieces, strict=False):
                    if line.get(start) is None:
                        line[start] = piece
                        for cut in starts:
                            if start < cut < end:
                                line[cut] = _EMPTY
                    start = end
        return cast("Sequence[Mapping[int, Strip]]", chops)

    def render_partial_update(self) -> _compositor.ChopsUpdate | None:
        update = super().render_partial_update()
        if update is not None:
            # a piece that spans an edge ends where its strip ends, an empty one where it starts
            update.chop_ends = [
                [
                    x + strip.cell_length if strip is not None else end
                    for (x, strip), end in zip(line.items(), ends, strict=False)
                ]
                for line, ends in zip(update.chops, update.chop_ends, strict=False)
            ]
        return update


def install() -> None:
    """Every screen created from now on composes with ``Compositor``."""
    import textual.screen

    textual.screen.Compositor = Compositor  # type: ignore[misc]
