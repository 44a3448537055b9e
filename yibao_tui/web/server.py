"""The web kiosk's server: textual-serve with the kiosk's own page and stricter rules.

textual-serve (the Textual project's server, extra ``web``) starts ``session_command`` through a
shell for each browser connection and relays the terminal between that process and xterm.js in
the page: one process, one session, per connection. On top of its ``Server`` this adds:

- loopback only unless ``allow_remote``: ``run_web_kiosk`` refuses any other bind address, and
  the websocket refuses a ``Host`` that is not a loopback name (a DNS-rebinding page cannot
  reach the kiosk);
- the websocket's ``Origin`` must be the page's own (another site open in the same browser
  cannot drive a session);
- at most ``max_sessions`` kiosk processes at once;
- the app may not open URLs or send files to the browser (those requests are dropped here);
- a page with no third-party fonts or scripts, its texts from the catalogue, no context menu,
  Chinese through the system's CJK monospace font, the websocket URL taken from the page's own
  address (``wss:`` behind a TLS reverse proxy); no download route and no static file index.
"""

from __future__ import annotations

import asyncio
import html
import ipaddress
import logging
import shlex
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.server import Server

from yibao_tui.i18n import get_lang, t

log = logging.getLogger("yibao.web")

DEFAULT_PORT = 8766
DEFAULT_FONT_SIZE = 20
MAX_SESSIONS = 8


def is_loopback(host: str) -> bool:
    """``127.0.0.1``, ``::1``, ``localhost`` (any 127/8 address too)."""
    name = host.strip().strip("[]").rstrip(".").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def session_command(*, config: Path, lang: str, db: str | None = None, backend: str | None = None,
                    insecure: bool = False, printer: str | None = None) -> str:
    """The shell command textual-serve runs per connection, every part quoted; ``exec``: the
    shell becomes the kiosk (one process per session, the server's quit reaches it directly)."""
    parts = [sys.executable, "-m", "yibao_tui.web.session", "--lang", lang, "--config", str(config.resolve())]
    if db:
        parts += ["--db", str(Path(db).resolve())]
    if backend:
        parts += ["--backend", backend]
    if insecure:
        parts.append("--insecure")
    if printer is not None:
        parts += ["--printer", printer]
    return "exec " + shlex.join(parts)


class KioskAppService(AppService):
    """textual-serve's per-connection process, minus what a kiosk must not do in the browser."""

    async def on_meta(self, data: bytes) -> None:
        """Only ``exit`` (the app ended) is passed on: no ``open_url``, no file delivery."""
        import json

        try:
            kind = json.loads(data).get("type")
        except (ValueError, AttributeError):
            return
        if kind == "exit":
            await super().on_meta(data)
        else:
            log.warning("dropped a %r request from a kiosk session", kind)


class KioskServer(Server):
    """textual-serve's ``Server`` for the kiosk (see the module's docstring)."""

    def __init__(self, command: str, host: str, port: int, *, title: str, loopback_only: bool = True,
                 max_sessions: int = MAX_SESSIONS, font_size: int = DEFAULT_FONT_SIZE) -> None:
        super().__init__(command, host=host, port=port, title=title)
        self.loopback_only = loopback_only
        self.max_sessions = max_sessions
        self.font_size = font_size
        self.sessions = 0
        self.lang = get_lang()

    def initialize_logging(self) -> None:
        """Warnings and errors only (no line per request)."""
        logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")

    async def _make_app(self) -> web.Application:
        app = web.Application(middlewares=[_headers])
        app.add_routes([
            web.get("/", self.handle_index, name="index"),
            web.get("/ws", self.handle_websocket, name="websocket"),
            web.static("/static", self.statics_path, show_index=False, name="static"),
        ])
        return app

    def serve(self, debug: bool = False) -> None:
        """Serve until SIGINT or SIGTERM (textual-serve's ``serve``, saying where the kiosk is
        served once the socket listens, instead of its banner before)."""
        import signal

        from aiohttp.web_runner import GracefulExit

        def stop() -> None:
            raise GracefulExit()

        self.initialize_logging()
        loop = asyncio.new_event_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop)
        web.run_app(self._make_app(), host=self.host, port=self.port, handle_signals=False, loop=loop,
                     print=lambda _text: print(t("web.serving", url=self.public_url), flush=True))

    async def handle_index(self, request: web.Request) -> web.Response:  # type: ignore[override]
        """The page: the terminal, and what it says when the session has ended."""
        try:
            size = int(request.query.get("fontsize", self.font_size))
        except ValueError:
            size = self.font_size
        page = PAGE.format(
            lang="zh-CN" if self.lang == "zh" else "en",
            title=html.escape(self.title),
            ended=html.escape(t("web.session_ended")),
            restart=html.escape(t("web.restart")),
            font_size=min(max(size, 10), 48),
        )
        return web.Response(text=page, content_type="text/html", charset="utf-8")

    def allowed(self, request: web.Request) -> bool:
        """The page's own origin, and a loopback ``Host`` when serving loopback only."""
        host = request.headers.get("Host", "")
        origin = request.headers.get("Origin", "")
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not host or parts.netloc.lower() != host.lower():
            return False
        return not self.loopback_only or is_loopback(urlsplit("//" + host).hostname or "")

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """One kiosk process for this connection, ended with it (textual-serve's handler, with
        the checks above and ``KioskAppService``)."""
        if not self.allowed(request):
            raise web.HTTPForbidden()
        if self.sessions >= self.max_sessions:
            raise web.HTTPServiceUnavailable()
        self.sessions += 1
        websocket = web.WebSocketResponse(heartbeat=15)
        width = _int(request.query.get("width"), 80)
        height = _int(request.query.get("height"), 24)
        service: AppService | None = None

        async def close() -> None:
            await websocket.close()

        try:
            await websocket.prepare(request)
            service = KioskAppService(
                self.command,
                write_bytes=websocket.send_bytes,
                write_str=websocket.send_str,
                close=close,
                download_manager=self.download_manager,
            )
            await service.start(width, height)
            await self._process_messages(websocket, service)
        except asyncio.CancelledError:
            await websocket.close()
        except Exception as error:  # noqa: BLE001 - one broken connection never stops the server
            log.error("kiosk session: %s: %s", type(error).__name__, error)
        finally:
            self.sessions -= 1
            if service is not None:
                await service.stop()
        return websocket


