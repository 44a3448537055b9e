"""Person find benchmark: a persons-only ledger of N people, then ``find_persons`` against the bare
indexed SQLite query underneath it, interleaved, medians.

    .venv/bin/python bench/bench_find.py                       # 1,000,000 persons
    .venv/bin/python bench/bench_find.py --persons 20000 --reps 500

Generation loads the persons table (``--loader executemany``, the default, one transaction per
20,000 rows; or ``--loader sqlite-utils``: ``Table.insert_all`` with the same batches) on the real
schema (``migrate()``), without ``name_key``: ``migrate()`` then fills the key (one ``UPDATE`` with the
Python normaliser registered as a SQL function) and the index comes from migration 2 — the same path
an old ledger takes when it is opened by this version.

Names follow a skewed distribution (36 surnames weighted like China's most common ones, given names of
one or two characters from a pool of 60), so some names have hundreds of namesakes and most a few.

Measured, each against the same SQL run bare on a connection with the ledger's pragmas:

(a) the read path, ``find_persons(..., audit=False)``: validation, normalisation, the page query
    (``LIMIT 21``) and the ``COUNT(*)`` of every match, vs the page query alone;
(b) the same with the count as part of the bare side too (page + count) — what the answer needs;
(c) ``find_persons`` with its audit write (``person.find``, synchronous=NORMAL), vs (a)'s bare query;
for a common name, a rare name, and a common name with ``born=YEAR``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sqlite3
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_ledger import pair  # noqa: E402
from yibao_tui.domain.idnum import make_id  # noqa: E402
from yibao_tui.ledger import staff  # noqa: E402
from yibao_tui.ledger.db import PERSON_NAME_INDEX, connect, migrate  # noqa: E402
from yibao_tui.ledger.store import Ledger  # noqa: E402

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华建国平刚桂兰玉萍红志文辉鹏飞斌宇浩凯健俊帆帅旭宁晨欣怡婷雪琳晶颖佳"
REGIONS = ["440300", "110000", "350200", "370900", "530100", "320100"]

PAGE_SQL = ("SELECT p.id, p.name, p.sex, p.birth_date, p.region, p.scheme, a.status"
            " FROM persons p LEFT JOIN accounts a ON a.person_id = p.id"
            " WHERE p.name_key = ?{born} ORDER BY p.birth_date, p.id LIMIT 21")
COUNT_SQL = "SELECT COUNT(*) FROM persons p WHERE p.name_key = ?{born}"


def _name(rng: random.Random, weights: list[float]) -> str:
    surname = rng.choices(SURNAMES, weights)[0]
    given = rng.choice(GIVEN) if rng.random() < 0.3 else rng.choice(GIVEN) + rng.choice(GIVEN)
    return surname + given


def generate(path: Path, persons: int, seed: int, loader: str = "executemany") -> dict:
    """Load ``persons`` resident persons, then let ``migrate()`` key and index them."""
    import itertools

    import sqlite_utils

    rng = random.Random(seed)
    weights = [1 / (k + 1) ** 0.8 for k in range(len(SURNAMES))]
    conn = connect(path)
    migrate(conn)
    conn.execute(f"DROP INDEX IF EXISTS {PERSON_NAME_INDEX}")  # as on a ledger from before the index
    conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    conn.execute("DELETE FROM meta WHERE key = 'schema_hash'")
    db = sqlite_utils.Database(conn, recursive_triggers=False, execute_plugins=False)
    conn.execute("PRAGMA synchronous = OFF")
    t0 = time.perf_counter()

    def rows():
        for i in range(persons):
            birth = make_birth(i)
            pid = make_id(REGIONS[i % len(REGIONS)], birth, i % 1000)
            yield {"id": pid, "name": _name(rng, weights), "scheme": "resident", "region": pid[:6], "card": None,
                   "birth_date": birth.isoformat(), "sex": "M" if int(pid[16]) % 2 else "F",
                   "created_at": "2026-01-01 09:00:00"}

    if loader == "sqlite-utils":
        db["persons"].insert_all(rows(), batch_size=20_000)
    else:
        it = rows()
        while batch := list(itertools.islice(it, 20_000)):
            conn.execute("BEGIN")
            conn.executemany("INSERT INTO persons (id, name, scheme, region, card, birth_date, sex, created_at)"
                             " VALUES (:id, :name, :scheme, :region, :card, :birth_date, :sex, :created_at)", batch)
            conn.execute("COMMIT")
    loaded = time.perf_counter() - t0
    conn.execute("PRAGMA synchronous = FULL")
    conn.close()
    t1 = time.perf_counter()
    conn = connect(path)
    migrate(conn)  # migration 2: name_key filled, index created
    migrated = time.perf_counter() - t1
    conn.close()
    return {"persons": persons, "loader": loader, "load_seconds": loaded, "load_rate": persons / loaded,
            "migrate_seconds": migrated}


def make_birth(i: int):
    import datetime as dt

    # 1,000 people (sequence numbers 0-999) per birth date; dates spread over 80 years, distinct
    # for every group of 1,000 (29 and 29,200 are coprime), so IDs are unique up to 29.2M persons
    return dt.date(1940, 1, 1) + dt.timedelta(days=(i // 1000) * 29 % (80 * 365))


def measure(path: Path, reps: int) -> dict:
    raw = connect(path)
    led = Ledger(path, channel="cli")
    common = raw.execute("SELECT name_key, COUNT(*) c FROM persons GROUP BY name_key ORDER BY c DESC LIMIT 1").fetchone()
    rare = raw.execute("SELECT name_key FROM persons GROUP BY name_key HAVING COUNT(*) = 2 LIMIT 1").fetchone()[0]
    born_year = int(raw.execute("SELECT birth_date FROM persons WHERE name_key = ? LIMIT 1", (common[0],)).fetchone()[0][:4])
    out: dict = {"common_name_matches": common[1], "rare_name_matches": 2,
                 "common_born_matches": raw.execute(
                     COUNT_SQL.format(born=" AND p.birth_date >= ? AND p.birth_date < ?"),
                     (common[0], f"{born_year}-01-01", f"{born_year + 1}-01-01")).fetchone()[0]}
    cases = {"common name": (common[0], None), "rare name": (rare, None), "common name, born=YEAR": (common[0], born_year)}
    for label, (key, year) in cases.items():
        born = " AND p.birth_date >= ? AND p.birth_date < ?" if year else ""
        args = (key, f"{year}-01-01", f"{year + 1}-01-01") if year else (key,)
        page_sql, count_sql = PAGE_SQL.format(born=born), COUNT_SQL.format(born=born)

        def bare_page(page_sql=page_sql, args=args) -> None:
            raw.execute(page_sql, args).fetchall()

        def bare_both(page_sql=page_sql, count_sql=count_sql, args=args) -> None:
            raw.execute(page_sql, args).fetchall()
            raw.execute(count_sql, args).fetchone()

        def find(key=key, year=year) -> None:
            staff.find_persons(led, key, born=year, audit=False)

        def find_audited(key=key, year=year) -> None:
            staff.find_persons(led, key, born=year)

        out[f"find read path vs bare page query — {label}"] = pair(find, bare_page, reps)
        out[f"find read path vs bare page + count — {label}"] = pair(find, bare_both, reps)
        out[f"find with its audit write vs bare page query — {label}"] = pair(find_audited, bare_page, max(50, reps // 5))
    out["_plan"] = [str(r) for r in raw.execute("EXPLAIN QUERY PLAN " + PAGE_SQL.format(born=""), (common[0],))]
    led.close()
    raw.close()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, default=1_000_000)
    ap.add_argument("--db", type=Path, default=Path("/tmp/bench/find.db"))
    ap.add_argument("--reps", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--loader", choices=["executemany", "sqlite-utils"], default="executemany")
    ap.add_argument("--measure-only", action="store_true")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    path: Path = args.db
    gen = None
    if not args.measure_only:
        for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            p.unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        gen = generate(path, args.persons, args.seed, args.loader)
        print(f"loaded {gen['persons']:,} persons ({gen['loader']}) in {gen['load_seconds']:.1f} s"
              f" ({gen['load_rate']:,.0f}/s); migrate (name keys + index) {gen['migrate_seconds']:.1f} s", flush=True)
    res = measure(path, args.reps)
    plan = res.pop("_plan")
    print(f"\n{'measurement':<78} {'find µs':>9} {'bare µs':>9} {'ratio':>7}")
    for name, r in res.items():
        if isinstance(r, dict):
            print(f"{name:<78} {r['ledger_us']:>9,.1f} {r['raw_us']:>9,.1f} {r['ratio']:>6.2f}×")
        else:
            print(f"{name:<78} {r:>9,}")
    print(f"plan: {plan}")
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()},"
          f" SQLite {sqlite3.sqlite_version}; medians of interleaved runs")
    if args.json:
        args.json.write_text(json.dumps({"generation": gen, "measurements": res, "plan": plan}, indent=2,
                                        ensure_ascii=False))
    if not args.keep:
        for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            p.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
