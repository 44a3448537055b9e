"""``python -m yibao_tui``."""

from yibao_tui.cli import run

run()