def _int(value: str | None, default: int) -> int:
    try:
        return min(max(int(value or default), 10), 1000)
    except ValueError:
        return default


@web.middleware
async def _headers(request: web.Request, handler: Any) -> web.StreamResponse:
    response: web.StreamResponse = await handler(request)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; connect-src 'self'; script-src 'self' 'unsafe-inline'; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
        "frame-ancestors 'none'"
    )
    return response


#: The page. textual.js builds xterm.js in ``#terminal`` on ``window.onload``; the font family it
#: asks for ('Roboto Mono') is mapped to the system's CJK monospace font, whose Latin letters are
#: one cell and Chinese characters exactly two, except the punctuation Textual counts as one cell
#: (“ ” ‘ ’ · — …: full width in a CJK font), taken from a Latin monospace font. The terminal is
#: built once the font is ready.
PAGE = """<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="/static/css/xterm.css">
<style>
@font-face {{ font-family: 'Roboto Mono'; src: local('Noto Sans Mono CJK SC'),
  local('NotoSansMonoCJKsc-Regular'), local('WenQuanYi Zen Hei Mono'), local('Noto Sans Mono'),
  local('DejaVu Sans Mono'); }}
@font-face {{ font-family: 'Roboto Mono'; src: local('Noto Sans Mono'), local('DejaVu Sans Mono');
  unicode-range: U+00B7, U+2010-2027; }}
html, body {{ margin: 0; padding: 0; background: #121212; overflow: hidden;
  user-select: none; -webkit-user-select: none; }}
.textual-terminal {{ width: 100vw; height: 100vh; }}
.ended {{ display: none; position: absolute; inset: 0; z-index: 10; background: #121212;
  color: #fff; font: 28px 'Roboto Mono', sans-serif; flex-direction: column;
  align-items: center; justify-content: center; gap: 32px; }}
body.-closed .ended {{ display: flex; }}
.ended button {{ font: inherit; padding: 16px 48px; border: none; background: #0178d4;
  color: #fff; cursor: pointer; }}
</style>
<script src="/static/js/textual.js"></script>
</head>
<body oncontextmenu="return false">
<div class="ended"><div>{ended}</div>
<button type="button" onclick="location.replace(location.pathname + location.search)">{restart}</button></div>
<div id="terminal" class="textual-terminal" data-font-size="{font_size}"></div>
<script>
document.getElementById("terminal").dataset.sessionWebsocketUrl =
  (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws";
const start = window.onload;
window.onload = async (event) => {{
  try {{ await document.fonts.load("{font_size}px 'Roboto Mono'", "W\\u4e2d"); }} catch (e) {{}}
  start(event);
}};
</script>
</body>
</html>
"""


def run_web_kiosk(*, config: str | None, lang: str, host: str, port: int, allow_remote: bool,
                  db: str | None = None, backend: str | None = None, insecure: bool = False,
                  printer: str | None = None) -> int:
    """``yibao kiosk --web``: serve the kiosk until stopped (Ctrl+C); the exit code."""
    from yibao_tui.tui.kiosk.config import checked_config

    if not allow_remote and not is_loopback(host):
        print(t("web.remote_refused", host=host), file=sys.stderr)
        return 2
    if not 0 < port < 65536:
        print(t("web.bad_port", port=port), file=sys.stderr)
        return 2
    checked = checked_config(config)
    if checked is None:
        return 2
    path, _ = checked
    command = session_command(config=path, lang=lang, db=db, backend=backend, insecure=insecure,
                              printer=printer)
    server = KioskServer(command, host, port, title=t("mode.kiosk.title"), loopback_only=not allow_remote)
    try:
        server.serve()
    except OSError as err:
        print(t("web.listen_failed", host=host, port=port, error=err.strerror or str(err)), file=sys.stderr)
        return 1
    return 0
