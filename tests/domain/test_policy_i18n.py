import pytest

from yibao_tui.domain.errors import INPUT_CODES, RULE_CODES, YibaoError
from yibao_tui.domain.policy import policy_document, policy_for, region_name
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


def test_policy_defaults_and_regions():
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


def test_premium_form_opens_on_the_newest_configured_year():
    from yibao_tui.domain.policy import default_premium_year, premium_years

    # 2026 and 2027 have no standard in the shipped policy (DOMAIN.md §4): never guessed
    assert default_premium_year("440300", 2026) == 2025
    assert default_premium_year("440300", 2024) == 2025  # next year is already configured
    assert default_premium_year("440300", 2040) == 2040  # nothing near: the quote will say POLICY_MISSING
    assert premium_years("440300", 2026) == [2027, 2026, 2025, 2024, 2023]
