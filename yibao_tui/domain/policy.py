"""Policy data: loaded from TOML (shipped default + site file) into frozen dataclasses.

Layers, later wins: ``[default]`` → ``[default.year.Y]`` → ``[region.R]`` → ``[region.R.year.Y]``.
A site file (``$YIBAO_POLICY``, else ``<config dir>/yibao/policy.toml``) is deep-merged over the
shipped file.
"""

from __future__ import annotations

import copy
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from yibao_tui.domain.errors import YibaoError
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
class Text:
    """A bilingual text from policy data."""

    zh: str
    en: str

    def get(self, lang: str) -> str:
        """The text in ``lang`` (``zh`` or ``en``)."""
        return self.en if lang == "en" and self.en else self.zh


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


@lru_cache(maxsize=8)
def _load_raw(site: str | None) -> dict[str, Any]:
    data = tomllib.loads(shipped_policy_text())
    if site:
        try:
            with open(site, "rb") as f:
                data = _merge(data, tomllib.load(f))
        except (OSError, tomllib.TOMLDecodeError) as e:
            raise YibaoError("INVALID_FILE", detail=f"{site}: {e}") from None
    return data


def raw_policy() -> dict[str, Any]:
    """The merged policy document (shipped + site file)."""
    site = site_policy_path()
    return _load_raw(str(site) if site else None)


def _text(d: dict[str, str]) -> Text:
    return Text(zh=d.get("zh", ""), en=d.get("en", d.get("zh", "")))


def _layers(data: dict[str, Any], region: str, year: int) -> dict[str, Any]:
    default = data.get("default", {})
    merged = _merge({k: v for k, v in default.items() if k != "year"}, default.get("year", {}).get(str(year), {}))
    reg = data.get("region", {}).get(region, {})
    merged = _merge(merged, {k: v for k, v in reg.items() if k != "year"})
    return _merge(merged, reg.get("year", {}).get(str(year), {}))


def policy_for(region: str, year: int) -> RegionPolicy:
    """The effective policy of ``region`` in ``year``."""
    return _policy_for(region, year, str(site_policy_path() or ""))


@lru_cache(maxsize=256)
def _policy_for(region: str, year: int, site: str) -> RegionPolicy:
    data = _load_raw(site or None)
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
    premium = p.get("premium", {}).get(str(year))
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
    )


def premium_years(region: str, this_year: int) -> list[int]:
    """The contribution years a form offers, newest first: next year, this year and the three before."""
    return list(range(this_year + 1, this_year - 4, -1))


def default_premium_year(region: str, this_year: int) -> int:
    """The year a premium form opens on: the newest year around now whose standard is configured
    for the region (never a guessed one), else this year (whose quote then says POLICY_MISSING)."""
    for year in premium_years(region, this_year):
        if policy_for(region, year).premium_fen is not None:
            return year
    return this_year


def valid_region(region: str) -> bool:
    """Six digits in a known province (GB/T 2260)."""
    from yibao_tui.domain.idnum import PROVINCES

    return len(region) == 6 and region.isascii() and region.isdigit() and int(region[:2]) in PROVINCES


def policy_document(region: str | None, year: int) -> dict[str, Any]:
    """What ``yibao policy show`` prints: the effective values of a region (or the defaults)."""
    p = policy_for(region or "000000", year)
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
            for y, v in sorted(_layers(raw_policy(), region or "000000", year).get("premium", {}).items())
        },
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
    }
