"""Policy data: loaded from TOML (shipped default + site file) into frozen dataclasses.

Layers, later wins: ``[default]`` → ``[default.year.Y]`` → ``[region.R]`` → ``[region.R.year.Y]``.
A site file (``$YIBAO_POLICY``, else ``<config dir>/yibao/policy.toml``) is deep-merged over the
shipped file.
"""

from __future__ import annotations

import calendar
import copy
import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from yibao_tui.domain.errors import Localised, YibaoError
from yibao_tui.domain.policy_source import region_name, shipped_policy_text, site_policy_path

#: Uses the personal account may never pay, whatever a policy file says (DOMAIN.md §3).
NEVER_ALLOWED = frozenset({"pension"})
SPEND_KINDS = (
    "outpatient",
    "pharmacy",
    "inpatient",
    "commercial-insurance",
    "long-term-care",
    "pension",
)
#: Every kind of statement entry (``yibao statement --kind``; the app's kind filter).
ENTRY_KINDS = ("opening", "credit", *SPEND_KINDS, "premium", "withdrawal", "reversal")
WITHDRAWAL_CASES = (
    "death",
    "emigration",
    "foreigner-leaving",
    "transfer-not-accepted",
    "settled-elsewhere",
    "left-employee-insurance",
    "serious-illness",
)


@dataclass(frozen=True, slots=True)
class Text(Localised):
    """A bilingual text from policy data."""

    zh: str
    en: str

    def get(self, lang: str) -> str:
        """The text in ``lang`` (``zh`` or ``en``)."""
        return self.en if lang == "en" and self.en else self.zh

    def render(self, lang: str | None = None) -> str:
        """The text in ``lang`` (Chinese when none is given: ``Msg`` gives the call's)."""
        return self.get(lang or "zh")


@dataclass(frozen=True, slots=True)
class Question:
    """A fact the checklist asks about: a yes/no or a number."""

    name: str
    type: str  # "bool" | "int"
    text: Text
    expect: bool | None = None
    material: Text | None = None


@dataclass(frozen=True, slots=True)
class WithdrawalCase:
    """One withdrawal case as a region allows it."""

    name: str
    payee: str
    waiting_months: int
    materials: tuple[Text, ...]
    questions: tuple[Question, ...]


@dataclass(frozen=True, slots=True)
class PremiumWindow:
    """When a region collects the resident premium of ``year`` (DOMAIN.md §4): from ``opens``
    to ``closes``, and to ``extended_to`` where the region extends it (into the spring, say)."""

    year: int
    opens: dt.date
    closes: dt.date
    extended_to: dt.date | None = None
    #: special cases (newborns may pay during the year, …), for people to read
    note: Text | None = None

    @property
    def last_day(self) -> dt.date:
        """The last day a payment is accepted (the extension's, if any)."""
        return self.extended_to or self.closes

    def is_open(self, on: dt.date) -> bool:
        """Whether payments for ``year`` are accepted on ``on``."""
        return self.opens <= on <= self.last_day


@dataclass(frozen=True, slots=True)
class RegionPolicy:
    """Everything the rules need to know about one region in one year."""

    region: str
    year: int
    binding_cap: int
    relation_caps: dict[str, int]
    cross_province: bool
    one_way: bool
    face_age: int
    allowed_uses: frozenset[str]
    payer_order: str
    premium_fen: int | None
    withdrawal_cases: dict[str, WithdrawalCase] = field(default_factory=dict)
    enabled_cases: frozenset[str] = frozenset()
    always_materials: tuple[Text, ...] = ()
    working_age: int = 16
    #: the collection window of ``year`` (None: not configured)
    premium_window: PremiumWindow | None = None

    def allows(self, use: str) -> bool:
        """May the shared money pay for ``use``? Pension never."""
        return use not in NEVER_ALLOWED and use in self.allowed_uses


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


@lru_cache(maxsize=1)
def sample_policy_path() -> Path | None:
    """The sample site policy the demo ledger loads (``data/policy_sample.toml``: sample
    figures, not an official standard): packaged with the wheel, else in the source tree
    (looked up once: ~0.3 ms of file-system calls, paid on every premium check before)."""
    packaged = Path(__file__).resolve().parent.parent / "policy" / "sample.toml"
    if packaged.is_file():
        return packaged
    source = Path(__file__).resolve().parents[2] / "data" / "policy_sample.toml"
    return source if source.is_file() else None


