"""``yibao print list|reprint``: the documents kept for a reprint (a printer that was missing,
stopped or out of paper), and printing them again.

The spool is this machine's (``$YIBAO_SPOOL_DIR``, else ``print-spool`` beside the ledger), as
the counter and the kiosk on this machine use it. A reprint only prints: it never reaches the
ledger, so it can never charge anyone. Options are added by ``extend_parser``; the handlers
register with ``@direct`` when ``commands`` imports this module.
"""

from __future__ import annotations

import argparse
from typing import Any

from yibao_tui.cli.commands import direct
from yibao_tui.cli.output import Out, pad
from yibao_tui.domain.errors import YibaoError
from yibao_tui.i18n import t


def extend_parser(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    """Add ``print list`` and ``print reprint ID|--all [--printer NAME]``."""
    pr = sub.add_parser("print", help="documents kept for a reprint").add_subparsers(
        dest="sub", required=True, parser_class=parser_class)
    pr.add_parser("list", help="the documents waiting for a reprint, oldest first")
    rp = pr.add_parser("reprint", help="print a kept document again (never charges anyone)")
    rp.add_argument("id", nargs="?", metavar="ID", help="the document's id (print list)")
    rp.add_argument("--all", action="store_true", help="every kept document, oldest first")
    rp.add_argument("--printer", default="", metavar="NAME",
                    help="the CUPS printer (default: the system default)")


@direct("print", "list")
def _list(args: argparse.Namespace, out: Out) -> int:
    from yibao_tui.printing import kept_documents, spool_dir

    docs = kept_documents()
    lines = [f"{pad(d.id, 34)} {pad(t('print.kind.' + d.kind), 10)} {d.kept_at}" for d in docs]
    out.lines({"documents": [d.to_json() for d in docs], "spool": str(spool_dir())},
              lines or [t("print.reprint.none")])
    return 0


def _result(outcome: Any, doc_id: str) -> dict[str, Any]:
    if not outcome.printed:
        reason = outcome.problem.message() if outcome.problem else ""
        raise YibaoError("PRINT_FAILED", id=doc_id, reason=reason)
    return {"id": doc_id, "printed": True, "printer": outcome.printer, "job": outcome.job}


@direct("print", "reprint")
def _reprint(args: argparse.Namespace, out: Out) -> int:
    from yibao_tui.printing import kept_documents, reprint_document

    if bool(args.id) == bool(args.all):
        raise YibaoError("INVALID_ARGUMENT", detail=t("print.cli.id_or_all"))
    printer = args.printer or None
    ids = [d.id for d in kept_documents()] if args.all else [args.id]
    done = []
    for doc_id in ids:
        outcome = reprint_document(doc_id, printer)
        if outcome is None:
            raise YibaoError("UNKNOWN_DOCUMENT", id=doc_id)
        done.append(_result(outcome, doc_id))
    if args.all:
        text = t("print.reprint.done", n=len(done)) if done else t("print.reprint.none")
        out.result({"documents": done}, text)
    else:
        out.result(done[0], t("print.done", printer=done[0]["printer"], job=done[0]["job"]))
    return 0
