"""What each ``yibao`` command does: one handler per command, registered with ``@command``.

A handler of a command that talks to the ledger or the server is ``async (args, backend, out)
-> int``; one that does not (``serve``, ``login``, ``counter``, ``policy show`` ...) is
``(args, out) -> int`` and is registered with ``@direct``. ``run_command`` picks the handler
for ``(args.command, args.sub)``, falling back to ``(args.command, None)``.

To add a command: its options in ``parser.build_parser``, a handler here, its texts in the
catalogue.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from yibao_tui.backend.base import Actor, Backend
from yibao_tui.cli.output import (
    Out,
    binding_lines,
    binding_rules_lines,
    pad,
    person_lines,
    replayed,
    statement_lines,
    verdict_lines,
    withdrawal_cases_lines,
)
from yibao_tui.domain.errors import YibaoError
from yibao_tui.domain.money import fen_to_plain, format_fen, parse_amount
from yibao_tui.files import read_roster
from yibao_tui.i18n import set_lang, t

Handler = Callable[[argparse.Namespace, Backend, Out], Awaitable[int]]
Direct = Callable[[argparse.Namespace, Out], int]
COMMANDS: dict[tuple[str, str | None], Handler] = {}
DIRECT: dict[tuple[str, str | None], Direct] = {}
#: The commands that may make a new ledger; every other one needs an existing ledger and says
#: so (``LEDGER_NOT_FOUND``) rather than leave an empty one behind a mistyped ``--db``.
CREATES: set[tuple[str, str | None]] = set()
H = TypeVar("H")


def command(name: str, sub: str | None = None, *, creates: bool = False) -> Callable[[Handler], Handler]:
    """Register the handler of ``yibao NAME [SUB]`` that works on a backend (``creates``: it may
    make the ledger)."""

    def register(fn: Handler) -> Handler:
        COMMANDS[(name, sub)] = fn
        if creates:
            CREATES.add((name, sub))
        return fn

    return register


def direct(name: str, sub: str | None = None) -> Callable[[Direct], Direct]:
    """Register the handler of ``yibao NAME [SUB]`` that needs no backend opened for it."""

    def register(fn: Direct) -> Direct:
        DIRECT[(name, sub)] = fn
        return fn

    return register


def _lookup(table: dict[tuple[str, str | None], H], args: argparse.Namespace) -> H | None:
    sub = getattr(args, "sub", None)
    return table.get((args.command, sub)) or table.get((args.command, None))


def run_command(args: argparse.Namespace, out: Out) -> int:
    """Run the parsed command; returns the exit code (errors are raised as ``YibaoError``)."""
    plain = _lookup(DIRECT, args)
    if plain is not None:
        return plain(args, out)
    handler = _lookup(COMMANDS, args)
    if handler is None:
        raise YibaoError("INVALID_ARGUMENT", detail=str(args.command))
    return asyncio.run(_dispatch(handler, args, out))


async def _dispatch(handler: Handler, args: argparse.Namespace, out: Out) -> int:
    b = make_backend(args, create=(args.command, getattr(args, "sub", None)) in CREATES)
    try:
        return await handler(args, b, out)
    finally:
        await b.close()


def make_backend(args: argparse.Namespace, actor: Actor | None = None, create: bool = True) -> Backend:
    """The backend the options name: ``--backend URL`` (or ``$YIBAO_BACKEND``), else the ledger."""
    from yibao_tui.backend.factory import make_backend as factory

    return factory(args.db, args.backend or os.environ.get("YIBAO_BACKEND"), actor or Actor("cli"), create,
                   insecure=args.insecure)


def _amount(text: str, allow_zero: bool = False) -> int:
    return parse_amount(text, allow_zero=allow_zero)


def _facts(pairs: Sequence[str]) -> dict[str, str]:
    facts: dict[str, str] = {}
    for pair in pairs:
        if "=" not in pair:
            raise YibaoError("INVALID_FACT", detail=pair[:60])
        k, v = pair.split("=", 1)
        facts[k.strip()] = v.strip()
    return facts


# ------------------------------------------------------------------ the ledger and persons
@command("init", creates=True)
async def _init(args: argparse.Namespace, b: Backend, out: Out) -> int:
    where = await b.init()
    out.result({"ok": True, "db": where}, t("cli.init.done", path=where))
    return 0


@command("demo", creates=True)
async def _demo(args: argparse.Namespace, b: Backend, out: Out) -> int:
    await b.init()
    if not await b.is_empty():
        raise YibaoError("INVALID_ARGUMENT", detail=t("cli.demo.not_empty"))
    r = await b.demo(args.persons, args.seed)
    out.result(r, t("cli.demo.done", **r))
    return 0


@command("person", "add", creates=True)
async def _person_add(args: argparse.Namespace, b: Backend, out: Out) -> int:
    p = await b.add_person(args.id, args.name, args.scheme, args.region, args.card,
                           _amount(args.opening_balance, allow_zero=True), args.key)
    out.result(p.to_json(), t("cli.person.added", name=p.name, id=p.id) + replayed(p.replayed))
    return 0


@command("person", "show")
async def _person_show(args: argparse.Namespace, b: Backend, out: Out) -> int:
    p = (await b.person(args.id)).to_json()
    out.lines(p, person_lines(p))
    return 0


@command("verify")
async def _verify(args: argparse.Namespace, b: Backend, out: Out) -> int:
    r = await b.verify()
    if r.ok:
        out.result(r.to_json(), t("cli.verify.ok", accounts=r.accounts, entries=r.entries, audit=r.audit))
        return 0
    out.lines(r.to_json(), [t("cli.verify.failed", n=len(r.failures)), *r.failures])
    return 1


# ------------------------------------------------------------------ money
@command("credit")
async def _credit(args: argparse.Namespace, b: Backend, out: Out) -> int:
    r = await b.credit(args.id, _amount(args.amount), args.memo, args.key)
    out.result(r.to_json(), t("cli.credit.done", amount=format_fen(r.amount_fen),
                              balance=format_fen(r.balance_after_fen)) + replayed(r.replayed))
    return 0


@command("spend")
async def _spend(args: argparse.Namespace, b: Backend, out: Out) -> int:
    r = await b.spend(args.patient_id, _amount(args.amount), args.kind, args.key)
    paid = sum(c.amount_fen for c in r.charges)
    out.result(r.to_json(), t("cli.spend.done", paid=format_fen(paid), cash=format_fen(r.cash_fen)) + replayed(r.replayed))
    return 0


@command("balance")
async def _balance(args: argparse.Namespace, b: Backend, out: Out) -> int:
    r = await b.balance(args.id)
    out.result(r.to_json(), f"{r.id}  {format_fen(r.balance_fen)}  {t('status.' + r.status)}")
    return 0


@command("statement")
async def _statement(args: argparse.Namespace, b: Backend, out: Out) -> int:
    """Oldest first. ``--limit N``: the newest N (before ``--cursor C``), with ``next_cursor`` for
    the N before those; the app's keyset cursors, newest first, so a script pages back in time."""
    fmt = "json" if out.as_json else args.format
    size = args.limit or 500
    query = (args.id, args.date_from, args.date_to, args.kind)
    page = first = await b.statement(*query, args.cursor, size, True, with_total=True)
    pages = [page]
    while page.next_cursor and not args.limit:
        page = await b.statement(*query, page.next_cursor, size, True)
        pages.append(page)
    entries = [e.to_json() for p in reversed(pages) for e in reversed(p.entries)]
    next_cursor = page.next_cursor if args.limit else None
    data = {"id": first.id, "entries": entries, "opening_balance_fen": first.opening_balance_fen,
            "closing_balance_fen": first.closing_balance_fen, "next_cursor": next_cursor, "total": first.total}
    s = out.stream
    more = t("cli.statement.more", total=first.total, cursor=next_cursor) if next_cursor else ""
    if fmt == "json":
        out.json(data)
    elif fmt == "csv":
        from yibao_tui.domain.csvout import writer as csv_writer

        w = csv_writer(s)  # the one CSV writer: formula-like cells neutralised
        w.writerow(["time", "kind", "amount", "balance_after", "memo"])
        for e in entries:
            w.writerow([e["time"], e["kind"], fen_to_plain(e["amount_fen"]), fen_to_plain(e["balance_after_fen"]), e["memo"]])
        if more:
            sys.stderr.write(more + "\n")
    else:
        s.write(f"{t('kind.opening')}: {format_fen(first.opening_balance_fen)}\n")
        s.writelines(line + "\n" for line in statement_lines(entries))
        s.write(f"= {format_fen(first.closing_balance_fen)}\n")
        if more:
            s.write(more + "\n")
    return 0


