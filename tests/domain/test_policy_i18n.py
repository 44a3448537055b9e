import datetime as dt

import pytest

from yibao_tui.domain.errors import INPUT_CODES, RULE_CODES, YibaoError
from yibao_tui.domain.policy import open_premium_years, policy_document, policy_for, region_name
from yibao_tui.domain.relations import Relation, parse_relation
from yibao_tui.i18n import catalogue, t

CONTRACT_CODES = (
    "INVALID_ID_NUMBER INVALID_AMOUNT UNKNOWN_PERSON NOT_EMPLOYEE_INSURED ACCOUNT_CLOSED NOT_CLOSE_RELATIVE "
    "SELF_BINDING RELATION_IMPLAUSIBLE ALREADY_BOUND BINDING_LIMIT_REACHED NOT_BOUND CROSS_REGION_NOT_ALLOWED "
    "USE_NOT_ALLOWED INSUFFICIENT_BALANCE NOT_RESIDENT_INSURED PREMIUM_ALREADY_PAID POLICY_MISSING "
    "IDEMPOTENCY_CONFLICT UNKNOWN_WITHDRAWAL_CASE NO_PAYING_ACCOUNT"
).split()


def test_catalogues_have_the_same_keys():
    zh, en = catalogue("zh"), catalogue("en")
    assert set(zh) == set(en)
    assert all(zh[k] for k in zh) and all(en[k] for k in en)


@pytest.mark.parametrize("code", sorted(INPUT_CODES | RULE_CODES))
def test_every_code_has_a_message_in_both_languages(code):
    for lang in ("zh", "en"):
        assert f"error.{code}" in catalogue(lang)


def test_contract_codes_exist_with_their_exit_codes():
    for code in CONTRACT_CODES:
        e = YibaoError(code)
        assert e.exit_code in (2, 3)
    assert YibaoError("INVALID_AMOUNT").exit_code == 2
    assert YibaoError("INSUFFICIENT_BALANCE").exit_code == 3
    assert YibaoError("DATABASE_BUSY").exit_code == 1


def test_message_survives_user_text_with_braces():
    assert "{x}" in t("error.UNKNOWN_PERSON", id="{x}")


@pytest.mark.parametrize("name", ["配偶", "父母", "子女", "兄弟姐妹", "祖父母", "外祖父母", "孙子女", "外孙子女"])
def test_chinese_relation_names(name):
    assert isinstance(parse_relation(name), Relation)


def test_all_eight_cli_names():
    names = "spouse parent child sibling grandparent-paternal grandparent-maternal grandchild-paternal grandchild-maternal"
    assert [parse_relation(n).value for n in names.split()] == names.split()


@pytest.mark.parametrize("name", ["cousin", "表兄弟姐妹", "uncle", "岳父母"])
def test_not_close(name):
    with pytest.raises(YibaoError) as e:
        parse_relation(name)
    assert e.value.code == "NOT_CLOSE_RELATIVE"


def test_policy_defaults_and_regions(monkeypatch):
    monkeypatch.delenv("YIBAO_POLICY")  # the shipped policy alone
    p = policy_for("440300", 2025)
    assert p.binding_cap == 6 and not p.cross_province and p.premium_fen == 40000
    assert policy_for("440300", 2024).premium_fen == 40000
    assert policy_for("440300", 2026).premium_fen is None  # not found: never guessed
    assert not p.allows("pension")
    assert policy_for("370900", 2025).binding_cap == 8 and policy_for("370900", 2025).one_way
    assert policy_for("110000", 2025).payer_order == "binding-order"
    assert "serious-illness" not in p.enabled_cases
    assert region_name("440300") == "深圳" and region_name("440300", "en") == "Shenzhen"


