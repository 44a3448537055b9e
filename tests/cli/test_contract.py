"""Issue 10 items 4-8: the command-line contract as a script's author relies on it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.test_cli import ROOT, H, _piped, run
from tests.conftest import pid
from yibao_tui.cli import main

# ------------------------------------------------------------------ item 4: replays


def _roster(tmp_path: Path, n: int = 3, name: str = "roster.csv") -> Path:
    lines = ["id,name,scheme,region,card,opening_balance"]
    lines += [f"{pid('440300', '1970-01-01', 100 + i)},员工{i},employee,440300,R{i:07d},12.50" for i in range(n)]
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_import_with_a_key_replays_on_the_local_ledger(capsys, db, tmp_path):
    roster = _roster(tmp_path)
    code, first = run(capsys, "--db", db, "import", "persons", str(roster), "--key", "roster-1")
    assert (code, first["imported"], first["replayed"]) == (0, 3, False)
    code, again = run(capsys, "--db", db, "import", "persons", str(roster), "--key", "roster-1")
    assert (code, again["imported"], again["replayed"]) == (0, 3, True)
    assert main(["--db", db, "import", "persons", str(roster), "--key", "roster-1"]) == 0
    assert "重复提交" in capsys.readouterr().out
    # the same key for another roster is a conflict; without a key the rows exist already
    other = _roster(tmp_path, 2, "other.csv")
    code, err = run(capsys, "--db", db, "import", "persons", str(other), "--key", "roster-1")
    assert (code, err["error"]["code"]) == (3, "IDEMPOTENCY_CONFLICT")
    code, err = run(capsys, "--db", db, "import", "persons", str(roster))
    assert (code, err["error"]["code"]) == (2, "INVALID_FILE")
    assert {r["code"] for r in err["error"]["rows"]} == {"PERSON_EXISTS"}
    assert run(capsys, "--db", db, "verify")[1]["ok"] is True


def test_person_add_replay_says_replayed(capsys, db):
    who = pid("440300", "1977-07-07", 71)
    argv = ("--db", db, "person", "add", who, "--name", "周六", "--scheme", "employee", "--region", "440300",
            "--opening-balance", "10", "--key", "p-71")
    code, first = run(capsys, *argv)
    assert (code, first["id"], first["replayed"]) == (0, who, False)
    code, again = run(capsys, *argv)
    assert (code, again["id"], again["replayed"]) == (0, who, True)
    assert run(capsys, "--db", db, "balance", who)[1]["balance_fen"] == 1_000


# ------------------------------------------------------------------ item 5: statement


def test_statement_refuses_an_unknown_kind_and_a_reversed_range(capsys, db):
    for kind in ("foo", "credit,foo"):
        code, err = run(capsys, "--db", db, "statement", H, "--kind", kind)
        assert (code, err["error"]["code"]) == (2, "INVALID_ARGUMENT") and "foo" in err["error"]["message"]
    code, err = run(capsys, "--db", db, "statement", H, "--from", "2027-01-01", "--to", "2026-01-01")
    assert (code, err["error"]["code"]) == (2, "INVALID_DATE")
    assert "2027-01-01" in err["error"]["message"] and "2026-01-01" in err["error"]["message"]
    code, same_day = run(capsys, "--db", db, "statement", H, "--from", "2026-11-22", "--to", "2026-11-22")
    assert code == 0 and same_day["total"] == len(same_day["entries"])


def test_statement_pages_with_next_cursor_and_total(capsys, db):
    for i in range(7):
        run(capsys, "--db", db, "credit", H, str(10 + i))
    code, whole = run(capsys, "--db", db, "statement", H)
    assert code == 0 and whole["total"] == 8 and whole["next_cursor"] is None
    pages, cursor = [], None
    while True:
        argv = ["--db", db, "statement", H, "--limit", "3"] + (["--cursor", cursor] if cursor else [])
        code, page = run(capsys, *argv)
        assert code == 0 and page["total"] == 8
        pages.append(page["entries"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [len(p) for p in pages] == [3, 3, 2]
    # each page oldest first; the pages go back in time; together every entry once
    assert [e for p in reversed(pages) for e in p] == whole["entries"]
    code, err = run(capsys, "--db", db, "statement", H, "--cursor", "garbage")
    assert (code, err["error"]["code"]) == (2, "INVALID_ARGUMENT")


def test_statement_table_keeps_a_gap_between_large_amounts(capsys, db):
    big = pid("440300", "1979-09-09", 91)
    assert main(["--db", db, "person", "add", big, "--name", "钱多", "--scheme", "employee", "--region", "440300",
                 "--opening-balance", "10000000"]) == 0
    assert main(["--db", db, "credit", big, "1634.50"]) == 0
    assert main(["--db", db, "statement", big, "--limit", "1"]) == 0
    capsys.readouterr()
    assert main(["--db", db, "statement", big]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "¥10,000,000.00  ¥10,000,000.00" in lines[1]
    assert "¥1,634.50  ¥10,001,634.50" in lines[2]
    assert all("0¥" not in line for line in lines)


# ------------------------------------------------------------------ item 6: refuse before a secret


def _on_a_terminal(argv: list[str], answers: list[str], env: dict[str, str] | None = None,
                   deadline: float = 20.0) -> tuple[int | None, str]:
    """Run ``python -m yibao_tui ARGV`` on a pseudo-terminal (its controlling terminal, as getpass
    wants), typing each answer once a prompt is waiting (getpass flushes what was typed before
    its prompt). Returns the exit
    code (None when it was still waiting at the deadline and was killed) and what it wrote."""
    import os
    import pty
    import select
    import signal
    import sys
    import time

    pid_, fd = pty.fork()
    if pid_ == 0:  # the child
        os.chdir(ROOT)
        os.execve(sys.executable, [sys.executable, "-m", "yibao_tui", *argv], {**os.environ, **(env or {})})
    seen = b""
    todo = list(answers)
    start = quiet_since = time.monotonic()
    code: int | None = None
    try:
        while time.monotonic() - start < deadline:
            ready, _, _ = select.select([fd], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:
                    chunk = b""
                if not chunk:
                    break
                seen += chunk
                quiet_since = time.monotonic()
            elif todo and time.monotonic() - quiet_since > 0.3 and seen.decode("utf-8", "replace").endswith(("：", ": ")):
                os.write(fd, (todo.pop(0) + "\r").encode())
                quiet_since = time.monotonic()
    finally:
        done, status = os.waitpid(pid_, os.WNOHANG)
        until = time.monotonic() + 5  # the terminal closed: give the process a moment to exit
        while done == 0 and time.monotonic() < until and time.monotonic() - start < deadline:
            time.sleep(0.05)
            done, status = os.waitpid(pid_, os.WNOHANG)
        if done == 0:
            os.kill(pid_, signal.SIGKILL)
            os.waitpid(pid_, 0)
        else:
            code = os.waitstatus_to_exitcode(status)
        os.close(fd)
    return code, seen.decode("utf-8", "replace")


def test_operator_add_refuses_an_existing_number_before_the_password(db):
    assert _piped(db, "a-long-password\n", "operator", "add", "7001", "--name", "王芳", "--role", "clerk").returncode == 0
    code, text = _on_a_terminal(["--db", db, "operator", "add", "7001", "--name", "王芳", "--role", "clerk"], [])
    assert code == 3 and "7001" in text
    assert "密码" not in text  # never asked


def test_a_too_short_password_is_refused_at_the_first_prompt(db):
    code, text = _on_a_terminal(["--db", db, "operator", "add", "7002", "--name", "李强", "--role", "clerk"],
                                ["short"])
    assert code == 2 and text.count("密码（至少 8 位") == 1
    assert "再输入一次" not in text
    code, text = _on_a_terminal(["--db", db, "operator", "add", "7002", "--name", "李强", "--role", "clerk"],
                                ["long-enough", "long-enough"])
    assert code == 0 and "已添加工号 7002" in text


def test_card_set_pin_refuses_an_unknown_card_before_the_pin(db):
    code, text = _on_a_terminal(["--db", db, "card", "set-pin", "B9999999"], [])
    assert code == 2 and "B9999999" in text and "卡密码" not in text
    code, text = _on_a_terminal(["--db", db, "card", "set-pin", "A1000002"], ["12ab"])
    assert code == 2 and "再输入一次" not in text


def test_login_says_there_is_no_keyring_before_asking_for_the_token(db):
    env = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    code, text = _on_a_terminal(["login", "--backend", "http://127.0.0.1:9"], ["some-token"], env)
    assert code == 1 and "密钥环" in text
    assert "访问令牌" not in text  # the token prompt never came


# ------------------------------------------------------------------ item 7: help in the user's language


def _help_of(capsys, *argv: str) -> str:
    with pytest.raises(SystemExit) as info:
        main([*argv, "--help"])
    assert info.value.code == 0
    return capsys.readouterr().out


def _commands() -> list[tuple[str, ...]]:
    """Every command path: ("init",), ("person", "add"), ..."""
    import argparse

    from yibao_tui.cli.parser import build_parser

    def walk(parser: argparse.ArgumentParser, path: tuple[str, ...]) -> list[tuple[str, ...]]:
        found = []
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    found.append((*path, name))
                    found += walk(sub, (*path, name))
        return found

    return walk(build_parser(), ())


def test_help_speaks_chinese_by_default_and_english_on_request(capsys, monkeypatch):
    zh = _help_of(capsys)
    assert zh.startswith("用法：yibao") and "选项" in zh and "显示此帮助并退出" in zh and "建立账本" in zh
    en = _help_of(capsys, "--lang", "en")
    assert en.startswith("usage: yibao") and "create the ledger" in en and "建立账本" not in en
    monkeypatch.setenv("YIBAO_LANG", "en")
    assert "create the ledger" in _help_of(capsys)


def test_every_command_and_option_has_translated_help(capsys):
    import re

    cjk = re.compile(r"[\u4e00-\u9fff]")
    for path in _commands():
        text = _help_of(capsys, *path)
        assert text.startswith("用法："), path
        options = text.split("选项:", 1)[1]
        # every option and argument line carries a help text, and it is Chinese
        entries = re.split(r"\n  (?=[-\w{])", text.split("位置参数:", 1)[-1] if "位置参数:" in text else options)
        for entry in entries[1:]:
            assert cjk.search(entry), (path, entry)
        en = _help_of(capsys, "--lang", "en", *path)
        assert en.startswith("usage:") and "show this help message and exit" in en, path


def test_argparse_errors_speak_the_users_language(capsys, db):
    code, err = run(capsys, "--db", db, "spend", H, "1", "--kind", "foo")
    assert code == 2 and err["error"]["code"] == "INVALID_ARGUMENT"
    assert "参数 --kind：无效的选项：'foo'" in err["error"]["message"] and "invalid choice" not in err["error"]["message"]
    code, err = run(capsys, "--db", db, "statement")
    assert code == 2 and "缺少必需的参数：id" in err["error"]["message"]
    code, err = run(capsys, "--lang", "en", "--db", db, "statement", H, "--kind")
    assert code == 2 and "argument --kind: expected one argument" in err["error"]["message"]
    code, err = run(capsys, "--db", db, "balance", H, "--frobnicate")
    assert code == 2 and "无法识别的参数：--frobnicate" in err["error"]["message"]
    import argparse
    import gettext

    assert argparse._ is gettext.gettext  # argparse is itself again for everyone else


def test_role_and_verification_names_are_translated_where_shown(capsys):
    text = _help_of(capsys, "operator", "add")
    assert "clerk（经办员）" in text and "supervisor（主管）" in text
    assert "counter（窗口核验）" in _help_of(capsys, "family", "bind")
    assert "personal（本人）" in _help_of(capsys, "token", "create")
    assert "clerk (clerk)" not in _help_of(capsys, "--lang", "en", "operator", "add")


def test_help_catalogue_has_both_languages_and_is_not_read_by_the_app():
    import subprocess
    import sys

    from yibao_tui.i18n.messages import cli_help

    assert set(cli_help.ZH) == set(cli_help.EN)
    probe = ("import sys; from yibao_tui.cli import _app_args; from yibao_tui.i18n import t; t('x');"
             " _app_args(['--db', 'x.db']); print('yibao_tui.i18n.messages.cli_help' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"


# ------------------------------------------------------------------ item 8: the README as written


def _readme_commands() -> list[list[str]]:
    """Every ``yibao …`` line of the README's ``sh`` blocks, as argv (comments and the optional
    ``[--option value]`` parts dropped)."""
    import re
    import shlex

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            line = re.sub(r"\[[^\]]*\]", "", line.split("  #")[0]).strip()
            if line.startswith("yibao"):
                found.append(shlex.split(line)[1:])
    return found


def test_readme_commands_parse_and_say_how_yibao_is_found(capsys):
    from yibao_tui.cli.parser import build_parser

    commands = _readme_commands()
    assert len(commands) >= 12
    parser = build_parser()
    for argv in commands:
        if "--help" in argv:
            continue
        parser.parse_args(argv)  # raises INVALID_ARGUMENT on a command the CLI does not have
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert ". .venv/bin/activate" in readme


def test_readme_kiosk_card_is_in_the_demo_ledger(capsys, tmp_path):
    card = next(argv[2] for argv in _readme_commands() if argv[:2] == ["card", "set-pin"])
    path = str(tmp_path / "demo.db")
    assert run(capsys, "--db", path, "demo")[0] == 0
    code, person = run(capsys, "--db", path, "person", "show", card)
    assert code == 0 and person["card"] == card


def test_make_run_installs_the_app_alone_and_make_test_the_extras():
    import shutil
    import subprocess

    if shutil.which("make") is None:
        pytest.skip("make is not installed")

    def dry(target: str) -> str:
        out = subprocess.run(["make", "-n", "-B", target], capture_output=True, text=True, cwd=ROOT, check=True)
        return "\n".join(line for line in out.stdout.splitlines() if "pip install" in line and "-e" in line)

    run_install, test_install = dry("run"), dry("test")
    assert run_install.strip().endswith("install -q -e .")
    for extra in ("dev", "server", "pdf", "postgres"):
        assert extra not in run_install
    assert '".[dev,server,pdf,postgres]"' in test_install
