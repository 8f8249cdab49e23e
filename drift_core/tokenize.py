"""The built-in word tokenizer used for ``text`` items.

Rule: Unicode-aware, lower-cased; a word is a run of letters or digits (any script, ``_``
excluded), with apostrophes (``'`` or ``’``) kept *inside* a word. Everything else separates.

Examples
--------
>>> words("Don't panic: the café's 2 croissants — 100% GOOD!")
["don't", 'panic', 'the', "café's", '2', 'croissants', '100', 'good']
>>> words("naïve Straße,東京 'quoted'")
['naïve', 'straße', '東京', 'quoted']
>>> words("")
[]
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


def words(text: str) -> list[str]:
    """Split ``text`` into lower-cased words (see module docstring)."""
    return _WORD.findall(text.lower())
