"""How an error leaves the server: its status, the caller's language, and no full ID number.

- The status comes from the code (``YibaoError.http_status``): 400 invalid input, 401 no or bad
  token, 403 out of scope, 404 unknown, 405 wrong method, 409 in progress, 422 refused by a rule
  or an idempotency conflict, 503 the ledger unavailable, 500 anything else.
- The message is rendered in the caller's language (``?lang=`` else ``Accept-Language``, default
  ``zh``), and so is every parameter that is a catalogue text (a ``Msg``: a reason, a relation, a
  kind of spending), which the domain and the ledger raise unrendered.
- A full 18-character ID number never leaves in an error or reaches the log: it is masked
  (``110***********002X``) in the message and in every parameter (``redact``).
- An unavailable ledger (503) is told as the server's condition; the server's file path and the
  SQLite detail go to the server's log, not to the client.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

from starlette.responses import JSONResponse

from yibao_tui.backend.http import mask_ids, mask_log
from yibao_tui.domain.errors import Msg, YibaoError
from yibao_tui.i18n import catalogue, normalise_lang, t

log = logging.getLogger("yibao.server")

#: Ledger conditions the client hears about as the server's, without the server's path or detail.
SERVER_SIDE = frozenset({"DATABASE_BUSY", "DATABASE_CORRUPT", "DATABASE_UNAVAILABLE", "LEDGER_NOT_FOUND"})
#: Codes answered with ``Retry-After`` (the ``retry_after`` parameter, in seconds; at least 1).
RETRY_AFTER_CODES = frozenset({"IN_PROGRESS", "RATE_LIMITED"})


def redact(text: str) -> str:
    """``text`` with every full ID number masked."""
    return mask_ids(text)


def pick_lang(query: str | None = None, header: str | None = None) -> str:
    """``zh`` or ``en``: the ``lang`` query parameter if given, else the best of
    ``Accept-Language`` (quality values honoured), else ``zh``."""
    if query and query.strip():
        return normalise_lang(query)
    best, best_q = "zh", 0.0
    for i, item in enumerate((header or "").split(",")[:20]):
        tag, _, rest = item.strip().partition(";")
        tag = tag.strip().lower()
        if not tag.startswith(("zh", "en")):
            continue
        q = 1.0
        rest = rest.strip().lower()
        if rest.startswith("q="):
            try:
                q = float(rest[2:])
            except ValueError:
                q = 0.0
        q -= i * 1e-6  # ties go to the first named
        if q > best_q:
            best, best_q = tag[:2], q
    return best


def from_sqlite(exc: sqlite3.Error) -> YibaoError:
    """A failure of the server's own tables (tokens, idempotency keys) as a ledger code."""
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return YibaoError("DATABASE_BUSY")
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return YibaoError("DATABASE_CORRUPT", path="", detail=str(exc))
    if "unable to open" in text or "readonly" in text or "read-only" in text or "disk" in text:
        return YibaoError("DATABASE_UNAVAILABLE", path="", detail=str(exc))
    return YibaoError("INTERNAL", detail=type(exc).__name__)


def _jsonable(value: Any, lang: str) -> Any:
    if isinstance(value, Msg):
        return value.render(lang)
    return value if isinstance(value, int | float | bool) or value is None else str(value)


def localised_params(err: YibaoError, lang: str) -> dict[str, Any]:
    """The error's parameters in ``lang`` with ID numbers masked (what the client receives)."""
    params: dict[str, Any] = {}
    for name, value in err.params.items():
        value = _jsonable(value, lang)
        params[name] = redact(value) if isinstance(value, str) else value
    why = params.get("why")
    if err.code == "INVALID_ARGUMENT" and isinstance(why, str) and f"server.arg.{why}" in catalogue(lang):
        shown = {k: v for k, v in params.items() if k not in ("detail", "why", "field")}
        reason = t(f"server.arg.{why}", lang=lang, **shown)
        params["detail"] = f"{params.get('field', '')}: {reason}"
    return params


def render(err: YibaoError, lang: str) -> tuple[int, dict[str, Any]]:
    """The status and the body ``{"error": {"code", "message", "params"}}`` for ``err``."""
    status = err.http_status
    if err.code in SERVER_SIDE:
        level = logging.INFO if err.code == "DATABASE_BUSY" else logging.WARNING
        log.log(level, "ledger unavailable (%s): %s", err.code, redact(err.message("en")))
        params: dict[str, Any] = {}
        message = t(f"server.error.{err.code}", lang=lang)
    else:
        params = localised_params(err, lang)
        message = redact(YibaoError(err.code, **params).message(lang))
    return status, {"error": {"code": err.code, "message": message, "params": params}}


def error_response(err: YibaoError, lang: str) -> JSONResponse:
    """The JSON error response for ``err`` in ``lang``."""
    status, body = render(err, lang)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if status == 503:
        headers = {"Retry-After": "1"}
    elif err.code in RETRY_AFTER_CODES:
        headers = {"Retry-After": str(max(1, int(err.params.get("retry_after") or 1)))}
    elif status == 413:  # the rest of the body is not read: end the connection after answering
        headers = {"Connection": "close"}
    return JSONResponse(body, status_code=status, headers=headers)


def install_log_redaction(logger: logging.Logger = log) -> None:
    """Mask ID numbers in everything ``logger`` records (idempotent)."""
    mask_log(logger)
