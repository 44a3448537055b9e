"""Family mutual aid (家庭共济): a holder binds close relatives, whose bills the holder's account
may then pay; the binding history is kept."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

from yibao_tui.domain.errors import YibaoError
from yibao_tui.domain.models import Binding, BindingRules, MethodBand
from yibao_tui.domain.relations import parse_relation
from yibao_tui.ledger.persons import facts, lock_persons, resolve, resolve_id, row_of

if TYPE_CHECKING:
    from yibao_tui.ledger.dialect import Db
    from yibao_tui.ledger.store import Ledger

BINDING_SQL = (
    "SELECT b.holder_id, b.relative_id, b.relation, b.status, b.bound_at, b.verified_by, b.unbound_at,"
    " p.name, b.id, b.ended_reason FROM bindings b JOIN persons p ON p.id = b.relative_id"
)
ACTIVE_PAIR = "SELECT 1 FROM bindings WHERE holder_id = ? AND relative_id = ? AND status = 'active'"


def binding_model(row: Any) -> Binding:
    """A ``BINDING_SQL`` row as a ``Binding``."""
    return Binding(holder_id=row[0], relative_id=row[1], relation=row[2], status=row[3], bound_at=row[4],
                   verified_by=row[5], unbound_at=row[6], relative_name=row[7], binding_id=row[8],
                   ended_reason=row[9])


def _response(db: Db, bid: int) -> dict[str, Any]:
    return {"binding_id": bid, "binding": binding_model(db.one(BINDING_SQL + " WHERE b.id = ?", (bid,))).to_json()}


def is_bound(db: Db, holder: str, relative: str) -> bool:
    """An active binding of ``relative`` by ``holder``."""
    return db.one(ACTIVE_PAIR, (holder, relative)) is not None


def bindings(led: Ledger, who: str, include_ended: bool = False) -> list[Binding]:
    """The holder's bindings, oldest first; ended ones too with ``include_ended``."""

    def run() -> tuple[str, list[Binding]]:
        pid = resolve(led, who)[0]
        sql = BINDING_SQL + " WHERE b.holder_id = ?" + ("" if include_ended else " AND b.status = 'active'")
        return pid, [binding_model(r) for r in led.db.all(sql + " ORDER BY b.id", (pid,))]

    pid, result = led.run(run)
    led.audit_read("family.list", pid)
    return result  # type: ignore[no-any-return]


def bound_by(led: Ledger, who: str) -> list[Binding]:
    """Active bindings where ``who`` is the relative."""

    def run() -> tuple[str, list[Binding]]:
        pid = resolve(led, who)[0]
        sql = BINDING_SQL + " WHERE b.relative_id = ? AND b.status = 'active' ORDER BY b.id"
        return pid, [binding_model(r) for r in led.db.all(sql, (pid,))]

    pid, result = led.run(run)
    led.audit_read("family.bound_by", pid)
    return result  # type: ignore[no-any-return]


def binding_rules(led: Ledger, holder: str, channel: str) -> BindingRules:
    """What a binding form for ``holder`` must know first (the rules ``bind`` applies, from
    this ledger's policy and today): the cap and the active bindings, the caps per relation,
    the pledge, and the verification methods accepted per age band on ``channel``."""
    from yibao_tui.domain import rules

    def run() -> BindingRules:
        row = resolve(led, holder)
        pid, region = row[0], row[3]
        today = led.today()
        policy = led.policy(region, today.year)
        active = led.db.one("SELECT COUNT(*) FROM bindings WHERE holder_id = ? AND status = 'active'", (pid,))[0]
        return BindingRules(
            holder_id=pid, region=region, year=today.year, today=today.isoformat(), cap=policy.binding_cap,
            active=int(active), relation_caps=dict(policy.relation_caps), face_age=policy.face_age,
            cross_province=policy.cross_province, one_way=policy.one_way, pledge_required=row[7] is None,
            channel=channel,
            methods=[MethodBand(min_age=lo, max_age=hi, methods=ms) for lo, hi, ms in rules.method_bands(policy, channel)],
        )

    result: BindingRules = led.run(run)
    led.audit_read("family.rules", result.holder_id, json.dumps({"channel": channel}))
    return result