# ------------------------------------------------------------------ family and premiums
@command("family", "list")
async def _family_list(args: argparse.Namespace, b: Backend, out: Out) -> int:
    rows = await b.bindings(args.id, include_ended=args.all)
    out.lines({"id": args.id, "bindings": [x.to_json() for x in rows]}, binding_lines(rows))
    return 0


@command("family", "rules")
async def _family_rules(args: argparse.Namespace, b: Backend, out: Out) -> int:
    r = await b.binding_rules(args.holder_id, args.channel)
    out.lines(r.to_json(), binding_rules_lines(r))
    return 0


@command("family", "bind")
async def _family_bind(args: argparse.Namespace, b: Backend, out: Out) -> int:
    r = await b.bind(args.holder_id, args.relative_id, args.relation, args.verified_by, True, args.key)
    out.result(r.to_json(), t("cli.bind.done", relation=t("relation." + r.relation), relative=r.relative_id) + replayed(r.replayed))
    return 0


@command("family", "unbind")
async def _family_unbind(args: argparse.Namespace, b: Backend, out: Out) -> int:
    r = await b.unbind(args.holder_id, args.relative_id, args.key)
    out.result(r.to_json(), t("cli.unbind.done", relative=r.relative_id))
    return 0


@command("premium", "quote")
async def _premium_quote(args: argparse.Namespace, b: Backend, out: Out) -> int:
    q = await b.premium_quote(args.payer_id, args.relative_id, args.year)
    text = t("cli.premium.quote", year=q.year, amount=format_fen(q.amount_fen),
             balance=format_fen(q.balance_fen), after=format_fen(q.balance_after_fen))
    if q.open_years:
        text += "\n" + t("premium.open_years", years=", ".join(str(y) for y in q.open_years))
    out.result(q.to_json(), text)
    return 0


