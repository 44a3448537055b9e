"""The ``yibao`` command line: a contract other tools script against.

``yibao [--db PATH] [--backend URL] [--json] [--lang zh|en] COMMAND ...``; with no command the
Textual app starts. Exit 0 ok; 2 bad arguments or invalid input; 3 refused by a rule; 1 anything
else. Always a one-line message in the user's language, never a traceback; with ``--json``
exactly one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any, NoReturn

from yibao_tui.backend.base import Actor, Backend
from yibao_tui.domain.errors import YibaoError
from yibao_tui.domain.money import fen_to_plain, format_fen, parse_amount
from yibao_tui.i18n import set_lang, t


class _Parser(argparse.ArgumentParser):
    """argparse that raises ``INVALID_ARGUMENT`` instead of printing usage and exiting."""

    def error(self, message: str) -> NoReturn:
        raise YibaoError("INVALID_ARGUMENT", detail=message)


def build_parser() -> argparse.ArgumentParser:
    """Every command, option and flag of the contract."""
    p = _Parser(prog="yibao", description="职工医保个人账户 · employee medical insurance personal account")
    p.add_argument("--db", help="ledger file (default $YIBAO_DB or the user data dir)")
    p.add_argument("--backend", help="server URL (default $YIBAO_BACKEND); without it the local ledger")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.add_argument("--lang", choices=["zh", "en"], help="language (default $YIBAO_LANG or zh)")
    p.add_argument("--person", help="the app opens on this person (ID or card number)")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)

    sub.add_parser("init", help="create the ledger")
    d = sub.add_parser("demo", help="load deterministic demo data into an empty ledger")
    d.add_argument("--persons", type=int, default=20)
    d.add_argument("--seed", type=int, default=1)

    person = sub.add_parser("person", help="register and look up persons").add_subparsers(dest="sub", required=True, parser_class=_Parser)
    pa = person.add_parser("add")
    pa.add_argument("id")
    pa.add_argument("--name", required=True)
    pa.add_argument("--scheme", required=True, choices=["employee", "resident"])
    pa.add_argument("--region", required=True)
    pa.add_argument("--card")
    pa.add_argument("--opening-balance", default="0")
    pa.add_argument("--key")
    person.add_parser("show").add_argument("id")

    c = sub.add_parser("credit", help="monthly fund credit (划入)")
    c.add_argument("id")
    c.add_argument("amount")
    c.add_argument("--memo", default="")
    c.add_argument("--key")

    s = sub.add_parser("spend", help="a bill paid from the personal accounts")
    s.add_argument("patient_id")
    s.add_argument("amount")
    s.add_argument("--kind", required=True, choices=["outpatient", "pharmacy", "inpatient", "commercial-insurance", "long-term-care", "pension"])
    s.add_argument("--key")

    sub.add_parser("balance", help="the balance").add_argument("id")

    st = sub.add_parser("statement", help="every credit and debit")
    st.add_argument("id")
    st.add_argument("--from", dest="date_from")
    st.add_argument("--to", dest="date_to")
    st.add_argument("--kind")
    st.add_argument("--format", choices=["table", "csv", "json"], default="table")
    st.add_argument("--limit", type=int, help="only the newest N entries")

    fam = sub.add_parser("family", help="family mutual-aid bindings (家庭共济)").add_subparsers(dest="sub", required=True, parser_class=_Parser)
    fl = fam.add_parser("list")
    fl.add_argument("id")
    fl.add_argument("--all", action="store_true", help="include ended bindings (history)")
    fb = fam.add_parser("bind", help="bind a close relative; the holder has signed the 家庭共济承诺书")
    fb.add_argument("holder_id")
    fb.add_argument("relative_id")
    fb.add_argument("--relation", required=True)
    fb.add_argument("--verified-by", choices=["counter", "face", "letter"], default="counter")
    fb.add_argument("--key")
    fu = fam.add_parser("unbind")
    fu.add_argument("holder_id")
    fu.add_argument("relative_id")
    fu.add_argument("--key")

    pr = sub.add_parser("premium", help="pay a bound relative's resident premium (代缴)").add_subparsers(dest="sub", required=True, parser_class=_Parser)
    for name in ("quote", "pay"):
        x = pr.add_parser(name)
        x.add_argument("payer_id")
        x.add_argument("relative_id")
        x.add_argument("--year", required=True, type=int)
        if name == "pay":
            x.add_argument("--key")
    pr.add_parser("list").add_argument("id")

    w = sub.add_parser("withdrawal", help="withdrawal eligibility (个人账户提取)").add_subparsers(dest="sub", required=True, parser_class=_Parser)
    wc = w.add_parser("check")
    wc.add_argument("id")
    wc.add_argument("--case", required=True)
    wc.add_argument("--fact", action="append", default=[], metavar="NAME=VALUE")

    imp = sub.add_parser("import", help="load a roster").add_subparsers(dest="sub", required=True, parser_class=_Parser)
    ip = imp.add_parser("persons")
    ip.add_argument("file")
    ip.add_argument("--key")

    sub.add_parser("verify", help="check every balance, the audit chain and the caps")

    pol = sub.add_parser("policy", help="policy data").add_subparsers(dest="sub", required=True, parser_class=_Parser)
    ps = pol.add_parser("show")
    ps.add_argument("--region")
    ps.add_argument("--year", type=int)

    au = sub.add_parser("audit", help="the audit log")
    au.add_argument("--person")
    au.add_argument("--operator")
    au.add_argument("--since")
    au.add_argument("--limit", type=int, default=200)

    op = sub.add_parser("operator", help="service-window staff").add_subparsers(dest="sub", required=True, parser_class=_Parser)
    oa = op.add_parser("add", help="the password is prompted for, never given on the command line")
    oa.add_argument("id")
    oa.add_argument("--name", required=True)
    oa.add_argument("--role", required=True, choices=["clerk", "supervisor"])
    from yibao_tui import cli_staff

    cli_staff.extend_parser(person, op, au)  # person find, operator list|disable|..., audit paging
    card = sub.add_parser("card", help="kiosk cards").add_subparsers(dest="sub", required=True, parser_class=_Parser)
    card.add_parser("set-pin", help="the PIN is prompted for").add_argument("card")

    ct = sub.add_parser("counter", help="the service-window mode (经办窗口): operator login, any person")
    ct.add_argument("--window", default="1", help="the window number shown in the header")
    ct.add_argument("--idle-minutes", type=float, default=5.0, help="back to login after this idle time")
    ks = sub.add_parser("kiosk", help="the self-service kiosk mode (自助终端): card and PIN, locked down")
    ks.add_argument("--config", help="kiosk config file (admin PIN hash, idle seconds); default <config dir>/kiosk.toml")
    ks.add_argument("--set-admin-pin", action="store_true",
                    help="prompt for the admin PIN that leaves the kiosk, store its hash in the config, and exit")

    sv = sub.add_parser("serve", help="the reference HTTP server (extra: yibao-tui[server])")
    sv.add_argument("--host", default="127.0.0.1")
    sv.add_argument("--port", type=int, default=8765)
    lg = sub.add_parser("login", help="store a server token in the keyring")
    # `yibao login --backend URL` (the spelling) and `yibao --backend URL login` both work
    lg.add_argument("--backend", dest="login_backend", help="server URL")
    tk = sub.add_parser("token", help="server tokens").add_subparsers(dest="sub", required=True, parser_class=_Parser)
    tc = tk.add_parser("create")
    tc.add_argument("--role", required=True, choices=["admin", "counter", "kiosk", "personal"])
    tc.add_argument("--person")
    return p


class Out:
    """Prints either human text or exactly one JSON object."""

    def __init__(self, as_json: bool, stream: IO[str] | None = None) -> None:
        self.as_json = as_json
        self.stream = stream or sys.stdout

    def result(self, data: dict[str, Any], text: str | Callable[[], None]) -> None:
        """One result: JSON, or the human text (a string or a printer)."""
        if self.as_json:
            self.stream.write(json.dumps(data, ensure_ascii=False) + "\n")
        elif callable(text):
            text()
        else:
            self.stream.write(text + "\n")


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


def _replayed(flag: bool) -> str:
    return (" " + t("cli.replayed")) if flag else ""


def _make_backend(args: argparse.Namespace) -> Backend:
    url = args.backend or os.environ.get("YIBAO_BACKEND")
    try:
        from yibao_tui.backend.factory import make_backend
    except ImportError:
        make_backend = None
    if make_backend is not None:
        return make_backend(args.db, url, Actor("cli"))
    if url:
        raise YibaoError("BACKEND_UNAVAILABLE", detail=url)
    from yibao_tui.backend.local import LocalBackend
    from yibao_tui.config import default_db_path

    return LocalBackend(args.db or default_db_path(), Actor("cli"))


async def _dispatch(args: argparse.Namespace, out: Out) -> int:
    b = _make_backend(args)
    try:
        return await _commands(args, b, out)
    finally:
        await b.close()


async def _commands(args: argparse.Namespace, b: Backend, out: Out) -> int:  # noqa: C901
    cmd, sub = args.command, getattr(args, "sub", None)
    from yibao_tui import cli_staff

    if cli_staff.handles(args):
        cli_staff.check_args(args)
        return await cli_staff.run(args, b, out.as_json, out.stream, _secret)
    if cmd == "init":
        where = await b.init()
        out.result({"ok": True, "db": where}, t("cli.init.done", path=where))
    elif cmd == "demo":
        await b.init()
        if not await b.is_empty():
            raise YibaoError("INVALID_ARGUMENT", detail=t("cli.demo.not_empty"))
        r = await b.demo(args.persons, args.seed)
        out.result(r, t("cli.demo.done", **r))
    elif cmd == "person" and sub == "add":
        p = await b.add_person(args.id, args.name, args.scheme, args.region, args.card,
                               _amount(args.opening_balance, allow_zero=True), args.key)
        out.result(p.to_json(), t("cli.person.added", name=p.name, id=p.id))
    elif cmd == "person" and sub == "show":
        p = await b.person(args.id)
        out.result(p.to_json(), lambda: _print_person(p.to_json(), out.stream))
    elif cmd == "credit":
        r = await b.credit(args.id, _amount(args.amount), args.memo, args.key)
        out.result(r.to_json(), t("cli.credit.done", amount=format_fen(r.amount_fen), balance=format_fen(r.balance_after_fen)) + _replayed(r.replayed))
    elif cmd == "spend":
        r = await b.spend(args.patient_id, _amount(args.amount), args.kind, args.key)
        paid = sum(c.amount_fen for c in r.charges)
        out.result(r.to_json(), t("cli.spend.done", paid=format_fen(paid), cash=format_fen(r.cash_fen)) + _replayed(r.replayed))
    elif cmd == "balance":
        r = await b.balance(args.id)
        out.result(r.to_json(), f"{r.id}  {format_fen(r.balance_fen)}  {t('status.' + r.status)}")
    elif cmd == "statement":
        return await _statement(args, b, out)
    elif cmd == "family" and sub == "list":
        rows = await b.bindings(args.id, include_ended=args.all)
        data = {"id": args.id, "bindings": [x.to_json() for x in rows]}
        out.result(data, lambda: _print_bindings(rows, out.stream))
    elif cmd == "family" and sub == "bind":
        r = await b.bind(args.holder_id, args.relative_id, args.relation, args.verified_by, True, args.key)
        out.result(r.to_json(), t("cli.bind.done", relation=t("relation." + r.relation), relative=r.relative_id) + _replayed(r.replayed))
    elif cmd == "family" and sub == "unbind":
        r = await b.unbind(args.holder_id, args.relative_id, args.key)
        out.result(r.to_json(), t("cli.unbind.done", relative=r.relative_id))
    elif cmd == "premium" and sub == "quote":
        q = await b.premium_quote(args.payer_id, args.relative_id, args.year)
        out.result(q.to_json(), t("cli.premium.quote", year=q.year, amount=format_fen(q.amount_fen),
                                  balance=format_fen(q.balance_fen), after=format_fen(q.balance_after_fen)))
    elif cmd == "premium" and sub == "pay":
        r = await b.premium_pay(args.payer_id, args.relative_id, args.year, args.key)
        out.result(r.to_json(), t("cli.premium.paid", year=r.year, amount=format_fen(r.amount_fen),
                                  payment_id=r.payment_id, after=format_fen(r.balance_after_fen)) + _replayed(r.replayed))
    elif cmd == "premium" and sub == "list":
        rows = await b.premium_payments(args.id)
        out.result({"id": args.id, "payments": [x.to_json() for x in rows]},
                   lambda: [out.stream.write(f"{x.time}  {x.payment_id}  {x.year}  {x.relative_id}  {format_fen(x.amount_fen)}\n") for x in rows] and None)
    elif cmd == "withdrawal" and sub == "check":
        v = await b.withdrawal_check(args.id, args.case, _facts(args.fact))
        out.result(v.to_json(), lambda: _print_verdict(v.to_json(), out.stream))
        return 0
    elif cmd == "import" and sub == "persons":
        return await _import(args, b, out)
    elif cmd == "verify":
        r = await b.verify()
        if r.ok:
            out.result(r.to_json(), t("cli.verify.ok", accounts=r.accounts, entries=r.entries, audit=r.audit))
            return 0
        out.result(r.to_json(), lambda: [out.stream.write(line + "\n") for line in [t("cli.verify.failed", n=len(r.failures)), *r.failures]] and None)
        return 1
    elif cmd == "operator" and sub == "add":
        password = _secret(t("cli.password.prompt"), t("cli.password.again"))
        o = await b.operator_add(args.id, args.name, args.role, password)
        out.result(o.to_json(), t("cli.operator.added", id=o.id, name=o.name, role=o.role))
    elif cmd == "card" and sub == "set-pin":
        pin = _secret(t("cli.pin.prompt"), t("cli.pin.again"))
        who = await b.card_set_pin(args.card, pin)
        out.result({"id": who, "ok": True}, t("cli.pin.set"))
    elif cmd == "audit":
        rows = await b.audit(args.person, args.operator, args.since, args.limit)
        out.result({"audit": [x.to_json() for x in rows]},
                   lambda: [out.stream.write(f"{x.seq:>6}  {x.time}  {x.channel:<8} {x.operator or '-':<10} {x.action:<18} {x.subject or ''}\n") for x in rows] and None)
    else:
        raise YibaoError("INVALID_ARGUMENT", detail=str(cmd))
    return 0


async def _statement(args: argparse.Namespace, b: Backend, out: Out) -> int:
    fmt = "json" if out.as_json else args.format
    entries: list[dict[str, Any]] = []
    first = None
    if args.limit:
        page = await b.statement(args.id, args.date_from, args.date_to, args.kind, None, args.limit, True)
        first = page
        entries = [e.to_json() for e in reversed(page.entries)]
    else:
        cursor = None
        while True:
            page = await b.statement(args.id, args.date_from, args.date_to, args.kind, cursor, 500, False)
            first = first or page
            entries.extend(e.to_json() for e in page.entries)
            if not page.next_cursor:
                break
            cursor = page.next_cursor
    assert first is not None
    data = {"id": first.id, "entries": entries, "opening_balance_fen": first.opening_balance_fen,
            "closing_balance_fen": first.closing_balance_fen}
    s = out.stream
    if fmt == "json":
        s.write(json.dumps(data, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        w = csv.writer(s)
        w.writerow(["time", "kind", "amount", "balance_after", "memo"])
        for e in entries:
            w.writerow([e["time"], e["kind"], fen_to_plain(e["amount_fen"]), fen_to_plain(e["balance_after_fen"]), e["memo"]])
    else:
        s.write(f"{t('kind.opening')}: {format_fen(first.opening_balance_fen)}\n")
        for e in entries:
            label = t("kind." + e["kind"])
            s.write(f"{e['time']}  {_pad(label, 14)}{format_fen(e['amount_fen']):>14}{format_fen(e['balance_after_fen']):>14}  {e['memo']}\n")
        s.write(f"= {format_fen(first.closing_balance_fen)}\n")
    return 0


def _secret(prompt: str, again: str) -> str:
    """Ask twice on a terminal (no echo); read one line from a pipe (for scripts)."""
    import getpass

    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass(prompt)
    if getpass.getpass(again) != first:
        raise YibaoError("INVALID_ARGUMENT", detail=t("cli.secret.mismatch"))
    return first


def _pad(text: str, width: int) -> str:
    from rich.cells import cell_len

    return text + " " * max(0, width - cell_len(text))


async def _import(args: argparse.Namespace, b: Backend, out: Out) -> int:
    rows = read_roster(Path(args.file))
    progress = _progress_bar() if (sys.stderr.isatty() and not out.as_json) else None
    from yibao_tui.backend.local import LocalBackend

    if isinstance(b, LocalBackend):
        r = await b.import_persons(rows, args.key, progress)
    else:
        r = await b.import_persons(rows, args.key)
    if progress:
        sys.stderr.write("\n")
    if r.errors:
        err = YibaoError("INVALID_FILE", detail=t("cli.import.failed", n=len(r.errors)))
        if out.as_json:
            data = err.to_json()
            data["error"]["rows"] = r.errors
            out.stream.write(json.dumps(data, ensure_ascii=False) + "\n")
        else:
            sys.stderr.write(err.message() + "\n")
            for e in r.errors:
                sys.stderr.write(t("cli.import.row", line=e["line"], reason=e["reason"]) + "\n")
        return 2
    out.result(r.to_json(), t("cli.import.done", n=r.imported))
    return 0


def read_roster(path: Path) -> list[dict[str, str]]:
    """Read a roster CSV (UTF-8 with or without BOM, or GB18030 as Excel saves it)."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise YibaoError("INVALID_FILE", detail=f"{path}: {e.strerror}") from None
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise YibaoError("INVALID_FILE", detail=f"{path}: encoding")
    reader = csv.DictReader(text.splitlines())
    fields = [f.strip() for f in (reader.fieldnames or [])]
    missing = [c for c in ("id", "name", "scheme", "region") if c not in fields]
    if missing:
        raise YibaoError("INVALID_FILE", detail=f"{path}: missing columns {', '.join(missing)}")
    rows = []
    for row in reader:
        clean = {(k or "").strip(): (v or "").strip() if isinstance(v, str) else "" for k, v in row.items()}
        clean["line"] = str(reader.line_num)
        rows.append(clean)
    return rows


