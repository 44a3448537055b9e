"""The Starlette application: authentication, scope, idempotency and errors around ``routes.OPS``.

``create_app(db)`` serves the ledger at ``db`` through a ``LocalBackend``. Everything a test needs
to control is injectable: the clock (token and session expiry), the backend factory, and a hook
called after a write has committed and before its response is stored (to lose a response).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import secrets
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from yibao_tui.backend.base import Actor, Backend
from yibao_tui.domain.errors import YibaoError
from yibao_tui.domain.idnum import normalise_id
from yibao_tui.server import validate
from yibao_tui.server.auth import LAST_USED_FLUSH_SECONDS, Clock, Principal, TokenStore
from yibao_tui.server.backends import (
    ANCHOR_SECONDS,
    BackendFactory,
    BackendPool,
    LedgerBackend,
    actor_for,
    ledger_backend,
)
from yibao_tui.server.errors import (
    error_response,
    from_sqlite,
    install_log_redaction,
    pick_lang,
    redact,
)
from yibao_tui.server.idempotency import IdempotencyStore, check_key, ledger_key
from yibao_tui.server.openapi import build_openapi
from yibao_tui.server.routes import OPS
from yibao_tui.server.selfservice import (
    NOT_COUNTED,
    BindingRequests,
    RateLimiter,
    self_service,
    uniform,
)
from yibao_tui.server.spec import Call, Op

log = logging.getLogger("yibao.server")
#: Our log, and uvicorn's (an access log line holds the path, and a person's path their ID number).
for _name in ("yibao.server", "uvicorn.access", "uvicorn.error"):
    install_log_redaction(logging.getLogger(_name))

#: The query parameter that picks the language of messages and texts (else Accept-Language).
LANG_PARAM = "lang"
#: What ``?lang=`` accepts: ``zh`` or ``en``, optionally with a region (``zh-CN``, ``en_US``).
#: Anything else is refused (400), not silently taken for ``zh``.
_LANG_VALUE = re.compile(r"(?:zh|en)(?:[-_][a-z0-9]{1,8})*", re.IGNORECASE)
#: The only media type a request body may have.
JSON_MEDIA_TYPE = "application/json"
#: Body fields whose values are secrets whatever the operation declares (``Field.secret``):
#: never logged, never echoed in an internal error.
SECRET_FIELDS = frozenset({"pin", "password", "supervisor_password"})

AfterCommit = Callable[[str], Awaitable[None]]


@dataclass(slots=True)
class Hooks:
    """Test-only seams. ``after_commit(op_name)`` runs after a write commits, before its
    response is stored or sent."""

    after_commit: AfterCommit | None = None


#: Starlette tries routes in order, a regex each: the frequent reads go first (after the
#: trivial endpoint) so that they do not pay for matching the whole table.
HOT_OPS = ("ping", "balance", "person", "statement", "summary", "bindings", "whoami")


def match_order(ops: tuple[Op, ...]) -> list[Op]:
    """``ops`` in the order routes are matched: ``HOT_OPS`` first, then reads, then writes
    (stable, so that two methods on one path keep their order; no two paths overlap)."""

    def rank(op: Op) -> tuple[int, int]:
        hot = HOT_OPS.index(op.name) if op.name in HOT_OPS else len(HOT_OPS)
        return hot, 0 if op.method == "GET" else 1

    return sorted(ops, key=rank)


def status_of(err: YibaoError) -> int:
    """The HTTP status for an error code (see ``YibaoError.http_status``)."""
    return err.http_status


def request_lang(request: Request) -> str:
    """The caller's language: ``?lang=`` if given and valid, else ``Accept-Language``, else ``zh``."""
    value = request.query_params.get(LANG_PARAM)
    if value is not None and _LANG_VALUE.fullmatch(value) is None:
        value = None  # refused by ``check_lang``; the refusal itself follows Accept-Language
    return pick_lang(value, request.headers.get("accept-language"))


def check_lang(request: Request) -> None:
    """Refuse a ``?lang=`` that is neither ``zh`` nor ``en`` (400 ``INVALID_ARGUMENT``)."""
    value = request.query_params.get(LANG_PARAM)
    if value is not None and _LANG_VALUE.fullmatch(value) is None:
        raise validate.bad(LANG_PARAM, "lang")


