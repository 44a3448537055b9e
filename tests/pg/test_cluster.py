"""The tests' PostgreSQL cluster: durable, and one fresh schema per test."""

from __future__ import annotations

import psycopg


def test_the_cluster_is_durable(pg_url: str) -> None:
    """fsync and synchronous commit on: a commit the tests see is on disk."""
    with psycopg.connect(pg_url) as conn:
        settings = dict(conn.execute(
            "SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit',"
            " 'full_page_writes', 'server_encoding', 'lc_collate')"
        ).fetchall())
    assert settings == {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on",
                        "server_encoding": "UTF8", "lc_collate": "C"}


def test_each_test_has_a_schema_of_its_own(pg_url: str) -> None:
    """Every connection from the URL lands in the test's empty schema, and writes there."""
    with psycopg.connect(pg_url) as a, psycopg.connect(pg_url) as b:
        schema = a.execute("SELECT current_schema()").fetchone()
        assert schema is not None and schema[0].startswith("t_")
        assert b.execute("SELECT current_schema()").fetchone() == schema
        assert a.execute("SELECT count(*) FROM pg_tables WHERE schemaname = %s", schema).fetchone() == (0,)
        a.execute("CREATE TABLE t (x int)")
        a.commit()
        assert b.execute("SELECT count(*) FROM t").fetchone() == (0,)
