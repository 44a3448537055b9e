"""The OpenAPI 3.1 document, built from ``routes.OPS`` and the result records.

The committed copy is ``yibao_tui/server/openapi.json``; a test fails when it differs from what
this module builds, so a change to the contract shows up as a reviewed change of that file.
Regenerate it with ``python -m yibao_tui.server.openapi``.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from pathlib import Path
from typing import Any

from yibao_tui import __version__
from yibao_tui.domain import models
from yibao_tui.server.spec import PATH_PARAMS, TEXT_PATTERN, Field, Op

COMMITTED = Path(__file__).with_name("openapi.json")

_RECORDS: tuple[type, ...] = (
    models.Person, models.Balance, models.Entry, models.StatementPage, models.Summary,
    models.Binding, models.PremiumQuote, models.PremiumPayment, models.Charge, models.SpendResult,
    models.CreditResult, models.QuestionInfo, models.WithdrawalVerdict, models.VerifyReport,
    models.AuditRow, models.ImportResult, models.Operator, models.WithdrawalReceipt,
    models.PersonMatch, models.PersonMatchPage, models.OperatorInfo, models.PremiumWindowInfo,
    models.PremiumYears,
)
_SCALARS = {int: "integer", str: "string", bool: "boolean", float: "number"}

_ERROR_STATUSES = {
    "400": "Invalid input (INVALID_*, UNKNOWN_WITHDRAWAL_CASE, IDEMPOTENCY_KEY_MISSING,"
           " IDEMPOTENCY_KEY_INVALID); INVALID_ARGUMENT for a field of the wrong shape, a text"
           " with a control character, a malformed cursor, an unknown lang, or a JSON body that"
           " names a key twice",
    "401": "No token, a bad token or an expired session (UNAUTHORIZED, SESSION_EXPIRED)",
    "403": "Out of the token's scope (FORBIDDEN), or a window's operator who is not a supervisor (SUPERVISOR_REQUIRED)",
    "404": "Unknown person, payment or operator (UNKNOWN_*)",
    "422": "Refused by a rule, or an idempotency key reused for another request",
    "503": "The ledger is busy, damaged or unavailable (DATABASE_BUSY, DATABASE_CORRUPT, DATABASE_UNAVAILABLE)",
    "500": "A bug (INTERNAL): the message carries a reference that the server's log repeats",
}

#: Every operation: the language of error messages and of texts in the result.
_LANG_PARAM: dict[str, Any] = {
    "name": "lang", "in": "query", "required": False,
    "schema": {"type": "string", "enum": ["zh", "en"], "default": "zh"},
    "description": "Language of messages and texts: zh (default) or en (a region may follow:"
                   " zh-CN, en-US). Without it the Accept-Language header decides; any other"
                   " value is refused (400 INVALID_ARGUMENT).",
}


def _type_schema(tp: Any) -> dict[str, Any]:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        inner = _type_schema(args[0])
        if "type" in inner and isinstance(inner["type"], str):
            return {**inner, "type": [inner["type"], "null"]}
        return {"anyOf": [inner, {"type": "null"}]}
    if origin is list:
        (item,) = typing.get_args(tp)
        return {"type": "array", "items": _type_schema(item)}
    if origin is dict or tp is dict:
        return {"type": "object"}
    if tp is typing.Any:
        return {}
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return {"$ref": f"#/components/schemas/{tp.__name__}"}
    return {"type": _SCALARS[tp]}


def record_schema(cls: type) -> dict[str, Any]:
    """The JSON schema of a record's ``to_json()`` (every field is always present)."""
    hints = typing.get_type_hints(cls, vars(models))
    props = {f.name: _type_schema(hints[f.name]) for f in dataclasses.fields(cls)}
    return {"type": "object", "properties": props, "required": list(props)}


