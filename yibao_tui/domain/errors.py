"""The one error type every layer raises: a stable code plus parameters for the message.

The code is a contract (CLI JSON, HTTP API); the message is rendered in the user's language
from the i18n catalogue at the edge (CLI, TUI, server), never stored in the exception. A
parameter that is itself a catalogue text (a reason, a relation) is a ``Msg``: its key and
parameters, rendered with the message in the language of that call.
"""

from __future__ import annotations

from typing import Any

#: Invalid input: the CLI exits 2, the server answers 400 (404 for unknown things).
INPUT_CODES = frozenset(
    {
        "INVALID_ARGUMENT",
        "INVALID_ID_NUMBER",
        "INVALID_AMOUNT",
        "INVALID_NAME",
        "INVALID_MEMO",
        "WEAK_SECRET",
        "INVALID_CARD",
        "INVALID_REGION",
        "INVALID_DATE",
        "INVALID_RELATION",
        "INVALID_FACT",
        "INVALID_FILE",
        "UNKNOWN_PERSON",
        "UNKNOWN_WITHDRAWAL_CASE",
        "UNKNOWN_PAYMENT",
        "UNKNOWN_TOKEN",
        "NOT_AVAILABLE",
        # the client refuses to send a token over plain http:// to another machine (issue 9)
        "INSECURE_TRANSPORT",
        # counter staff (issue 10 items 9-11)
        "UNKNOWN_OPERATOR",
        # no such document kept for a reprint (yibao print reprint, issue 12)
        "UNKNOWN_DOCUMENT",
    }
)
NOT_FOUND_CODES = frozenset({"UNKNOWN_PERSON", "UNKNOWN_PAYMENT", "UNKNOWN_TOKEN", "NOT_AVAILABLE",
                             "UNKNOWN_OPERATOR", "UNKNOWN_DOCUMENT"})

#: Refused by a rule: the CLI exits 3, the server answers 422.
RULE_CODES = frozenset(
    {
        "NOT_EMPLOYEE_INSURED",
        "ACCOUNT_CLOSED",
        "NOT_CLOSE_RELATIVE",
        "SELF_BINDING",
        "RELATION_IMPLAUSIBLE",
        "ALREADY_BOUND",
        "BINDING_LIMIT_REACHED",
        "RELATION_LIMIT_REACHED",
        "ONE_WAY_BINDING",
        "VERIFICATION_NOT_ACCEPTED",
        "PLEDGE_REQUIRED",
        "NOT_BOUND",
        "CROSS_REGION_NOT_ALLOWED",
        "USE_NOT_ALLOWED",
        "INSUFFICIENT_BALANCE",
        "NOT_RESIDENT_INSURED",
        "PREMIUM_ALREADY_PAID",
        "POLICY_MISSING",
        "IDEMPOTENCY_CONFLICT",
        "NO_PAYING_ACCOUNT",
        "PERSON_EXISTS",
        "CARD_IN_USE",
        "WITHDRAWAL_NOT_ELIGIBLE",
        "BAD_CREDENTIALS",
        "OPERATOR_LOCKED",
        "BAD_PIN",
        "CARD_LOCKED",
        "NO_PIN",
        "COSIGN_REQUIRED",
        "COUNTER_ONLY",
        "OPERATOR_EXISTS",
        # counter staff (issue 10 items 9-11)
        "OPERATOR_SELF",
        "NOT_WORKING_AGE",
        "PREMIUM_PERIOD_CLOSED",
    }
)

#: HTTP statuses of the codes that are neither input nor rule codes (the server's own among them).
HTTP_STATUS: dict[str, int] = {
    "UNAUTHORIZED": 401,
    "SESSION_EXPIRED": 401,
    "FORBIDDEN": 403,
    "SELF_SERVICE_BINDING": 403,
    "NOT_FOUND": 404,
    "METHOD_NOT_ALLOWED": 405,
    "IN_PROGRESS": 409,
    "RATE_LIMITED": 429,
    "IDEMPOTENCY_KEY_MISSING": 400,
    "IDEMPOTENCY_KEY_INVALID": 400,
    "INVALID_ROLE": 400,
    "BACKEND_UNAVAILABLE": 503,
    "DATABASE_BUSY": 503,
    "DATABASE_CORRUPT": 503,
    "DATABASE_UNAVAILABLE": 503,
    "LEDGER_NOT_FOUND": 503,
    # request bodies (issue 9): too large, or not JSON
    "PAYLOAD_TOO_LARGE": 413,
    "UNSUPPORTED_MEDIA_TYPE": 415,
    # counter staff (issue 10 items 9-11): managing operators and reading the audit log
    "SUPERVISOR_REQUIRED": 403,
}


