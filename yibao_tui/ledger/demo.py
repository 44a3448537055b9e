"""Deterministic demo data: valid IDs, families, bindings, two years and more of history.

A demo ledger loads the sample site policy (``data/policy_sample.toml``), so that the demo is
usable on any date."""

from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING, Any

from yibao_tui.domain.errors import Msg, YibaoError
from yibao_tui.domain.idnum import make_id

if TYPE_CHECKING:
    from yibao_tui.ledger.store import Ledger

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟",
         "涛", "明", "超", "秀兰", "霞", "平", "刚", "桂英", "建华", "文", "玉兰", "子涵", "欣怡", "浩然", "一诺"]
REGIONS = ["440300", "110000", "350200", "370900", "530100", "320100"]
MONTHS = 26


def _name(rng: random.Random, surname: str | None = None) -> str:
    return (surname or rng.choice(SURNAMES)) + rng.choice(GIVEN)


def _at(day: dt.date, hour: int, minute: int) -> str:
    return f"{day.isoformat()} {hour:02d}:{minute:02d}:00"


def generate(ledger: Ledger, persons: int = 20, seed: int = 1) -> dict[str, Any]:
    """Fill an empty ledger. Returns ``{persons, entries, owner}``."""
    if persons < 1 or persons > 100_000:
        raise YibaoError("INVALID_ARGUMENT", detail=f"--persons {persons}")
    if not ledger.is_empty():
        raise YibaoError("INVALID_ARGUMENT", detail=Msg("detail.ledger_not_empty"))
    rng = random.Random(seed)
    # the sample site policy (data/policy_sample.toml: sample figures, not an official
    # standard): its collection windows keep some contribution year open on any date
    ledger.use_sample_policy()
    today = ledger.today()
    first = dt.date(today.year, today.month, 1)
    for _ in range(MONTHS):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    start = first
    db = ledger.db
    with db.dialect.bulk(db):  # demo data only: durability off while it loads
        return _fill(ledger, rng, persons, start, today)


def _fill(ledger: Ledger, rng: random.Random, n: int, start: dt.date, today: dt.date) -> dict[str, Any]:
    seq = 0
    families: list[dict[str, Any]] = []
    people: list[tuple[str, str, str, str, str]] = []  # id, name, scheme, region, card

    def new_person(region: str, birth: dt.date, male: bool, scheme: str, surname: str | None) -> str:
        nonlocal seq
        seq += 1
        s = (seq * 2 + (1 if male else 0)) % 1000
        pid = make_id(region, birth, s)
        people.append((pid, _name(rng, surname), scheme, region, f"{region[:2]}{seq:07d}"))
        return pid

    while len(people) < n:
        region = REGIONS[len(families) % len(REGIONS)]
        surname = rng.choice(SURNAMES)
        hb = dt.date(rng.randint(1972, 1992), rng.randint(1, 12), rng.randint(1, 28))
        fam: dict[str, Any] = {"holder": new_person(region, hb, rng.random() < 0.5, "employee", surname), "members": []}
        plan = [
            ("spouse", dt.date(hb.year + rng.randint(-3, 3), rng.randint(1, 12), rng.randint(1, 28)),
             "employee" if rng.random() < 0.5 else "resident", None),
            ("child", dt.date(min(hb.year + rng.randint(24, 32), today.year - 1), rng.randint(1, 12), rng.randint(1, 28)),
             "resident", surname),
            ("parent", dt.date(hb.year - rng.randint(24, 32), rng.randint(1, 12), rng.randint(1, 28)), "resident", surname),
        ]
        for relation, birth, scheme, sur in plan:
            if len(people) >= n:
                break
            fam["members"].append((relation, new_person(region, birth, rng.random() < 0.5, scheme, sur), scheme))
        families.append(fam)

    t0 = _at(start, 9, 0)
    for pid, name, scheme, region, card in people:
        opening = rng.randint(50_000, 400_000) if scheme == "employee" else 0
        ledger.add_person(pid, name, scheme, region, card, opening, time=t0)
    events: list[tuple[str, int, Any]] = []
    k = 0

    def at(day: dt.date, h: int, m: int, fn: Any) -> None:
        nonlocal k
        k += 1
        events.append((_at(day, h, m), k, fn))

    bind_day = start + dt.timedelta(days=3)
    for fam in families:
        for relation, rid, _ in fam["members"]:
            at(bind_day, 10, 0, lambda h=fam["holder"], r=rid, rel=relation, t=None: ("bind", h, r, rel))
    employees = [p for p in people if p[2] == "employee"]
    month = start
    while month <= today:
        for pid, *_ in employees:
            day5 = month.replace(day=5)
            if day5 <= today:
                at(day5, 8, 0, ("credit", pid, rng.randint(15_000, 60_000)))
        for pid, _, scheme, _, _ in people:
            for _ in range(rng.choice([0, 1, 1, 2] if scheme == "employee" else [0, 0, 0, 1])):
                day = month.replace(day=rng.randint(6, 28))
                if day > today:
                    continue
                kind = rng.choice(["outpatient", "pharmacy", "pharmacy", "outpatient"] * 12 + ["inpatient"])
                amount = rng.randint(1_500, 18_000) if kind != "inpatient" else rng.randint(40_000, 150_000)
                at(day, rng.randint(9, 17), rng.randint(0, 59), ("spend", pid, amount, kind))
        month = (month + dt.timedelta(days=32)).replace(day=1)
    for fam in families:
        for _, rid, scheme in fam["members"]:
            if scheme == "resident":
                # the years whose window has closed (the sample's ends with the year): the years
                # open today are left to pay, so the demo always has a premium to try
                for year in range(today.year - 2, today.year):
                    pay_day = dt.date(year - 1, 11, 20)
                    if start < pay_day <= today:
                        at(pay_day, 14, 30, ("premium", fam["holder"], rid, year))
    events.sort(key=lambda e: (e[0], e[1]))
    for time, _, ev in events:
        if callable(ev):
            ev = ev()
        try:
            if ev[0] == "bind":
                ledger.bind(ev[1], ev[2], ev[3], "counter", True, time=time)
            elif ev[0] == "credit":
                ledger.credit(ev[1], ev[2], "", time=time)
            elif ev[0] == "spend":
                ledger.spend(ev[1], ev[2], ev[3], time=time)
            elif ev[0] == "premium":
                ledger.premium_pay(ev[1], ev[2], ev[3], time=time)
        except YibaoError:
            continue  # e.g. a relative's bill with nobody able to pay: paid in cash, not recorded
    owner = families[0]["holder"]
    db = ledger.db
    with db.transaction():
        db.execute("INSERT INTO meta (key, value) VALUES ('demo_owner', ?)"
                   " ON CONFLICT (key) DO UPDATE SET value = excluded.value", (owner,))
    entries = db.one("SELECT COUNT(*) FROM entries")[0]
    return {"persons": len(people), "entries": int(entries), "owner": owner}
