"""PostgreSQL against SQLite over HTTP: durable premium payments/s and balance lookups/s for SQLite
with one server process and PostgreSQL with 1, 2 and 4 (``yibao serve --workers N``), at 16 and
64 clients, beside the floors: each engine's bare durable one-row transaction (``pgbench -N`` for
PostgreSQL; ``BEGIN IMMEDIATE; INSERT; COMMIT`` with ``synchronous=FULL`` for SQLite) and the
trivial endpoint (``GET /v1/ping``).

    eval "$(.ci/pg start)"      # or --pg-url URL (each setup gets a schema of its own there)
    .venv/bin/python bench/bench_pg.py [--clients 16,64] [--seconds 4] [--employees 300]

Every setup is measured in one run, its lookups interleaved with the trivial endpoint. Not a
test: nothing asserts a time. The figures go to BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_http import Result, build_ledger, premium_work, run_payments, run_phase  # noqa: E402

from yibao_tui.server.auth import TokenStore  # noqa: E402

YIBAO = str(Path(sys.executable).with_name("yibao"))


def new_schema(url: str) -> str:
    """A fresh schema on the cluster at ``url``; the URL whose connections see it alone."""
    import psycopg

    schema = f"bench_{secrets.token_hex(4)}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options={quote(f'-csearch_path={schema}', safe='')}"


def start(db: str, workers: int) -> tuple[subprocess.Popen[str], int]:
    p = subprocess.Popen([YIBAO, "--db", db, "serve", "--port", "0", "--workers", str(workers)],
                         stderr=subprocess.PIPE, text=True, env={**os.environ, "YIBAO_LANG": "en"})
    assert p.stderr is not None
    line = p.stderr.readline()
    m = re.search(r"http://127\.0\.0\.1:(\d+)", line)
    if not m:
        p.kill()
        raise SystemExit(f"server did not start: {line}")
    log = open(os.environ.get("BENCH_SERVER_LOG", os.devnull), "a")  # noqa: SIM115 - for the process's life
    threading.Thread(target=lambda: [log.write(x) or log.flush() for x in p.stderr], daemon=True).start()
    time.sleep(1.0 + 0.5 * workers)  # the workers open the ledger
    return p, int(m.group(1))


def stop(p: subprocess.Popen[str]) -> None:
    p.terminate()
    try:
        p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()


def sqlite_floor(path: Path, clients: int, seconds: float) -> float:
    """Bare durable one-row transactions/s on a SQLite file (WAL, FULL), ``clients`` threads."""
    setup = sqlite3.connect(path)
    setup.execute("PRAGMA journal_mode = WAL")
    setup.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v INTEGER)")
    setup.close()
    done = [0] * clients
    stop_at = time.perf_counter() + seconds

    def work(i: int) -> None:
        c = sqlite3.connect(path, timeout=30, isolation_level=None)
        c.execute("PRAGMA synchronous = FULL")
        while time.perf_counter() < stop_at:
            c.execute("BEGIN IMMEDIATE")
            c.execute("INSERT INTO t (v) VALUES (?)", (i,))
            c.execute("COMMIT")
            done[i] += 1
        c.close()

    t0 = time.perf_counter()
    threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / (time.perf_counter() - t0)


def pgbench_floor(url: str, clients: int, seconds: float) -> float:
    """``pgbench -N`` (the simple-update script without the hot branch/teller rows: one
    durable transaction of three writes) transactions/s, ``clients`` connections."""
    bindir = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True).stdout.strip()
    pgbench = shutil.which("pgbench") or str(Path(bindir) / "pgbench")
    q = parse_qs(urlsplit(url).query)
    env = {**os.environ, "PGOPTIONS": q.get("options", [""])[0]}
    base = url.split("&options=")[0].split("?options=")[0]
    subprocess.run([pgbench, "-i", "-q", "-s", "1", base], check=True, env=env, capture_output=True)
    out = subprocess.run([pgbench, "-N", "-c", str(clients), "-j", "2", "-T", str(int(seconds)), base],
                         check=True, env=env, capture_output=True, text=True).stdout
    m = re.search(r"tps = ([0-9.]+)", out)
    return float(m.group(1)) if m else 0.0


async def measure(db: str, workers: int, clients: list[int], seconds: float, rounds: int,
                  holders: list[str], work: list[tuple[str, str, int]], token: str) -> list[Result]:
    p, port = start(db, workers)
    host = "127.0.0.1"
    rng = random.Random(1)
    out: list[Result] = []
    try:
        def ping(i: int, n: int) -> tuple[str, str, bytes, None]:
            return "GET", "/v1/ping", b"", None

        def balance(i: int, n: int) -> tuple[str, str, bytes, None]:
            return "GET", f"/v1/persons/{rng.choice(holders)}/balance", b"", None

        await run_phase("warm-up", host, port, token, 8, 1.0, balance)
        share = len(work) // len(clients)
        for k, c in enumerate(clients):
            pr = Result("GET /v1/ping (trivial)", c, 0, 0.0, [])
            br = Result("GET /v1/persons/{id}/balance", c, 0, 0.0, [])
            for _ in range(rounds):
                for total, make in ((pr, ping), (br, balance)):
                    r = await run_phase(total.name, host, port, token, c, seconds / rounds, make)
                    total.count += r.count
                    total.seconds += r.seconds
                    total.latencies += r.latencies
            pay = await run_payments(host, port, token, c, work[k * share:(k + 1) * share])
            out += [pr, br, pay]
    finally:
        stop(p)
    return out


async def main_async(args: argparse.Namespace) -> list[str]:
    tmp = Path(tempfile.mkdtemp(prefix="yibao-bench-pg-"))
    setups: list[tuple[str, str, int]] = [("SQLite", str(tmp / "ledger.db"), 1)]
    setups += [("PostgreSQL", new_schema(args.pg_url), n) for n in args.processes]
    rows: list[str] = []
    notes: list[str] = []
    floors = {c: (sqlite_floor(tmp / "floor.db", c, args.seconds),
                  pgbench_floor(new_schema(args.pg_url), c, args.seconds)) for c in args.clients}
    for engine, db, workers in setups:
        t0 = time.perf_counter()
        holders, pairs = await build_ledger(db, args.employees)  # type: ignore[arg-type]
        print(f"{engine} x{workers}: ledger of {len(holders)} employees in {time.perf_counter() - t0:.1f} s",
              file=sys.stderr)
        store = TokenStore(db)
        token = store.create("admin", label="bench")
        store.close()
        work = premium_work(db, holders, pairs)
        results = await measure(db, workers, args.clients, args.seconds, args.rounds, holders, work, token)
        for r in results:
            rows.append(f"| {engine} | {workers} | {r.name} | {r.clients} | {r.rate:,.0f}/s | {r.pct(0.5):.2f} ms"
                        f" | {r.pct(0.99):.2f} ms |")
        for i, c in enumerate(args.clients):
            ping_r, bal_r, pay_r = results[3 * i:3 * i + 3]
            floor = floors[c][0 if engine == "SQLite" else 1]
            notes.append(f"- {engine}, {workers} process(es), {c} clients: payments {pay_r.rate:,.0f}/s, "
                         f"balance {bal_r.rate:,.0f}/s (ping {ping_r.rate:,.0f}/s); bare durable transaction "
                         f"{floor:,.0f}/s → a payment costs **{floor / pay_r.rate:.2f}×** the bare transaction")
    head = ["| engine | processes | request | clients | rate | p50 | p99 |", "|---|---:|---|---:|---:|---:|---:|"]
    floor_lines = [f"- floor, {c} clients: SQLite bare durable transaction {s:,.0f}/s; PostgreSQL `pgbench -N` "
                   f"{p:,.0f} tps" for c, (s, p) in floors.items()]
    return head + rows + [""] + floor_lines + notes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", default="16,64", type=lambda s: [int(x) for x in s.split(",")])
    ap.add_argument("--processes", default="1,2,4", type=lambda s: [int(x) for x in s.split(",")])
    ap.add_argument("--seconds", default=4.0, type=float, help="lookups per client count and setup")
    ap.add_argument("--rounds", default=2, type=int, help="interleaved ping/balance rounds")
    ap.add_argument("--employees", default=300, type=int, help="each binds six children: 12 payments each")
    ap.add_argument("--pg-url", default=os.environ.get("YIBAO_TEST_PG_URL", ""))
    args = ap.parse_args()
    if not args.pg_url:
        raise SystemExit('no PostgreSQL: eval "$(.ci/pg start)" or --pg-url URL')
    print("\n".join(asyncio.run(main_async(args))))
    print(f"\n(python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {time.strftime('%Y-%m-%d')})")


if __name__ == "__main__":
    main()
