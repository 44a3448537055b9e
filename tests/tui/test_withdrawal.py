"""提取资格: a case, its questions, the verdict live, the checklist exported."""

from __future__ import annotations

from textual.widgets import Input, Select, Static
from tuikit import HOLDER, make_app, settle, text_of

from yibao_tui.domain.policy import policy_for
from yibao_tui.tui.views.withdrawal import CHECK_PAUSE


async def _choose(pilot, case: str) -> None:
    await pilot.press("f5")
    await settle(pilot)
    pilot.app.screen.query_one("#case", Select).value = case
    await settle(pilot)


def _verdict(app) -> str:
    return text_of(app.screen.query_one("#verdict", Static))


async def test_questions_come_from_the_policy(backend):
    app = make_app(backend, person=HOLDER)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        select = app.screen.query_one("#case", Select)
        cases = [value for _, value in select._options if isinstance(value, str)]
        policy = policy_for("440300", 2025)
        # only the cases the region enables (issue 8 defect 9: 深圳 offered 重大疾病)
        assert cases == [c for c in policy.withdrawal_cases if c in policy.enabled_cases]
        assert "serious-illness" not in cases
        await _choose(pilot, "death")
        questions = policy_for("440300", 2025).withdrawal_cases["death"].questions
        labels = [text_of(label) for label in app.screen.query(".question")]
        assert labels == [q.text.zh for q in questions]


async def test_verdict_updates_live(backend):
    app = make_app(backend, person=HOLDER)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await _choose(pilot, "death")
        verdict = _verdict(app)
        assert "不符合提取条件" in verdict and "尚未回答" in verdict
        assert "伪造材料" in verdict  # warnings always shown
        assert "死亡证明、火化证明或户籍注销证明" in verdict  # materials
        app.screen.query_one("#q-0", Select).value = "yes"
        await settle(pilot)
        app.screen.query_one("#q-1", Select).value = "no"
        await settle(pilot)
        verdict = _verdict(app)
        assert "不符合提取条件" in verdict and "条件不满足：继承人能证明亲属关系" in verdict
        app.screen.query_one("#q-1", Select).value = "yes"
        await settle(pilot)
        verdict = _verdict(app)
        assert verdict.startswith("✓ 符合提取条件")
        assert "继承人" in verdict
        app.screen.query_one("#q-2", Select).value = "yes"  # an agent: one more material
        await settle(pilot)
        assert "授权委托书" in _verdict(app)


async def test_number_answers(backend):
    app = make_app(backend, person=HOLDER)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await _choose(pilot, "left-employee-insurance")
        app.screen.query_one("#q-0", Select).value = "yes"
        months = app.screen.query_one("#q-1", Input)
        months.focus()
        await pilot.press("3")
        await pilot.pause(CHECK_PAUSE + 0.2)  # the verdict is asked once typing pauses
        await settle(pilot)
        assert app.screen.facts() == {"insurance_stopped": "yes", "months_since_stop": "3"}
        assert "✓ 符合提取条件" in _verdict(app)


async def test_export_checklist(backend, tmp_path):
    app = make_app(backend, person=HOLDER)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("e")  # nothing chosen yet
        await pilot.pause()
        assert any("请先选择提取情形" in n.message for n in app._notifications)
        await _choose(pilot, "emigration")
        app.screen.query_one("#q-0", Select).value = "yes"
        await settle(pilot)
        app.screen.query_one("#case", Select).focus()
        await pilot.press("e")
        await settle(pilot)
        path = app.screen.last_export
        assert path.parent == tmp_path / "exports"
        assert any(str(path) in n.message for n in app._notifications)
    text = path.read_text("utf-8")
    assert "职工医保个人账户提取清单" in text
    assert "出国（境）定居" in text
    assert "不符合提取条件" in text
    assert "已出国（境）定居：是" in text
    assert "户籍已注销：未回答" in text
    assert "有偿代办" in text
    assert HOLDER not in text  # masked by default


async def test_a_resident_member_is_told_why_not(backend):
    from tuikit import RELATIVE

    app = make_app(backend, person=RELATIVE)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert "居民医保参保人没有个人账户" in text_of(
            app.screen.query_one("#year-figures", Static)
        )
        assert app.screen.query_one("#statement").row_count == 0
        await _choose(pilot, "death")
        verdict = _verdict(app)
        assert "不符合提取条件" in verdict and "未参加职工医保" in verdict


async def test_typing_a_number_writes_one_check_per_verdict_seen(backend):
    """Issue 8 defect 10: every keystroke in an F5 number field wrote a ``withdrawal.check``
    audit record. One record per verdict the user actually saw."""

    async def checks() -> int:
        rows = await backend.audit(person=HOLDER, limit=500)
        return sum(1 for r in rows if r.action == "withdrawal.check")

    app = make_app(backend, person=HOLDER)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await _choose(pilot, "left-employee-insurance")
        app.screen.query_one("#q-0", Select).value = "yes"
        await settle(pilot)
        before = await checks()
        app.screen.query_one("#q-1", Input).focus()
        await pilot.press(*"120")
        await pilot.pause(CHECK_PAUSE + 0.2)
        await settle(pilot)
        assert "✓ 符合提取条件" in _verdict(app)
        assert await checks() == before + 1
        await pilot.press("backspace")  # 12: another verdict seen, one more record
        await pilot.pause(CHECK_PAUSE + 0.2)
        await settle(pilot)
        assert await checks() == before + 2