@command("premium", "years")
async def _premium_years(args: argparse.Namespace, b: Backend, out: Out) -> int:
    y = await b.premium_years(args.payer_id, args.relative)
    lines = [t("premium.open_years", years=", ".join(str(x) for x in y.open_years)) if y.open_years
             else t("premium.none_open")]
    lines += [t("premium.window", year=w.year, opens=w.opens, closes=w.extended_to or w.closes) for w in y.windows]
    out.lines(y.to_json(), lines)
    return 0


@command("premium", "pay")
async def _premium_pay(args: argparse.Namespace, b: Backend, out: Out) -> int:
    r = await b.premium_pay(args.payer_id, args.relative_id, args.year, args.key)
    out.result(r.to_json(), t("cli.premium.paid", year=r.year, amount=format_fen(r.amount_fen),
                              payment_id=r.payment_id, after=format_fen(r.balance_after_fen)) + replayed(r.replayed))
    return 0


@command("premium", "list")
async def _premium_list(args: argparse.Namespace, b: Backend, out: Out) -> int:
    rows = await b.premium_payments(args.id)
    out.lines({"id": args.id, "payments": [x.to_json() for x in rows]},
              [f"{x.time}  {x.payment_id}  {x.year}  {x.relative_id}  {format_fen(x.amount_fen)}" for x in rows])
    return 0


