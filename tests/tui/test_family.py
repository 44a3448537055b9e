"""家庭共济: the bindings, the bind form (live ID check, relation, verification, pledge), unbind."""

from __future__ import annotations

from textual.widgets import Checkbox, DataTable, Input, RadioButton, Select, Static
from tuikit import CHILD, FAR, HOLDER, POOR, RELATIVE, make_app, settle, table_rows, text_of

from yibao_tui.tui.views.family import BindForm
from yibao_tui.tui.widgets.dialogs import ConfirmDialog


async def _open_form(pilot) -> BindForm:
    await pilot.press("f3")
    await settle(pilot)
    await pilot.press("a")
    await settle(pilot)
    form = pilot.app.screen
    assert isinstance(form, BindForm)
    return form


async def _submit(
    pilot,
    form: BindForm,
    relative: str,
    relation: str | None,
    method: str = "counter",
    pledge: bool | None = None,
) -> str:
    form.query_one("#relative-id", Input).value = relative
    if relation is not None:
        form.query_one("#relation", Select).value = relation
    await settle(pilot)
    form.query_one(f"#verify-{method}", RadioButton).value = True
    if pledge is not None:
        form.query_one("#pledge", Checkbox).value = pledge
    await pilot.pause()
    await pilot.click("#submit")
    await settle(pilot)
    if pilot.app.screen is form:
        return text_of(form.query_one("#form-error", Static))
    return ""


async def test_bindings_table(bound_backend):
    app = make_app(bound_backend, person=HOLDER)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f3")
        await settle(pilot)
        rows = table_rows(app.screen.query_one("#bindings", DataTable))
        assert len(rows) == 1
        relation, name, id_, since, verified = rows[0]  # no status, no end: all are active
        assert (relation, verified) == ("配偶", "窗口核验")
        assert id_ == RELATIVE[:3] + "*" * 11 + RELATIVE[-4:]
        assert since.startswith("2025-12-01")
        assert "已绑定 1 位亲属" in text_of(app.screen.query_one("#family-info", Static))


async def test_first_binding_needs_the_pledge(backend):
    app = make_app(backend, person=HOLDER)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        form = await _open_form(pilot)
        assert not form.query_one("#pledge-box").has_class("hidden")
        message = await _submit(pilot, form, RELATIVE, "spouse", pledge=False)
        assert message == "首次绑定须阅读并同意《家庭共济承诺书》"
        message = await _submit(pilot, form, RELATIVE, "spouse", pledge=True)
        assert message == ""
        rows = table_rows(app.screen.query_one("#bindings", DataTable))
        assert [r[0] for r in rows] == ["配偶"]
        assert any("已绑定" in n.message for n in app._notifications)
        [b] = await backend.bindings(HOLDER)
        assert b.relative_id == RELATIVE and b.verified_by == "counter"
        # the second binding does not ask for the pledge again
        await pilot.press("a")
        await settle(pilot)
        assert app.screen.query_one("#pledge-box").has_class("hidden")


async def test_id_is_checked_while_typing(backend):
    app = make_app(backend, person=HOLDER)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        form = await _open_form(pilot)
        field = form.query_one("#relative-id", Input)
        field.focus()
        await pilot.press(*"4403001982")
        await pilot.pause()
        assert "应为 18 位（当前 10 位）" in text_of(form.query_one("#id-feedback", Static))
        await pilot.press(*RELATIVE[10:-1])
        wrong = "0" if RELATIVE[-1] != "0" else "1"
        await pilot.press(wrong)
        await pilot.pause()
        assert "校验码错误" in text_of(form.query_one("#id-feedback", Static))
        await pilot.press("backspace", RELATIVE[-1].lower())
        await pilot.pause()
        feedback = text_of(form.query_one("#id-feedback", Static))
        assert "号码有效" in feedback and "1982-07-07" in feedback
        # submitting an invalid number never reaches the backend
        field.value = "123"
        await pilot.click("#submit")
        await pilot.pause()
        assert "身份证号码无效" in text_of(form.query_one("#form-error", Static))


async def test_bind_refusals_show_the_rule(bound_backend):
    app = make_app(bound_backend, person=HOLDER)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        form = await _open_form(pilot)
        assert await _submit(pilot, form, HOLDER, "sibling") == "不能绑定本人"
        assert await _submit(pilot, form, RELATIVE, "spouse") == "已绑定该亲属"
        assert (
            await _submit(pilot, form, "11010519491231002X", "parent")
            == "查无此人：110***********002X"
        )
        message = await _submit(pilot, form, CHILD, "parent")
        assert message.startswith("关系与出生日期不符")
        message = await _submit(pilot, form, POOR, "spouse")
        assert "配偶" in message or "上限" in message  # one spouse at most
        message = await _submit(pilot, form, FAR, "parent")  # Beijing: another province
        assert message.startswith("本地区不允许跨省共济")
        # a letter for a 15-year-old is accepted
        message = await _submit(pilot, form, CHILD, "child", method="letter")
        assert message == ""


def _offered(form: BindForm) -> list[str]:
    return [b.id.removeprefix("verify-") for b in form.query(RadioButton) if b.display and not b.disabled]


