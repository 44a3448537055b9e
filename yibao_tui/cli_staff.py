"""The CLI commands counter staff need: ``person find``, ``operator list|disable|enable|unlock|
reset-password`` and the paged, filtered ``audit`` (with ``--format csv``).

Authority is the ledger's (``yibao_tui.ledger.staff``): the CLI on this machine acts as the local
authority, as for ``operator add`` and ``audit``; through ``--backend`` the token's role decides.
"""

from __future__ import annotations

import argparse
from typing import IO, Any

from yibao_tui.backend.base import Backend
from yibao_tui.domain.errors import YibaoError
from yibao_tui.i18n import t

OPERATOR_ACTIONS = ("list", "disable", "enable", "unlock", "reset-password")


def extend_parser(person: Any, operator: Any, audit: argparse.ArgumentParser) -> None:
    """Add ``person find``, the operator sub-commands and the audit log's paging and filters."""
    pf = person.add_parser("find", help="find persons by name (masked, paged, audited)")
    pf.add_argument("name")
    pf.add_argument("--born", type=int, metavar="YEAR", help="year of birth")
    pf.add_argument("--region", metavar="CODE", help="six-digit region code")
    pf.add_argument("--limit", type=int, default=20, help="persons per page (1-100)")
    pf.add_argument("--cursor", help="next_cursor of the previous page")
    operator.add_parser("list", help="every operator and their state (supervisor)")
    for name, text in (("disable", "no more logins (a departed clerk)"), ("enable", "allow logins again"),
                       ("unlock", "end a lockout now"),
                       ("reset-password", "set a new password (prompted for, never on the command line)")):
        operator.add_parser(name, help=text).add_argument("id")
    audit.add_argument("--action", help="an action and its outcomes, e.g. operator.login")
    audit.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD")
    audit.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD")
    audit.add_argument("--cursor", help="next_cursor of the previous page")
    audit.add_argument("--format", choices=["table", "csv", "json"], default="table")


def handles(args: argparse.Namespace) -> bool:
    """True for the commands of this module."""
    cmd, sub = args.command, getattr(args, "sub", None)
    return (cmd == "person" and sub == "find") or (cmd == "operator" and sub in OPERATOR_ACTIONS) or cmd == "audit"


async def run(args: argparse.Namespace, b: Backend, as_json: bool, stream: IO[str],
              secret: Any = None) -> int:
    """Run one of this module's commands; ``secret(prompt, again)`` asks for a password."""
    cmd, sub = args.command, getattr(args, "sub", None)
    if cmd == "person":
        return await _find(args, b, as_json, stream)
    if cmd == "audit":
        return await _audit(args, b, "json" if as_json else args.format, stream)
    if sub == "list":
        ops = await b.operators()
        if as_json:
            _json(stream, {"operators": [o.to_json() for o in ops]})
        elif not ops:
            stream.write(t("cli.operator.none") + "\n")
        for o in [] if as_json else ops:
            until = f"  {o.locked_until[11:16]}" if o.locked_until else ""
            stream.write(f"{_pad(o.id, 10)}{_pad(o.name, 12)}{_pad(t('mode.role.' + o.role), 12)}"
                         f"{t('operator.status.' + o.status)}{until}\n")
        return 0
    if sub == "reset-password":
        assert secret is not None
        password = secret(t("cli.password.prompt"), t("cli.password.again"))
        info = await b.operator_reset_password(args.id, password)
        text = t("cli.operator.password_set", id=info.id)
    else:
        call = {"disable": b.operator_disable, "enable": b.operator_enable, "unlock": b.operator_unlock}[str(sub)]
        info = await call(args.id)
        text = t("cli.operator.done", id=info.id, status=t("operator.status." + info.status))
    if as_json:
        _json(stream, info.to_json())
    else:
        stream.write(text + "\n")
    return 0


async def _find(args: argparse.Namespace, b: Backend, as_json: bool, stream: IO[str]) -> int:
    from yibao_tui.domain.policy import region_name
    from yibao_tui.i18n import get_lang

    page = await b.find_persons(args.name, born=args.born, region=args.region, cursor=args.cursor,
                                limit=args.limit)
    if as_json:
        _json(stream, page.to_json())
        return 0
    if not page.matches:
        stream.write(t("cli.find.none", name=_masked_query(args.name)) + "\n")
        return 0
    for m in page.matches:
        stream.write(f"{m.id_masked}  {_pad(m.name_masked, 8)}{_pad(t('sex.' + m.sex), 4)}{m.birth_date}  "
                     f"{_pad(region_name(m.region, get_lang()), 8)}{_pad(t('scheme.' + m.scheme), 10)}"
                     f"{t('status.' + m.status)}\n")
    stream.write(t("cli.find.total", total=page.total) + "\n")
    if page.next_cursor:
        stream.write(t("cli.find.more", cursor=page.next_cursor) + "\n")
    return 0


def _masked_query(name: str) -> str:
    from yibao_tui.domain.masking import mask_name

    return mask_name(name.strip())


async def _audit(args: argparse.Namespace, b: Backend, fmt: str, stream: IO[str]) -> int:
    """One page (table, JSON) or, for CSV, every page of the filtered log."""
    from yibao_tui.i18n.audit import (
        action_name,
        channel_name,
        csv_header,
        csv_rows,
        describe,
        subject_text,
    )

    date_from = args.date_from or args.since
    if fmt == "csv":
        from yibao_tui.csv_out import write_csv

        async def pages() -> Any:
            cursor = args.cursor
            while True:
                page = await b.audit_page(args.person, args.operator, args.action, date_from, args.date_to,
                                          cursor, 500)
                for row in csv_rows(page.rows):
                    yield row
                if not page.next_cursor:
                    return
                cursor = page.next_cursor

        rows = [r async for r in pages()]
        write_csv(stream, csv_header(), rows)
        return 0
    page = await b.audit_page(args.person, args.operator, args.action, date_from, args.date_to, args.cursor,
                              args.limit)
    if fmt == "json":
        # "audit" is the contract's name for the rows (before paging); "next_cursor" continues
        _json(stream, {"audit": [r.to_json() for r in page.rows], "next_cursor": page.next_cursor})
        return 0
    if not page.rows:
        stream.write(t("cli.audit.none") + "\n")
    for r in page.rows:
        stream.write(f"{r.seq:>6}  {r.time[:16]}  {_pad(channel_name(r.channel), 10)}{_pad(r.operator or '-', 10)}"
                     f"{_pad(action_name(r.action), 16)}{_pad(subject_text(r), 20)}{describe(r)}\n")
    if page.next_cursor:
        stream.write(t("cli.audit.more", cursor=page.next_cursor) + "\n")
    return 0


def _json(stream: IO[str], data: dict[str, Any]) -> None:
    import json

    stream.write(json.dumps(data, ensure_ascii=False) + "\n")


def _pad(text: str, width: int) -> str:
    from rich.cells import cell_len

    return text + " " * max(1, width - cell_len(text))


def check_args(args: argparse.Namespace) -> None:
    """Refuse what can be refused before any prompt or query."""
    if args.command == "person" and getattr(args, "sub", None) == "find" and not 1 <= args.limit <= 100:
        raise YibaoError("INVALID_ARGUMENT", detail=f"--limit {args.limit}")
    if args.command == "audit" and not 1 <= args.limit <= 100_000:
        raise YibaoError("INVALID_ARGUMENT", detail=f"--limit {args.limit}")

