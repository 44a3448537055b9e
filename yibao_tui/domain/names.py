"""Names as a search key: what counter staff type must find what the roster registered.

``name_key("李 建国")``, ``name_key("李建国")`` and ``name_key("ＬＩ Jianguo")`` are equal to their
variants: Unicode NFKC (full-width letters, compatibility forms), case folded, white space and the
dots between the parts of a transliterated name (``·``, ``•``, ``・``, ``.``) removed.
"""

from __future__ import annotations

import unicodedata

#: Dots that separate the parts of a name (阿依古丽·买买提) and are often typed differently or left out.
_SEPARATORS = frozenset("·•・‧.．-")


def name_key(name: str) -> str:
    """The normalised form a name is stored and searched under."""
    text = unicodedata.normalize("NFKC", str(name)).casefold()
    return "".join(c for c in text if not c.isspace() and c not in _SEPARATORS)
