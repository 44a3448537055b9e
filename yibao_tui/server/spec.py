"""How an operation is declared: its route, who may call it, and its parameters.

One table of ``Op`` (in ``routes``) drives both the Starlette routes and the OpenAPI document, so
the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from yibao_tui.backend.base import Backend
from yibao_tui.server.auth import Principal, TokenStore

ALL_ROLES = frozenset({"admin", "counter", "kiosk", "personal"})
ADMIN = frozenset({"admin"})
STAFF = frozenset({"admin", "counter"})

#: The largest request body of an ordinary operation (a few short fields): refused by its
#: ``Content-Length``, or as soon as a chunked body grows past it (413 ``PAYLOAD_TOO_LARGE``).
MAX_BODY_BYTES = 64 * 1024
#: The largest body of an operation that carries many rows (the roster import).
MAX_BULK_BODY_BYTES = 16 * 1024 * 1024

# What the OpenAPI document states about identifiers and text (JSON Schema ``pattern``s, with a
# ``format`` naming the kind of identifier). The backend checks more (the check digit, the birth
# date, the region) and answers INVALID_ID_NUMBER / INVALID_CARD with the reason.
#: An ID number (GB 11643): 17 digits and a check digit (0-9 or X).
ID_PATTERN = "^[0-9]{17}[0-9Xx]$"
ID_FORMAT = "id-number"
#: A social security card number: 6 to 20 ASCII letters or digits.
CARD_PATTERN = "^[0-9A-Za-z]{6,20}$"
CARD_FORMAT = "card-number"
#: A person named by ID number or card number (the ``{who}`` in a path).
PERSON_PATTERN = "^(?:[0-9]{17}[0-9Xx]|[0-9A-Za-z]{6,20})$"
PERSON_FORMAT = "person-ref"
#: A relative named by ID number, card number, or (by a self-service caller, which sees its
#: relatives masked) the masked ID number its binding list shows: ``110***********002X``.
RELATIVE_PATTERN = "^(?:[0-9]{17}[0-9Xx]|[0-9A-Za-z]{6,20}|[0-9]{3}\\*{11}[0-9]{3}[0-9Xx])$"
#: Every other text (names, memos, payees, reasons): no C0 control character and no DEL
#: (``validate.check_text`` refuses them with ``INVALID_ARGUMENT``, why ``control``).
TEXT_PATTERN = "^[^\\u0000-\\u001f\\u007f]*$"
#: A statement page's ``next_cursor``.
CURSOR_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\\|[0-9]{1,19}$"
#: Path parameters: ``(pattern, format, description)``.
PATH_PARAMS: dict[str, tuple[str, str, str]] = {
    "who": (PERSON_PATTERN, PERSON_FORMAT, "ID number or card number"),
    "relative": (RELATIVE_PATTERN, PERSON_FORMAT,
                 "The relative's ID number or card number (a self-service caller: or the masked ID its"
                 " binding list shows)"),
    "card": (PERSON_PATTERN, PERSON_FORMAT, "Card number or ID number"),
    "token": ("^[0-9]{1,18}$", "token-id", "The token's id (from the token list)"),
    "request": ("^[0-9]{1,18}$", "request-id", "The binding request's id"),
}


@dataclass(frozen=True, slots=True)
class Field:
    """One query parameter or body field."""

    name: str
    type: str  # string | integer | boolean | array (of strings) | rows (array of objects)
    required: bool = False
    default: Any = None
    minimum: int | None = None
    maximum: int | None = None
    max_length: int = 200
    enum: tuple[str, ...] | None = None
    nullable: bool = False
    description: str = ""
    #: Name in the query string when it differs (``from`` is a Python keyword).
    alias: str | None = None
    #: The JSON Schema ``pattern`` of a string (default: ``TEXT_PATTERN``) and its ``format``.
    pattern: str | None = None
    format: str | None = None
    #: A secret (PIN, password): left out of the idempotency fingerprint, never stored or logged.
    secret: bool = False

    @property
    def wire(self) -> str:
        """The name on the wire."""
        return self.alias or self.name


@dataclass(slots=True)
class Call:
    """What a handler gets: the backend acting for the caller and the validated arguments."""

    backend: Backend
    principal: Principal
    path: dict[str, str]
    query: dict[str, Any]
    body: dict[str, Any]
    key: str | None = None
    tokens: TokenStore | None = None
    #: The caller's language (``zh`` or ``en``) for texts the backend renders.
    lang: str = "zh"
    #: Self-service binding requests (``server.selfservice.BindingRequests``).
    requests: Any = None


Handler = Callable[[Call], Awaitable[dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class Op:
    """One HTTP operation."""

    name: str
    method: str
    path: str
    handler: Handler
    roles: frozenset[str]
    response: str
    summary: str
    query: tuple[Field, ...] = ()
    body: tuple[Field, ...] | None = None
    #: Path parameters that a scoped principal (personal, kiosk) must own.
    scoped: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    #: Callable by a device token (a counter with no operator, a kiosk with no card session).
    device: bool = False
    #: The response carries a new session token: never stored for idempotent replay.
    secret: bool = False
    #: The largest request body accepted, in bytes.
    max_body: int = MAX_BODY_BYTES
    #: Each call by a self-service token counts against its rate limit, even when it succeeds
    #: (its answer is uniform, so a success can be a probe).
    rate_counted: bool = False

    @property
    def secret_fields(self) -> frozenset[str]:
        """The body fields that hold a secret (see ``Field.secret``)."""
        return frozenset(f.name for f in self.body or () if f.secret)

    @property
    def path_params(self) -> tuple[str, ...]:
        """The ``{names}`` in the path, in order."""
        return tuple(part[1:-1] for part in self.path.split("/") if part.startswith("{"))
