"""The binding form as one flow: the ID checked as typed, the relative's masked name once it is
complete, the relation, the verification methods that will be accepted for that relative's age
on this channel, the pledge, and the cap said before anything is typed (no Textual).

The rules (cap, pledge, methods per age band) come from the ``Backend`` (``binding_rules``): the
system of record's policy, the server's through ``--backend URL``, never this process's own."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING

from yibao_tui.domain.errors import YibaoError
from yibao_tui.domain.idnum import IdNumber, normalise_id, parse_id
from yibao_tui.domain.masking import mask_name
from yibao_tui.domain.models import Binding, BindingRules, Person
from yibao_tui.domain.rules import FORM_METHODS, relative_age

if TYPE_CHECKING:
    from yibao_tui.backend.base import Backend

#: Verification methods in the order a form offers them.
METHODS = FORM_METHODS


class BindingForm:
    """Bind a close relative to ``holder``'s account."""

    def __init__(
        self, backend: Backend, holder: Person, today: dt.date, channel: str = "tui"
    ) -> None:
        self.backend = backend
        self.holder = holder
        self.today = today
        self.channel = channel
        #: The backend's rules for this holder and channel (``load``).
        self.rules: BindingRules | None = None
        #: The holder's active bindings (``load``).
        self.active: list[Binding] = []
        self.number: IdNumber | None = None
        #: Why the ID typed is not valid (``None``: valid, or nothing typed).
        self.id_error: YibaoError | None = None
        #: The relative's masked name once the ID is complete and on file.
        self.relative_name: str | None = None
        self.relation: str | None = None
        self.method: str | None = None
        self.pledge = False
        self._attempt: tuple[tuple[str, str, str, bool], str] | None = None

    async def load(self) -> None:
        """The backend's rules (cap, pledge, methods) and the holder's active bindings."""
        self.rules = await self.backend.binding_rules(self.holder.id, self.channel)
        self.active = [b for b in await self.backend.bindings(self.holder.id) if b.status == "active"]

    @property
    def cap(self) -> int | None:
        """The most bindings the holder's region allows (``None`` before ``load``)."""
        return self.rules.cap if self.rules else None

    @property
    def full(self) -> bool:
        """The cap is reached: the form should not open."""
        return self.rules is not None and len(self.active) >= self.rules.cap

    @property
    def first(self) -> bool:
        """The next binding needs the pledge (the holder has not signed it yet)."""
        return self.rules.pledge_required if self.rules else not self.active

    async def type_id(self, text: str) -> None:
        """The ID as typed so far: checked now; once complete, the relative's masked name."""
        value = normalise_id(text)
        self.number, self.id_error, self.relative_name = None, None, None
        if not value:
            return
        try:
            self.number = parse_id(value, today=self.today)
        except YibaoError as err:
            self.id_error = err
            return
        if self.method not in self.methods():
            self.method = next(iter(self.methods()), None)
        try:
            person = await self.backend.person(self.number.value)
        except YibaoError:
            return  # not on file: the bind itself says so
        if normalise_id(text) == self.number.value:
            self.relative_name = mask_name(person.name)

    def methods(self) -> list[str]:
        """What the backend will accept from this channel for the relative typed (their age on
        the backend's today); before a complete ID, what it accepts for some age."""
        if self.rules is None:
            return []
        today = dt.date.fromisoformat(self.rules.today)
        age = relative_age(self.number.birth_date, today) if self.number else None
        return self.rules.methods_for(age)

    def request(self) -> tuple[str, str, str, bool, str]:
        """What to send (relative, relation, method, pledge, key); raises what is missing.
        One idempotency key per distinct request: submitting twice never binds twice."""
        number = self.number
        if number is None:
            if self.id_error is not None:
                raise self.id_error
            number = parse_id("", today=self.today)  # raises: nothing typed
        if self.relation is None:
            raise YibaoError("INVALID_ARGUMENT", detail="relation")
        allowed = self.methods()
        if not allowed:  # a self-service caller: the relative confirms a binding request instead
            raise YibaoError("SELF_SERVICE_BINDING")
        method = self.method if self.method in allowed else allowed[0]
        req = (number.value, self.relation, method, self.pledge)
        if self._attempt is None or self._attempt[0] != req:
            self._attempt = (req, str(uuid.uuid4()))
        return (*req, self._attempt[1])

    async def submit(self) -> Binding:
        """Bind (the backend's rules decide; a refusal is raised with its code)."""
        relative, relation, method, pledge, key = self.request()
        result = await self.backend.bind(
            self.holder.id, relative, relation, verified_by=method, pledge_accepted=pledge, key=key
        )
        self.active.append(result)
        return result
