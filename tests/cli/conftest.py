"""The CLI tests' ledger fixture (``db``), shared by every file in this folder."""

from tests.cli.test_cli import db  # noqa: F401
