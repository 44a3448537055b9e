"""What ``yibao serve``, ``yibao login`` and ``yibao token create`` do (cli.py calls these).

Each prints one clear line on failure and returns an exit code; none prints a traceback.
"""

from __future__ import annotations

import asyncio
import getpass
import os
import socket
import sys
import threading
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from yibao_tui.domain.errors import YibaoError
from yibao_tui.i18n import t

T = TypeVar("T")


def _say(text: str) -> None:
    print(text, file=sys.stderr)


def _db_path(db: str | None) -> str:
    if db:
        return str(db)
    from yibao_tui.config import default_db

    return default_db()


#: The environment variable through which ``serve --workers N`` hands the ledger to its workers.
WORKER_DB_ENV = "YIBAO_SERVE_DB"


def worker_app() -> Any:
    """The app of one ``serve --workers N`` worker process (uvicorn's factory)."""
    from yibao_tui.server.app import create_app

    return create_app(os.environ[WORKER_DB_ENV])


def serve(db: str | None, host: str = "127.0.0.1", port: int = 8765, workers: int = 1) -> int:
    """Serve the ledger at ``db`` on ``host:port`` until Ctrl+C; returns the exit code. With
    ``workers`` above 1, that many server processes share the listening socket (uvicorn's
    supervisor restarts one that dies); each has its own connections to the ledger."""
    try:
        import uvicorn

        from yibao_tui.server.app import create_app
    except ModuleNotFoundError:
        _say(YibaoError("SERVER_EXTRA_MISSING").message())
        return 1
    path = _db_path(db)
    if workers < 1:
        _say(YibaoError("INVALID_ARGUMENT", detail=f"--workers {workers}").message())
        return 2
    try:
        sock = _bind(host, port)
    except OSError as e:
        _say(t("server.port_in_use", host=host, port=port, detail=e.strerror or str(e)))
        return 1
    from yibao_tui.config import is_url, shown_db
    from yibao_tui.files import private_dir

    if not is_url(path):
        private_dir(Path(path).parent)  # 0700 when made here; the ledger file itself is made 0600
    try:
        _run(_open_ledger(path))  # a bad ledger is one clear line here, not a lifespan traceback
    except YibaoError as e:
        sock.close()
        _say(e.message())
        return 1
    shown = f"[{host}]" if ":" in host else host
    if workers > 1:
        return _serve_workers(path, sock, workers, f"http://{shown}:{sock.getsockname()[1]}")
    app = create_app(path)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on", server_header=False)
    server = uvicorn.Server(config)
    _say(t("server.listening", url=f"http://{shown}:{sock.getsockname()[1]}", db=shown_db(path)))
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    except SystemExit as e:  # uvicorn exits when the lifespan (opening the ledger) fails
        sock.close()
        return int(e.code) if isinstance(e.code, int) else 1
    finally:
        sock.close()
    _say(t("server.stopped"))
    return 0 if server.started else 1


def _serve_workers(path: str, sock: socket.socket, workers: int, url: str) -> int:
    import uvicorn
    from uvicorn.config import STARTUP_FAILURE
    from uvicorn.supervisors import Multiprocess

    from yibao_tui.config import shown_db

    os.environ[WORKER_DB_ENV] = path
    config = uvicorn.Config("yibao_tui.server.cli_commands:worker_app", factory=True, workers=workers,
                            log_level="warning", access_log=False, lifespan="on", server_header=False)
    _say(t("server.listening", url=url, db=shown_db(path)))
    supervisor = Multiprocess(config, sockets=[sock])
    try:
        supervisor.run()
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    # uvicorn stops every worker when one could not start (it would fail again on each restart):
    # the server did not stop because it was asked to, so its exit says so
    if any(p.exitcode == STARTUP_FAILURE for p in supervisor.processes):
        _say(t("server.worker_failed"))
        return 1
    _say(t("server.stopped"))
    return 0


