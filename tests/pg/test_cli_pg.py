"""Every command on PostgreSQL through ``--db URL`` or ``$YIBAO_DB``; a database that cannot be
reached is ``DATABASE_UNAVAILABLE``, in one line that never shows the URL's password."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

YIBAO = str(Path(sys.executable).with_name("yibao"))


def yibao(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([YIBAO, *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "YIBAO_LANG": "en", **(env or {})})


def test_commands_on_postgresql_by_option_and_by_environment(pg_url: str) -> None:
    r = yibao("--db", pg_url, "balance", "440300199002090038")
    assert r.returncode == 1 and "No ledger at" in r.stderr and "options" not in r.stderr, r.stderr
    assert yibao("--db", pg_url, "demo").returncode == 0
    r = yibao("--json", "balance", "440300199002090038", env={"YIBAO_DB": pg_url})
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["id"] == "440300199002090038"
    r = yibao("--json", "verify", env={"YIBAO_DB": pg_url})
    assert r.returncode == 0 and json.loads(r.stdout)["ok"], r.stdout
    r = yibao("--db", pg_url, "token", "create", "--role", "admin")
    assert r.returncode == 0 and r.stdout.startswith("yb_"), r.stderr


def test_an_unreachable_database_is_one_line_without_the_password() -> None:
    url = "postgresql://clerk:s3cret-pw@127.0.0.1:1/ledger?connect_timeout=3"
    for args in (["--db", url, "balance", "440300199002090038"], ["--db", url, "serve", "--port", "0"]):
        r = yibao(*args)
        assert r.returncode == 1, (args, r.stderr)
        assert "Traceback" not in r.stderr and "s3cret" not in r.stderr + r.stdout, r.stderr
        assert "Cannot open the ledger" in r.stderr, r.stderr
    r = yibao("--db", url, "serve", "--workers", "0")
    assert r.returncode == 2 and "--workers" in r.stderr
