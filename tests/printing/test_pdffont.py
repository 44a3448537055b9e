"""The PDFs' Chinese font: a CJK TrueType font embedded when there is one (Debian's
fonts-arphic-uming, installed by .ci/cups), STSong-Light when not; never an OpenType-CFF font."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.printing.test_cups import slip
from yibao_tui.pdffont import CANDIDATES, CID_FONT, ENV, CjkFont, cjk_font


def fonts_of(data: bytes) -> dict[str, bool]:
    """Each font's base name, and whether its glyphs are embedded."""
    out = {}
    for font in PdfReader(io.BytesIO(data)).pages[0]["/Resources"]["/Font"].values():
        font = font.get_object()
        descriptor = font.get("/FontDescriptor")
        if descriptor is None and "/DescendantFonts" in font:
            descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
        descriptor = descriptor.get_object() if descriptor is not None else {}
        out[str(font["/BaseFont"])] = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    return out


def text_of(data: bytes) -> str:
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).replace(" ", "")


def a_truetype_cjk_font() -> str:
    found = next((path for path, _ in CANDIDATES if os.path.isfile(path)), "")
    if not found:
        if os.environ.get("YIBAO_REQUIRE_CUPS") == "1":  # CI installs fonts-arphic-uming
            pytest.fail("no CJK TrueType font; .ci/cups start installs fonts-arphic-uming")
        pytest.skip("no CJK TrueType font (apt-get install fonts-arphic-uming)")
    return found


def test_a_truetype_cjk_font_is_embedded_and_keeps_the_text():
    path = a_truetype_cjk_font()
    data = slip().pdf()
    fonts = fonts_of(data)
    embedded = [name for name, has_file in fonts.items() if has_file]
    assert embedded and CID_FONT not in "".join(fonts), fonts
    assert cjk_font().path == path
    text = text_of(data)
    assert "代缴保费回执" in text and "缴费账户：张*三110***********002X" in text


def test_without_one_the_builtin_cid_font(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(ENV, "none")
    assert not cjk_font().embedded
    data = slip().pdf()
    assert any(CID_FONT in name and not has_file for name, has_file in fonts_of(data).items())
    assert "代缴保费回执" in text_of(data)


def test_an_opentype_cff_font_or_a_missing_file_falls_back(monkeypatch: pytest.MonkeyPatch,
                                                           tmp_path: Path):
    noto = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
    for setting in ([f"{noto}#2"] if noto.is_file() else []) + [str(tmp_path / "none.ttf")]:
        monkeypatch.setenv(ENV, setting)
        assert cjk_font().name == CID_FONT
        assert "代缴保费回执" in text_of(slip().pdf())


def test_a_character_the_font_lacks_is_drawn_in_the_cid_font():
    font = CjkFont("X", "/some.ttf", covers=frozenset({ord("张")}))
    assert font.font_for("张") == "X" and font.font_for("䶵") == CID_FONT
