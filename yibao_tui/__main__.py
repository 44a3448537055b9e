"""``python -m yibao_tui``."""

from __future__ import annotations

import gc
import sys

#: Top-level options of ``yibao`` that take a value (``--db PATH``) and flags, each with the name
#: ``cli.parser.app_parser`` gives it (read without argparse by ``cli._plain_app_args`` too).
APP_VALUED = {"--db": "db", "--backend": "backend", "--lang": "lang", "--person": "person"}
APP_FLAGS = {"--insecure": "insecure", "--json": "json"}


def starts_the_app(argv: list[str]) -> bool:
    """Whether ``yibao ARGS`` starts the app: only top-level options, no command, no help."""
    args = iter(argv)
    for arg in args:
        name = arg.split("=", 1)[0]
        if name in APP_VALUED:
            if "=" not in arg and next(args, None) is None:
                return False
        elif name not in APP_FLAGS:
            return False
    return True


if __name__ == "__main__":
    # Starting the app imports Textual, the ledger and the first screen: many objects, nearly
    # all kept until exit. The cyclic collector finds nothing to free in them, so it waits
    # until the first screen is painted (``run_app`` turns it back on). Commands collect as usual.
    app = starts_the_app(sys.argv[1:])
    if app:
        gc.disable()
    try:
        from yibao_tui.cli import run
    finally:
        if not app:
            gc.enable()
    run()