@command("withdrawal", "cases")
async def _withdrawal_cases(args: argparse.Namespace, b: Backend, out: Out) -> int:
    c = await b.withdrawal_cases(args.id)
    out.lines(c.to_json(), withdrawal_cases_lines(c))
    return 0


@command("withdrawal", "check")
async def _withdrawal_check(args: argparse.Namespace, b: Backend, out: Out) -> int:
    v = (await b.withdrawal_check(args.id, args.case, _facts(args.fact))).to_json()
    out.lines(v, verdict_lines(v))
    return 0


# ------------------------------------------------------------------ import
@command("import", "persons", creates=True)
async def _import(args: argparse.Namespace, b: Backend, out: Out) -> int:
    rows = read_roster(Path(args.file))
    progress = _progress_bar() if (sys.stderr.isatty() and not out.as_json) else None
    from yibao_tui.backend.local import LocalBackend

    if isinstance(b, LocalBackend):
        import hashlib

        sha = hashlib.sha256(Path(args.file).read_bytes()).hexdigest()  # the audit keeps this, not the rows
        r = await b.import_persons(rows, args.key, progress, sha)
    else:
        r = await b.import_persons(rows, args.key)
    if progress:
        sys.stderr.write("\n")
    if r.errors:
        err = YibaoError("INVALID_FILE", detail=t("cli.import.failed", n=len(r.errors)))
        if out.as_json:
            data = err.to_json()
            data["error"]["rows"] = r.to_json()["errors"]
            out.json(data)
        else:
            sys.stderr.write(err.message() + "\n")
            for e in r.errors:
                sys.stderr.write(t("cli.import.row", line=e["line"], reason=e["reason"]) + "\n")
        return 2
    out.result(r.to_json(), t("cli.import.done", n=r.imported) + replayed(r.replayed))
    return 0


def _progress_bar() -> Callable[[int, int], None]:
    def show(done: int, total: int) -> None:
        width = 30
        filled = int(width * done / max(total, 1))
        sys.stderr.write(f"\r[{'#' * filled}{' ' * (width - filled)}] {100 * done // max(total, 1):3d}%")
        sys.stderr.flush()

    return show


# ------------------------------------------------------------------ staff, cards, audit
@command("operator", "add", creates=True)
async def _operator_add(args: argparse.Namespace, b: Backend, out: Out) -> int:
    from yibao_tui.ledger.access import check_password
    from yibao_tui.ledger.store import check_operator

    # everything that can be checked before the password is typed (issue 10 item 6)
    op_id, _ = check_operator(args.id, args.name, args.role)
    if any(o.id == op_id for o in await b.operators()):
        raise YibaoError("OPERATOR_EXISTS", id=op_id)
    password = _secret(t("cli.password.prompt"), t("cli.password.again"), check_password)
    o = await b.operator_add(args.id, args.name, args.role, password)
    out.result(o.to_json(), t("cli.operator.added", id=o.id, name=o.name, role=t("mode.role." + o.role)))
    return 0


@command("card", "set-pin")
async def _card_set_pin(args: argparse.Namespace, b: Backend, out: Out) -> int:
    from yibao_tui.ledger.access import check_pin

    await b.person(args.card)  # an unknown card is refused before the PIN is typed
    pin = _secret(t("cli.pin.prompt"), t("cli.pin.again"), check_pin)
    who = await b.card_set_pin(args.card, pin)
    out.result({"id": who, "ok": True}, t("cli.pin.set"))
    return 0


def _secret(prompt: str, again: str, check: Callable[[str], object] = lambda _: None) -> str:
    """Ask twice on a terminal (no echo), ``check`` refusing a bad one at the first prompt; read
    one line from a pipe (for scripts)."""
    import getpass

    if not sys.stdin.isatty():
        value = sys.stdin.readline().rstrip("\n")
        check(value)
        return value
    first = getpass.getpass(prompt)
    check(first)
    if getpass.getpass(again) != first:
        raise YibaoError("INVALID_ARGUMENT", detail=t("cli.secret.mismatch"))
    return first


