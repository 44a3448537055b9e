"""The eight close relations (近亲属) that may share an account, and their plausibility."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from yibao_tui.domain.errors import Msg, YibaoError


class Relation(StrEnum):
    """What the relative is to the account holder."""

    SPOUSE = "spouse"
    PARENT = "parent"
    CHILD = "child"
    SIBLING = "sibling"
    GRANDPARENT_PATERNAL = "grandparent-paternal"
    GRANDPARENT_MATERNAL = "grandparent-maternal"
    GRANDCHILD_PATERNAL = "grandchild-paternal"
    GRANDCHILD_MATERNAL = "grandchild-maternal"


ZH_NAMES: dict[str, Relation] = {
    "配偶": Relation.SPOUSE,
    "父母": Relation.PARENT,
    "子女": Relation.CHILD,
    "兄弟姐妹": Relation.SIBLING,
    "祖父母": Relation.GRANDPARENT_PATERNAL,
    "外祖父母": Relation.GRANDPARENT_MATERNAL,
    "孙子女": Relation.GRANDCHILD_PATERNAL,
    "外孙子女": Relation.GRANDCHILD_MATERNAL,
}
#: Relations that are not close relatives: named so the refusal says NOT_CLOSE_RELATIVE.
NOT_CLOSE = frozenset(
    {
        "cousin", "uncle", "aunt", "nephew", "niece", "in-law", "parent-in-law",
        "son-in-law", "daughter-in-law", "friend", "other",
        "堂兄弟姐妹", "表兄弟姐妹", "叔叔", "伯伯", "舅舅", "姑姑", "阿姨", "姨妈",
        "岳父母", "公婆", "女婿", "儿媳", "侄子女", "外甥", "朋友", "其他",
    }
)
OLDER = frozenset({Relation.PARENT, Relation.GRANDPARENT_PATERNAL, Relation.GRANDPARENT_MATERNAL})
YOUNGER = frozenset({Relation.CHILD, Relation.GRANDCHILD_PATERNAL, Relation.GRANDCHILD_MATERNAL})


def parse_relation(text: str) -> Relation:
    """Accept the CLI name or the Chinese name; cousins, in-laws ... → ``NOT_CLOSE_RELATIVE``."""
    value = str(text).strip()
    low = value.lower().replace("_", "-")
    try:
        return Relation(low)
    except ValueError:
        pass
    if value in ZH_NAMES:
        return ZH_NAMES[value]
    if low in NOT_CLOSE or value in NOT_CLOSE:
        raise YibaoError("NOT_CLOSE_RELATIVE")
    raise YibaoError("INVALID_RELATION", value=value[:40])


def check_plausible(relation: Relation, holder_birth: dt.date, relative_birth: dt.date) -> None:
    """Parents and grandparents are born before the holder; children after."""
    if relation in OLDER and relative_birth >= holder_birth:
        key = "parent_younger" if relation is Relation.PARENT else "grandparent_younger"
        raise YibaoError("RELATION_IMPLAUSIBLE", detail=Msg(f"reason.relation.{key}"))
    if relation in YOUNGER and relative_birth <= holder_birth:
        key = "child_older" if relation is Relation.CHILD else "grandchild_older"
        raise YibaoError("RELATION_IMPLAUSIBLE", detail=Msg(f"reason.relation.{key}"))
