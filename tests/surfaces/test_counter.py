"""The service-window mode: operator login and lockout, idle logout, lookups and reveals in the
audit log, the supervisor's audit screen, the co-signed withdrawal and the closed account."""

from __future__ import annotations

from rich.cells import cell_len
from textual.widgets import Button, Input, Select, Static

from tests.surfaces.conftest import CLERK, CLERK_PW, SUPER, SUPER_PW, TODAY, World
from tests.surfaces.kit import ID18, screen_text, settle
from yibao_tui.tui.counter.app import CounterApp


def make(world: World, **kw: object) -> CounterApp:
    return CounterApp(world.make_backend, window="7", idle_minutes=5, today=TODAY, clock=world.idle,
                      cursor_blink=False, **kw)  # type: ignore[arg-type]


async def login(pilot, op: str = CLERK, pw: str = CLERK_PW) -> None:
    screen = pilot.app.screen
    screen.query_one("#op-id", Input).value = op
    screen.query_one("#op-pw", Input).value = pw
    await pilot.click("#login")
    await settle(pilot)


async def lookup(pilot, who: str) -> None:
    app = pilot.app
    if type(app.screen).__name__ != "LookupScreen":
        await pilot.press("ctrl+f")
        await settle(pilot)
    app.screen.query_one("#who", Input).value = who
    await pilot.press("enter")
    await settle(pilot)


async def pay_child_premium(pilot, world: World) -> str:
    """Log in, look the owner up, pay the child's 2026 premium (F4); the receipt dialog's text."""
    app = pilot.app
    await settle(pilot)
    await login(pilot)
    await lookup(pilot, world.owner)
    await pilot.press("f4")
    await settle(pilot)
    premium = app.screen
    # the sample policy on 2026-03-02: only 2026 is open, the only year offered (issue 10)
    assert [v for _, v in premium.query_one("#year", Select)._options if isinstance(v, int)] == [2026]
    premium.query_one("#relative", Select).value = world.child
    premium.query_one("#year", Select).value = 2026
    await settle(pilot)
    await pilot.click("#quote")
    await settle(pilot)
    await pilot.click("#pay")
    await settle(pilot)
    await pilot.click("#confirm")
    await settle(pilot)
    return str(app.screen.query_one("#message-body", Static).content.plain)


async def test_login_shows_operator_and_window(world: World):
    app = make(world)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        assert type(app.screen).__name__ == "CounterLoginScreen"
        await pilot.press("f2")  # nothing before login
        await settle(pilot)
        assert type(app.screen).__name__ == "CounterLoginScreen"
        await login(pilot)
        assert app.operator is not None and app.operator.id == CLERK
        assert type(app.screen).__name__ == "LookupScreen"
        text = screen_text(app)
        assert "窗口 7" in text and "[b]张[/b]经办" in text and CLERK in text


async def test_wrong_password_then_lockout_kept_in_ledger(world: World):
    app = make(world)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        for i in range(4):
            await login(pilot, pw="wrong-password")
            message = app.screen.query_one("#login-message", Static).content.plain
            assert "工号或密码错误" in message and f"还可尝试 {4 - i} 次" in message
        await login(pilot, pw="wrong-password")
        message = app.screen.query_one("#login-message", Static).content.plain
        assert "已锁定" in message and "10:15" in message  # the ledger's clock, not the wall's
        await login(pilot)  # the right password does not help while locked
        assert app.operator is None
        assert "已锁定" in app.screen.query_one("#login-message", Static).content.plain
        world.clock.advance(minutes=16)
        await login(pilot)
        assert app.operator is not None and app.operator.id == CLERK
    rows = await world.backend().audit(operator=None, limit=50)
    actions = [r.action for r in rows if r.action.startswith("operator.login")]
    assert actions.count("operator.login.failed") == 5
    assert actions.count("operator.login") == 1


