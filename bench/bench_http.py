"""HTTP benchmark: balance lookups/s against a trivial endpoint on the same stack, and durable
premium payments/s, over loopback against ``yibao serve`` running in its own process.

    .venv/bin/python bench/bench_http.py [--clients 1,16] [--seconds 5] [--employees 100]

The clients are a minimal HTTP/1.1 keep-alive client on asyncio streams (one connection per
client) so that the client side costs little next to the server. The trivial endpoint is
``GET /v1/ping``: the same uvicorn + Starlette + bearer-token path, no backend. Every figure is
measured in the same run; the ratio is what the target (≥ 0.5) applies to.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from yibao_tui.backend.base import Actor  # noqa: E402
from yibao_tui.backend.local import LocalBackend  # noqa: E402
from yibao_tui.domain.idnum import make_id  # noqa: E402
from yibao_tui.ledger.store import Ledger  # noqa: E402
from yibao_tui.server.auth import TokenStore  # noqa: E402

REGION = "110000"
COUNTY = "110101"


class Conn:
    """One keep-alive HTTP/1.1 connection."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str, token: str) -> None:
        self.reader, self.writer = reader, writer
        self.head = f"Host: {host}\r\nAuthorization: Bearer {token}\r\n"

    @classmethod
    async def open(cls, host: str, port: int, token: str) -> Conn:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer, f"{host}:{port}", token)

    async def request(self, method: str, path: str, body: bytes = b"", key: str | None = None) -> tuple[int, bytes]:
        extra = f"Idempotency-Key: {key}\r\n" if key else ""
        if method == "POST":
            extra += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        self.writer.write(f"{method} {path} HTTP/1.1\r\n{self.head}{extra}\r\n".encode() + body)
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


@dataclass
class Result:
    name: str
    clients: int
    count: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.count / self.seconds

    def pct(self, p: float) -> float:
        xs = sorted(self.latencies)
        return xs[min(len(xs) - 1, int(p * len(xs)))] * 1000

    def line(self) -> str:
        return (f"| {self.name} | {self.clients} | {self.rate:,.0f}/s | {self.pct(0.50):.2f} ms | "
                f"{self.pct(0.99):.2f} ms | {self.count:,} |")


async def run_phase(name: str, host: str, port: int, token: str, clients: int, seconds: float,
                    make: object) -> Result:
    conns = [await Conn.open(host, port, token) for _ in range(clients)]
    latencies: list[float] = []
    stop = time.perf_counter() + seconds
    errors = 0

    async def worker(i: int, conn: Conn) -> None:
        nonlocal errors
        n = 0
        while time.perf_counter() < stop:
            method, path, body, key = make(i, n)  # type: ignore[operator]
            t0 = time.perf_counter()
            status, _ = await conn.request(method, path, body, key)
            latencies.append(time.perf_counter() - t0)
            if status != 200:
                errors += 1
            n += 1

    t0 = time.perf_counter()
    await asyncio.gather(*(worker(i, c) for i, c in enumerate(conns)))
    elapsed = time.perf_counter() - t0
    for c in conns:
        c.close()
    if errors:
        raise SystemExit(f"{name}: {errors} requests failed")
    return Result(name, clients, len(latencies), elapsed, latencies)


async def run_payments(host: str, port: int, token: str, clients: int, pairs: list[tuple[str, str, int]]) -> Result:
    conns = [await Conn.open(host, port, token) for _ in range(clients)]
    queue = list(pairs)
    latencies: list[float] = []

    async def worker(conn: Conn) -> None:
        while queue:
            payer, relative, year = queue.pop()
            body = json.dumps({"relative": relative, "year": year}).encode()
            t0 = time.perf_counter()
            status, text = await conn.request("POST", f"/v1/persons/{payer}/premium-payments", body,
                                              key=str(uuid.uuid4()))
            latencies.append(time.perf_counter() - t0)
            if status != 200:
                raise SystemExit(f"payment failed: {status} {text[:200]!r}")

    t0 = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in conns))
    elapsed = time.perf_counter() - t0
    for c in conns:
        c.close()
    return Result("premium payment over HTTP (durable)", clients, len(latencies), elapsed, latencies)


async def build_ledger(db: Path, employees: int) -> tuple[list[str], list[tuple[str, str]]]:
    """Employees each binding six resident children (a premium for each open year)."""
    backend = LocalBackend(db, actor=Actor("cli", "bench"))
    await backend.init()
    rows: list[dict[str, str]] = []
    holders: list[str] = []
    pairs: list[tuple[str, str]] = []
    for i in range(employees):
        holder = make_id(COUNTY, dt.date(1965 + i % 10, 1 + i % 12, 1 + i % 28), i)
        holders.append(holder)
        rows.append({"id": holder, "name": f"职工{i}", "scheme": "employee", "region": REGION,
                     "card": "", "opening_balance": "100000", "line": str(len(rows) + 2)})
        for j in range(6):
            child = make_id(COUNTY, dt.date(2000 + j, 1 + i % 12, 1 + i % 28), (i * 6 + j) % 1000)
            rows.append({"id": child, "name": f"居民{i}-{j}", "scheme": "resident", "region": REGION,
                         "card": "", "opening_balance": "", "line": str(len(rows) + 2)})
            pairs.append((holder, child))
    result = await backend.import_persons(rows)
    if result.errors:
        raise SystemExit(f"import failed: {result.errors[:3]}")
    for holder, child in pairs:
        await backend.bind(holder, child, "child")
    await backend.close()
    return holders, pairs