def _progress_bar() -> Callable[[int, int], None]:
    def show(done: int, total: int) -> None:
        width = 30
        filled = int(width * done / max(total, 1))
        sys.stderr.write(f"\r[{'#' * filled}{' ' * (width - filled)}] {100 * done // max(total, 1):3d}%")
        sys.stderr.flush()

    return show


def _print_person(p: dict[str, Any], s: IO[str]) -> None:
    from yibao_tui.domain.policy import region_name

    s.write(f"{p['id']}  {p['name']}  {t('sex.' + p['sex'])}  {p['birth_date']}\n")
    s.write(f"{t('scheme.' + p['scheme'])}  {region_name(p['region'])} ({p['region']})  {t('status.' + p['status'])}\n")
    if p.get("balance_fen") is not None:
        s.write(f"{format_fen(p['balance_fen'])}\n")


def _print_bindings(rows: list[Any], s: IO[str]) -> None:
    if not rows:
        s.write(t("cli.no_bindings") + "\n")
    for x in rows:
        s.write(f"{_pad(t('relation.' + x.relation), 10)}{x.relative_id}  {_pad(x.relative_name, 10)}"
                f"{t('binding.' + x.status)}  {x.bound_at[:10]}  {t('verified.' + x.verified_by)}\n")


def _print_verdict(v: dict[str, Any], s: IO[str]) -> None:
    s.write((t("cli.eligible") if v["eligible"] else t("cli.not_eligible")) + f"  ({v['case']})\n")
    for title, key in (("cli.unmet", "unmet"), ("cli.materials", "materials"), ("cli.warnings", "warnings")):
        if v[key]:
            s.write(t(title) + ":\n")
            for line in v[key]:
                s.write(f"  - {line}\n")


