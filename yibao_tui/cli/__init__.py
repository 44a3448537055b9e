"""The ``yibao`` command line: a contract other tools script against.

``yibao [--db PATH] [--backend URL] [--json] [--lang zh|en] COMMAND ...``; with no command the
Textual app starts. Exit 0 ok; 2 bad arguments or invalid input; 3 refused by a rule; 1 anything
else. Always a one-line message in the user's language, never a traceback; with ``--json``
exactly one JSON object on stdout.

Layout: ``parser`` (every command, option and help text), ``commands`` (one handler per
command, registered with ``@command``), ``output`` (JSON or human text). This module is the
entry point and stays light: starting the app builds no sub-parser and imports no handler.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, NoReturn

from yibao_tui.cli.output import Out
from yibao_tui.domain.errors import YibaoError
from yibao_tui.i18n import set_lang, t

if TYPE_CHECKING:
    import argparse

__all__ = ["Out", "main", "run"]


def _run_app(args: argparse.Namespace) -> int:
    from yibao_tui.backend.base import Actor
    from yibao_tui.backend.factory import make_backend
    from yibao_tui.tui.laptop.app import run_app

    backend = make_backend(args.db, args.backend or os.environ.get("YIBAO_BACKEND"), Actor("cli"),
                           insecure=args.insecure)
    return int(run_app(backend, person=args.person, lang=args.lang or os.environ.get("YIBAO_LANG", "zh")))


def _app_args(argv: list[str]) -> argparse.Namespace | None:
    """The options when ``argv`` only starts the app (no command), without building every
    sub-parser (~6 ms of the app's start-up); ``None`` otherwise."""
    from yibao_tui.__main__ import starts_the_app

    if not starts_the_app(argv):
        return None
    args = _plain_app_args(argv)
    if args is None:  # anything unusual: argparse, with its checks and its error messages
        from yibao_tui.cli.parser import app_parser

        args = app_parser().parse_args(argv)
    args.command = None
    return args


def _plain_app_args(argv: list[str]) -> argparse.Namespace | None:
    """``argv`` read as ``app_parser`` would, when every option is spelt in full, every value
    is there and not an option, and ``--lang`` is zh or en; ``None`` otherwise. Starting the app
    then imports no argparse (~3 ms of its start-up, BENCHMARKS.md)."""
    from types import SimpleNamespace

    from yibao_tui.__main__ import APP_FLAGS, APP_VALUED

    values: dict[str, object] = {dest: None for dest in APP_VALUED.values()}
    values |= {dest: False for dest in APP_FLAGS.values()}
    args = iter(argv)
    for arg in args:
        name, eq, value = arg.partition("=")
        if name in APP_FLAGS and not eq:
            values[APP_FLAGS[name]] = True
        elif name in APP_VALUED:
            if not eq:
                value = next(args, "")
            if not value or value.startswith("-"):
                return None
            values[APP_VALUED[name]] = value
        else:
            return None
    if values["lang"] not in (None, "zh", "en"):
        return None
    return SimpleNamespace(**values)  # type: ignore[return-value]


def _lang_from_argv(argv: list[str]) -> None:
    """``YIBAO_LANG``, then ``--lang X`` / ``--lang=X`` anywhere: set before parsing, so that
    help and argparse's own errors are in the user's language."""
    set_lang(os.environ.get("YIBAO_LANG", "zh"))
    for i, a in enumerate(argv):
        if a == "--lang" and i + 1 < len(argv):
            set_lang(argv[i + 1])
        elif a.startswith("--lang="):
            set_lang(a.split("=", 1)[1])


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``yibao`` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    out = Out("--json" in argv)
    _lang_from_argv(argv)
    try:
        args = _app_args(argv)
        if args is None:
            from yibao_tui.cli.parser import build_parser, translated

            with translated():
                args = build_parser().parse_args(argv)
        if args.lang:
            set_lang(args.lang)
        if args.command is None:
            return _run_app(args)
        from yibao_tui.cli.commands import run_command

        return run_command(args, out)
    except YibaoError as e:
        _fail(e, out)
        return e.exit_code
    except KeyboardInterrupt:
        _fail(YibaoError("INTERNAL", detail=t("cli.interrupted")), out)
        return 1
    except Exception as e:  # the contract: a message, never a traceback
        _fail(YibaoError("INTERNAL", detail=f"{type(e).__name__}: {e}"), out)
        return 1


def _fail(e: YibaoError, out: Out) -> None:
    if out.as_json:
        out.stream.write(json.dumps(e.to_json(), ensure_ascii=False) + "\n")
    else:
        sys.stderr.write(e.message().replace("\n", " ") + "\n")


def run(argv: Sequence[str] | None = None) -> NoReturn:
    """``python -m yibao_tui``."""
    sys.exit(main(argv))
