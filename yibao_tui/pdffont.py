"""The Chinese font of the PDFs we write (receipts, statements): embedded when this machine has one.

A CJK TrueType font is embedded (only the glyphs used) when one is found: ``$YIBAO_CJK_FONT``
(``PATH`` or ``PATH#INDEX`` for a ``.ttc``; ``none`` never embeds), else the first of Debian's
``fonts-arphic-uming``, ``fonts-wqy-zenhei``, ``fonts-wqy-microhei``, ``fonts-droid-fallback``.
The document then looks the same on every viewer and printer, even a print server without
Chinese fonts. Without one (or for a character the font lacks) the text falls back to
reportlab's built-in CID font ``STSong-Light`` (Adobe-GB1, not embedded: the viewer needs a CJK
font of its own, as every Chinese desktop has).

reportlab embeds TrueType outlines only: OpenType-CFF fonts (Noto CJK ``.otf``/``.ttc``) are
skipped. Its subsets carry no glyph names (``post`` table format 3), so a PDF that CUPS turns
into PostScript and back (Ghostscript, as cups-pdf and many printer drivers do) loses the
Chinese text layer: the glyphs are drawn, but no program can read or search them. The subset
here is given a format-2 ``post`` table naming every glyph ``uniXXXX`` after its character, which
Ghostscript maps back to Unicode.

No Textual here; reportlab is imported only when a PDF is made.
"""

from __future__ import annotations

import os
import struct
import threading
from dataclasses import dataclass
from typing import Any

#: reportlab's built-in CID font for Chinese (never embedded).
CID_FONT = "STSong-Light"
#: CJK TrueType fonts tried in order (path, font index in a ``.ttc``): Debian's packages.
CANDIDATES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),  # fonts-arphic-uming (Ming, like STSong)
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),  # fonts-wqy-zenhei
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),  # fonts-wqy-microhei
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),  # fonts-droid-fallback
)
#: ``PATH`` or ``PATH#INDEX`` of a TrueType font to embed; ``none``: never embed.
ENV = "YIBAO_CJK_FONT"


@dataclass(frozen=True, slots=True)
class CjkFont:
    """The CJK font a PDF uses: an embedded TrueType font (``path``) or the built-in CID font."""

    name: str
    path: str = ""
    index: int = 0
    #: The characters the embedded font has a glyph for (empty for the CID font).
    covers: frozenset[int] = frozenset()

    @property
    def embedded(self) -> bool:
        """Whether the glyphs travel inside the PDF."""
        return bool(self.path)

    def font_for(self, ch: str) -> str:
        """The registered font that draws the (non-Latin) character ``ch``."""
        if not self.embedded or ord(ch) in self.covers:
            return self.name
        return cid_font()


_lock = threading.Lock()
_found: dict[str, CjkFont] = {}


def cid_font() -> str:
    """``STSong-Light``, registered with reportlab."""
    from reportlab.pdfbase import pdfmetrics

    if CID_FONT not in pdfmetrics.getRegisteredFontNames():
        from reportlab.pdfbase.cidfonts import UnicodeCIDFont

        pdfmetrics.registerFont(UnicodeCIDFont(CID_FONT))
    return CID_FONT


def _candidates(setting: str) -> list[tuple[str, int]]:
    if setting.strip().lower() == "none":
        return []
    if setting:
        path, _, index = setting.partition("#")
        return [(path, int(index) if index.isdigit() else 0)]
    return list(CANDIDATES)


def cjk_font() -> CjkFont:
    """The CJK font for PDFs, registered with reportlab (once per ``$YIBAO_CJK_FONT``): the
    first TrueType font that exists and reportlab can embed, else ``STSong-Light``. Raises
    ``ImportError`` without reportlab."""
    setting = os.environ.get(ENV, "")
    with _lock:
        known = _found.get(setting)
        if known is None:
            known = _found[setting] = _register(setting)
        return known


def _register(setting: str) -> CjkFont:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    for path, index in _candidates(setting):
        if not os.path.isfile(path):
            continue
        name = f"YibaoCJK-{len(_found)}"
        try:
            font = TTFont(name, path, subfontIndex=index)
        except Exception:  # noqa: BLE001 - CFF outlines, a damaged file: try the next one
            continue
        font.face.__class__ = _named_face_class(type(font.face))
        pdfmetrics.registerFont(font)
        return CjkFont(name, path, index, frozenset(font.face.charToGlyph))
    return CjkFont(cid_font())


# --- glyph names in the embedded subset ---------------------------------------------------------

_classes: dict[type[Any], type[Any]] = {}


def _named_face_class(base: type[Any]) -> type[Any]:
    """``base`` (reportlab's ``TTFontFace``) whose subsets name their glyphs ``uniXXXX``."""
    cls = _classes.get(base)
    if cls is None:

        def make_subset(self: Any, subset: list[int]) -> bytes:
            data: bytes = base.makeSubset(self, subset)
            return _with_glyph_names(data, _glyph_names(self.charToGlyph, subset))

        cls = _classes[base] = type("NamedGlyphsFace", (base,), {"makeSubset": make_subset})
    return cls


def _glyph_names(char_to_glyph: dict[int, int], subset: list[int]) -> list[str]:
    """The subset's glyph names in its glyph order: reportlab numbers glyphs by first use in
    ``subset`` after ``.notdef`` (composite glyphs' parts follow; they are named by number)."""
    names = [".notdef"]
    seen = {0}
    for code in subset:
        glyph = char_to_glyph.get(code, 0)
        if glyph not in seen:
            seen.add(glyph)
            names.append(f"uni{code:04X}" if code <= 0xFFFF else f"u{code:X}")
    return names


def _tables(data: bytes) -> dict[bytes, bytes]:
    count = struct.unpack(">H", data[4:6])[0]
    out = {}
    for i in range(count):
        tag, _, offset, length = struct.unpack(">4sLLL", data[12 + 16 * i: 28 + 16 * i])
        out[tag] = data[offset: offset + length]
    return out


def _with_glyph_names(data: bytes, names: list[str]) -> bytes:
    """The TrueType font ``data`` with a format-2 ``post`` table naming its glyphs."""
    from reportlab.pdfbase.ttfonts import TTFontMaker

    tables = _tables(data)
    glyphs = struct.unpack(">H", tables[b"maxp"][4:6])[0]
    names = (names + [f"glyph{i}" for i in range(len(names), glyphs)])[:glyphs]
    post = bytearray(b"\x00\x02\x00\x00" + tables[b"post"][4:32])
    post += struct.pack(">H", glyphs)
    extra: list[bytes] = []
    for name in names:
        if name == ".notdef":
            post += struct.pack(">H", 0)  # the standard Macintosh name 0
        else:
            post += struct.pack(">H", 258 + len(extra))
            extra.append(name.encode("ascii"))
    for raw in extra:
        post += bytes([len(raw)]) + raw
    maker = TTFontMaker()
    for tag, table in tables.items():
        maker.add(tag.decode("latin-1"), bytes(post) if tag == b"post" else table)
    stream: bytes = maker.makeStream()
    return stream
