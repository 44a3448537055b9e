"""Every command, option and flag of the ``yibao`` contract, and argparse in the user's language."""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import NoReturn

from yibao_tui.domain.errors import YibaoError
from yibao_tui.domain.rules import CHANNELS
from yibao_tui.domain.text import ascii_int
from yibao_tui.i18n import catalogue, load_section, t

#: argparse's own texts (usage, section titles, its error messages) → ``cli.argparse.<slug>``.
_MSGIDS: dict[str, str] = {
    "usage: ": "usage",
    "positional arguments": "positionals",
    "options": "options",
    "show this help message and exit": "help",
    "the following arguments are required: %s": "required",
    "argument %(argument_name)s: %(message)s": "argument",
    "invalid choice: %(value)r (choose from %(choices)s)": "choice",
    "invalid %(type)s value: %(value)r": "type",
    "unrecognized arguments: %s": "unrecognized",
    "expected one argument": "one",
    "expected at most one argument": "at_most_one",
    "expected at least one argument": "at_least_one",
    "expected %s argument": "n",
    "expected %s arguments": "ns",
    "ambiguous option: %(option)s could match %(matches)s": "ambiguous",
    "not allowed with argument %s": "not_allowed",
    "ignored explicit argument %r": "explicit",
    "one of the arguments %s is required": "one_of",
    "unknown parser %(parser_name)r (choices: %(choices)s)": "unknown_parser",
    "can't open '%(filename)s': %(error)s": "open"
}

#: Options whose choices are shown with their names in the user's language.
_CHOICE_NAMES = {"token.create.--role": "token.role.", "--role": "mode.role.", "--verified-by": "verified.", "--scheme": "scheme.", "--kind": "kind."}


def _gettext(message: str | None) -> str | None:
    slug = _MSGIDS.get(message) if message else None
    return t("cli.argparse." + slug) if slug else message


def _ngettext(singular: str, plural: str, n: int) -> str:
    return _gettext(singular if n == 1 else plural) or ""


@contextmanager
def translated() -> Iterator[None]:
    """argparse speaking the user's language while a parser is built and used: it looks its
    texts up through the module's ``_`` and ``ngettext`` (gettext) each time it needs one."""
    load_section("cli_help")
    saved = argparse._, argparse.ngettext  # type: ignore[attr-defined]
    setattr(argparse, "_", _gettext)  # noqa: B010
    setattr(argparse, "ngettext", _ngettext)  # noqa: B010
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved  # type: ignore[attr-defined]


def _help(path: str, name: str) -> str | None:
    """The help text of ``name`` under the command ``path`` in the user's language, if the
    catalogue has one (the exact place first, then the same option anywhere)."""
    texts = catalogue()
    return texts.get(f"cli.help.{path}{name}") or texts.get(f"cli.help.*.{name}")


def _choices(path: str, name: str, choices: Iterable[str]) -> str:
    prefix = _CHOICE_NAMES.get(path + name) or _CHOICE_NAMES.get(name)
    shown = []
    for c in choices:
        local = t(prefix + c) if prefix else c
        shown.append(c if local in (c, f"{prefix}{c}") else t("cli.help.choice", value=c, name=local))
    return ", ".join(shown)


