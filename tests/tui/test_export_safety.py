"""Issue 9 items 8 and 12 in the app: the statement export goes through the one CSV writer (the
same neutralisation as ``yibao statement --format csv``) and is written owner-only."""

from __future__ import annotations

import csv
import io
import stat

from tuikit import make_app, settle

from yibao_tui.domain.csvout import writer

FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+cmd|' /C calc'!A0", "@SUM(1)", "-1+cmd|x"]


async def test_export_is_neutralised_like_the_cli_and_owner_only(tui_ledger, backend, tmp_path):
    for memo in FORMULAS:
        await backend.credit(tui_ledger.owner, 100, memo=memo)
    app = make_app(backend)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        path = app.screen.last_export
    rows = list(csv.reader(path.open(encoding="utf-8-sig")))
    memos = [r[4] for r in rows if r[5] == "credit" and r[4].lstrip("'") in FORMULAS]
    expected = io.StringIO()
    writer(expected).writerows([[m] for m in FORMULAS])
    assert memos == [r[0] for r in csv.reader(io.StringIO(expected.getvalue()))]
    assert all(m.startswith("'") for m in memos)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
