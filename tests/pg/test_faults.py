"""The server on PostgreSQL when the database goes away: a dropped connection is opened again,
a database that cannot be reached is ``503 DATABASE_UNAVAILABLE`` with ``Retry-After`` (never a
traceback), and the same server answers again once it is back. The database is reached through a
TCP proxy the test cuts and restores: a real network fault, nothing of ours mocked."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import psycopg
import pytest

from tests.http.conftest import LiveServer
from tests.pgkit import with_schema
from yibao_tui.ledger.store import Ledger

PERSON = "110101198005170011"
YIBAO = str(Path(sys.executable).with_name("yibao"))


class Proxy:
    """127.0.0.1:port → the cluster's TCP port; ``cut()`` drops every connection and refuses new
    ones, ``restore()`` lets them through again."""

    def __init__(self, target_port: int) -> None:
        self.target = ("127.0.0.1", target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.open = True
        self.socks: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.open:
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.socks += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self) -> None:
        self.open = False
        with self.lock:
            socks, self.socks = self.socks, []
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def restore(self) -> None:
        self.open = True

    def close(self) -> None:
        self.cut()
        self.listener.close()


@pytest.fixture
def proxied_url(pg_url: str) -> Iterator[tuple[str, Proxy]]:
    """The test's schema, reached through a ``Proxy`` to the cluster's 127.0.0.1 port."""
    query = parse_qs(urlsplit(pg_url).query)
    proxy = Proxy(int(query["port"][0]))
    schema = query["options"][0].removeprefix("-csearch_path=")
    try:
        yield with_schema(f"postgresql://postgres@127.0.0.1:{proxy.port}/postgres?connect_timeout=3", schema), proxy
    finally:
        proxy.close()


@contextmanager
def served(url: str) -> Iterator[httpx.Client]:
    """A server on ``url`` with one person (¥100 on her account), and an admin's client to it."""
    server = LiveServer(url).start()
    try:
        token = server.token("admin", label="faults")
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=server.url, headers=headers, timeout=30) as c:
            r = c.post("/v1/persons", json={"id": PERSON, "name": "张伟", "scheme": "employee",
                                            "region": "110000", "opening_balance_fen": 10_000},
                       headers={"Idempotency-Key": "p1"})
            assert r.status_code == 200, r.text
            yield c
    finally:
        server.stop()


def test_database_down_is_503_then_the_server_answers_again(proxied_url: tuple[str, Proxy]) -> None:
    url, proxy = proxied_url
    with served(url) as c:
        proxy.cut()
        for path in (f"/v1/persons/{PERSON}/balance", f"/v1/persons/{PERSON}"):
            r = c.get(path)
            assert r.status_code == 503, r.text
            assert r.json()["error"]["code"] == "DATABASE_UNAVAILABLE"
            assert int(r.headers["Retry-After"]) >= 1
            assert "Traceback" not in r.text and "127.0.0.1" not in r.text
        r = c.post(f"/v1/persons/{PERSON}/credits", json={"amount_fen": 500, "memo": "x"},
                   headers={"Idempotency-Key": "c1"})
        assert r.status_code == 503 and r.json()["error"]["code"] == "DATABASE_UNAVAILABLE", r.text
        proxy.restore()
        r = c.get(f"/v1/persons/{PERSON}/balance")
        assert r.status_code == 200 and r.json()["balance_fen"] == 10_000, r.text
        # the refused write is retried with its key and lands once
        for _ in range(2):
            r = c.post(f"/v1/persons/{PERSON}/credits", json={"amount_fen": 500, "memo": "x"},
                       headers={"Idempotency-Key": "c1"})
            assert r.status_code == 200, r.text
        assert c.get(f"/v1/persons/{PERSON}/balance").json()["balance_fen"] == 10_500


def test_a_dropped_connection_is_opened_again(pg_url: str) -> None:
    """The database ends the server's sessions (a restart, a failover, an admin): the next
    requests are answered, none of them with an error."""
    with served(pg_url) as c:
        with psycopg.connect(pg_url, autocommit=True) as admin:
            ended = admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE pid <> pg_backend_pid()"
                " AND application_name = 'yibao' AND datname = current_database()").fetchone()
        assert ended is not None and ended[0] >= 1
        r = c.get(f"/v1/persons/{PERSON}/balance")
        assert r.status_code == 200 and r.json()["balance_fen"] == 10_000, r.text
        r = c.post(f"/v1/persons/{PERSON}/credits", json={"amount_fen": 500, "memo": "x"},
                   headers={"Idempotency-Key": "c1"})
        assert r.status_code == 200, r.text


def test_a_worker_starting_while_the_database_is_away_waits_for_it(
        proxied_url: tuple[str, Proxy]) -> None:
    """``serve --workers 2`` whose database goes away while its workers start (as when one is
    started again during a restart of the database): they wait for it and then serve, where
    uvicorn used to stop the whole server because a worker failed to start."""
    url, proxy = proxied_url
    Ledger(url).close()  # made, so that `serve` finds a ledger before its workers start
    p = subprocess.Popen([YIBAO, "--db", url, "serve", "--port", "0", "--workers", "2"],
                         stderr=subprocess.PIPE, text=True, env={**os.environ, "YIBAO_LANG": "en"})
    try:
        assert p.stderr is not None
        line = p.stderr.readline()
        m = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        assert m, line
        proxy.cut()  # the workers are still starting (a new interpreter each)
        time.sleep(3)
        assert p.poll() is None, p.stderr.read()
        proxy.restore()
        with httpx.Client(base_url=f"http://127.0.0.1:{m.group(1)}", timeout=90) as c:
            r = c.get(f"/v1/persons/{PERSON}/balance")
        assert r.status_code == 401, r.text  # answered (no token: the tables are there)
        assert p.poll() is None
    finally:
        p.terminate()
        p.wait(timeout=30)