# ------------------------------------------------------------------ no backend opened here
@direct("policy")
def _policy_show(args: argparse.Namespace, out: Out) -> int:
    from yibao_tui.domain.policy import policy_document, valid_region

    if args.region and not valid_region(args.region):
        raise YibaoError("INVALID_REGION", region=args.region[:12])
    doc = policy_document(args.region, args.year or dt.date.today().year)
    out.result(doc, json.dumps(doc, ensure_ascii=False, indent=2))
    return 0


def _server_commands() -> Any:
    try:
        from yibao_tui.server import cli_commands
    except ImportError as e:
        raise YibaoError("INVALID_ARGUMENT", detail=f"pip install 'yibao-tui[server]' ({e.name})") from None
    return cli_commands


def _db(args: argparse.Namespace) -> str:
    from yibao_tui.config import default_db

    return str(args.db or default_db())


@direct("migrate")
def _migrate(args: argparse.Namespace, out: Out) -> int:
    from yibao_tui.config import shown_db
    from yibao_tui.ledger.move import move

    extra = _server_tables()
    if args.batch < 1:
        raise YibaoError("INVALID_ARGUMENT", detail="--batch")
    report = move(args.move_from, args.move_to, extra,
                  lambda table, rows: print(t("cli.migrate.progress", table=table, rows=rows), file=sys.stderr, flush=True),
                  args.batch)
    if not report.ok:
        raise YibaoError("MOVE_MISMATCH", detail="; ".join(report.failures)[:500])
    data = {**report.to_json(), "source": shown_db(args.move_from), "target": shown_db(args.move_to)}
    out.result(data, t("cli.migrate.done", persons=report.counts.get("persons", 0),
                       entries=report.counts.get("entries", 0), audit=report.counts.get("audit", 0),
                       resumed=t("cli.migrate.resumed") if report.resumed else "")
               + "\n" + t("cli.migrate.speed", rows=f"{sum(report.copied.values()):,}", seconds=f"{report.copy_s:.1f}",
                           rate=f"{report.rows_per_s:,}", prove=f"{report.prove_s:.1f}", version=report.schema_version))
    return 0


def _server_tables() -> Any:
    """The server's own tables ``yibao migrate`` copies when the source has them (tokens, binding
    requests, the idempotency key's secret): table → (its key, a function making it in a target).
    None without the server's modules."""
    try:
        from yibao_tui.server import auth, idempotency, selfservice
        from yibao_tui.server.tables import ServerDb
    except ImportError:
        return None

    def maker(script: str) -> Any:
        def make(target: str) -> None:
            db = ServerDb(target)
            try:
                db.create(script)
            finally:
                db.close()
        return make

    return {"http_tokens": ("id", maker(auth._SCHEMA)), "http_secrets": ("name", maker(idempotency._SCHEMA)),
            "http_binding_requests": ("id", maker(selfservice._SCHEMA))}


@direct("serve")
def _serve(args: argparse.Namespace, out: Out) -> int:
    return int(_server_commands().serve(_db(args), args.host, args.port, args.workers))


@direct("login")
def _login(args: argparse.Namespace, out: Out) -> int:
    url = args.login_backend or args.backend or os.environ.get("YIBAO_BACKEND")
    if not url:
        raise YibaoError("INVALID_ARGUMENT", detail="--backend URL")
    return int(_server_commands().login(url, insecure=args.insecure or args.login_insecure))


@direct("token", "create")
def _token_create(args: argparse.Namespace, out: Out) -> int:
    server = _server_commands()
    ttl = server.parse_expires(getattr(args, "expires", None))
    token = server.token_create(_db(args), args.role, args.person, ttl=ttl)
    data: dict[str, Any] = {"token": token, "role": args.role, "person": args.person}
    if ttl is not None:
        import time

        data["expires_at"] = time.time() + ttl
    out.result(data, token)
    return 0