async def test_idle_logout_wipes_the_person(world: World):
    app = make(world)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await login(pilot)
        await lookup(pilot, world.owner)
        assert app.person is not None and app.person.id == world.owner
        world.idle.advance(4 * 60)
        app.idle_tick()
        await settle(pilot)
        assert app.operator is not None  # not yet
        await pilot.press("f3")  # activity restarts the count
        await settle(pilot)
        world.idle.advance(4 * 60)
        app.idle_tick()
        await settle(pilot)
        assert app.operator is not None
        world.idle.advance(61)
        for _ in range(30):  # the app's own one-second timer does it
            await pilot.pause(0.1)
            if app.operator is None:
                break
        await settle(pilot)
        assert app.operator is None and app.person is None
        assert type(app.screen).__name__ == "CounterLoginScreen"
        assert "长时间无操作" in app.screen.query_one("#login-message", Static).content.plain
        assert app.screen_stack == [app.screen]
        text = screen_text(app)
        assert world.owner[-4:] not in text and world.owner_name not in text
        await pilot.press("f2")
        await settle(pilot)
        assert type(app.screen).__name__ == "CounterLoginScreen"
        # the next operator starts clean
        await login(pilot, SUPER, SUPER_PW)
        assert app.person is None and app.masked


async def test_lookup_and_reveal_are_audited_with_the_operator(world: World):
    app = make(world)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await login(pilot)
        await lookup(pilot, world.owner_card)  # as a card reader types it
        assert app.person is not None and app.person.id == world.owner
        line = app.screen.query_one("#person-line", Static).content.plain
        assert world.owner not in line and world.owner_name not in line
        assert not ID18.search(screen_text(app))
        await pilot.press("f6")
        await settle(pilot)
        assert not app.masked
        assert world.owner in app.screen.query_one("#person-line", Static).content.plain
        app.notify(f"refused: {world.owner}")  # revealed: errors may name the ID
        await pilot.press("f6")  # masks again, without a read
        await settle(pilot)
        assert app.masked
        app.notify(f"refused: {world.owner}")  # masked: every notification is scrubbed
        await settle(pilot)
        shown = [n.message for n in app._notifications]
        assert f"refused: {world.owner}" in shown and f"refused: {world.owner[:3]}" in shown[-1]
        await lookup(pilot, world.other)
        assert app.masked and app.person.id == world.other
    rows = await world.backend().audit(operator=CLERK, limit=500)
    assert {r.channel for r in rows} == {"counter"}
    shows = [(r.subject) for r in rows if r.action == "person.show"]
    assert shows.count(world.owner) == 2  # the lookup and the reveal
    assert shows.count(world.other) == 1
    assert all(r.operator == CLERK for r in rows)


async def test_audit_screen_is_for_supervisors(world: World):
    app = make(world)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await login(pilot)
        await lookup(pilot, world.owner)
        await pilot.press("f9")
        await settle(pilot)
        assert type(app.screen).__name__ != "AuditScreen"
        await pilot.press("f12")
        await settle(pilot)
        assert type(app.screen).__name__ == "CounterLoginScreen"
        await login(pilot, SUPER, SUPER_PW)
        await pilot.press("escape")
        await pilot.press("f9")
        await settle(pilot)
        screen = app.screen
        assert type(screen).__name__ == "AuditScreen"
        screen.query_one("#audit-operator", Input).value = CLERK
        screen.query_one("#audit-person", Input).value = world.owner
        await pilot.click("#audit-search")
        await settle(pilot)
        assert screen.rows and all(r.operator == CLERK and r.subject == world.owner for r in screen.rows)
        actions = {r.action for r in screen.rows}
        assert "person.show" in actions
        table = screen.query_one("#audit-table")
        cells = " ".join(c.plain for i in range(table.row_count) for c in table.get_row_at(i))
        assert world.owner[-4:] in cells and not ID18.search(cells)  # the subject is masked