def _printable(text: str, limit: int = 60) -> str:
    return "".join(ch for ch in text if " " <= ch <= "~")[:limit]


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, at most ``limit`` bytes, read only if it is JSON.

    A body without ``Content-Type: application/json`` is refused before it is read (415
    ``UNSUPPORTED_MEDIA_TYPE``); so is one whose ``Content-Length`` is above ``limit`` (413
    ``PAYLOAD_TOO_LARGE``). A chunked body is read as it arrives and refused as soon as it
    grows past ``limit``: the server never holds more than ``limit`` bytes of it.
    """
    length = request.headers.get("content-length")
    if "transfer-encoding" not in request.headers and (length is None or length.strip() == "0"):
        return b""
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type != JSON_MEDIA_TYPE:
        raise YibaoError("UNSUPPORTED_MEDIA_TYPE", media_type=_printable(media_type) or "-")
    if length is not None and length.strip().isdecimal() and int(length) > limit:
        raise YibaoError("PAYLOAD_TOO_LARGE", limit=limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise YibaoError("PAYLOAD_TOO_LARGE", limit=limit)
        chunks.append(chunk)
    return b"".join(chunks)


def internal_error(where: str, exc: BaseException, secret_values: list[str]) -> YibaoError:
    """Log an unexpected failure and return what the client hears about it.

    The log line names the operation, the exception and a short reference, with every full ID
    number masked and the request's secrets (its token, PINs and passwords) blanked out. The
    client gets the exception's type and the same reference, never the text (which may quote
    data).
    """
    ref = secrets.token_hex(4)
    if isinstance(exc, YibaoError):
        text = str(exc.params.get("detail", exc.code))
    else:
        text = f"{type(exc).__name__}: {exc}"
    for value in secret_values:
        if value:
            text = text.replace(value, "***")
    log.error("internal error in %s (ref %s): %s", where, ref, redact(text)[:500],
              exc_info=exc if os.environ.get("YIBAO_DEBUG") and not isinstance(exc, YibaoError) else None)
    kind = text.partition(":")[0].strip() if ":" in text else type(exc).__name__
    if not kind.isidentifier():
        kind = "Error"
    return YibaoError("INTERNAL", detail=f"{kind} (ref {ref})")


def _request_secrets(request: Request) -> list[str]:
    """The secrets a request carries: its bearer token, and any PIN or password it sent."""
    found = [request.headers.get("authorization", "").removeprefix("Bearer").strip()]
    found += getattr(request.state, "secret_values", [])
    return [v for v in found if len(v) >= 3]


def default_factory(db: str) -> BackendFactory:
    """Make the server's ``LedgerBackend``s (a ``LocalBackend`` each) on ``db``."""

    def make(actor: Actor) -> Backend:
        return ledger_backend(db, actor)

    return make


