"""Checking the shape of what arrives (types, sizes, text) before the backend sees it.

Only the shape: whether an ID number is valid or an amount allowed is the backend's business.
Every failure is ``INVALID_ARGUMENT`` naming the field and why (``server.arg.*`` in the
catalogue).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from yibao_tui.domain.errors import YibaoError
from yibao_tui.i18n import t
from yibao_tui.server.spec import MAX_BODY_BYTES, Field

MAX_ROWS = 200_000
#: Largest integer accepted anywhere (SQLite's INTEGER is 64-bit; JSON's safe range is 2**53).
INT_LIMIT = 2**53 - 1
PATH_MAX = 64


def bad(name: str, why: str, **params: Any) -> YibaoError:
    """An ``INVALID_ARGUMENT`` for one field; ``why`` names its ``server.arg.*`` text, which the
    server renders in the caller's language (``detail`` holds the English one)."""
    detail = f"{name}: {t(f'server.arg.{why}', lang='en', **params)}"
    return YibaoError("INVALID_ARGUMENT", detail=detail, field=name, why=why, **params)


_BAD_CHARS = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")


def check_text(name: str, value: str, max_length: int) -> str:
    """Text must be valid Unicode without control characters, and not too long."""
    if len(value) > max_length:
        raise bad(name, "too_long", max=max_length)
    if _BAD_CHARS.search(value) is not None:
        raise bad(name, "control")
    return value


def path_param(name: str, value: str) -> str:
    """A person, relative or other identifier in the path."""
    value = check_text(name, value, PATH_MAX).strip()
    if not value:
        raise bad(name, "empty")
    return value


def _int(f: Field, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad(f.wire, "integer")
    lo = f.minimum if f.minimum is not None else -INT_LIMIT
    hi = f.maximum if f.maximum is not None else INT_LIMIT
    if not lo <= value <= hi:
        raise bad(f.wire, "range", lo=lo, hi=hi)
    return value


def _rows(f: Field, value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise bad(f.wire, "rows")
    if len(value) > MAX_ROWS:
        raise bad(f.wire, "too_many_rows", max=MAX_ROWS)
    rows: list[dict[str, Any]] = []
    for i, row in enumerate(value):
        if not isinstance(row, dict):
            raise bad(f"{f.wire}[{i}]", "object")
        clean: dict[str, Any] = {}
        for k, v in row.items():
            check_text(f"{f.wire}[{i}] key", k, 64)
            if v is None:
                v = ""
            if isinstance(v, int) and not isinstance(v, bool) and abs(v) <= INT_LIMIT:
                clean[k] = v  # a line number
                continue
            if not isinstance(v, str):
                raise bad(f"{f.wire}[{i}].{k}", "string")
            clean[k] = check_text(f"{f.wire}[{i}].{k}", v, 1000)
        rows.append(clean)
    return rows


def _facts(f: Field, value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or len(value) > 100:
        raise bad(f.wire, "facts", max=100)
    out: dict[str, str] = {}
    for k, v in value.items():
        if not isinstance(v, str):
            raise bad(f"{f.wire}.{str(k)[:40]}", "string")
        out[check_text(f"{f.wire} name", k, 64)] = check_text(f"{f.wire}.{k}", v, 200)
    return out


def _value(f: Field, value: Any) -> Any:
    """A JSON value checked against ``f``."""
    if value is None:
        if f.nullable or not f.required:
            return f.default
        raise bad(f.wire, "required")
    if f.type == "integer":
        return _int(f, value)
    if f.type == "boolean":
        if not isinstance(value, bool):
            raise bad(f.wire, "boolean")
        return value
    if f.type == "rows":
        return _rows(f, value)
    if f.type == "facts":
        return _facts(f, value)
    if not isinstance(value, str):
        raise bad(f.wire, "string")
    value = check_text(f.wire, value, f.max_length)
    if f.enum is not None and value not in f.enum:
        raise bad(f.wire, "choice", choices=", ".join(f.enum))
    return value


class DuplicateKey(ValueError):
    """A JSON object names one key twice (``json`` would keep the last one silently)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise DuplicateKey(k)
        out[k] = v
    return out


def parse_json(raw: bytes) -> Any:
    """``raw`` as JSON, refusing an object that names a key twice (at any depth)."""
    try:
        return json.loads(raw, object_pairs_hook=_no_duplicates)
    except DuplicateKey as e:
        raise bad("body", "duplicate_key", key=e.key[:40]) from None
    except (ValueError, RecursionError):
        raise bad("body", "json") from None


def body(fields: tuple[Field, ...], raw: bytes, limit: int = MAX_BODY_BYTES) -> dict[str, Any]:
    """Parse and check a JSON object body (an empty body counts as ``{}``)."""
    if len(raw) > limit:
        raise YibaoError("PAYLOAD_TOO_LARGE", limit=limit)
    data: Any = {}
    if raw.strip():
        data = parse_json(raw)
    if not isinstance(data, dict):
        raise bad("body", "json_object")
    known = {f.wire for f in fields}
    extra = sorted(set(data) - known)
    if extra:
        raise bad(str(extra[0])[:40], "unknown_field")
    out: dict[str, Any] = {}
    for f in fields:
        if f.required and f.wire not in data:
            raise bad(f.wire, "required")
        out[f.name] = _value(f, data.get(f.wire))
    return out


def _query_scalar(f: Field, text: str) -> Any:
    if f.type == "integer":
        t = text.strip()
        if not t or len(t) > 20 or not t.isascii() or not t.lstrip("-").isdecimal():
            raise bad(f.wire, "integer")
        return _int(f, int(t))
    if f.type == "boolean":
        t = text.strip().lower()
        if t in ("true", "1", "yes"):
            return True
        if t in ("false", "0", "no"):
            return False
        raise bad(f.wire, "boolean")
    return _value(f, text)


def query(fields: tuple[Field, ...], params: Mapping[str, Any], getlist: Any) -> dict[str, Any]:
    """Check query parameters; ``getlist(name)`` gives every value of a repeated one."""
    out: dict[str, Any] = {}
    for f in fields:
        if f.type == "array":
            values = [check_text(f.wire, v, f.max_length) for v in getlist(f.wire)]
            if len(values) > 100:
                raise bad(f.wire, "too_many_values", max=100)
            out[f.name] = values
            continue
        raw = params.get(f.wire)
        if raw is None:
            if f.required:
                raise bad(f.wire, "required")
            out[f.name] = f.default
            continue
        out[f.name] = _query_scalar(f, raw)
    return out
