"""One browser connection's kiosk: ``python -m yibao_tui.web.session [options]``.

textual-serve starts this command through a shell for every browser connection, with
``TEXTUAL_DRIVER`` (the web driver), ``TEXTUAL_FPS``, ``TEXTUAL_COLOR_SYSTEM`` and
``COLUMNS``/``ROWS`` in its environment. Every ``TEXTUAL*`` variable is removed as in the
terminal kiosk (devtools, injected keys, screenshots, signals) and only the three the web driver
needs are set again, to fixed values, whatever the server's environment held. The process holds
one person's session at most and ends with its connection: nothing is shared between browsers.
"""

from __future__ import annotations

import argparse
import gc
import sys

#: What the web driver needs, set after the scrub (never taken from the inherited environment).
WEB_ENVIRONMENT: dict[str, str] = {
    "TEXTUAL_DRIVER": "textual.drivers.web_driver:WebDriver",
    "TEXTUAL_FPS": "60",
    "TEXTUAL_COLOR_SYSTEM": "truecolor",
}


def session_parser() -> argparse.ArgumentParser:
    """The options the web server passes on (see ``server.session_command``)."""
    p = argparse.ArgumentParser(prog="python -m yibao_tui.web.session")
    p.add_argument("--db")
    p.add_argument("--backend")
    p.add_argument("--insecure", action="store_true")
    p.add_argument("--lang", default="zh")
    p.add_argument("--config", required=True)
    p.add_argument("--printer")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run one kiosk session on the web driver until the browser goes or an admin leaves.
    The cyclic collector is off until the welcome screen is painted (``KioskApp.on_mount``):
    importing Textual and building the first screen allocate much and free little (as ``yibao``)."""
    gc.disable()
    args = session_parser().parse_args(argv)
    from yibao_tui.backend.base import Actor, Backend
    from yibao_tui.backend.factory import make_backend
    from yibao_tui.tui.kiosk.config import run_kiosk

    def backend_for(actor: Actor) -> Backend:
        return make_backend(args.db, args.backend, actor, insecure=args.insecure)

    gc.freeze()  # the modules and classes live until exit: out of every later collection
    return int(run_kiosk(backend_for, config=args.config, lang=args.lang, printer=args.printer,
                         environment=WEB_ENVIRONMENT))


if __name__ == "__main__":
    sys.exit(main())