def bind(led: Ledger, holder: str, relative: str, relation: str, verified_by: str = "counter",
         pledge_accepted: bool = True, key: str | None = None, time: str | None = None) -> Binding:
    """Bind a close relative, after every rule has passed."""
    from yibao_tui.domain import rules

    rel = parse_relation(relation)
    hid = resolve_id(led, holder)
    rid = resolve_id(led, relative)

    def body(db: Db, op_id: int, now: str) -> dict[str, Any]:
        lock_persons(db, hid, rid)  # the caps and who may hold whom: checked and bound under the locks
        hrow = row_of(db, hid)
        hf, rf = facts(hrow), facts(row_of(db, rid))
        policy = led.policy(hf.region, int(now[:4]))
        active = [r[0] for r in db.all("SELECT relation FROM bindings WHERE holder_id = ? AND status = 'active'", (hid,))]
        already = is_bound(db, hid, rid)
        holder_is_member = db.one("SELECT 1 FROM bindings WHERE relative_id = ? AND status = 'active'", (hid,)) is not None
        relative_is_holder = db.one("SELECT 1 FROM bindings WHERE holder_id = ? AND status = 'active'", (rid,)) is not None
        rules.check_binding(hf, rf, rel, verified_by, policy, active, holder_is_member,
                            relative_is_holder, already, dt.date.fromisoformat(now[:10]))
        if hrow[7] is None:  # pledge_at: the first binding needs the 承诺书
            if not pledge_accepted:
                raise YibaoError("PLEDGE_REQUIRED")
            db.execute("UPDATE persons SET pledge_at = ? WHERE id = ?", (now, hid))
        bid = db.insert(
            "INSERT INTO bindings (holder_id, relative_id, relation, status, bound_at, verified_by, op_id)"
            " VALUES (?, ?, ?, 'active', ?, ?, ?)",
            (hid, rid, rel.value, now, verified_by, op_id),
        )
        return _response(db, bid)

    request = {"holder": hid, "relative": rid, "relation": rel.value, "verified_by": verified_by}
    response, replayed = led.write("family.bind", request, key, body, hid, time)
    return _result(led, response, replayed)


def unbind(led: Ledger, holder: str, relative: str, key: str | None = None, time: str | None = None) -> Binding:
    """End an active binding; the history row stays."""
    hid = resolve_id(led, holder)
    rid = resolve_id(led, relative)

    def body(db: Db, op_id: int, now: str) -> dict[str, Any]:
        lock_persons(db, hid, rid)
        row = db.one(ACTIVE_PAIR.replace("SELECT 1", "SELECT id"), (hid, rid))
        if row is None:
            raise YibaoError("NOT_BOUND")
        db.execute("UPDATE bindings SET status = 'ended', unbound_at = ?, ended_reason = 'unbound' WHERE id = ?",
                   (now, row[0]))
        return _response(db, int(row[0]))

    response, replayed = led.write("family.unbind", {"holder": hid, "relative": rid}, key, body, hid, time)
    return _result(led, response, replayed)


def _result(led: Ledger, response: dict[str, Any], replayed: bool) -> Binding:
    """The binding as the operation left it (stored in its response), also on a replay."""
    if "binding" in response:
        return Binding.from_json({**response["binding"], "replayed": replayed})
    # operations stored before the record was kept in the response
    bid = int(response["binding_id"])
    row = led.run(lambda: led.db.one(BINDING_SQL + " WHERE b.id = ?", (bid,)))
    return Binding.from_json({**binding_model(row).to_json(), "replayed": replayed})


def end_bindings_of_closed(led: Ledger, db: Db, op_id: int, now: str, pid: str) -> None:
    """A closed account shares nothing: every binding it holds ends, each recorded with its reason
    (in the closing transaction)."""
    ended = db.all(
        "UPDATE bindings SET status = 'ended', unbound_at = ?, ended_reason = 'account-closed'"
        " WHERE holder_id = ? AND status = 'active' RETURNING relative_id, relation", (now, pid)
    )
    for relative, relation in ended:
        detail = {"op": op_id, "relative": relative, "relation": relation, "reason": "account-closed"}
        led.record(db, now, "family.ended", pid, json.dumps(detail, ensure_ascii=False, sort_keys=True))
