"""What the CLI prints: exactly one JSON object with ``--json``, else text for a person."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import IO, Any

from yibao_tui.domain.models import Binding, BindingRules, WithdrawalCases
from yibao_tui.i18n import get_lang, name_of, t


class Out:
    """Prints either human text or exactly one JSON object."""

    def __init__(self, as_json: bool, stream: IO[str] | None = None) -> None:
        self.as_json = as_json
        self.stream = stream or sys.stdout

    def result(self, data: dict[str, Any], text: str | Callable[[], None]) -> None:
        """One result: JSON, or the human text (a string or a printer)."""
        if self.as_json:
            self.json(data)
        elif callable(text):
            text()
        else:
            self.stream.write(text + "\n")

    def json(self, data: dict[str, Any]) -> None:
        """One JSON object on one line."""
        self.stream.write(json.dumps(data, ensure_ascii=False) + "\n")

    def lines(self, data: dict[str, Any], lines: list[str]) -> None:
        """One result whose human text is several lines."""
        self.result(data, "\n".join(lines) if lines else lambda: None)


def replayed(flag: bool) -> str:
    """The note appended to a write's text when it was an idempotent replay."""
    return (" " + t("paren", text=t("replayed"))) if flag else ""


def pad(text: str, width: int) -> str:
    """``text`` padded with spaces to ``width`` terminal cells (CJK counts double)."""
    from rich.cells import cell_len

    return text + " " * max(0, width - cell_len(text))


def person_lines(p: dict[str, Any]) -> list[str]:
    """``person show`` as text."""
    from yibao_tui.domain.policy_source import region_name

    lines = [f"{p['id']}  {p['name']}  {t('sex.' + p['sex'])}  {p['birth_date']}",
             f"{t('scheme.' + p['scheme'])}  {region_name(p['region'])} ({p['region']})  {t('status.' + p['status'])}"]
    if p.get("balance_fen") is not None:
        from yibao_tui.domain.money import format_fen

        lines.append(format_fen(p["balance_fen"]))
    return lines


def binding_lines(rows: list[Binding]) -> list[str]:
    """``family list`` as text."""
    if not rows:
        return [t("cli.no_bindings")]
    return [f"{pad(t('relation.' + x.relation), 10)}{x.relative_id}  {pad(x.relative_name, 10)}"
            f"{t('binding.' + x.status)}  {x.bound_at[:10]}  {t('verified.' + x.verified_by)}" for x in rows]


def binding_rules_lines(r: BindingRules) -> list[str]:
    """``family rules`` as text: the cap, the pledge, the methods per age band."""
    lines = [t("ui.family.count", n=r.active, cap=r.cap)]
    if r.pledge_required:
        lines.append(t("cli.family.pledge_required"))
    lines.append(t("cli.family.methods", channel=name_of("channel.", r.channel)) + ":")
    for band in r.methods:
        ages = (t("cli.family.ages", lo=band.min_age, hi=band.max_age) if band.max_age is not None
                else t("cli.family.ages_from", lo=band.min_age))
        sep = "、" if get_lang() == "zh" else ", "
        methods = sep.join(t("verified." + m) for m in band.methods) if band.methods else t("cli.family.no_method")
        lines.append(f"  - {ages}{t('colon')}{methods}")
    return lines


def withdrawal_cases_lines(c: WithdrawalCases) -> list[str]:
    """``withdrawal cases`` as text: each case with the ``--fact`` answers it asks for and its
    materials (the policy's texts in the current language)."""
    lang = get_lang()
    lines = [t("cli.withdrawal.always") + ":", *(f"  - {m.get(lang) or m['zh']}" for m in c.always_materials)]
    for case in c.cases:
        name = name_of("ui.case.", case.name)
        lines += ["", f"{name}（{case.name}）" if lang == "zh" else f"{name} ({case.name})"]
        if case.questions:
            lines.append("  " + t("cli.withdrawal.questions") + ":")
            lines += [f"    --fact {q.name}={'N' if q.type == 'int' else 'yes|no'}  {q.text_in(lang)}"
                      for q in case.questions]
        if case.materials:
            lines.append("  " + t("cli.materials") + ":")
            lines += [f"    - {m.get(lang) or m['zh']}" for m in case.materials]
    return lines


def verdict_lines(v: dict[str, Any]) -> list[str]:
    """``withdrawal check`` as text."""
    case = name_of("ui.case.", str(v["case"]))
    lines = [t("cli.eligible") if v["eligible"] else t("cli.not_eligible")]
    lines[0] += f"（{case}）" if get_lang() == "zh" else f"  ({case})"
    for title, key in (("cli.unmet", "unmet"), ("cli.materials", "materials"), ("cli.warnings", "warnings")):
        if v[key]:
            lines.append(t(title) + ":")
            lines.extend(f"  - {line}" for line in v[key])
    return lines


def statement_lines(entries: list[dict[str, Any]]) -> list[str]:
    """The statement as a table: time, kind, amount, balance after, memo; the columns as wide as
    their widest cell and two spaces apart, so that ¥10,000,000.00 never runs into the next one."""
    from rich.cells import cell_len

    from yibao_tui.domain.money import format_fen

    rows = [(e["time"], t("kind." + e["kind"]), format_fen(e["amount_fen"]), format_fen(e["balance_after_fen"]),
             e["memo"]) for e in entries]
    kind_w = max((cell_len(r[1]) for r in rows), default=0)
    amount_w = max((len(r[2]) for r in rows), default=0)
    balance_w = max((len(r[3]) for r in rows), default=0)
    return [f"{time}  {pad(kind, kind_w)}  {amount:>{amount_w}}  {balance:>{balance_w}}  {memo}".rstrip()
            for time, kind, amount, balance, memo in rows]
