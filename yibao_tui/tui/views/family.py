"""家庭共济 (F3): the bindings and their history, binding a relative, unbinding."""

from __future__ import annotations

import uuid

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding as KeyBinding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import (
    Button,
    Checkbox,
    DataTable,
    Input,
    Label,
    RadioButton,
    RadioSet,
    Select,
    Static,
)

from yibao_tui.domain.errors import YibaoError
from yibao_tui.domain.idnum import id_problem, normalise_id, parse_id
from yibao_tui.domain.models import Binding, Person
from yibao_tui.domain.relations import Relation
from yibao_tui.i18n import t
from yibao_tui.tui.views.base import YibaoScreen
from yibao_tui.tui.widgets.common import (
    cell,
    column_width,
    error_text,
    relation_name,
    short_time,
    show_id,
    show_name,
    translate_bindings,
    verified_name,
)

VERIFY_METHODS = ("face", "letter", "counter")


class FamilyScreen(YibaoScreen):
    """Who shares this account's money, since when, and how it was checked."""

    NAME_KEY = "ui.screen.family"
    AUTO_FOCUS = "#bindings"
    BINDINGS = [
        KeyBinding("a", "bind", "key.bind", id="bind"),
        KeyBinding("u", "unbind", "key.unbind", id="unbind"),
        KeyBinding("h", "toggle_history", "key.history", id="history"),
    ]
    COMMANDS_HERE = (
        ("bind", "cmd.bind"),
        ("unbind", "cmd.unbind"),
        ("toggle_history", "cmd.history"),
    )

    def __init__(self) -> None:
        super().__init__()
        self.show_history = False
        self.bindings_shown: list[Binding] = []
        self.has_any_binding = False

    def compose_body(self) -> ComposeResult:
        with Horizontal(classes="bar"):
            yield Static("", id="family-info")
            yield Button(t("ui.family.bind"), id="bind", variant="primary", compact=True)
            yield Button(t("ui.family.unbind"), id="unbind", variant="error", compact=True)
            yield Button(t("ui.family.history"), id="history", compact=True)
        yield DataTable(id="bindings", cursor_type="row", zebra_stripes=True)
        yield Static("", id="bound-by", classes="note")

    def on_mount(self) -> None:
        table = self.query_one("#bindings", DataTable)
        samples = {
            "relation": [relation_name(r.value) for r in Relation],
            "relative": ["[/b]张三[bold]"],
            "id": ["11010519491231002X"],
            "status": [t("binding.active"), t("binding.ended")],
            "since": ["2025-01-01 00:00"],
            "verified": [verified_name(m) for m in VERIFY_METHODS],
            "ended": ["2025-01-01 00:00"],
        }
        for key, values in samples.items():
            label = t(f"family.col.{key}")
            table.add_column(label, key=key, width=column_width(label, *values))
        super().on_mount()

    def person_changed(self, person: Person | None) -> None:
        self.load()

    @work(exclusive=True, exit_on_error=False, group="load")
    async def load(self) -> None:
        """The holder's bindings (with history when asked) and who binds the holder."""
        person = self.person
        table = self.query_one("#bindings", DataTable)
        info = self.query_one("#family-info", Static)
        bound_by = self.query_one("#bound-by", Static)
        if person is None:
            table.clear()
            info.update("")
            bound_by.update("")
            return
        try:
            everything = await self.backend.bindings(person.id, include_ended=True)
            holders = await self.backend.bound_by(person.id)
        except Exception as err:  # noqa: BLE001
            self.report(err)
            return
        self.has_any_binding = bool(everything)
        active = [b for b in everything if b.status == "active"]
        shown = everything if self.show_history else active
        self.bindings_shown = shown
        table.clear()
        for b in shown:
            table.add_row(
                cell(relation_name(b.relation)),
                cell(show_name(b.relative_name, self.masked)),
                cell(show_id(b.relative_id, self.masked)),
                cell(
                    t(f"binding.{b.status}"),
                    style="green" if b.status == "active" else "dim",
                ),
                cell(short_time(b.bound_at)),
                cell(verified_name(b.verified_by)),
                cell(short_time(b.unbound_at) if b.unbound_at else ""),
                key=str(b.binding_id or f"{b.relative_id}-{b.bound_at}"),
            )
        mode = t("ui.family.showing_history", n=len(shown)) if self.show_history else ""
        info.update(Text(t("ui.family.count", n=len(active)) + mode))
        if holders:
            names = "、".join(
                f"{relation_name(h.relation)} {show_id(h.holder_id, self.masked)}" for h in holders
            )
            bound_by.update(Text(t("ui.family.bound_by", who=names), style="dim"))
        else:
            bound_by.update("")

    def selected(self) -> Binding | None:
        """The binding under the table cursor."""
        table = self.query_one("#bindings", DataTable)
        if not self.bindings_shown or table.cursor_row < 0:
            return None
        if table.cursor_row >= len(self.bindings_shown):
            return None
        return self.bindings_shown[table.cursor_row]

    # --- actions ---------------------------------------------------------------------------

    @on(Button.Pressed, "#bind")
    def action_bind(self) -> None:
        """Open the bind form."""
        if self.person is None:
            self.notify(t("ui.person.none"), severity="warning", markup=False)
            return

        def done(result: Binding | None) -> None:
            if result is not None:
                self.notify(
                    t(
                        "ui.family.bound",
                        relation=relation_name(result.relation),
                        who=show_name(result.relative_name, self.masked),
                    ),
                    markup=False,
                )
                self.load()

        self.app.push_screen(BindForm(self.person, first=not self.has_any_binding), done)

    @on(Button.Pressed, "#unbind")
    def action_unbind(self) -> None:
        """Ask, then end the selected binding (history is kept)."""
        b = self.selected()
        if b is None or b.status != "active":
            self.notify(t("ui.family.pick_active"), severity="warning", markup=False)
            return
        self.confirm_unbind(b)

    @work(exclusive=True, exit_on_error=False, group="unbind")
    async def confirm_unbind(self, b: Binding) -> None:
        """Confirmation, then the unbinding."""
        from yibao_tui.tui.widgets.dialogs import ConfirmDialog

        person = self.person
        if person is None:
            return
        question = Text(
            t(
                "ui.family.unbind_q",
                relation=relation_name(b.relation),
                who=show_name(b.relative_name, self.masked),
                id=show_id(b.relative_id, self.masked),
            )
        )
        if not await self.app.push_screen_wait(ConfirmDialog(question, default_no=True)):
            return
        try:
            ended = await self.backend.unbind(person.id, b.relative_id, key=str(uuid.uuid4()))
        except Exception as err:  # noqa: BLE001
            self.report(err)
            return
        self.notify(
            t(
                "ui.family.unbound",
                who=show_name(ended.relative_name or b.relative_name, self.masked),
            ),
            markup=False,
        )
        self.load()

    @on(Button.Pressed, "#history")
    def action_toggle_history(self) -> None:
        """Show or hide ended bindings."""
        self.show_history = not self.show_history
        self.load()


