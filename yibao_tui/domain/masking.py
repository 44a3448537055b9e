"""De-identification on display (GB/T 35273-2020 §7.2; DOMAIN.md §8)."""

from __future__ import annotations


def mask_id(value: str) -> str:
    """``11010519491231002X`` → ``110***********002X`` (first 3, last 4), on the folded form
    (a full-width number is masked like its ASCII one)."""
    from yibao_tui.domain.idnum import normalise_id

    value = normalise_id(value)
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(name: str) -> str:
    """``张三`` → ``张*``; ``张小三`` → ``张*三``; ``欧阳小明`` → ``欧**明``."""
    chars = list(name)
    if len(chars) <= 1:
        return name
    if len(chars) == 2:
        return chars[0] + "*"
    return chars[0] + "*" * (len(chars) - 2) + chars[-1]


def mask_card(card: str | None) -> str:
    """Card numbers keep the last 4 characters."""
    if not card:
        return ""
    from yibao_tui.domain.idnum import normalise_id

    card = normalise_id(card)
    if len(card) <= 4:
        return "*" * len(card)
    return "*" * (len(card) - 4) + card[-4:]
