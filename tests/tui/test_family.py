"""家庭共济: the bindings, the bind form (live ID check, relation, verification, pledge), unbind."""

from __future__ import annotations

from textual.widgets import Checkbox, DataTable, Input, RadioSet, Select, Static
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
    method: int = 2,
    pledge: bool | None = None,
) -> str:
    form.query_one("#relative-id", Input).value = relative
    if relation is not None:
        form.query_one("#relation", Select).value = relation
    radio = form.query_one("#verified", RadioSet)
    radio.query("RadioButton")[method].value = True
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
        relation, name, id_, status, since, verified, ended = rows[0]
        assert (relation, status, verified, ended) == ("配偶", "有效", "窗口核验", "")
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
        message = await _submit(pilot, form, CHILD, "child", method=1)
        assert message == ""


async def test_verification_method_is_checked(bound_backend):
    app = make_app(bound_backend, person=HOLDER)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        form = await _open_form(pilot)
        # POOR is 40: a letter is not accepted, face is
        message = await _submit(pilot, form, POOR, "sibling", method=1)
        assert message.startswith("核验方式不适用")
        assert await _submit(pilot, form, POOR, "sibling", method=0) == ""
        [b] = [b for b in await bound_backend.bindings(HOLDER) if b.relative_id == POOR]
        assert b.verified_by == "face"


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
