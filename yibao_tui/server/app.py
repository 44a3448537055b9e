"""The Starlette application: authentication, scope, idempotency and errors around ``routes.OPS``.

``create_app(db)`` serves the ledger at ``db`` through a ``LocalBackend``. Everything a test needs
to control is injectable: the clock (token and session expiry), the backend factory, and a hook
called after a write has committed and before its response is stored (to lose a response).
"""

from __future__ import annotations

import contextlib
import logging
import os
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
from yibao_tui.server.auth import Clock, Principal, TokenStore
from yibao_tui.server.backends import BackendFactory, BackendPool, actor_for
from yibao_tui.server.idempotency import IdempotencyStore, check_key, fingerprint
from yibao_tui.server.openapi import build_openapi
from yibao_tui.server.routes import OPS
from yibao_tui.server.spec import Call, Op

log = logging.getLogger("yibao.server")

#: HTTP statuses of the server's own codes (the ledger's codes carry theirs in ``YibaoError``).
STATUS = {
    "SESSION_EXPIRED": 401,
    "IDEMPOTENCY_KEY_MISSING": 400,
    "IDEMPOTENCY_KEY_INVALID": 400,
    "INVALID_ROLE": 400,
    "NOT_FOUND": 404,
    "METHOD_NOT_ALLOWED": 405,
    "DATABASE_CORRUPT": 503,
    "DATABASE_UNAVAILABLE": 503,
}

AfterCommit = Callable[[str], Awaitable[None]]


@dataclass(slots=True)
class Hooks:
    """Test-only seams. ``after_commit(op_name)`` runs after a write commits, before its
    response is stored or sent."""

    after_commit: AfterCommit | None = None


def status_of(err: YibaoError) -> int:
    """The HTTP status for an error code."""
    return STATUS.get(err.code) or err.http_status


def pick_lang(header: str | None) -> str:
    """``en`` when the client prefers English, else ``zh``."""
    first = (header or "").split(",")[0].strip().lower()
    return "en" if first.startswith("en") else "zh"


def _jsonable(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool) or value is None else str(value)


def error_response(err: YibaoError, lang: str) -> JSONResponse:
    """``{"error": {"code", "message", "params"}}`` with the code's status."""
    body = err.to_json(lang)
    body["error"]["params"] = {k: _jsonable(v) for k, v in err.params.items()}
    status = status_of(err)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, headers=headers)


def default_factory(db: str) -> BackendFactory:
    """Make ``LocalBackend``s on ``db``."""

    def make(actor: Actor) -> Backend:
        from yibao_tui.backend.local import LocalBackend

        backend: Backend = LocalBackend(db, actor=actor)
        return backend

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

    async def start(self) -> None:
        await self.pool.start()  # creates the ledger before our tables go in
        self.tokens = TokenStore(self.db, self.clock)
        self.idem = IdempotencyStore(self.db, self.clock)

    async def stop(self) -> None:
        if self.idem is not None:
            await self.idem.close()
        if self.tokens is not None:
            self.tokens.close()
        await self.pool.close()

    def endpoint(self, op: Op) -> Callable[[Request], Awaitable[Response]]:
        async def handle(request: Request) -> Response:
            lang = pick_lang(request.headers.get("accept-language"))
            try:
                return await self._handle(op, request)
            except YibaoError as e:
                return error_response(e, lang)
            except Exception as e:  # the client gets a message, never a traceback
                log.error("unexpected error in %s: %s: %s", op.name, type(e).__name__, e,
                          exc_info=bool(os.environ.get("YIBAO_DEBUG")))
                return error_response(YibaoError("INTERNAL", detail=type(e).__name__), lang)

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

    async def _handle(self, op: Op, request: Request) -> Response:
        principal = self._principal(op, request)
        path = {k: validate.path_param(k, request.path_params[k]) for k in op.path_params}
        if principal.scoped:
            for name in op.scoped:
                if normalise_id(path[name]) != principal.person_id:
                    raise YibaoError("FORBIDDEN")
        query = validate.query(op.query, request.query_params, request.query_params.getlist)
        if op.method != "POST":
            async with self.pool.use(actor_for(principal)) as backend:
                result = await op.handler(Call(backend, principal, path, query, {}, None, self.tokens))
            return JSONResponse(result)
        key = check_key(request.headers.get("idempotency-key"))
        body = validate.body(op.body or (), await request.body())
        return await self._post(op, principal, path, query, body, key, request.url.path)

    async def _post(
        self, op: Op, principal: Principal, path: dict[str, str], query: dict[str, Any],
        body: dict[str, Any], key: str, url_path: str,
    ) -> Response:
        assert self.idem is not None
        stored = await self.idem.begin(key, fingerprint("POST", url_path, body))
        if stored is not None:
            replay = stored.body
            if isinstance(replay, dict) and "replayed" in replay:
                replay = {**replay, "replayed": True}
            return JSONResponse(replay, status_code=stored.status, headers={"Idempotent-Replayed": "true"})
        try:
            async with self.pool.use(actor_for(principal)) as backend:
                result = await op.handler(Call(backend, principal, path, query, body, key, self.tokens))
            if self.hooks.after_commit is not None:
                await self.hooks.after_commit(op.name)
        except BaseException:
            await self.idem.abandon(key)
            raise
        await self.idem.complete(key, 200, result, secret=op.secret)
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
        lang = pick_lang(request.headers.get("accept-language"))
        code = getattr(exc, "status_code", 500)
        if code == 405:
            return error_response(YibaoError("METHOD_NOT_ALLOWED", method=request.method), lang)
        if code == 404:
            return error_response(YibaoError("NOT_FOUND", path=request.url.path[:100]), lang)
        return error_response(YibaoError("INVALID_ARGUMENT", detail=str(getattr(exc, "detail", ""))), lang)

    routes = [Route("/openapi.json", openapi, methods=["GET"])]
    routes += [Route(op.path, server.endpoint(op), methods=[op.method]) for op in OPS]
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={HTTPException: http_error})
    app.state.server = server
    return app
