"""``yibao kiosk``: an unattended self-service terminal (自助终端).

``run_kiosk`` scrubs the ``TEXTUAL*`` environment variables (devtools, screenshots, injected
keys, signals) *before* any Textual module is imported, reads the kiosk config and runs the
locked-down app. This module imports no Textual at the top for that reason.

Config (``<config dir>/kiosk.toml`` unless ``--config``)::

    admin_pin_hash = "scrypt$16384$8$1$..."   # the admin PIN (hash only)
    idle_seconds = 60                         # idle time before the countdown
    countdown_seconds = 10                    # the countdown before the session is wiped
    admin_key = "ctrl+f12"                    # opens the admin PIN dialog (to leave the kiosk)
    printer = "default"                       # CUPS printer for slips and statements: a name,
                                              # "default" (system default); absent: no printing
    kiosk_id = "K01"                          # the kiosk number printed on documents

Create or change it with ``python -m yibao_tui.tui.kiosk.config --set-admin-pin [--config PATH]``
(the PIN is prompted twice, or read from stdin when piped). Without an admin PIN the kiosk does
not start: there would be no way to leave it.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shlex
import sys
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from yibao_tui.backend.base import Actor, Backend

#: Environment variables removed before the kiosk starts (Textual's debug hooks among them).
SCRUB_PREFIXES: tuple[str, ...] = ("TEXTUAL",)
DEFAULT_ADMIN_KEY = "ctrl+f12"


def scrub_environment(environ: MutableMapping[str, str] | None = None) -> list[str]:
    """Remove every ``TEXTUAL*`` variable; returns the names removed."""
    env = os.environ if environ is None else environ
    names = [k for k in list(env) if k.upper().startswith(SCRUB_PREFIXES)]
    for name in names:
        del env[name]
    return names


@dataclass(frozen=True, slots=True)
class KioskConfig:
    """What the kiosk reads from its config file."""

    admin_pin_hash: str | None = None
    idle_seconds: float = 60.0
    countdown_seconds: float = 10.0
    admin_key: str = DEFAULT_ADMIN_KEY
    #: ``None``: no printer; ``""``: the system default; else a CUPS printer name.
    printer: str | None = None
    kiosk_id: str = ""

    @classmethod
    def load(cls, path: Path) -> KioskConfig:
        """Read ``path``; defaults when it is missing. A damaged file raises ``ValueError``."""
        import tomllib

        try:
            data = tomllib.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, tomllib.TOMLDecodeError) as err:
            raise ValueError(f"{path}: {err}") from err
        pin_hash = data.get("admin_pin_hash")
        key = data.get("admin_key", DEFAULT_ADMIN_KEY)
        return cls(
            admin_pin_hash=pin_hash if isinstance(pin_hash, str) and pin_hash else None,
            idle_seconds=max(5.0, float(data.get("idle_seconds", 60))),
            countdown_seconds=max(1.0, float(data.get("countdown_seconds", 10))),
            admin_key=key if isinstance(key, str) and key else DEFAULT_ADMIN_KEY,
            printer=printer_setting(data.get("printer")),
            kiosk_id=str(data.get("kiosk_id", "")),
        )

    def to_toml(self) -> str:
        """The config as TOML text."""
        lines = ["# yibao kiosk configuration (see yibao_tui/tui/kiosk/config.py)"]
        if self.admin_pin_hash:
            lines.append(f'admin_pin_hash = "{self.admin_pin_hash}"')
        lines.append(f"idle_seconds = {self.idle_seconds:g}")
        lines.append(f"countdown_seconds = {self.countdown_seconds:g}")
        lines.append(f'admin_key = "{self.admin_key}"')
        if self.printer is not None:
            lines.append(f"printer = {json.dumps(self.printer or 'default')}")
        if self.kiosk_id:
            lines.append(f"kiosk_id = {json.dumps(self.kiosk_id)}")
        return "\n".join(lines) + "\n"


def printer_setting(value: object) -> str | None:
    """A printer option: ``None``/``"none"``/``""`` → no printing, ``"default"`` → the system
    default (``""``), else the CUPS printer's name."""
    if not isinstance(value, str) or value.strip().lower() in ("", "none"):
        return None
    return "" if value.strip().lower() == "default" else value.strip()


def default_config_path() -> Path:
    """``<config dir>/kiosk.toml``."""
    from yibao_tui.config import config_dir

    return config_dir() / "kiosk.toml"


def check_admin_pin(pin: str) -> str:
    """6 to 12 digits."""
    value = pin.strip()
    if not (6 <= len(value) <= 12 and value.isascii() and value.isdigit()):
        raise ValueError("the admin PIN must be 6 to 12 digits")
    from yibao_tui.ledger.access import trivial

    if trivial(value):
        raise ValueError("the admin PIN must not be a repeated or sequential run of digits")
    return value