async def test_withdrawal_needs_a_supervisor_then_the_account_is_closed(world: World, tmp_path):
    app = make(world)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await login(pilot)
        await lookup(pilot, world.owner)
        before = app.person.balance_fen
        await pilot.press("f5")
        await settle(pilot)
        screen = app.screen
        screen.query_one("#case", Select).value = "emigration"
        await settle(pilot)
        for i in range(4):
            screen.query_one(f"#q-{i}", Select).value = "yes"
        await settle(pilot)
        assert screen.verdict is not None and screen.verdict.eligible

        async def execute(sup: str, pw: str) -> str:
            screen.query_one("#payee-name", Input).value = "吴文"
            screen.query_one("#payee-account", Input).value = "6222020200112233"
            screen.query_one("#sup-id", Input).value = sup
            screen.query_one("#sup-pw", Input).value = pw
            await pilot.click("#execute")
            await settle(pilot)
            await pilot.click("#yes")
            await settle(pilot)
            return screen.query_one("#execute-message", Static).content.plain

        # the clerk cannot co-sign their own withdrawal, a wrong password does not either
        assert "主管" in await execute(CLERK, CLERK_PW)
        assert "工号或密码错误" in await execute(SUPER, "nope-nope")
        assert (await world.backend().balance(world.owner)).status == "active"
        await execute(SUPER, SUPER_PW)
        assert type(app.screen).__name__ == "MessageDialog"
        receipt = app.screen.query_one("#message-body", Static).content.plain
        assert "WD" in receipt and CLERK in receipt and SUPER in receipt
        assert not ID18.search(receipt) and "2233" in receipt and "6222020200112233" not in receipt
        await pilot.press("escape")
        await settle(pilot)
        assert app.person.status == "closed"
        assert "已销户" in screen.query_one("#execute-message", Static).content.plain
        # what follows is refused: closing ended the bindings (rules, issue 10), so the child is
        # no longer offered, and nothing can be paid
        await pilot.press("f4")
        await settle(pilot)
        premium = app.screen
        offered = [v for _, v in premium.query_one("#relative", Select)._options]
        assert world.child not in offered
        await pilot.click("#quote")
        await settle(pilot)
        assert premium.query_one("#pay", Button).disabled
    b = world.backend()
    bal = await b.balance(world.owner)
    assert bal.balance_fen == 0 and bal.status == "closed" and before > 0
    from yibao_tui.domain.errors import YibaoError

    try:
        await b.credit(world.owner, 100)
    except YibaoError as err:
        assert err.code == "ACCOUNT_CLOSED"
    else:
        raise AssertionError("a credit to a closed account must be refused")
    rows = await b.audit(person=world.owner, limit=500)
    executed = [r for r in rows if r.action == "withdrawal.execute"]
    assert len(executed) == 1 and executed[0].operator == CLERK and executed[0].channel == "counter"
    receipts = list((tmp_path / "exports" / "receipts").glob("withdrawal-*.txt"))
    assert len(receipts) == 1 and not ID18.search(receipts[0].read_text("utf-8"))


async def test_premium_at_the_counter_one_audit_row_and_a_receipt(world: World, tmp_path):
    app = make(world)
    async with app.run_test(size=(120, 30)) as pilot:
        receipt = await pay_child_premium(pilot, world)
        assert CLERK in receipt and "PM" in receipt and not ID18.search(receipt)
    rows = await world.backend().audit(person=world.owner, limit=500)
    pays = [r for r in rows if r.action == "premium.pay" and r.channel == "counter"]
    assert len(pays) == 1 and pays[0].operator == CLERK
    files = list((tmp_path / "exports" / "receipts").glob("premium-*.txt"))
    assert len(files) == 1 and CLERK in files[0].read_text("utf-8")
    pdfs = list((tmp_path / "exports" / "receipts").glob("premium-*.pdf"))  # the PDF beside it
    assert [p.stem for p in pdfs] == [files[0].stem]
    assert f"  {pdfs[0].name}" in receipt.splitlines()


# --- found by trying the counter as an operator would (each test names the bug it pins) -------


async def eligible_withdrawal(pilot, world: World):
    """Log in, look up the owner, F5, the emigration case answered so that it is eligible."""
    await settle(pilot)
    await login(pilot)
    await lookup(pilot, world.owner)
    await pilot.press("f5")
    await settle(pilot)
    screen = pilot.app.screen
    screen.query_one("#case", Select).value = "emigration"
    await settle(pilot)
    for i in range(4):
        screen.query_one(f"#q-{i}", Select).value = "yes"
    await settle(pilot)
    assert screen.verdict is not None and screen.verdict.eligible
    screen.query_one("#payee-name", Input).value = "欧阳小明"
    screen.query_one("#payee-account", Input).value = "6222 0202 0011 2233"
    screen.query_one("#sup-id", Input).value = SUPER
    screen.query_one("#sup-pw", Input).value = SUPER_PW
    return screen