def _obj(props: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": required if required is not None else list(props)}


def _list_of(key: str, item: str, with_id: bool = True) -> dict[str, Any]:
    props: dict[str, Any] = {"id": {"type": "string"}} if with_id else {}
    props[key] = {"type": "array", "items": {"$ref": f"#/components/schemas/{item}"}}
    return _obj(props)


def _extra_schemas() -> dict[str, Any]:
    nullable_str = {"type": ["string", "null"]}
    return {
        "Error": _obj({"error": _obj(
            {"code": {"type": "string", "pattern": "^[A-Z][A-Z_]*$"}, "message": {"type": "string"},
             "params": {"type": "object"}}, ["code", "message"])}),
        "Pong": _obj({"ok": {"type": "boolean"}}),
        "WhoAmI": _obj({"role": {"type": "string", "enum": ["admin", "counter", "kiosk", "personal"]},
                        "person_id": nullable_str, "operator": nullable_str, "label": {"type": "string"},
                        "expires_at": {"type": ["number", "null"]}}),
        "LedgerInfo": _obj({"empty": {"type": "boolean"}, "demo_owner": nullable_str}),
        "DemoResult": {"type": "object"},
        "OperatorSession": _obj({"token": {"type": "string"}, "expires_at": {"type": "number"},
                                 "operator": {"$ref": "#/components/schemas/Operator"}}),
        "KioskSession": _obj({"token": {"type": "string"}, "expires_at": {"type": "number"},
                              "person": {"$ref": "#/components/schemas/Person"}}),
        "LogoutResult": _obj({"ended": {"type": "boolean"}}),
        "CardPin": _obj({"id": {"type": "string"}}),
        "BindingList": _list_of("bindings", "Binding"),
        "PremiumPaymentList": _list_of("payments", "PremiumPayment"),
        "AuditList": _obj({**_list_of("rows", "AuditRow", with_id=False)["properties"],
                           "next_cursor": nullable_str}),
        "OperatorList": _list_of("operators", "OperatorInfo", with_id=False),
        # tokens (issue 9 item 6): never the token itself
        "TokenList": _obj({"tokens": {"type": "array", "items": _obj({
            "id": {"type": "integer"}, "role": {"type": "string"}, "label": {"type": "string"},
            "person": nullable_str, "operator": nullable_str, "parent": {"type": ["integer", "null"]},
            "created_at": {"type": "number"}, "expires_at": {"type": ["number", "null"]},
            "last_used_at": {"type": ["number", "null"]}, "revoked_at": {"type": ["number", "null"]},
            "status": {"type": "string", "enum": ["active", "expired", "revoked"]}})}}),
        "TokenRevoked": _obj({"id": {"type": "integer"}, "revoked": {"type": "boolean"},
                              "sessions_ended": {"type": "integer"}}),
        # self-service binding requests (issue 9 item 3): identities masked
        "BindingRequest": _binding_request(),
        "BindingRequestList": _obj({"requests": {"type": "array", "items": _binding_request()}}),
    }


def _binding_request() -> dict[str, Any]:
    return _obj({"id": {"type": "integer"}, "holder_id": {"type": "string"}, "relative_id": {"type": "string"},
                 "relation": {"type": "string"},
                 "status": {"type": "string", "enum": ["pending", "confirmed", "declined", "expired"]},
                 "created_at": {"type": "number"}, "expires_at": {"type": "number"},
                 "direction": {"type": "string", "enum": ["outgoing", "incoming"]}})


def _field_schema(f: Field) -> dict[str, Any]:
    if f.type == "rows":
        return {"type": "array", "items": {"type": "object", "additionalProperties": {"type": ["string", "integer", "null"]}}}
    if f.type == "facts":
        return {"type": ["object", "null"], "maxProperties": 100,
                "propertyNames": {"maxLength": 64, "pattern": TEXT_PATTERN},
                "additionalProperties": {"type": "string", "maxLength": 200, "pattern": TEXT_PATTERN}}
    if f.type == "array":
        return {"type": "array", "maxItems": 100,
                "items": {"type": "string", "maxLength": f.max_length, "pattern": TEXT_PATTERN}}
    s: dict[str, Any] = {"type": [f.type, "null"] if f.nullable else f.type}
    if f.type == "integer":
        s["minimum"] = f.minimum if f.minimum is not None else -(2**53 - 1)
        s["maximum"] = f.maximum if f.maximum is not None else 2**53 - 1
    if f.type == "string":
        s["maxLength"] = f.max_length
        if not f.enum:
            s["pattern"] = f.pattern or TEXT_PATTERN
        if f.format:
            s["format"] = f.format
    if f.enum:
        s["enum"] = list(f.enum)
    if f.default not in (None, ()):
        s["default"] = f.default
    if f.description:
        s["description"] = f.description
    return s


def _operation(op: Op) -> dict[str, Any]:
    params: list[dict[str, Any]] = []
    for p in op.path_params:
        pattern, fmt, description = PATH_PARAMS.get(p, (TEXT_PATTERN, "", ""))
        schema = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": pattern}
        if fmt:
            schema["format"] = fmt
        params.append({"name": p, "in": "path", "required": True, "description": description,
                       "schema": schema})
    for f in op.query:
        q: dict[str, Any] = {"name": f.wire, "in": "query", "required": f.required, "schema": _field_schema(f)}
        if f.type == "array":
            q["style"], q["explode"] = "form", True
        params.append(q)
    params.append(dict(_LANG_PARAM))
    responses: dict[str, Any] = {
        "200": {"description": "OK", "content": {"application/json": {
            "schema": {"$ref": f"#/components/schemas/{op.response}"}}}},
    }
    statuses = dict(_ERROR_STATUSES)
    if op.method == "POST":
        params.append({"name": "Idempotency-Key", "in": "header", "required": True,
                       "schema": {"type": "string", "minLength": 1, "maxLength": 255,
                                  "pattern": "^[ -~]*[!-~][ -~]*$"},
                       "description": "One unique key per logical request (IETF idempotency draft)"})
        statuses["409"] = "The same key is still being processed (IN_PROGRESS)"
        statuses["413"] = (f"The body is larger than {op.max_body} bytes (PAYLOAD_TOO_LARGE): refused by"
                           " its Content-Length, or as soon as a chunked body grows past it")
        statuses["415"] = "The body is not Content-Type: application/json (UNSUPPORTED_MEDIA_TYPE)"
    if op.roles & {"personal", "kiosk"}:
        statuses["429"] = ("Too many refused or probing calls from this personal or kiosk token"
                           " (RATE_LIMITED); Retry-After says when to try again")
    for code, text in sorted(statuses.items()):
        responses[code] = {"description": text, "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Error"}}}}
    out: dict[str, Any] = {"operationId": op.name, "summary": op.summary,
                           "x-roles": sorted(op.roles), "parameters": params, "responses": responses}
    if op.method == "POST":
        props = {f.wire: _field_schema(f) for f in op.body or ()}
        body: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False,
                                "required": [f.wire for f in op.body or () if f.required]}
        out["requestBody"] = {"required": bool(body["required"]),
                              "content": {"application/json": {"schema": body}}}
    return out


def build_openapi() -> dict[str, Any]:
    """The whole document."""
    from yibao_tui.server.routes import OPS

    paths: dict[str, Any] = {}
    for op in OPS:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op)
    schemas = {cls.__name__: record_schema(cls) for cls in _RECORDS}
    schemas.update(_extra_schemas())
    return {
        "openapi": "3.1.0",
        "info": {"title": "yibao-tui ledger API", "version": __version__,
                 "description": "职工医保个人账户 — the ledger behind yibao-tui, under /v1."},
        "paths": paths,
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }


def render() -> str:
    """The document as committed (stable key order, trailing newline)."""
    return json.dumps(build_openapi(), ensure_ascii=False, indent=2) + "\n"


if __name__ == "__main__":
    COMMITTED.write_text(render(), encoding="utf-8")
    print(f"wrote {COMMITTED}")