def set_admin_pin(path: Path, pin: str) -> KioskConfig:
    """Store the hash of ``pin`` in the config at ``path`` (other settings kept)."""

    from yibao_tui.ledger.access import hash_secret

    current = KioskConfig.load(path)
    updated = dataclasses.replace(current, admin_pin_hash=hash_secret(check_admin_pin(pin)))
    from yibao_tui.files import write_private

    write_private(path, updated.to_toml())  # 0600 from the first byte, in a 0700 folder if made here
    return updated


def checked_config(config: str | Path | None) -> tuple[Path, KioskConfig] | None:
    """The config's path and settings when a kiosk may start on it; ``None`` after saying why
    not on stderr (a damaged file, or no admin PIN: there would be no way to leave)."""
    from yibao_tui.i18n import t

    path = Path(config) if config else default_config_path()
    try:
        cfg = KioskConfig.load(path)
    except ValueError as err:
        print(t("mode.kiosk.cli.bad_config", error=str(err)), file=sys.stderr)
        return None
    if not cfg.admin_pin_hash:
        command = f"yibao kiosk --set-admin-pin --config {shlex.quote(str(path))}"  # the documented way
        print(t("mode.kiosk.cli.no_admin_pin", path=str(path), command=command), file=sys.stderr)
        return None
    return path, cfg


def run_kiosk(
    make_backend: Callable[[Actor], Backend],
    config: str | Path | None = None,
    lang: str = "zh",
    printer: str | None = None,
    environment: Mapping[str, str] | None = None,
) -> int:
    """``yibao kiosk``: run the locked-down kiosk until an admin leaves it; the exit code.
    ``environment``: variables set after the scrub (the web session's driver, ``yibao_tui.web``)."""
    scrub_environment()  # before Textual is imported (its constants read the environment)
    os.environ.update(environment or {})
    import signal

    from yibao_tui.i18n import set_lang  # no Textual in the catalogue

    set_lang(lang)
    checked = checked_config(config)
    if checked is None:
        return 2
    cfg = checked[1]
    if printer is not None:  # --printer overrides the config
        cfg = dataclasses.replace(cfg, printer=printer_setting(printer))
    for sig in (signal.SIGINT, signal.SIGQUIT):
        signal.signal(sig, signal.SIG_IGN)
    from yibao_tui.tui.kiosk.app import KioskApp

    app = KioskApp(make_backend, cfg, lang=lang)
    app.run()
    return int(app.return_code or 0)


def _read_pin(prompt: str) -> str:
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass(prompt)
    return sys.stdin.readline().rstrip("\n")


def main(argv: list[str] | None = None) -> int:
    """``python -m yibao_tui.tui.kiosk.config --set-admin-pin [--config PATH]`` (messages in
    ``$YIBAO_LANG``, Chinese by default)."""
    from yibao_tui.i18n import t

    parser = argparse.ArgumentParser(prog="python -m yibao_tui.tui.kiosk.config")
    parser.add_argument("--set-admin-pin", action="store_true", help="prompt for the admin PIN and store its hash")
    parser.add_argument("--config", help="kiosk config file (default <config dir>/kiosk.toml)")
    args = parser.parse_args(argv)
    path = Path(args.config) if args.config else default_config_path()
    if not args.set_admin_pin:
        try:
            cfg = KioskConfig.load(path)
        except ValueError as err:
            print(t("mode.kiosk.cli.bad_config", error=str(err)), file=sys.stderr)
            return 2
        print(t("mode.kiosk.cli.status", path=str(path),
                pin=t("mode.kiosk.cli.pin_set" if cfg.admin_pin_hash else "mode.kiosk.cli.pin_unset"),
                idle=f"{cfg.idle_seconds:g}", countdown=f"{cfg.countdown_seconds:g}", key=cfg.admin_key))
        return 0
    pin = _read_pin(t("mode.kiosk.cli.pin_prompt"))
    if sys.stdin.isatty() and _read_pin(t("mode.kiosk.cli.pin_again")) != pin:
        print(t("mode.kiosk.cli.pin_differ"), file=sys.stderr)
        return 2
    try:
        set_admin_pin(path, pin)
    except ValueError:
        print(t("mode.kiosk.cli.pin_invalid"), file=sys.stderr)
        return 2
    except OSError as err:
        print(t("mode.kiosk.cli.bad_config", error=str(err)), file=sys.stderr)
        return 1
    print(t("mode.kiosk.cli.pin_stored", path=str(path)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


