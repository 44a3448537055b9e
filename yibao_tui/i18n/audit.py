"""The audit log in words: a readable line per record, in the user's language, masked.

Used by ``yibao audit`` (table and CSV) and the counter's audit screen (F9), so both say the same.
A record's ``detail`` is the JSON of a write's request (names already left out by the ledger), a
small JSON of a read's filters, or a short text (a login attempt: the operator and the refusal).
Nothing raw reaches the reader: actions, channels, relations, kinds and refusals are translated,
amounts formatted, ID numbers, names and account numbers masked; unknown keys and actions show
as they are, with every ID and long number in them masked.
"""

from __future__ import annotations

import json
import re
from typing import Any

from yibao_tui.domain.masking import mask_card, mask_id, mask_name
from yibao_tui.domain.models import AuditRow
from yibao_tui.i18n import catalogue, t

#: Keys of an audit detail that hold a person's name or a bank account (DOMAIN.md §8).
NAME_KEYS = frozenset({"name", "payee", "payee_name", "relative_name", "holder_name"})
ACCOUNT_KEYS = frozenset({"account", "payee_account", "card", "bank_account"})
#: Keys holding an ID number.
ID_KEYS = frozenset({"id", "holder", "relative", "payer", "person", "patient"})
#: Keys that are bookkeeping, not something a reader needs.
SKIP_KEYS = frozenset({"op", "name_sha256", "page"})
#: Keys whose value names a catalogue entry: ``prefix + value``.
VALUE_KEYS = {"kind": "kind.", "relation": "relation.", "verified_by": "verified.", "scheme": "scheme.",
              "role": "mode.role."}
_LONG_NUMBER = re.compile(r"(?<![0-9])[0-9]{12,}(?![0-9])")
_ID_IN_TEXT = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")


def mask_text(text: str) -> str:
    """Every full ID number and every long number (a bank or card number) in ``text`` masked."""
    text = _ID_IN_TEXT.sub(lambda m: mask_id(m.group(0).upper()), text)
    return _LONG_NUMBER.sub(lambda m: mask_card(m.group(0)), text)


def _json(detail: str) -> dict[str, Any] | list[Any] | None:
    try:
        data = json.loads(detail)
    except ValueError:
        return None
    return data if isinstance(data, dict | list) else None


def _known(key: str, lang: str | None) -> bool:
    return key in catalogue(lang)


def action_name(action: str, lang: str | None = None) -> str:
    """``operator.login.failed`` → 操作员登录（失败）; an action unknown here shows as it is."""
    key = f"audit.action.{action}"
    return t(key, lang=lang) if _known(key, lang) else action


def channel_name(channel: str, lang: str | None = None) -> str:
    """``counter`` → 经办窗口; unknown channels as they are."""
    key = f"channel.{channel}"
    return t(key, lang=lang) if _known(key, lang) else channel


def _value(key: str, value: Any, lang: str | None) -> str:
    from yibao_tui.domain.money import format_fen

    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return t("audit.yes" if value else "audit.no", lang=lang)
    if key in ("amount", "opening") and isinstance(value, int):
        return format_fen(value)
    if key in NAME_KEYS:
        return mask_name(str(value))
    if key in ACCOUNT_KEYS:
        return mask_card(str(value))
    if key in ID_KEYS:
        text = str(value)
        return mask_id(text) if len(text) >= 15 else mask_text(text)
    if key in VALUE_KEYS and _known(VALUE_KEYS[key] + str(value), lang):
        return t(VALUE_KEYS[key] + str(value), lang=lang)
    if key == "rows" and isinstance(value, list):
        return str(len(value))
    if isinstance(value, dict):
        return ", ".join(f"{k}={mask_text(str(v))}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(mask_text(str(v)) for v in value)
    return mask_text(str(value))


def describe(row: AuditRow, lang: str | None = None) -> str:
    """One readable line for a record's detail (without the action, time and operator, which
    have columns of their own)."""
    detail = row.detail or ""
    data = _json(detail)
    if isinstance(data, dict):
        parts = []
        for key, value in data.items():
            if key in SKIP_KEYS:
                continue
            if value is None and key not in ("found", "n"):
                continue
            label_key = f"audit.key.{key}"
            label = t(label_key, lang=lang) if _known(label_key, lang) else key
            parts.append(f"{label} {_value(key, value, lang)}")
        return " · ".join(parts)
    if data is not None:
        return mask_text(", ".join(str(v) for v in data))
    # a login attempt: "OPERATOR [CODE]"
    words = detail.split()
    out = []
    for word in words:
        key = f"audit.code.{word}"
        out.append(t(key, lang=lang) if word.isupper() and _known(key, lang) else mask_text(word))
    return " ".join(out)


def subject_text(row: AuditRow, masked: bool = True) -> str:
    """The person a record is about, masked unless revealed."""
    if not row.subject:
        return ""
    return mask_id(row.subject) if masked else row.subject


CSV_COLUMNS = ("seq", "time", "channel", "operator", "action", "subject", "detail")


def csv_rows(rows: list[AuditRow], lang: str | None = None) -> list[list[str]]:
    """The rows of an audit CSV export: the same readable, masked text as on screen."""
    return [
        [str(r.seq), r.time, channel_name(r.channel, lang), r.operator or "", action_name(r.action, lang),
         subject_text(r), describe(r, lang)]
        for r in rows
    ]


def csv_header(lang: str | None = None) -> list[str]:
    """The header line of an audit CSV export, in the user's language."""
    return [t(f"mode.audit.col.{c}", lang=lang) for c in CSV_COLUMNS]