async def test_withdrawal_confirmation_defaults_to_cancel_and_says_to_whom(world: World, tmp_path):
    """Bug: the irreversible pay-out-and-close confirmation had 是 focused (a second Enter after
    the supervisor's password executed it) and did not say who is paid into which account; after
    it, the withdrawal id was replaced by "closed" and the execute button stayed enabled; the
    receipt dialog's title repeated the receipt's first line; its path wrapped mid-name."""
    from pypdf import PdfReader

    app = make(world)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await eligible_withdrawal(pilot, world)
        screen.query_one("#sup-pw", Input).focus()
        await settle(pilot)
        await pilot.press("enter")  # in the supervisor's password field: asks
        await settle(pilot)
        assert type(app.screen).__name__ == "ConfirmDialog"
        assert app.focused is not None and app.focused.id == "no"
        question = app.screen.query_one(".dialog-body", Static).content.plain
        assert "欧**明" in question and "************2233" in question and SUPER_PW not in question
        assert "欧阳小明" not in question and "6222" not in question
        await pilot.press("enter")  # Enter alone cancels
        await settle(pilot)
        assert type(app.screen).__name__ == "CounterWithdrawalScreen"
        assert (await world.backend().balance(world.owner)).status == "active"
        screen.query_one("#sup-pw", Input).value = SUPER_PW
        await pilot.click("#execute")
        await settle(pilot)
        await pilot.click("#yes")
        await settle(pilot)
        dialog = app.screen
        assert type(dialog).__name__ == "MessageDialog" and dialog.title_text == "提取已办理"
        body = dialog.query_one("#message-body", Static).content.plain.splitlines()
        wd_id = screen.last_receipt.withdrawal_id
        folder = tmp_path / "exports" / "receipts"
        assert f"回执已保存到 {folder}/" in body
        assert f"  withdrawal-{wd_id}.txt" in body and f"  withdrawal-{wd_id}.pdf" in body
        pdf = PdfReader(folder / f"withdrawal-{wd_id}.pdf").pages[0].extract_text().replace(" ", "")
        assert wd_id in pdf and "复核人：S001" in pdf and "经办人：A001" in pdf and not ID18.search(pdf)
        await pilot.press("escape")
        await settle(pilot)
        message = screen.query_one("#execute-message", Static).content.plain
        assert wd_id in message and "已销户" in message
        assert screen.query_one("#execute", Button).disabled
        # another person, then back: the plain "closed" message, still disabled
        await lookup(pilot, world.other)
        assert not screen.query_one("#execute", Button).disabled
        await lookup(pilot, world.owner)
        assert "不能再办理业务" in screen.query_one("#execute-message", Static).content.plain
        assert screen.query_one("#execute", Button).disabled


async def test_audit_screen_masks_payee_names_and_accounts(world: World):
    """Bug: the audit screen (masked) showed a withdrawal's full bank account and the payee's
    full name from the detail, and cut ``operator.login.failed`` to ``operator.login.fai``."""
    from yibao_tui.backend.base import Actor

    clerk = world.make_backend(Actor("counter", CLERK))
    facts = {"settled_abroad": "yes", "before_retirement": "yes", "household_deregistered": "yes",
             "insurance_stopped": "yes"}
    await clerk.withdrawal_execute(world.owner, "emigration", facts, "欧阳小明", "6222020200112233",
                                   SUPER, SUPER_PW, key="wd-audit-1")
    app = make(world)
    async with app.run_test(size=(200, 40)) as pilot:
        await settle(pilot)
        await login(pilot, SUPER, "wrong-password")
        await login(pilot, SUPER, SUPER_PW)
        await pilot.press("escape")
        await pilot.press("f9")
        await settle(pilot)
        screen = app.screen
        assert type(screen).__name__ == "AuditScreen"
        table = screen.query_one("#audit-table")
        cells = [[c.plain for c in table.get_row_at(i)] for i in range(table.row_count)]
        flat = " ".join(" ".join(row) for row in cells)
        # actions are translated (issue 8 defect 14, issue 10 item 11), never cut short
        [detail] = [row[6] for row in cells if row[4] == "办理提取"]
        assert "************2233" in detail  # the ledger masks the account and leaves the name out
        assert "6222020200112233" not in flat and "欧阳小明" not in flat and not ID18.search(flat)
        assert table.columns["action"].width >= cell_len("操作员登录失败")
        assert "操作员登录失败" in screen_text(app)