class Localised:
    """Something said in every language, rendered in the language of a call (at the edge):
    a catalogue text (``Msg``) or a text of policy data (``domain.policy.Text``)."""

    __slots__ = ()

    def render(self, lang: str | None = None) -> str:
        """The text in ``lang``."""
        raise NotImplementedError


class Msg(Localised):
    """A catalogue text not rendered yet: its key and parameters (which may be ``Msg`` too).

    The domain and the ledger put these in an error's parameters (a reason, a relation, a kind
    of spending) instead of text in the process's language; the edge (CLI, TUI, server) renders
    them in the language of that call: ``YibaoError.message(lang)``, or ``render(lang)``."""

    __slots__ = ("key", "params")

    def __init__(self, key: str, /, **params: Any) -> None:
        self.key = key
        self.params = params

    def render(self, lang: str | None = None) -> str:
        """The text in ``lang`` (default: the current language)."""
        from yibao_tui.i18n import get_lang, t

        lang = lang or get_lang()
        return t(self.key, lang=lang, **rendered(self.params, lang))

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return f"Msg({self.key!r}, **{self.params!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Msg) and (self.key, self.params) == (other.key, other.params)

    def __hash__(self) -> int:
        return hash(self.key)


def rendered(params: dict[str, Any], lang: str | None = None) -> dict[str, Any]:
    """``params`` with every ``Msg`` (every ``Localised``) rendered in ``lang``."""
    return {k: v.render(lang) if isinstance(v, Localised) else v for k, v in params.items()}


class YibaoError(Exception):
    """A refusal or failure with a stable ``code`` and message parameters."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(code)

    @property
    def exit_code(self) -> int:
        """CLI exit code: 2 invalid input, 3 refused by a rule, 1 anything else."""
        if self.code in INPUT_CODES:
            return 2
        if self.code in RULE_CODES:
            return 3
        return 1

    @property
    def http_status(self) -> int:
        """HTTP status for the server: 400 invalid input, 401 no or bad token (or an expired
        session), 403 out of scope, 404 unknown, 405 wrong method, 409 in progress, 413 body too
        large, 415 body not JSON, 429 too many requests, 422 refused by a rule or an idempotency
        conflict, 503 ledger or server unavailable, 500 anything else."""
        if self.code in NOT_FOUND_CODES:
            return 404
        if self.code in INPUT_CODES:
            return 400
        if self.code in RULE_CODES:
            return 422
        return HTTP_STATUS.get(self.code, 500)

    def text(self) -> Msg:
        """The message, not rendered yet (to render where the language is known)."""
        variant = self.params.get("variant")  # another wording of the same code
        key = f"error_variant.{self.code}.{variant}" if variant else f"error.{self.code}"
        return Msg(key, **self.params)

    def message(self, lang: str | None = None) -> str:
        """The one-line message in ``lang`` (default: the current language)."""
        return self.text().render(lang)

    def to_json(self, lang: str | None = None) -> dict[str, Any]:
        """``{"error": {"code": ..., "message": ...}}`` as the CLI and the server print it."""
        return {"error": {"code": self.code, "message": self.message(lang)}}

    def __str__(self) -> str:
        return f"{self.code}: {self.message()}"


#: At a self-service card login (a kiosk, through the server or on its own ledger) these
#: refusals are one: ``BAD_PIN`` with the variant ``uniform`` and no tries left. ``CARD_LOCKED``
#: or ``UNKNOWN_PERSON`` would tell a stranger at the screen that a card exists. The lock still
#: holds (the ledger refuses even the right PIN while it lasts) and the uniform message says so.
CARD_LOGIN_HIDDEN_CODES = frozenset({"UNKNOWN_PERSON", "NO_PIN", "BAD_PIN", "CARD_LOCKED"})


def card_login_refusal(err: YibaoError) -> YibaoError:
    """What a self-service card login shows for ``err``: one refusal for unknown/wrong/locked."""
    if err.code in CARD_LOGIN_HIDDEN_CODES:
        return YibaoError("BAD_PIN", variant="uniform")
    return err
