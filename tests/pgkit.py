"""The PostgreSQL the tests use: the throwaway cluster ``.ci/pg start`` runs (its URL in
``$YIBAO_TEST_PG_URL``, or in ``$YIBAO_PG_DIR/url``). Without one a developer's run skips the
PostgreSQL tests with one reason; CI sets ``YIBAO_REQUIRE_PG=1`` and then a missing cluster
fails them loudly.

Each test gets a fresh schema of its own (``CREATE SCHEMA``, about 2 ms; a database from a
template costs about 80 ms), named in its URL's ``options=-csearch_path=…`` so that every
connection made from that URL, in any process, sees that schema alone; it is dropped when the
test ends."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest

SETUP = 'eval "$(.ci/pg start)"  (initdb in a temp folder, starts a throwaway cluster)'


def base_url() -> str:
    """The cluster's URL, or ``""``."""
    url = os.environ.get("YIBAO_TEST_PG_URL", "")
    if not url and os.environ.get("YIBAO_PG_DIR"):
        f = Path(os.environ["YIBAO_PG_DIR"]) / "url"
        url = f.read_text().strip() if f.is_file() else ""
    return url


def why_no_pg() -> str:
    """Why the PostgreSQL tests cannot run, or ``""``."""
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed (pip install -e '.[postgres]')"
    url = base_url()
    if not url:
        return f"no PostgreSQL for the tests ($YIBAO_TEST_PG_URL unset); run {SETUP}"
    try:
        psycopg.connect(url, connect_timeout=5).close()
    except psycopg.Error as e:
        return f"PostgreSQL at $YIBAO_TEST_PG_URL does not answer ({str(e).strip()[:200]}); run {SETUP}"
    return ""


_checked: list[str] = []


def require_pg() -> str:
    """The cluster's URL; skip (developer) or fail (CI: ``YIBAO_REQUIRE_PG=1``) without one."""
    if not _checked:
        _checked.append(why_no_pg())
    reason = _checked[0]
    if reason:
        if os.environ.get("YIBAO_REQUIRE_PG") == "1":
            pytest.fail(f"YIBAO_REQUIRE_PG=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    return base_url()


def with_schema(url: str, schema: str) -> str:
    """``url`` with ``schema`` as every connection's ``search_path``."""
    opt = quote(f"-csearch_path={schema}", safe="")
    return f"{url}{'&' if '?' in url else '?'}options={opt}"


@contextmanager
def fresh_schema() -> Iterator[str]:
    """A URL whose connections see one new, empty schema; dropped afterwards."""
    import psycopg

    url = require_pg()
    schema = f"t_{secrets.token_hex(6)}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield with_schema(url, schema)
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            # a connection a test left idle in a transaction would hold the drop up: give up on
            # it after a while (the cluster is thrown away with its leftovers)
            conn.execute("SET lock_timeout = '10s'")
            try:
                conn.execute(f"DROP SCHEMA {schema} CASCADE")
            except psycopg.errors.LockNotAvailable:
                pass


def admin_headers(url: str, label: str) -> dict[str, str]:
    """The ``Authorization`` header of a new admin token on the ledger at ``url``."""
    from yibao_tui.server.auth import TokenStore

    tokens = TokenStore(url)
    try:
        return {"Authorization": f"Bearer {tokens.create('admin', label=label)}"}
    finally:
        tokens.close()