def _translate(parser: argparse.ArgumentParser, path: str = "") -> None:
    """Every help text of ``parser`` and its sub-commands from the catalogue (``cli.help.*``);
    a text the catalogue lacks stays as written where the option was added."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                text = _help(path, choice.dest)
                if text:
                    choice.help = text
            for name, sub in action.choices.items():
                text = _help(path, name)
                if text:
                    sub.description = text
                _translate(sub, f"{path}{name}.")
            continue
        if isinstance(action, argparse._HelpAction):
            continue
        name = action.option_strings[0] if action.option_strings else action.dest
        text = _help(path, name)
        if text:
            action.help = text.replace("{choices}", _choices(path, name, action.choices or ()))


def _int(text: str) -> int:
    """An integer option in ASCII digits (``int`` alone takes full-width ``４２`` too)."""
    return ascii_int(text, signed=True)


_int.__name__ = "int"  # argparse names the type in its refusal: "invalid int value: '４２'"


class _Parser(argparse.ArgumentParser):
    """argparse that raises ``INVALID_ARGUMENT`` instead of printing usage and exiting."""

    def error(self, message: str) -> NoReturn:
        raise YibaoError("INVALID_ARGUMENT", detail=message)


def build_parser() -> argparse.ArgumentParser:
    """Every command, option and flag of the contract, its help in the user's language."""
    load_section("cli_help")
    p = _Parser(prog="yibao", description="职工医保个人账户 · employee medical insurance personal account")
    p.add_argument("--db", help="ledger file, or a PostgreSQL URL postgresql://… (default $YIBAO_DB or the user data dir)")
    p.add_argument("--backend", help="server URL (default $YIBAO_BACKEND); without it the local ledger")
    p.add_argument("--insecure", action="store_true",
                   help="allow sending the token over plain http:// to a host other than this machine")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.add_argument("--lang", choices=["zh", "en"], help="language (default $YIBAO_LANG or zh)")
    p.add_argument("--person", help="the app opens on this person (ID or card number)")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)

    sub.add_parser("init", help="create the ledger")
    d = sub.add_parser("demo", help="load deterministic demo data into an empty ledger")
    d.add_argument("--persons", type=_int, default=20)
    d.add_argument("--seed", type=_int, default=1)

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
    st.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD")
    st.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD")
    st.add_argument("--kind")
    st.add_argument("--format", choices=["table", "csv", "json"], default="table")
    st.add_argument("--limit", type=_int, help="only the newest N entries")
    st.add_argument("--cursor", help="continue before this next_cursor (of a --limit page)")

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
    fr = fam.add_parser("rules")
    fr.add_argument("holder_id")
    fr.add_argument("--channel", choices=list(CHANNELS), default=None)
    fu = fam.add_parser("unbind")
    fu.add_argument("holder_id")
    fu.add_argument("relative_id")
    fu.add_argument("--key")

    pr = sub.add_parser("premium", help="pay a bound relative's resident premium (代缴)").add_subparsers(dest="sub", required=True, parser_class=_Parser)
    for name in ("quote", "pay"):
        x = pr.add_parser(name)
        x.add_argument("payer_id")
        x.add_argument("relative_id")
        x.add_argument("--year", required=True, type=_int)
        if name == "pay":
            x.add_argument("--key")
    pr.add_parser("list").add_argument("id")
    py = pr.add_parser("years")
    py.add_argument("payer_id")
    py.add_argument("--relative", metavar="RELATIVE_ID")

    w = sub.add_parser("withdrawal", help="withdrawal eligibility (个人账户提取)").add_subparsers(dest="sub", required=True, parser_class=_Parser)
    w.add_parser("cases").add_argument("id")
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
    ps.add_argument("--year", type=_int)

    au = sub.add_parser("audit", help="the audit log")
    au.add_argument("--person")
    au.add_argument("--operator")
    au.add_argument("--since", metavar="YYYY-MM-DD")
    au.add_argument("--limit", type=_int, default=200)

    op = sub.add_parser("operator", help="service-window staff").add_subparsers(dest="sub", required=True, parser_class=_Parser)
    oa = op.add_parser("add", help="the password is prompted for, never given on the command line")
    oa.add_argument("id")
    oa.add_argument("--name", required=True)
    oa.add_argument("--role", required=True, choices=["clerk", "supervisor"])
    from yibao_tui.cli.staff import extend_parser

    extend_parser(person, op, au)  # person find, operator list|disable|..., audit paging and CSV
    card = sub.add_parser("card", help="kiosk cards").add_subparsers(dest="sub", required=True, parser_class=_Parser)
    card.add_parser("set-pin", help="the PIN is prompted for").add_argument("card")

    ct = sub.add_parser("counter", help="the service-window mode (经办窗口): operator login, any person")
    ct.add_argument("--window", default="1", help="the window number shown in the header")
    ct.add_argument("--idle-minutes", type=float, default=5.0, help="back to login after this idle time")
    ct.add_argument("--printer", default="", metavar="NAME",
                    help="the window's CUPS printer for receipts (default: the system default; 'none': do not print)")
    ks = sub.add_parser("kiosk", help="the self-service kiosk mode (自助终端): card and PIN, locked down")
    ks.add_argument("--config", help="kiosk config file (admin PIN hash, idle seconds); default <config dir>/kiosk.toml")
    ks.add_argument("--set-admin-pin", action="store_true",
                    help="prompt for the admin PIN that leaves the kiosk, store its hash in the config, and exit")
    ks.add_argument("--printer", metavar="NAME",
                    help="the kiosk's CUPS printer ('default': the system default; 'none': no printing); default: the config's")
    ks.add_argument("--web", action="store_true",
                    help="serve the kiosk in a browser (textual-serve, extra yibao-tui[web]): one separate session per browser connection")
    ks.add_argument("--host", default="127.0.0.1",
                    help="the web kiosk's address (default 127.0.0.1; any other needs --allow-remote)")
    ks.add_argument("--port", type=int, default=8766, help="the web kiosk's port (default 8766)")
    ks.add_argument("--allow-remote", action="store_true",
                    help="let the web kiosk listen on an address other than loopback (put a TLS reverse proxy in front)")

    from yibao_tui.cli.printing import extend_parser as print_commands

    print_commands(sub, _Parser)  # print list | reprint

    mg = sub.add_parser("migrate", help="copy a whole ledger to another database and prove the copy")
    mg.add_argument("--from", dest="move_from", required=True, metavar="DB",
                    help="the ledger to copy (a file or postgresql://…)")
    mg.add_argument("--to", dest="move_to", required=True, metavar="DB",
                    help="where to (an empty ledger, or this copy interrupted: it goes on)")
    mg.add_argument("--batch", type=_int, default=5_000, metavar="N",
                    help="rows per transaction (each records how far the copy got)")
    sv = sub.add_parser("serve", help="the reference HTTP server (extra: yibao-tui[server])")
    sv.add_argument("--host", default="127.0.0.1")
    sv.add_argument("--port", type=_int, default=8765)
    sv.add_argument("--workers", type=_int, default=1, metavar="N",
                    help="server processes sharing the port (each with its own ledger connections)")
    lg = sub.add_parser("login", help="store a server token in the keyring")
    # `yibao login --backend URL` (the spelling) and `yibao --backend URL login` both work
    lg.add_argument("--backend", dest="login_backend", help="server URL")
    lg.add_argument("--insecure", dest="login_insecure", action="store_true",
                    help="allow plain http:// to a host other than this machine")
    tk = sub.add_parser("token", help="server tokens").add_subparsers(dest="sub", required=True, parser_class=_Parser)
    tc = tk.add_parser("create")
    tc.add_argument("--role", required=True, choices=["admin", "counter", "kiosk", "personal"])
    tc.add_argument("--person")
    tc.add_argument("--expires", help="lifetime (90m, 12h, 30d, 2w) or a day (YYYY-MM-DD); default: never")
    tl = tk.add_parser("list", help="id, role, label, created, expires, last used (never the token)")
    tl.add_argument("--all", action="store_true", help="also revoked and expired tokens")
    tr = tk.add_parser("revoke", help="revoke a token; the sessions it opened end with it")
    tr.add_argument("token_id", type=_int, metavar="ID")
    _translate(p)
    p.description = _help("", "yibao")
    return p


def app_parser() -> argparse.ArgumentParser:
    """Only the top-level options: what starting the app needs (no sub-parser is built)."""
    p = _Parser(prog="yibao", add_help=False)
    p.add_argument("--db")
    p.add_argument("--backend")
    p.add_argument("--insecure", action="store_true")
    p.add_argument("--json", action="store_true")
    p.add_argument("--lang", choices=["zh", "en"])
    p.add_argument("--person")
    return p