async def test_help_keeps_f6_with_its_words(world: World):
    """Bug: the help's privacy note wrapped between "F6" and "显示完整号码"."""
    app = make(world)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await login(pilot)
        await pilot.press("escape")
        await pilot.press("f1")
        await settle(pilot)
        assert "；F6 显示完整号码" in screen_text(app)


async def test_premium_receipt_without_reportlab_says_where_the_text_went(world: World, tmp_path,
                                                                          monkeypatch):
    """The PDF is optional: without reportlab the counter saves the text receipt, says where,
    and says why there is no PDF."""
    import sys

    for module in [m for m in sys.modules if m == "reportlab" or m.startswith("reportlab.")]:
        monkeypatch.setitem(sys.modules, module, None)
    monkeypatch.setitem(sys.modules, "reportlab", None)
    app = make(world)
    async with app.run_test(size=(120, 40)) as pilot:
        body = (await pay_child_premium(pilot, world)).splitlines()
    folder = tmp_path / "exports" / "receipts"
    [txt] = folder.glob("premium-*.txt")
    assert f"回执已保存到 {folder}/" in body and f"  {txt.name}" in body
    assert any("未生成 PDF" in line and "yibao-tui[pdf]" in line for line in body)
    assert not list(folder.glob("*.pdf"))


# --- issue 8: safety defects (each test failed before its fix) ---------------------------------


async def test_fast_login_burst_behaves_like_slow_typing(world: World):
    """Issue 8 defect 3: a burst "A001", Tab, password, Enter (a badge scanner, a password manager)
    left "A001clerk-pass-1" in plain text in 工号; fast input must behave like slow input."""
    from tests.surfaces.kit import burst

    app = make(world)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        burst(app, f"{CLERK}\t{CLERK_PW}\n")
        await settle(pilot, rounds=5)
        assert app.operator is not None and app.operator.id == CLERK
        assert CLERK_PW not in screen_text(app)
    app = make(world)
    async with app.run_test(size=(120, 30)) as pilot:  # Enter instead of Tab between the fields
        await settle(pilot)
        burst(app, f"{CLERK}\n{CLERK_PW}\n")
        await settle(pilot, rounds=5)
        assert app.operator is not None and app.operator.id == CLERK


async def test_counter_withdrawal_tab_order_and_the_password_never_in_plain(world: World):
    """Issue 8 defect 2: with Tab after each field, the first Tab landed on the invisible verdict
    pane, every field shifted by one and the supervisor's password landed in plain text in
    主管工号. Tab follows the form; a password is masked in every field it can land in."""
    app = make(world)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await login(pilot)
        await lookup(pilot, world.owner)
        await pilot.press("f5")
        await settle(pilot)
        screen = app.screen
        screen.query_one("#case", Select).value = "emigration"
        await settle(pilot)
        for i in range(4):
            screen.query_one(f"#q-{i}", Select).value = "yes"
        await settle(pilot)
        screen.query_one("#q-3", Select).focus()
        await settle(pilot)
        order = []
        for _ in range(6):
            await pilot.press("tab")
            await settle(pilot)
            order.append(app.focused.id if app.focused else None)
        assert order == ["payee-name", "payee-account", "sup-id", "sup-pw", "execute", "case"] or \
            order[:5] == ["payee-name", "payee-account", "sup-id", "sup-pw", "execute"], order
        screen.query_one("#payee-name", Input).focus()
        await settle(pilot)
        await pilot.press(*"wu wen", "tab", *"6222020200112233", "tab", *SUPER, "tab", *SUPER_PW)
        await settle(pilot)
        assert screen.query_one("#sup-id", Input).value == SUPER
        assert screen.query_one("#sup-pw", Input).value == SUPER_PW
        # every field the password can land in masks it (the co-signer's 工号 beside it too)
        assert screen.query_one("#sup-id", Input).password
        assert screen.query_one("#sup-pw", Input).password
        assert SUPER_PW not in screen_text(app)
        await pilot.press("enter")  # asks; the question does not echo the 工号 field
        await settle(pilot)
        assert type(app.screen).__name__ == "ConfirmDialog"
        assert SUPER_PW not in screen_text(app)