class BindForm(ModalScreen[Binding | None]):
    """Bind a close relative: ID checked as typed, relation, verification, the pledge."""

    BINDINGS = [KeyBinding("escape", "cancel", "key.cancel")]

    def __init__(self, holder: Person, *, first: bool) -> None:
        super().__init__(classes="dialog-screen", id="bind-form")
        translate_bindings(self)
        self.holder = holder
        self.first = first
        #: One idempotency key per distinct request: submitting twice never binds twice.
        self._attempt: tuple[tuple[str, str, str, bool], str] | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-wide dialog-tall", id="bind-dialog"):
            yield Static(Text(t("ui.bind.title"), style="bold"), classes="dialog-title")
            with VerticalScroll(id="bind-fields"):
                yield Label(t("ui.bind.id"))
                yield Input(
                    placeholder=t("ui.bind.id_placeholder"),
                    id="relative-id",
                    max_length=24,
                    compact=True,
                )
                yield Static("", id="id-feedback", classes="inline-message")
                yield Label(t("ui.bind.relation"))
                yield Select(
                    [(Text(relation_name(r.value)), r.value) for r in Relation],
                    prompt=t("ui.bind.relation_prompt"),
                    compact=True,
                    id="relation",
                )
                yield Label(t("ui.bind.verify"))
                with RadioSet(id="verified", compact=True):
                    for i, m in enumerate(VERIFY_METHODS):
                        yield RadioButton(
                            f"{verified_name(m)} · {t(f'ui.bind.verify.{m}')}",
                            value=i == 0,
                            id=f"verify-{m}",
                        )
                with Vertical(id="pledge-box", classes="" if self.first else "hidden"):
                    yield Static(Text(t("ui.pledge.text")), id="pledge-text")
                    yield Checkbox(t("ui.pledge.accept"), id="pledge", compact=True)
            yield Static("", id="form-error", classes="inline-message")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("ui.bind.submit"), id="submit", variant="primary")
                yield Button(t("ui.cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#relative-id", Input).focus()

    @on(Input.Changed, "#relative-id")
    def _id_typed(self, event: Input.Changed) -> None:
        feedback = self.query_one("#id-feedback", Static)
        value = normalise_id(event.value)
        if not value:
            feedback.update("")
            return
        problem = id_problem(value, today=self.app.today)  # type: ignore[attr-defined]
        if problem:
            feedback.update(Text("✗ " + problem, style="bold red"))
        else:
            number = parse_id(value, today=self.app.today)  # type: ignore[attr-defined]
            feedback.update(
                Text(
                    "✓ "
                    + t(
                        "ui.bind.id_ok",
                        birth=number.birth_date.isoformat(),
                        age=number.age(self.app.today),  # type: ignore[attr-defined]
                        sex=t(f"sex.{number.sex}"),
                    ),
                    style="green",
                )
            )

    def _method(self) -> str:
        pressed = self.query_one("#verified", RadioSet).pressed_index
        return VERIFY_METHODS[pressed] if 0 <= pressed < len(VERIFY_METHODS) else "counter"

    def _fail(self, message: str) -> None:
        self.query_one("#form-error", Static).update(Text(message, style="bold red"))

    @on(Input.Submitted, "#relative-id")
    @on(Button.Pressed, "#submit")
    def _submit(self) -> None:
        relative = normalise_id(self.query_one("#relative-id", Input).value)
        problem = id_problem(relative, today=self.app.today)  # type: ignore[attr-defined]
        if problem:
            self._fail(t("error.INVALID_ID_NUMBER", reason=problem))
            self.query_one("#relative-id", Input).focus()
            return
        relation = self.query_one("#relation", Select).value
        if not isinstance(relation, str):
            self._fail(t("ui.bind.need_relation"))
            self.query_one("#relation", Select).focus()
            return
        pledge = self.query_one("#pledge", Checkbox).value
        request = (relative, relation, self._method(), pledge)
        if self._attempt is None or self._attempt[0] != request:
            self._attempt = (request, str(uuid.uuid4()))
        self.bind(*request, key=self._attempt[1])

    @work(exclusive=True, exit_on_error=False, group="bind")
    async def bind(self, relative: str, relation: str, method: str, pledge: bool, key: str) -> None:
        """Ask the backend; a refusal shows the rule's message in the form."""
        button = self.query_one("#submit", Button)
        button.disabled = True
        self._fail("")
        try:
            result = await self.app.backend.bind(  # type: ignore[attr-defined]
                self.holder.id,
                relative,
                relation,
                verified_by=method,
                pledge_accepted=pledge,
                key=key,
            )
        except YibaoError as err:
            pledge = err.code == "PLEDGE_REQUIRED"
            if pledge:
                self.query_one("#pledge-box").remove_class("hidden")
            self._fail(error_text(err, self.app.masked))  # type: ignore[attr-defined]
            self._ready_again("#pledge" if pledge else "#relative-id")
            return
        except Exception as err:  # noqa: BLE001
            self._fail(error_text(err))
            self._ready_again("#relative-id")
            return
        self.dismiss(result)

    def _ready_again(self, field: str) -> None:
        """After a refusal: the button back, and the focus on what to change. (Disabling the
        focused button had moved the focus on to Cancel, so the next Enter closed the form.)"""
        self.query_one("#submit", Button).disabled = False
        self.query_one(field).focus()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        """Close without binding."""
        self.dismiss(None)