def _read_toml(path: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise YibaoError("INVALID_FILE", detail=f"{path}: {e}") from None


def _every_year_outside_sample(data: dict[str, Any]) -> bool:
    """A ``"*"`` (every year) premium standard in a document not marked ``sample = true``."""
    tables = [data.get("default", {}), *data.get("region", {}).values()]
    tables += [y for t in list(tables) for y in t.get("year", {}).values()]
    return not data.get("sample") and any("*" in t.get("premium", {}) for t in tables)


@lru_cache(maxsize=8)
def _load_raw(site: str | None, sample: str | None = None) -> dict[str, Any]:
    """Shipped file, then the sample file (a demo ledger), then the site file."""
    data = tomllib.loads(shipped_policy_text())
    for path in (sample, site):
        if path:
            layer = _read_toml(path)
            if _every_year_outside_sample(layer):
                # a standard for every year is a sample's shortcut; a real site names its years
                raise YibaoError("INVALID_FILE", detail=f'{path}: premium "*" needs sample = true')
            data = _merge(data, layer)
    return data


def _sample_arg(sample: bool) -> str | None:
    if not sample:
        return None
    path = sample_policy_path()
    return str(path) if path else None


def raw_policy(sample: bool = False) -> dict[str, Any]:
    """The merged policy document (shipped + sample file when ``sample`` + site file)."""
    site = site_policy_path()
    return _load_raw(str(site) if site else None, _sample_arg(sample))


def _text(d: dict[str, str]) -> Text:
    return Text(zh=d.get("zh", ""), en=d.get("en", d.get("zh", "")))


def _layers(data: dict[str, Any], region: str, year: int) -> dict[str, Any]:
    default = data.get("default", {})
    merged = _merge({k: v for k, v in default.items() if k != "year"}, default.get("year", {}).get(str(year), {}))
    reg = data.get("region", {}).get(region, {})
    merged = _merge(merged, {k: v for k, v in reg.items() if k != "year"})
    return _merge(merged, reg.get("year", {}).get(str(year), {}))


_WINDOW_DATE = re.compile(r"^Y([+-]\d{1,2})?-(\d{2})-(\d{2})$")


def _window_date(value: Any, year: int, where: str) -> dt.date:
    """``"Y-1-09-01"`` (1 September of the year before), ``"Y-02-28"``, or an ISO date; a day
    past the month's end (``Y-02-29``) is its last day."""
    text = str(value)
    m = _WINDOW_DATE.match(text)
    try:
        if m is None:
            return dt.date.fromisoformat(text)
        y = year + int(m.group(1) or 0)
        month = int(m.group(2))
        day = min(int(m.group(3)), calendar.monthrange(y, month)[1])
        return dt.date(y, month, day)
    except ValueError:
        raise YibaoError("INVALID_FILE", detail=f"premium_window.{where}: {text[:40]}") from None


def _premium_window(w: dict[str, Any], year: int) -> PremiumWindow | None:
    if not w.get("opens") or not w.get("closes"):
        return None
    opens = _window_date(w["opens"], year, "opens")
    closes = _window_date(w["closes"], year, "closes")
    extended = _window_date(w["extended_to"], year, "extended_to") if w.get("extended_to") else None
    if closes < opens or (extended is not None and extended < closes):
        raise YibaoError("INVALID_FILE", detail=f"premium_window {year}: {opens} .. {closes} .. {extended}")
    note = _text(w["note"]) if isinstance(w.get("note"), dict) else None
    return PremiumWindow(year=year, opens=opens, closes=closes, extended_to=extended, note=note)


def policy_for(region: str, year: int, sample: bool = False) -> RegionPolicy:
    """The effective policy of ``region`` in ``year`` (``sample``: with the sample site policy
    under the site file, as a demo ledger asks)."""
    return _policy_for(region, year, str(site_policy_path() or ""), _sample_arg(sample) or "")


@lru_cache(maxsize=256)
def _policy_for(region: str, year: int, site: str, sample: str = "") -> RegionPolicy:
    data = _load_raw(site or None, sample or None)
    p = _layers(data, region, year)
    wd = p.get("withdrawal", {})
    cases: dict[str, WithdrawalCase] = {}
    for name, c in wd.get("case", {}).items():
        cases[name] = WithdrawalCase(
            name=name,
            payee=c.get("payee", "holder"),
            waiting_months=int(c.get("waiting_months", 0)),
            materials=tuple(_text(m) for m in c.get("materials", [])),
            questions=tuple(
                Question(
                    name=q["name"],
                    type=q.get("type", "bool"),
                    text=_text(q),
                    expect=q.get("expect"),
                    material=_text(q["material"]) if "material" in q else None,
                )
                for q in c.get("questions", [])
            ),
        )
    standards = p.get("premium", {})
    premium = standards.get(str(year))
    if premium is None and data.get("sample") is True:
        premium = standards.get("*")  # sample figures: a standard for every year
    return RegionPolicy(
        region=region,
        year=year,
        binding_cap=int(p.get("binding_cap", 6)),
        relation_caps={k: int(v) for k, v in p.get("relation_caps", {}).items()},
        cross_province=bool(p.get("cross_province", False)),
        one_way=bool(p.get("one_way", False)),
        face_age=int(p.get("face_age", 16)),
        allowed_uses=frozenset(p.get("allowed_uses", [])) - NEVER_ALLOWED,
        payer_order=str(p.get("payer_order", "highest-balance")),
        premium_fen=int(premium) if premium is not None else None,
        withdrawal_cases=cases,
        enabled_cases=frozenset(n for n in wd.get("cases", []) if n in cases),
        always_materials=tuple(_text(m) for m in wd.get("always_materials", [])),
        working_age=int(p.get("working_age", 16)),
        premium_window=_premium_window(p.get("premium_window", {}), year),
    )


def premium_windows(region: str, on: dt.date, sample: bool = False) -> list[tuple[PremiumWindow, int | None]]:
    """The configured collection windows of the years around ``on`` (last year to two years
    ahead: a window for year Y usually opens in Y−1 and may run into Y), each with its standard
    (``None``: not configured), oldest year first."""
    out: list[tuple[PremiumWindow, int | None]] = []
    for year in range(on.year - 1, on.year + 3):
        p = policy_for(region, year, sample)
        if p.premium_window is not None:
            out.append((p.premium_window, p.premium_fen))
    return out


def open_premium_years(region: str, on: dt.date, sample: bool = False) -> list[int]:
    """The years whose premium can be paid on ``on`` in ``region``: the window is open and the
    standard configured (never a guessed one), newest first."""
    return sorted((w.year for w, fen in premium_windows(region, on, sample) if fen is not None and w.is_open(on)),
                  reverse=True)


def valid_region(region: str) -> bool:
    """Six digits in a known province (GB/T 2260)."""
    from yibao_tui.domain.idnum import PROVINCES

    return len(region) == 6 and region.isascii() and region.isdigit() and int(region[:2]) in PROVINCES


def window_json(w: PremiumWindow | None) -> dict[str, Any] | None:
    """A collection window as JSON (dates ISO; the note in both languages)."""
    if w is None:
        return None
    return {
        "year": w.year,
        "opens": w.opens.isoformat(),
        "closes": w.closes.isoformat(),
        "extended_to": w.extended_to.isoformat() if w.extended_to else None,
        "note": {"zh": w.note.zh, "en": w.note.en} if w.note else None,
    }


def policy_document(region: str | None, year: int, sample: bool = False) -> dict[str, Any]:
    """What ``yibao policy show`` prints: the effective values of a region (or the defaults)."""
    p = policy_for(region or "000000", year, sample)
    return {
        "region": region,
        "region_name": region_name(region) if region else None,
        "year": year,
        "binding_cap": p.binding_cap,
        "relation_caps": p.relation_caps,
        "cross_province": p.cross_province,
        "one_way": p.one_way,
        "face_age": p.face_age,
        "allowed_uses": sorted(p.allowed_uses),
        "payer_order": p.payer_order,
        "premium_fen": {
            y: int(v)
            for y, v in sorted(_layers(raw_policy(sample), region or "000000", year).get("premium", {}).items())
        },
        "premium_window": window_json(p.premium_window),
        "withdrawal_cases": {
            name: {
                "payee": c.payee,
                "waiting_months": c.waiting_months,
                "materials": [m.zh for m in c.materials],
                "questions": [q.name for q in c.questions],
            }
            for name, c in p.withdrawal_cases.items()
            if name in p.enabled_cases
        },
        "site_file": str(site_policy_path()) if site_policy_path() else None,
        "sample": bool(raw_policy(sample).get("sample", False)),
    }