async def test_verification_offers_only_what_is_accepted(bound_backend):
    """Issue 8 defect 6: the form defaulted to 人脸识别, which a laptop cannot do, and offered
    face for a child, refused only on submit. Now only what the rules accept is offered."""
    app = make_app(bound_backend, person=HOLDER)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        form = await _open_form(pilot)
        assert "face" not in _offered(form)  # no camera on a laptop
        pressed = form.query_one("#verified").pressed_button
        assert pressed is not None and pressed.id == "verify-counter"
        field = form.query_one("#relative-id", Input)
        field.value = POOR  # 40 years old: no letter
        await settle(pilot)
        assert _offered(form) == ["counter"]
        field.value = CHILD  # 15: a letter or the counter, never face
        await settle(pilot)
        assert _offered(form) == ["counter", "letter"]
        assert "吴" not in text_of(form.query_one("#id-feedback", Static))
        assert "*" in text_of(form.query_one("#id-feedback", Static))  # the masked name
        assert await _submit(pilot, form, POOR, "sibling") == ""
        [b] = [b for b in await bound_backend.bindings(HOLDER) if b.relative_id == POOR]
        assert b.verified_by == "counter"


async def test_the_cap_is_said_before_the_form(bound_backend, tmp_path, monkeypatch):
    """Issue 8 defect 6: a 7th binding could be typed in full before the cap refused it. The
    cap is on the screen, and ``a`` on a full account says so instead of opening the form."""
    site = tmp_path / "site.toml"
    site.write_text('[region."440300"]\nbinding_cap = 3\n', encoding="utf-8")
    monkeypatch.setenv("YIBAO_POLICY", str(site))
    await bound_backend.bind(HOLDER, CHILD, "child", "counter", True)
    await bound_backend.bind(HOLDER, POOR, "sibling", "counter", True)
    app = make_app(bound_backend, person=HOLDER)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        assert "上限 3 人" in text_of(app.screen.query_one("#family-info", Static))
        await pilot.press("a")
        await settle(pilot)
        assert not isinstance(app.screen, BindForm)
        assert any("绑定上限（3 人）" in n.message for n in app._notifications)


async def test_missing_relation_is_said(backend):
    app = make_app(backend, person=HOLDER)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        form = await _open_form(pilot)
        assert await _submit(pilot, form, RELATIVE, None) == "请选择关系"
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, BindForm)


async def test_unbind_asks_first_and_keeps_history(bound_backend):
    app = make_app(bound_backend, person=HOLDER)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f3")
        await settle(pilot)
        app.screen.query_one("#bindings", DataTable).focus()
        await pilot.press("u")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        assert "配偶" in app.screen.question.plain
        await pilot.click("#no")
        await settle(pilot)
        assert len(await bound_backend.bindings(HOLDER)) == 1
        await pilot.press("u")
        await pilot.pause()
        await pilot.click("#yes")
        await settle(pilot)
        assert await bound_backend.bindings(HOLDER) == []
        assert table_rows(app.screen.query_one("#bindings", DataTable)) == []
        assert any("已解除绑定" in n.message for n in app._notifications)
        await pilot.press("h")
        await settle(pilot)
        rows = table_rows(app.screen.query_one("#bindings", DataTable))
        assert len(rows) == 1 and rows[0][3] == "已解除" and rows[0][6]
        # nothing active to unbind
        await pilot.press("u")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmDialog)
        assert any("有效的绑定" in n.message for n in app._notifications)


async def test_bind_form_fits_80x24(backend):
    app = make_app(backend, person=HOLDER)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        form = await _open_form(pilot)
        submit = form.query_one("#submit")
        assert submit.region.bottom <= 24 and submit.region.height > 0
        pledge = form.query_one("#pledge", Checkbox)
        pledge.focus()
        await pilot.pause()
        await pilot.press("space")
        await pilot.pause()
        assert pledge.value
        scroll = form.query_one("#bind-fields")
        assert scroll.region.contains_region(pledge.region)


async def test_no_screen_switch_while_a_dialog_is_open(backend):
    app = make_app(backend, person=HOLDER)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        form = await _open_form(pilot)
        await pilot.press("f2", "ctrl+f")
        await settle(pilot)
        assert app.screen is form
        await pilot.press("escape")
        await pilot.press("f2")
        await settle(pilot)
        assert type(app.screen).__name__ == "BalanceScreen"


async def test_f3_starts_on_the_table_and_u_needs_a_chosen_row(bound_backend):
    """Issue 8 defect 5: ``u`` asked to unbind row 0 while the focus was on a button and no
    row was chosen; Home/End did not move the row."""
    await bound_backend.bind(HOLDER, CHILD, "child", "counter", True)
    app = make_app(bound_backend, person=HOLDER)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        table = app.screen.query_one("#bindings", DataTable)
        assert app.focused is table
        app.screen.query_one("#history").focus()  # the focus on a button: no row chosen
        await pilot.press("u")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmDialog)
        assert any("选中" in n.message for n in app._notifications)
        assert app.focused is table
        await pilot.press("end")
        assert table.cursor_row == table.row_count - 1 == 1
        await pilot.press("home")
        assert table.cursor_row == 0
        await pilot.press("down")
        app.screen.query_one("#history").focus()  # a row picked, then the focus moved on
        await pilot.press("u")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        assert CHILD[-4:] in app.screen.question.plain
        await pilot.click("#no")
        await pilot.pause()
