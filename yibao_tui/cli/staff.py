"""The commands counter staff need: ``person find``, ``operator list|disable|enable|unlock|
reset-password`` and the paged, filtered ``audit`` (with ``--format csv``).

Authority is the ledger's (``yibao_tui.ledger.staff``): the CLI on this machine acts as the local
authority, as for ``operator add`` and ``audit``; through ``--backend`` the token's role decides.
Options are added to the parser by ``extend_parser``; the handlers register with ``@command``
when ``commands`` imports this module.
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from typing import Any

from yibao_tui.backend.base import Backend
from yibao_tui.cli.commands import _secret, command
from yibao_tui.cli.output import Out
from yibao_tui.domain.errors import YibaoError
from yibao_tui.i18n import t


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


def _pad(text: str, width: int) -> str:
    from yibao_tui.cli.output import pad

    return pad(text, width - 1) + " "  # columns always keep a gap


# ------------------------------------------------------------------ person find
@command("person", "find")
async def _find(args: argparse.Namespace, b: Backend, out: Out) -> int:
    from yibao_tui.domain.masking import mask_name
    from yibao_tui.domain.policy_source import region_name
    from yibao_tui.i18n import get_lang

    if not 1 <= args.limit <= 100:
        raise YibaoError("INVALID_ARGUMENT", detail=f"--limit {args.limit}")
    page = await b.find_persons(args.name, born=args.born, region=args.region, cursor=args.cursor,
                                limit=args.limit)
    lines = [f"{m.id_masked}  {_pad(m.name_masked, 8)}{_pad(t('sex.' + m.sex), 4)}{m.birth_date}  "
             f"{_pad(region_name(m.region, get_lang()), 8)}{_pad(t('scheme.' + m.scheme), 10)}"
             f"{t('status.' + m.status)}" for m in page.matches]
    if lines:
        lines.append(t("cli.find.total", total=page.total))
    else:
        lines.append(t("cli.find.none", name=mask_name(args.name.strip())))
    if page.next_cursor:
        lines.append(t("cli.more", cursor=page.next_cursor))
    out.lines(page.to_json(), lines)
    return 0


# ------------------------------------------------------------------ operators
@command("operator", "list")
async def _operator_list(args: argparse.Namespace, b: Backend, out: Out) -> int:
    ops = await b.operators()
    lines = [f"{_pad(o.id, 10)}{_pad(o.name, 12)}{_pad(t('mode.role.' + o.role), 12)}"
             f"{t('operator.status.' + o.status)}{'  ' + o.locked_until[11:16] if o.locked_until else ''}"
             for o in ops] or [t("cli.operator.none")]
    out.lines({"operators": [o.to_json() for o in ops]}, lines)
    return 0


async def _operator_change(args: argparse.Namespace, b: Backend, out: Out) -> int:
    call = {"disable": b.operator_disable, "enable": b.operator_enable, "unlock": b.operator_unlock}[str(args.sub)]
    info = await call(args.id)
    out.result(info.to_json(), t("cli.operator.done", id=info.id, status=t("operator.status." + info.status)))
    return 0


for _sub in ("disable", "enable", "unlock"):
    command("operator", _sub)(_operator_change)


@command("operator", "reset-password")
async def _operator_reset_password(args: argparse.Namespace, b: Backend, out: Out) -> int:
    from yibao_tui.ledger.staff import check_operator_id

    check_operator_id(args.id)  # refuse before prompting
    from yibao_tui.ledger.access import check_password

    password = _secret(t("cli.password.prompt"), t("cli.password.again"), check_password)
    info = await b.operator_reset_password(args.id, password)
    out.result(info.to_json(), t("cli.operator.password_set", id=info.id))
    return 0


# ------------------------------------------------------------------ audit
@command("audit")
async def _audit(args: argparse.Namespace, b: Backend, out: Out) -> int:
    """One page (table, JSON) or, for CSV, every page of the filtered log."""
    from yibao_tui.i18n.audit import action_name, channel_name, describe, subject_text

    if not 1 <= args.limit <= 100_000:
        raise YibaoError("INVALID_ARGUMENT", detail=f"--limit {args.limit}")
    date_from = args.date_from or args.since
    fmt = "json" if out.as_json else args.format
    if fmt == "csv":
        return await _audit_csv(args, b, out, date_from)
    page = await b.audit_page(args.person, args.operator, args.action, date_from, args.date_to, args.cursor,
                              args.limit)
    lines = [f"{r.seq:>6}  {r.time[:16]}  {_pad(channel_name(r.channel), 14)}{_pad(r.operator or '-', 10)}"
             f"{_pad(action_name(r.action), 16)}{_pad(subject_text(r), 20)}{describe(r)}" for r in page.rows]
    if not lines:
        lines.append(t("cli.audit.none"))
    if page.next_cursor:
        lines.append(t("cli.more", cursor=page.next_cursor))
    # "audit" is the contract's name for the rows (from before paging); "next_cursor" continues
    out.lines({"audit": [r.to_json() for r in page.rows], "next_cursor": page.next_cursor}, lines)
    return 0


async def _audit_csv(args: argparse.Namespace, b: Backend, out: Out, date_from: str | None) -> int:
    from yibao_tui.domain.csvout import writer
    from yibao_tui.i18n.audit import csv_header, csv_rows

    async def pages() -> AsyncIterator[list[str]]:
        cursor = args.cursor
        while True:
            page = await b.audit_page(args.person, args.operator, args.action, date_from, args.date_to, cursor, 500)
            for row in csv_rows(page.rows):
                yield row
            if not page.next_cursor:
                return
            cursor = page.next_cursor

    w = writer(out.stream)  # the project's one CSV writer: formula-like cells neutralised
    w.writerow(csv_header())
    async for row in pages():
        w.writerow(row)
    return 0