async def test_counter_withdrawal_needs_the_verdict_on_the_answers_shown(world: World):
    """Issue 8 defect 1: an invalid answer left the old "✓ 符合提取条件" on screen and 办理提取
    executed on it. No verdict, and no 办理提取, while an answer is invalid."""
    app = make(world)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await login(pilot)
        await lookup(pilot, world.owner)
        await pilot.press("f5")
        await settle(pilot)
        screen = app.screen
        screen.query_one("#case", Select).value = "left-employee-insurance"
        await settle(pilot)
        screen.query_one("#q-0", Select).value = "yes"
        screen.query_one("#q-1", Input).value = "12"
        await settle(pilot)
        assert screen.verdict is not None and screen.verdict.eligible
        screen.query_one("#q-1", Input).value = "-1"
        await settle(pilot)
        assert screen.verdict is None
        assert "符合提取条件" not in screen.query_one("#verdict", Static).content.plain
        screen.query_one("#payee-name", Input).value = "吴文"
        screen.query_one("#payee-account", Input).value = "6222020200112233"
        screen.query_one("#sup-id", Input).value = SUPER
        screen.query_one("#sup-pw", Input).value = SUPER_PW
        await pilot.click("#execute")
        await settle(pilot)
        assert type(app.screen).__name__ == "CounterWithdrawalScreen"  # no confirmation asked
    assert (await world.backend().balance(world.owner)).status == "active"


async def test_idle_warns_with_a_countdown_before_losing_a_half_filled_form(world: World):
    """Issue 8 defect 11: the counter logged out on idle with no warning and lost a half-filled
    form. Now the last 30 seconds are counted down over the form; a key keeps both."""
    from yibao_tui.tui.widgets.dialogs import IdleCountdown

    app = make(world)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await login(pilot)
        await lookup(pilot, world.owner)
        await pilot.press("f5")
        await settle(pilot)
        form = app.screen
        form.query_one("#payee-name", Input).value = "欧阳小明"  # half filled
        world.idle.advance(5 * 60 - 30 + 1)
        app.idle_tick()
        await settle(pilot)
        assert isinstance(app.screen, IdleCountdown)
        said = app.screen.query_one("#countdown-text", Static)
        assert "29 秒后将自动退出登录" in said.content.plain
        world.idle.advance(10)
        app.idle_tick()
        await pilot.pause()
        assert "19 秒后将自动退出登录" in said.content.plain
        assert app.operator is not None
        await pilot.press("shift")  # any key
        await settle(pilot)
        assert app.screen is form and app.operator is not None
        assert form.query_one("#payee-name", Input).value == "欧阳小明"
        # idle again, through the countdown to the end: logged out
        world.idle.advance(5 * 60 - 30 + 1)
        app.idle_tick()
        await settle(pilot)
        assert isinstance(app.screen, IdleCountdown)
        world.idle.advance(30)
        app.idle_tick()
        await settle(pilot)
        assert app.operator is None
        assert type(app.screen).__name__ == "CounterLoginScreen"


async def test_the_key_bar_fits_and_says_what_applies(world: World):
    """Issue 8 defect 15: at 100 columns the counter's key bar cut f9/f12; it showed f9 to
    clerks, who cannot use it, and still said "f6 显示证件号" after revealing."""
    app = make(world)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await login(pilot)
        await lookup(pilot, world.owner)
        for key in ("f2", "f3", "f4", "f5"):
            await pilot.press(key)
            await settle(pilot)
            bar = app.screen.query_one("#keybar").render().plain
            assert "f12 退出登录" in bar and "…" not in bar, bar
            assert "f9" not in bar and "f8" not in bar, bar  # a clerk's bar
        assert "f6 显示证件号" in bar
        await pilot.press("f6")
        await settle(pilot)
        bar = app.screen.query_one("#keybar").render().plain
        assert "f6 隐藏证件号" in bar and "显示证件号" not in bar, bar
        await pilot.press("f12")
        await settle(pilot)
        await login(pilot, SUPER, SUPER_PW)
        await lookup(pilot, world.owner)
        bar = app.screen.query_one("#keybar").render().plain
        assert "f9 审计日志" in bar and "f12 退出登录" in bar, bar