class Server:
    """The parts one app instance shares between requests."""

    def __init__(self, db: str, clock: Clock, factory: BackendFactory, hooks: Hooks) -> None:
        self.db = db
        self.clock = clock
        self.hooks = hooks
        self.pool = BackendPool(factory)
        self.tokens: TokenStore | None = None
        self.idem: IdempotencyStore | None = None
        self._flusher: asyncio.Task[None] | None = None
        self._anchorer: asyncio.Task[None] | None = None
        self.limiter: RateLimiter | None = None
        self.requests: BindingRequests | None = None
        #: what a failure of the database under the server's own tables raises (its driver's errors)
        self.db_errors: tuple[type[Exception], ...] = (sqlite3.Error,)

    def from_db(self, exc: Exception) -> YibaoError:
        """A failure of the server's own tables as a ledger code."""
        if self.tokens is not None and not isinstance(exc, sqlite3.Error):
            return self.tokens.db.translate(exc)
        return from_sqlite(exc) if isinstance(exc, sqlite3.Error) else YibaoError("INTERNAL", detail=type(exc).__name__)

    async def start(self) -> None:
        await self.pool.start()  # creates the ledger before our tables go in
        self.tokens = TokenStore(self.db, self.clock)
        self.idem = IdempotencyStore(self.db, self.clock)
        self.requests = BindingRequests(self.db, self.clock)
        self.limiter = RateLimiter(self.db, self.clock)
        self.db_errors = (sqlite3.Error, self.tokens.db.error)
        if self.idem.released:
            log.warning("released %d request(s) left in progress by a server that is gone", self.idem.released)
        self.idem.start_heartbeat()
        self._flusher = asyncio.get_running_loop().create_task(self._flush_last_used())
        self._anchorer = asyncio.get_running_loop().create_task(self._anchor_chains())

    async def _anchor_chains(self) -> None:
        """Every ``ANCHOR_SECONDS``, record the audit chains' heads on chain 0 (PostgreSQL: a chain
        per server process); a failure waits for the next round."""
        while True:
            await asyncio.sleep(ANCHOR_SECONDS)
            await self._anchor()

    async def _anchor(self) -> None:
        primary = self.pool.primary
        if isinstance(primary, LedgerBackend):
            try:
                await primary.anchor()
            except YibaoError as e:
                log.warning("audit chains not anchored: %s", e.code)

    async def _flush_last_used(self) -> None:
        """Write down every ``LAST_USED_FLUSH_SECONDS`` when tokens were last used."""
        while True:
            await asyncio.sleep(LAST_USED_FLUSH_SECONDS)
            if self.tokens is not None:
                with contextlib.suppress(*self.db_errors):
                    await asyncio.to_thread(self.tokens.flush_last_used)

    async def stop(self) -> None:
        for task in (self._flusher, self._anchorer):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._anchorer is not None:
            await self._anchor()  # this process's chain ends here: its last head on chain 0
        if self.tokens is not None:
            with contextlib.suppress(*self.db_errors):
                self.tokens.flush_last_used()
        if self.requests is not None:
            self.requests.close()
        if self.limiter is not None:
            self.limiter.close()
        if self.idem is not None:
            await self.idem.close()
        if self.tokens is not None:
            self.tokens.close()
        await self.pool.close()

    def endpoint(self, op: Op) -> Callable[[Request], Awaitable[Response]]:
        async def handle(request: Request) -> Response:
            lang = request_lang(request)
            cause: BaseException
            try:
                check_lang(request)
                return await self._handle(op, request, lang)
            except YibaoError as e:
                err = cause = e
            except Exception as e:  # the client gets a message, never a traceback
                # the server's own tables (tokens, idempotency keys) on a database that failed
                err = (self.from_db(e) if isinstance(e, self.db_errors)
                       else YibaoError("INTERNAL", detail=type(e).__name__))
                cause = e
            if err.code == "INTERNAL":  # a bug, logged here; the client gets a reference
                err = internal_error(op.name, cause, _request_secrets(request))
            return error_response(err, lang)

        handle.__name__ = op.name
        return handle

    def _principal(self, op: Op, request: Request) -> Principal:
        assert self.tokens is not None
        principal = self.tokens.authenticate(request.headers.get("authorization"))
        if principal.role not in op.roles or (principal.device and not op.device):
            raise YibaoError("FORBIDDEN")
        if op.secret and not principal.device:  # only a window or a kiosk opens a session
            raise YibaoError("FORBIDDEN")
        return principal

    async def _handle(self, op: Op, request: Request, lang: str) -> Response:
        principal = self._principal(op, request)
        if not self_service(principal):
            return await self._serve(op, principal, request, lang)
        # a personal or kiosk token: rate-limited, and told nothing about who exists
        assert self.limiter is not None
        self.limiter.check(principal.token_id)
        try:
            response = await self._serve(op, principal, request, lang)
        except YibaoError as e:
            refusal = uniform(e, principal, op.name)
            if refusal.code not in NOT_COUNTED:
                self.limiter.hit(principal.token_id)
            if refusal is e:
                raise
            raise refusal from None
        if op.rate_counted:
            self.limiter.hit(principal.token_id)
        return response

    async def _serve(self, op: Op, principal: Principal, request: Request, lang: str) -> Response:
        path = {k: validate.path_param(k, request.path_params[k]) for k in op.path_params}
        if principal.scoped:
            for name in op.scoped:
                if normalise_id(path[name]) != principal.person_id:
                    raise YibaoError("FORBIDDEN")
        query = validate.query(op.query, request.query_params, request.query_params.getlist) if op.query else {}
        if op.method != "POST":
            async with self.pool.use(actor_for(principal)) as backend:
                result = await op.handler(Call(backend, principal, path, query, {}, None, self.tokens, lang,
                                               self.requests))
            return JSONResponse(result)
        key = check_key(request.headers.get("idempotency-key"))
        body = validate.body(op.body or (), await read_body(request, op.max_body), op.max_body)
        request.state.secret_values = [str(body[f]) for f in op.secret_fields | SECRET_FIELDS if body.get(f)]
        return await self._post(op, principal, path, query, body, key, request.url.path, lang)

    async def _post(
        self, op: Op, principal: Principal, path: dict[str, str], query: dict[str, Any],
        body: dict[str, Any], key: str, url_path: str, lang: str,
    ) -> Response:
        assert self.idem is not None
        owner = principal.token_id  # keys are scoped per token
        fp = self.idem.fingerprint("POST", url_path, body, op.secret_fields)
        stored = await self.idem.begin(owner, key, fp)
        if stored is not None:
            replay = stored.body
            if isinstance(replay, dict) and "replayed" in replay:
                replay = {**replay, "replayed": True}
            return JSONResponse(replay, status_code=stored.status, headers={"Idempotent-Replayed": "true"})
        scoped = ledger_key(owner, key)
        try:
            async with self.pool.use(actor_for(principal)) as backend:
                result = await op.handler(Call(backend, principal, path, query, body, scoped, self.tokens, lang,
                                               self.requests))
            if self.hooks.after_commit is not None:
                await self.hooks.after_commit(op.name)
        except BaseException as e:
            with contextlib.suppress(*self.db_errors):  # the request's own failure is what to report
                await self.idem.abandon(owner, key)
            if isinstance(e, YibaoError) and e.params.get("key") == scoped:
                e.params["key"] = key  # the caller's key, as sent
            raise
        try:
            await self.idem.complete(owner, key, 200, result, secret=op.secret)
        except self.db_errors as e:
            # The write has committed: answer it. Without a stored response a retry runs again,
            # and the ledger's own record of the key makes that a replay, not a second write.
            log.warning("could not store the response of %s: %s", op.name, redact(str(e)))
            with contextlib.suppress(*self.db_errors):
                await self.idem.abandon(owner, key)
        return JSONResponse(result, headers={"Cache-Control": "no-store"} if op.secret else None)