def _bind(host: str, port: int) -> socket.socket:
    """A listening socket, bound before uvicorn starts so that a busy port is a clear message."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


def login(url: str, insecure: bool = False) -> int:
    """Ask for a token, check it against the server, and keep it in the keyring. A plain
    ``http://`` URL to another machine is refused before the token is asked for, unless
    ``insecure``."""
    from yibao_tui.backend.http import KEYRING_SERVICE, HttpBackend, check_transport, normalise_url

    try:
        url = normalise_url(url)
        check_transport(url, insecure)
    except YibaoError as e:
        _say(e.message())
        return 2
    if not _keyring_usable():  # say so before the token is typed, not after (issue 10 item 6)
        _say(YibaoError("NO_KEYRING").message())
        return 1
    try:
        token = getpass.getpass(t("login.prompt", url=url)).strip()
    except (EOFError, KeyboardInterrupt):
        token = ""
    if not token:
        _say(t("login.empty"))
        return 1

    async def check() -> str:
        backend = HttpBackend(url, token, retries=1, insecure=insecure)
        try:
            return str((await backend.whoami())["role"])
        finally:
            await backend.close()

    try:
        role = _run(check())
    except YibaoError as e:
        _say(t("login.rejected", detail=e.message()))
        return 1
    try:
        import keyring
        from keyring.errors import KeyringError, NoKeyringError

        keyring.set_password(KEYRING_SERVICE, url, token)
    except NoKeyringError:
        _say(YibaoError("NO_KEYRING").message())
        return 1
    except KeyringError as e:
        _say(f"{YibaoError('NO_KEYRING').message()} ({type(e).__name__})")
        return 1
    _say(t("login.saved", role=role))
    return 0


def _keyring_usable() -> bool:
    """Whether a keyring backend that keeps secrets is there (not keyring's ``fail`` or ``null``
    stand-ins, nor a chain of no backends)."""
    try:
        import keyring
        from keyring.backends import chainer, fail, null
    except ImportError:
        return False
    try:
        backend = keyring.get_keyring()
    except Exception:  # a broken keyring configuration is no keyring
        return False
    if isinstance(backend, fail.Keyring | null.Keyring):
        return False
    return not (isinstance(backend, chainer.ChainerBackend) and not backend.backends)


def token_create(
    db: str | None, role: str, person: str | None = None, label: str = "", ttl: float | None = None
) -> str:
    """Issue a token for ``role`` (``personal`` and ``kiosk`` sessions name a person) and return
    it; only its hash is stored. A kiosk token with a person is a session that expires after
    ``ttl`` seconds (default 300). Raises ``YibaoError`` for a bad role or an unknown person."""
    from yibao_tui.server.auth import ROLES, TokenStore

    if role not in ROLES:
        raise YibaoError("INVALID_ROLE", role=role)
    if role == "personal" and not person:
        raise YibaoError("INVALID_ARGUMENT", detail=t("token.role_needs_person", role=role))
    if role in ("admin", "counter") and person:
        raise YibaoError("INVALID_ARGUMENT", detail=t("token.role_no_person"))
    path = _db_path(db)
    person_id = _run(_canonical_person(path, person)) if person else None
    store = TokenStore(path)
    try:
        return store.create(role, person_id, label=label, ttl=ttl)
    finally:
        store.close()


_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 7 * 86400.0}


def parse_expires(value: str | None, now: float | None = None) -> float | None:
    """``--expires``: a lifetime (``90m``, ``12h``, ``30d``, ``2w``; a bare number is seconds)
    or a day (``YYYY-MM-DD``, the token expires at its start, China time); the lifetime in
    seconds from ``now``, or None for a token that does not expire."""
    import datetime as dt
    import math

    if value is None:
        return None
    text = value.strip().lower()
    number, unit = (text[:-1], text[-1]) if text[-1:] in _UNITS else (text, "s")
    try:
        seconds = float(number) * _UNITS[unit]
    except ValueError:
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            raise YibaoError("INVALID_ARGUMENT", detail=t("token.expires_invalid", value=value[:40])) from None
        start = dt.datetime.combine(day, dt.time(), dt.timezone(dt.timedelta(hours=8)))
        seconds = start.timestamp() - (now if now is not None else time.time())
    if not math.isfinite(seconds) or seconds <= 0 or seconds > 10 * 366 * 86400:
        raise YibaoError("INVALID_ARGUMENT", detail=t("token.expires_invalid", value=value[:40]))
    return seconds


def _token_store(db: str | None) -> Any:
    """The token table of an existing ledger (a mistyped ``--db`` is not made a new ledger)."""
    from yibao_tui.config import is_url, shown_db
    from yibao_tui.server.auth import TokenStore

    path = _db_path(db)
    if is_url(path):
        _run(_open_ledger(path, create=False))  # LEDGER_NOT_FOUND when the database holds no ledger
    elif not Path(path).is_file():
        raise YibaoError("DATABASE_UNAVAILABLE", path=shown_db(path), detail=t("token.no_ledger"))
    return TokenStore(path)


def token_list(db: str | None, include_ended: bool = False) -> list[dict[str, object]]:
    """The tokens (never a token itself, nor its hash)."""
    store = _token_store(db)
    try:
        result: list[dict[str, object]] = store.list(include_ended=include_ended)
        return result
    finally:
        store.close()


def token_revoke(db: str | None, token_id: int) -> dict[str, object]:
    """Revoke token ``token_id`` and end the sessions opened under it."""
    store = _token_store(db)
    try:
        if not any(row["id"] == token_id for row in store.list(include_ended=True)):
            raise YibaoError("UNKNOWN_TOKEN", id=token_id)
        revoked, sessions = store.revoke_tree(token_id)
        return {"id": token_id, "revoked": revoked, "sessions_ended": sessions}
    finally:
        store.close()


async def _open_ledger(path: str, create: bool = True) -> None:
    """Create (``create``) or migrate the ledger before serving it."""
    from yibao_tui.backend.base import Actor
    from yibao_tui.backend.local import LocalBackend

    backend = LocalBackend(path, actor=Actor("http", None), create=create)
    try:
        await backend.init()
    finally:
        await backend.close()


async def _canonical_person(path: str, who: str) -> str:
    """The person's ID number (they must exist), looked up through the local backend."""
    from yibao_tui.backend.base import Actor
    from yibao_tui.backend.local import LocalBackend

    backend = LocalBackend(path, actor=Actor("cli", "token-create"))
    try:
        await backend.init()
        return (await backend.person(who)).id
    finally:
        await backend.close()


def _run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion, also when called from inside a running event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    box: dict[str, object] = {}

    def work() -> None:
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as e:  # re-raised on the caller's thread
            box["error"] = e

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]