def premium_work(db: Path | str, holders: list[str], pairs: list[tuple[str, str]]) -> list[tuple[str, str, int]]:
    """Every (holder, child, year) to pay, shuffled: the years the sample policy
    (data/policy_sample.toml: sample figures) opens today, so the bench runs on any day."""
    ledger = Ledger(db)
    ledger.use_sample_policy()
    years = ledger.premium_years(holders[0]).open_years
    ledger.close()
    work = [(h, c, y) for h, c in pairs for y in years]
    random.Random(2).shuffle(work)
    return work


async def local_payments(db: Path, work: list[tuple[str, str, int]]) -> Result:
    """The same durable payment straight on LocalBackend, for scale."""
    backend = LocalBackend(db, actor=Actor("cli", "bench"))
    await backend.init()
    latencies: list[float] = []
    t0 = time.perf_counter()
    for payer, relative, year in work:
        t1 = time.perf_counter()
        await backend.premium_pay(payer, relative, year, key=str(uuid.uuid4()))
        latencies.append(time.perf_counter() - t1)
    elapsed = time.perf_counter() - t0
    await backend.close()
    return Result("premium payment, LocalBackend in-process", 1, len(work), elapsed, latencies)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(db: Path, port: int) -> subprocess.Popen[bytes]:
    code = ("import sys; from yibao_tui.server.cli_commands import serve; "
            f"sys.exit(serve({str(db)!r}, '127.0.0.1', {port}))")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stderr=subprocess.DEVNULL,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("server did not start")


async def main_async(args: argparse.Namespace) -> list[str]:
    tmp = Path(tempfile.mkdtemp(prefix="yibao-bench-http-"))
    db = tmp / "ledger.db"
    t0 = time.perf_counter()
    holders, pairs = await build_ledger(db, args.employees)
    print(f"ledger: {len(holders)} employees, {len(pairs)} bindings in {time.perf_counter() - t0:.1f} s",
          file=sys.stderr)
    work = premium_work(db, holders, pairs)
    local_work, work = work[: len(work) // 5], work[len(work) // 5:]
    local = await local_payments(db, local_work)
    store = TokenStore(str(db))
    token = store.create("admin", label="bench")
    store.close()
    port = free_port()
    proc = start_server(db, port)
    out: list[str] = []
    try:
        host = "127.0.0.1"
        rng = random.Random(1)

        def ping(i: int, n: int) -> tuple[str, str, bytes, None]:
            return "GET", "/v1/ping", b"", None

        def balance(i: int, n: int) -> tuple[str, str, bytes, None]:
            return "GET", f"/v1/persons/{rng.choice(holders)}/balance", b"", None

        await run_phase("warm-up", host, port, token, 4, 1.0, ping)
        await run_phase("warm-up", host, port, token, 4, 1.0, balance)
        rows: list[str] = []
        for clients in args.clients:
            # interleaved rounds, so that other load on the machine hits both sides alike
            slice_ = args.seconds / args.rounds
            p = Result("GET /v1/ping (trivial)", clients, 0, 0.0, [])
            b = Result("GET /v1/persons/{id}/balance", clients, 0, 0.0, [])
            for _ in range(args.rounds):
                for total, make in ((p, ping), (b, balance)):
                    r = await run_phase(total.name, host, port, token, clients, slice_, make)
                    total.count += r.count
                    total.seconds += r.seconds
                    total.latencies += r.latencies
            rows += [p.line(), b.line()]
            out.append(f"- {clients} client(s): balance / trivial = **{b.rate / p.rate:.2f}** "
                       f"({b.rate:,.0f}/s vs {p.rate:,.0f}/s)")
        half = len(work) // 2
        pay1 = await run_payments(host, port, token, 1, work[:half])
        payn = await run_payments(host, port, token, max(args.clients), work[half:])
        rows += [local.line(), pay1.line(), payn.line()]
        out.append(f"- durable premium payments: {pay1.rate:,.0f}/s over HTTP with 1 client, "
                   f"{payn.rate:,.0f}/s with {max(args.clients)}; in-process LocalBackend {local.rate:,.0f}/s "
                   f"(HTTP / local = {pay1.rate / local.rate:.2f})")
        table = ["| request | clients | rate | p50 | p99 | requests |", "|---|---:|---:|---:|---:|---:|", *rows]
        return table + [""] + out
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", default="1,16", type=lambda s: [int(x) for x in s.split(",")])
    ap.add_argument("--seconds", default=10.0, type=float, help="per endpoint and client count")
    ap.add_argument("--rounds", default=5, type=int, help="interleaved ping/balance rounds")
    ap.add_argument("--employees", default=100, type=int)
    args = ap.parse_args()
    lines = asyncio.run(main_async(args))
    print("\n".join(lines))
    print(f"\n(python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {time.strftime('%Y-%m-%d')})")


if __name__ == "__main__":
    main()