def _server_command(args: argparse.Namespace, out: Out) -> int:
    try:
        from yibao_tui.server import cli_commands
    except ImportError as e:
        raise YibaoError("INVALID_ARGUMENT", detail=f"pip install 'yibao-tui[server]' ({e.name})") from None
    from yibao_tui.config import default_db_path

    db = args.db or str(default_db_path())
    if args.command == "serve":
        return int(cli_commands.serve(db, args.host, args.port))
    if args.command == "login":
        url = args.login_backend or args.backend or os.environ.get("YIBAO_BACKEND")
        if not url:
            raise YibaoError("INVALID_ARGUMENT", detail="--backend URL")
        return int(cli_commands.login(url))
    token = cli_commands.token_create(db, args.role, args.person)
    out.result({"token": token, "role": args.role, "person": args.person}, token)
    return 0


def _policy_show(args: argparse.Namespace, out: Out) -> int:
    from yibao_tui.domain.policy import policy_document, valid_region

    if args.region and not valid_region(args.region):
        raise YibaoError("INVALID_REGION", region=args.region[:12])
    doc = policy_document(args.region, args.year or dt.date.today().year)
    out.result(doc, json.dumps(doc, ensure_ascii=False, indent=2))
    return 0


def _run_mode(args: argparse.Namespace) -> int:
    """``yibao counter`` / ``yibao kiosk``: the modes that stand in front of the public."""
    lang = args.lang or os.environ.get("YIBAO_LANG", "zh")
    if args.command == "kiosk" and args.set_admin_pin:
        from yibao_tui.i18n import set_lang
        from yibao_tui.modes.kiosk import main as kiosk_admin

        set_lang(lang)
        return int(kiosk_admin(["--set-admin-pin"] + (["--config", args.config] if args.config else [])))
    if args.command == "kiosk":
        from yibao_tui.modes.kiosk import run_kiosk

        return int(run_kiosk(lambda actor: _backend_for(args, actor), config=args.config, lang=lang))
    from yibao_tui.modes.counter import run_counter

    return int(run_counter(lambda actor: _backend_for(args, actor), window=args.window,
                           idle_minutes=args.idle_minutes, lang=lang))


