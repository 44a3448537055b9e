"""Helpers of the TUI tests: a real SQLite ledger with demo data, a frozen clock.

Every test gets its own ledger file, config dir and export dir. Two extra persons have names
that are markup (``[/b]张三[bold]``, ``[TODO]``) and must show literally everywhere.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from yibao_tui.backend.base import Actor
from yibao_tui.backend.local import LocalBackend
from yibao_tui.domain.idnum import make_id
from yibao_tui.ledger.store import Ledger as LedgerStore

CN = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2025, 12, 1, 10, 0, tzinfo=CN)
TODAY = NOW.date()

MARKUP_NAME = "[/b]张三[bold]"
TODO_NAME = "[TODO]"
#: The holder with a markup name (employee, Shenzhen) and no bindings yet.
HOLDER = make_id("440300", dt.date(1980, 5, 5), 101)
#: A resident relative named ``[TODO]`` (the holder's spouse in the fixtures that bind).
RELATIVE = make_id("440300", dt.date(1982, 7, 7), 202)
#: A second resident, the holder's child.
CHILD = make_id("440300", dt.date(2010, 3, 3), 303)
#: An employee with almost nothing in the account.
POOR = make_id("440300", dt.date(1985, 1, 1), 405)
HOLDER_CARD = "44X0000101"
#: A resident of Beijing: another province.
FAR = make_id("110000", dt.date(1960, 2, 2), 505)


def clock() -> dt.datetime:
    """The frozen clock of every TUI test."""
    return NOW


@dataclass
class Ledger:
    """What a test needs to know about its ledger."""

    path: Path
    owner: str


async def build_ledger(path: Path, *, bind_relative: bool = False) -> Ledger:
    """Demo data (8 persons, seed 1) plus the markup-named persons."""
    backend = LocalBackend(path, actor=Actor("tui"), clock=clock)
    try:
        await backend.init()
        result = await backend.demo(persons=8, seed=1)
        await backend.add_person(
            HOLDER, MARKUP_NAME, "employee", "440300", card=HOLDER_CARD, opening_balance_fen=250_000
        )
        await backend.add_person(RELATIVE, TODO_NAME, "resident", "440300")
        await backend.add_person(CHILD, "[i]小明", "resident", "440300")
        await backend.add_person(POOR, "李贫", "employee", "440300", opening_balance_fen=1_000)
        await backend.add_person(FAR, "[u]北京", "resident", "110000")
        await backend.credit(HOLDER, 30_000, memo="[b]memo[/b] 划入")
        await backend.spend(HOLDER, 12_345, "pharmacy")
        if bind_relative:
            await backend.bind(HOLDER, RELATIVE, "spouse", "counter", True)
            await backend.bind(POOR, CHILD, "child", "counter", True)
        return Ledger(path=path, owner=str(result["owner"]))
    finally:
        await backend.close()


def open_backend(path: Path) -> LocalBackend:
    """A backend on an existing ledger, with the frozen clock, acting as the TUI."""
    return LocalBackend(path, actor=Actor("tui"), clock=clock)


def verify(path: Path) -> None:
    """The ledger a test leaves behind must pass ``verify``."""
    if not path.exists():
        return
    led = LedgerStore(path, clock=clock)
    try:
        report = led.verify()
    finally:
        led.close()
    assert report.ok, report.failures


async def settle(pilot: object, rounds: int = 3) -> None:
    """Let switches, workers and the workers they start finish."""
    from textual.widgets import DataTable

    app = pilot.app  # type: ignore[attr-defined]
    for _ in range(rounds):
        await pilot.pause()  # type: ignore[attr-defined]
        await app.workers.wait_for_complete()
    await pilot.pause()  # type: ignore[attr-defined]
    # DataTables measure their columns when idle: wait for that, or a screenshot may catch them
    # with the widths of before the rows came.
    for _ in range(100):
        pending = [
            t
            for t in app.screen.query(DataTable)
            if t._require_update_dimensions or t._updated_cells or t._new_rows
        ]
        if not pending:
            break
        await pilot.pause(0.01)  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]


def text_of(widget: object) -> str:
    """The plain text a Static/Label shows."""
    content = getattr(widget, "content", widget)
    plain = getattr(content, "plain", None)
    if isinstance(plain, str):
        return plain
    if hasattr(content, "renderables"):  # a rich Group
        out = []
        for r in content.renderables:
            if hasattr(r, "plain"):
                out.append(r.plain)
            elif hasattr(r, "columns"):
                for col in r.columns:
                    out.extend(getattr(c, "plain", str(c)) for c in col._cells)
        return "\n".join(out)
    return str(content)


def table_rows(table: object) -> list[list[str]]:
    """Every row of a DataTable (or the statement view) as plain strings."""
    if hasattr(table, "row_texts"):
        return table.row_texts()  # type: ignore[attr-defined]
    rows = []
    for i in range(table.row_count):  # type: ignore[attr-defined]
        rows.append([getattr(c, "plain", str(c)) for c in table.get_row_at(i)])  # type: ignore[attr-defined]
    return rows


def make_app(backend: object, person: str | None = None, lang: str = "zh", **kw: object) -> object:
    """The app as the tests run it: frozen today, no blinking cursor."""
    from yibao_tui.tui.laptop.app import YibaoApp

    return YibaoApp(backend, person=person, lang=lang, today=TODAY, cursor_blink=False, **kw)  # type: ignore[arg-type]


async def close_quietly(backend: LocalBackend) -> None:
    """Close a backend a test may already have closed."""
    from yibao_tui.domain.errors import YibaoError

    try:
        await backend.close()
    except YibaoError:
        pass