def create_app(
    db: str,
    *,
    clock: Clock = time.time,
    backend_factory: BackendFactory | None = None,
    hooks: Hooks | None = None,
) -> Starlette:
    """The ASGI app serving the ledger at ``db`` under ``/v1``."""
    server = Server(str(db), clock, backend_factory or default_factory(str(db)), hooks or Hooks())
    doc = build_openapi()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await server.start()
        try:
            yield
        finally:
            await server.stop()

    async def openapi(request: Request) -> Response:
        return JSONResponse(doc)

    async def http_error(request: Request, exc: Exception) -> Response:
        lang = request_lang(request)
        code = getattr(exc, "status_code", 500)
        if code == 405:
            response = error_response(YibaoError("METHOD_NOT_ALLOWED", method=request.method[:20]), lang)
            response.headers["Allow"] = allowed_methods(request.url.path)
            return response
        if code == 404:
            # the path may hold an ID number: error_response masks it
            return error_response(YibaoError("NOT_FOUND", path=request.url.path[:100]), lang)
        return error_response(YibaoError("INVALID_ARGUMENT", detail=str(getattr(exc, "detail", ""))), lang)

    async def server_error(request: Request, exc: Exception) -> Response:
        """Anything that escaped an endpoint: logged, and a JSON 500 (Starlette re-raises it
        afterwards, so uvicorn logs the traceback too, ID numbers masked)."""
        err = internal_error(request.url.path[:100], exc, _request_secrets(request))
        return error_response(err, request_lang(request))

    routes = [Route(op.path, server.endpoint(op), methods=[op.method]) for op in match_order(OPS)]
    routes.append(Route("/openapi.json", openapi, methods=["GET"]))

    def allowed_methods(path: str) -> str:
        """The ``Allow`` header of a 405: every method of every route on ``path``."""
        methods: set[str] = set()
        for route in routes:
            if route.path_regex.fullmatch(path) is not None:
                methods |= route.methods or set()
        return ", ".join(sorted(methods))

    app = Starlette(routes=routes, lifespan=lifespan,
                    exception_handlers={HTTPException: http_error, Exception: server_error})
    # ``/v1/ping/`` is a 404, never a redirect: Starlette would build the redirect's Location from
    # the request's Host header (an open redirect to any host the client names).
    app.router.redirect_slashes = False
    app.state.server = server
    return app
