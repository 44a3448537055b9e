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
from yibao_tui.domain.models import Binding, Person
from yibao_tui.domain.relations import Relation
from yibao_tui.i18n import t
from yibao_tui.tui.flows.binding import METHODS, BindingForm
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
from yibao_tui.tui.widgets.statement import RowTable


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
        #: The region's binding cap for the person shown (said before the form opens).
        self.cap: int | None = None

    def compose_body(self) -> ComposeResult:
        with Horizontal(classes="bar"):
            yield Static("", id="family-info")
            yield Button(t("ui.family.bind"), id="bind", variant="primary", compact=True)
            yield Button(t("ui.family.unbind"), id="unbind", variant="error", compact=True)
            yield Button(t("ui.family.history"), id="history", compact=True)
        yield RowTable(id="bindings", cursor_type="row", zebra_stripes=True)
        yield Static("", id="bound-by", classes="note")

    def on_mount(self) -> None:
        self._columns(with_ended=False)
        super().on_mount()

    def _columns(self, *, with_ended: bool) -> None:
        """The table's columns; the status and the end of a binding only with the history (the
        rest are all active, with no end), dates without the time: the table fits 80 columns."""
        table = self.query_one("#bindings", DataTable)
        table.clear(columns=True)
        self._with_ended = with_ended
        samples = {
            "relation": [relation_name(r.value) for r in Relation],
            "relative": ["欧**明"],
            "id": ["11010519491231002X"],
            "status": [t("binding.active"), t("binding.ended")],
            "since": ["2025-01-01"],
            "verified": [verified_name(m) for m in METHODS],
            "ended": ["2025-01-01"],
        }
        for key, values in samples.items():
            if key in ("status", "ended") and not with_ended:
                continue
            label = t(f"family.col.{key}")
            table.add_column(label, key=key, width=column_width(label, *values))

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
            # the cap of the system of record's policy (the server's through --backend URL)
            self.cap = (await self.backend.binding_rules(person.id)).cap
        except Exception as err:  # noqa: BLE001
            self.report(err)
            return
        self.fresh()
        self.has_any_binding = bool(everything)
        active = [b for b in everything if b.status == "active"]
        shown = everything if self.show_history else active
        self.bindings_shown = shown
        if self._with_ended != self.show_history:
            self._columns(with_ended=self.show_history)
        table.clear()
        for b in shown:
            history = (
                [
                    cell(t(f"binding.{b.status}"), style="green" if b.status == "active" else "dim"),
                    cell(short_time(b.unbound_at)[:10] if b.unbound_at else ""),
                ]
                if self.show_history
                else []
            )
            table.add_row(
                cell(relation_name(b.relation)),
                cell(show_name(b.relative_name, self.masked)),
                cell(show_id(b.relative_id, self.masked)),
                *history[:1],
                cell(short_time(b.bound_at)[:10]),
                cell(verified_name(b.verified_by)),
                *history[1:],
                key=str(b.binding_id or f"{b.relative_id}-{b.bound_at}"),
            )
        mode = t("ui.family.showing_history", n=len(shown)) if self.show_history else ""
        info.update(Text(t("ui.family.count", n=len(active), cap=self.cap) + mode))
        if holders:
            names = "、".join(
                f"{relation_name(h.relation)} {show_id(h.holder_id, self.masked)}" for h in holders
            )
            bound_by.update(Text(t("ui.family.bound_by", who=names), style="dim"))
        else:
            bound_by.update("")

    def selected(self) -> Binding | None:
        """The binding the user chose: under the cursor of the focused table, or the row picked
        before the focus moved on (a button); ``None`` while no row is chosen."""
        table = self.query_one("#bindings", DataTable)
        if not self.bindings_shown or table.cursor_row < 0:
            return None
        if not table.has_focus and not getattr(table, "picked", False):
            return None
        if table.cursor_row >= len(self.bindings_shown):
            return None
        return self.bindings_shown[table.cursor_row]

    # --- actions ---------------------------------------------------------------------------

    @on(Button.Pressed, "#bind")
    def action_bind(self) -> None:
        """Open the bind form (not when the cap is reached: that is said first)."""
        if self.person is None:
            self.notify(t("ui.person.none"), severity="warning", markup=False)
            return
        self.open_form(self.person)

    @work(exclusive=True, exit_on_error=False, group="bind-form")
    async def open_form(self, person: Person) -> None:
        """The form's flow reads the active bindings first: a full account gets the cap's
        message instead of a form that would be refused after typing it in full."""
        actor = getattr(self.backend, "actor", None)  # the laptop, the counter: no camera
        flow = BindingForm(self.backend, person, self.yapp.today, channel=getattr(actor, "channel", "tui"))
        try:
            await flow.load()
        except Exception as err:  # noqa: BLE001
            self.report(err)
            return
        if flow.full:
            self.notify(
                error_text(YibaoError("BINDING_LIMIT_REACHED", cap=flow.cap)),
                severity="warning",
                markup=False,
            )
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

        self.app.push_screen(BindForm(flow), done)

    @on(Button.Pressed, "#unbind")
    def action_unbind(self) -> None:
        """Ask, then end the selected binding (history is kept)."""
        b = self.selected()
        if b is None or b.status != "active":
            self.notify(t("ui.family.pick_active"), severity="warning", markup=False)
            self.query_one("#bindings", DataTable).focus()
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
    """Bind a close relative: the view of the ``BindingForm`` flow (ID checked as typed, the
    relative's masked name, relation, the verification methods that will be accepted, the
    pledge). The flow holds the state and the idempotency key; this lays it out."""

    BINDINGS = [KeyBinding("escape", "cancel", "key.cancel")]

    def __init__(self, flow: BindingForm) -> None:
        super().__init__(classes="dialog-screen", id="bind-form")
        translate_bindings(self)
        self.flow = flow
        self.holder = flow.holder
        self.first = flow.first

    def compose(self) -> ComposeResult:
        allowed = self.flow.methods()
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
                    for m in METHODS:
                        button = RadioButton(
                            f"{verified_name(m)} · {t(f'ui.bind.verify.{m}')}",
                            value=m in allowed[:1],
                            id=f"verify-{m}",
                        )
                        button.disabled = m not in allowed
                        button.display = m in allowed
                        yield button
                with Vertical(id="pledge-box", classes="" if self.first else "hidden"):
                    yield Static(Text(t("ui.pledge.text")), id="pledge-text")
                    yield Checkbox(t("ui.pledge.accept"), id="pledge", compact=True)
            yield Static("", id="form-error", classes="inline-message")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("ui.bind.submit"), id="submit", variant="primary")
                yield Button(t("ui.cancel"), id="cancel")

    def on_mount(self) -> None:
        self.flow.method = next(iter(self.flow.methods()), None)
        self.query_one("#relative-id", Input).focus()

    @on(Input.Changed, "#relative-id")
    def _id_typed(self, event: Input.Changed) -> None:
        self.check_id(event.value)

    @work(exclusive=True, exit_on_error=False, group="id")
    async def check_id(self, text: str) -> None:
        """The flow checks the ID (and names the relative once it is complete); the form shows
        the verdict and offers only the methods the rules will accept for that age."""
        flow = self.flow
        await flow.type_id(text)
        feedback = self.query_one("#id-feedback", Static)
        if flow.id_error is not None:
            feedback.update(Text("✗ " + error_text(flow.id_error), style="bold red"))
        elif flow.number is None:
            feedback.update("")
        else:
            number = flow.number
            line = "✓ " + t(
                "ui.bind.id_ok",
                birth=number.birth_date.isoformat(),
                age=number.age(flow.today),
                sex=t(f"sex.{number.sex}"),
            )
            if flow.relative_name:
                line += " · " + flow.relative_name
            feedback.update(Text(line, style="green"))
        self._offer_methods()

    def _offer_methods(self) -> None:
        """Show only the accepted methods; the pressed one stays when it still is."""
        allowed = self.flow.methods()
        if self.flow.method not in allowed:
            self.flow.method = allowed[0]
        for m in METHODS:
            button = self.query_one(f"#verify-{m}", RadioButton)
            button.disabled = m not in allowed
            button.display = m in allowed
            if m == self.flow.method and not button.value:
                button.value = True

    @on(RadioSet.Changed, "#verified")
    def _method_chosen(self, event: RadioSet.Changed) -> None:
        pressed = event.pressed.id or ""
        if pressed.startswith("verify-"):
            self.flow.method = pressed.removeprefix("verify-")

    @on(Select.Changed, "#relation")
    def _relation_chosen(self, event: Select.Changed) -> None:
        self.flow.relation = event.value if isinstance(event.value, str) else None

    @on(Checkbox.Changed, "#pledge")
    def _pledge(self, event: Checkbox.Changed) -> None:
        self.flow.pledge = event.value

    def _fail(self, message: str) -> None:
        self.query_one("#form-error", Static).update(Text(message, style="bold red"))

    @on(Input.Submitted, "#relative-id")
    @on(Button.Pressed, "#submit")
    def _submit(self) -> None:
        self.bind()

    @work(exclusive=True, exit_on_error=False, group="bind")
    async def bind(self) -> None:
        """Ask the backend through the flow; a refusal shows the rule's message in the form."""
        flow = self.flow
        await flow.type_id(self.query_one("#relative-id", Input).value)
        try:
            flow.request()
        except YibaoError as err:
            if err.code == "INVALID_ARGUMENT":
                self._fail(t("ui.bind.need_relation"))
                self.query_one("#relation", Select).focus()
            else:
                self._fail(error_text(err))
                self.query_one("#relative-id", Input).focus()
            return
        button = self.query_one("#submit", Button)
        button.disabled = True
        self._fail("")
        try:
            result = await flow.submit()
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