def test_site_file_overrides(tmp_path, monkeypatch):
    site = tmp_path / "policy.toml"
    site.write_text(
        '[default]\nallowed_uses = ["outpatient", "pharmacy", "inpatient", "premium", "pension"]\n'
        '[default.premium]\n"2026" = 42000\n'
        '[region."440300"]\nbinding_cap = 3\ncross_province = true\n'
        '[region."440300".withdrawal]\ncases = ["death", "serious-illness"]\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("YIBAO_POLICY", str(site))
    p = policy_for("440300", 2026)
    assert p.binding_cap == 3 and p.cross_province and p.premium_fen == 42000
    assert not p.allows("pension")  # never, whatever the file says
    assert p.enabled_cases == {"death", "serious-illness"}
    assert policy_for("110000", 2026).binding_cap == 6
    assert policy_document("440300", 2026)["site_file"] == str(site)


def test_shipped_windows_and_no_guessed_standard(monkeypatch):
    """The shipped policy: the typical window (1 Sep – 31 Dec of Y−1); a year without a standard
    is never open, whatever its window (DOMAIN.md §4)."""
    monkeypatch.delenv("YIBAO_POLICY")
    w = policy_for("440300", 2025).premium_window
    assert w is not None and (w.opens, w.closes, w.extended_to) == (
        dt.date(2024, 9, 1), dt.date(2024, 12, 31), None)
    assert open_premium_years("440300", dt.date(2024, 10, 1)) == [2025]
    assert open_premium_years("440300", dt.date(2024, 8, 31)) == []
    assert open_premium_years("440300", dt.date(2025, 1, 1)) == []  # closed
    assert open_premium_years("440300", dt.date(2026, 11, 22)) == []  # 2027: window open, no standard
    assert policy_document("440300", 2027)["premium_window"]["opens"] == "2026-09-01"
    assert policy_document("440300", 2027)["sample"] is False


@pytest.mark.parametrize("on", ["2026-11-22", "2027-01-01", "2030-06-30", "2030-07-01", "2061-02-28"])
def test_sample_policy_keeps_a_year_open_on_any_date(on, monkeypatch):
    monkeypatch.delenv("YIBAO_POLICY")
    day = dt.date.fromisoformat(on)
    years = open_premium_years("440300", day, sample=True)
    assert day.year in years and years == sorted(years, reverse=True)
    assert (day.year + 1 in years) == (day.month >= 7)
    assert open_premium_years("440300", day) == []  # without the sample: nothing guessed
    assert policy_document("440300", day.year, sample=True)["sample"] is True


def test_every_year_standard_only_in_a_sample_file(tmp_path, monkeypatch):
    site = tmp_path / "policy.toml"
    site.write_text('[default.premium]\n"*" = 40000\n', encoding="utf-8")
    monkeypatch.setenv("YIBAO_POLICY", str(site))
    with pytest.raises(YibaoError) as e:
        policy_for("440300", 2031)
    assert e.value.code == "INVALID_FILE"


def test_region_window_extension_and_year_override(tmp_path, monkeypatch):
    site = tmp_path / "policy.toml"
    site.write_text(
        '[default.premium]\n"2028" = 45000\n"2029" = 45000\n'
        '[region."440300".premium_window]\nextended_to = "Y-02-29"\n'
        'note = { zh = "新生儿出生当年可缴", en = "Newborns pay in their first year" }\n'
        '[region."440300".year."2029".premium_window]\nopens = "2028-10-15"\ncloses = "2028-11-30"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("YIBAO_POLICY", str(site))
    w = policy_for("440300", 2028).premium_window
    assert w is not None and (w.opens, w.closes, w.extended_to) == (
        dt.date(2027, 9, 1), dt.date(2027, 12, 31), dt.date(2028, 2, 29))  # a leap year
    assert w.note is not None and w.note.get("en") == "Newborns pay in their first year"
    assert policy_for("440300", 2027).premium_window.extended_to == dt.date(2027, 2, 28)  # type: ignore[union-attr]
    assert open_premium_years("440300", dt.date(2028, 2, 29)) == [2028]  # the spring extension
    assert open_premium_years("110000", dt.date(2028, 2, 29)) == []  # Beijing: no extension
    w29 = policy_for("440300", 2029).premium_window
    assert w29 is not None and (w29.opens, w29.last_day) == (dt.date(2028, 10, 15), dt.date(2029, 2, 28))
    assert open_premium_years("440300", dt.date(2028, 10, 1)) == []


def test_the_shipped_region_names_read_without_tomllib_are_tomllib_s() -> None:
    """The app's first screen reads the region names with a plain split; the same as TOML's."""
    import tomllib

    from yibao_tui.domain.policy_source import (
        _shipped_region_names,
        _simple_regions,
        shipped_policy_text,
    )

    table = tomllib.loads(shipped_policy_text())["regions"]
    assert _shipped_region_names() == table
    start = shipped_policy_text().find("\n[regions]\n")
    end = shipped_policy_text().find("\n[", start + 1)
    assert _simple_regions(shipped_policy_text()[start:end]) == table
    # anything written otherwise goes to tomllib
    assert _simple_regions('\n[regions]\n"1" = { en = "x", zh = "y" }\n') is None
    assert _simple_regions('\n[regions]\n"1" = { zh = "a\\"b", en = "x" }\n') is None