def _when(stamp: object) -> str:
    if not isinstance(stamp, int | float):
        return "-"
    return dt.datetime.fromtimestamp(stamp, dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d %H:%M")


@direct("token", "list")
def _token_list(args: argparse.Namespace, out: Out) -> int:
    rows = _server_commands().token_list(_db(args), include_ended=args.all)
    lines = [t("token.list_header")] if rows else [t("token.none")]
    lines += [f"{r['id']:>5}  {pad(t('token.role.' + str(r['role'])), 9)}{pad(t('token.status.' + str(r['status'])), 8)}"
              f"{_when(r['created_at'])}  {_when(r['expires_at']):<16}  {_when(r['last_used_at']):<16}  "
              f"{r['label'] or ''}{'  ' + str(r['person']) if r['person'] else ''}"
              f"{'  ' + str(r['operator']) if r['operator'] else ''}" for r in rows]
    out.lines({"tokens": rows}, lines)
    return 0


@direct("token", "revoke")
def _token_revoke(args: argparse.Namespace, out: Out) -> int:
    result = _server_commands().token_revoke(_db(args), args.token_id)
    key = "token.revoked" if result["revoked"] else "token.not_live"
    out.result(result, t(key, id=result["id"], sessions=result["sessions_ended"]))
    return 0


@direct("counter")
def _counter(args: argparse.Namespace, out: Out) -> int:
    """``yibao counter``: the service-window mode."""
    from yibao_tui.tui.counter.app import run_counter

    return int(run_counter(lambda actor: _backend_for(args, actor), window=args.window,
                           idle_minutes=args.idle_minutes, lang=_lang(args),
                           printer=None if args.printer == "none" else args.printer))


@direct("kiosk")
def _kiosk(args: argparse.Namespace, out: Out) -> int:
    """``yibao kiosk``: the unattended mode, or ``--set-admin-pin``."""
    if args.set_admin_pin:
        from yibao_tui.tui.kiosk.config import main as kiosk_admin

        set_lang(_lang(args))
        return int(kiosk_admin(["--set-admin-pin"] + (["--config", args.config] if args.config else [])))
    if args.web:
        return _web_kiosk(args)
    from yibao_tui.tui.kiosk.config import run_kiosk

    return int(run_kiosk(lambda actor: _backend_for(args, actor), config=args.config, lang=_lang(args),
                         printer=args.printer))


def _web_kiosk(args: argparse.Namespace) -> int:
    """``yibao kiosk --web``: the kiosk served to browsers (extra ``web``)."""
    try:
        from yibao_tui.web.server import run_web_kiosk
    except ImportError as e:
        raise YibaoError("INVALID_ARGUMENT", detail=t("web.no_extra", name=e.name)) from None
    return int(run_web_kiosk(config=args.config, lang=_lang(args), host=args.host, port=args.port,
                             allow_remote=args.allow_remote, db=args.db,
                             backend=args.backend or os.environ.get("YIBAO_BACKEND"),
                             insecure=args.insecure, printer=args.printer))


def _lang(args: argparse.Namespace) -> str:
    return str(args.lang or os.environ.get("YIBAO_LANG", "zh"))


def _backend_for(args: argparse.Namespace, actor: Actor) -> Backend:
    backend = make_backend(args, actor)
    setter = getattr(backend, "set_actor", None)
    if setter is not None:
        setter(actor)
    else:
        backend.actor = actor
    return backend


# print list | reprint (the documents kept for a reprint); person find, operator
# list|disable|enable|unlock|reset-password and the paged audit log
from yibao_tui.cli import printing as _printing  # noqa: E402,F401  (registers its handlers)
from yibao_tui.cli import staff as _staff  # noqa: E402,F401  (registers its handlers)