def _backend_for(args: argparse.Namespace, actor: Actor) -> Backend:
    backend = _make_backend(args)
    setter = getattr(backend, "set_actor", None)
    if setter is not None:
        setter(actor)
    else:
        backend.actor = actor
    return backend


def _run_app(args: argparse.Namespace) -> int:
    from yibao_tui.app import run_app

    backend = _make_backend(args)
    return int(run_app(backend, person=args.person, lang=args.lang or os.environ.get("YIBAO_LANG", "zh")))


def _app_args(argv: list[str]) -> argparse.Namespace | None:
    """The options when ``argv`` only starts the app (no command), without building every
    sub-parser (~6 ms of the app's start-up); ``None`` otherwise."""
    from yibao_tui.__main__ import starts_the_app

    if not starts_the_app(argv):
        return None
    p = _Parser(prog="yibao", add_help=False)
    p.add_argument("--db")
    p.add_argument("--backend")
    p.add_argument("--json", action="store_true")
    p.add_argument("--lang", choices=["zh", "en"])
    p.add_argument("--person")
    args = p.parse_args(argv)
    args.command = None
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``yibao`` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    as_json = "--json" in argv
    out = Out(as_json)
    set_lang(os.environ.get("YIBAO_LANG", "zh"))
    for i, a in enumerate(argv[:-1]):
        if a == "--lang":
            set_lang(argv[i + 1])
    try:
        args = _app_args(argv) or build_parser().parse_args(argv)
        if args.lang:
            set_lang(args.lang)
        if args.command is None:
            return _run_app(args)
        if args.command in ("counter", "kiosk"):
            return _run_mode(args)
        if args.command in ("serve", "login", "token"):
            return _server_command(args, out)
        if args.command == "policy":
            return _policy_show(args, out)
        return asyncio.run(_dispatch(args, out))
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


