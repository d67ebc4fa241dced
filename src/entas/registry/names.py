"""Normalising Indonesian personal names for search and matching (pure)."""

from __future__ import annotations

import functools
import re
import unicodedata

# Religious and academic titles and honorifics that come and go between records of one person.
TITLES = {
    "h",
    "hj",
    "hajah",
    "haji",
    "ir",
    "dr",
    "drs",
    "dra",
    "prof",
    "st",
    "sh",
    "se",
    "spd",
    "sag",
    "sos",
    "ssos",
    "skom",
    "sked",
    "amd",
    "mm",
    "mh",
    "msi",
    "mpd",
    "ssi",
    "sip",
    "skm",
    "apt",
    "ners",
    "bpk",
    "ibu",
    "sdr",
    "sdri",
    "tn",
    "ny",
    "nn",
    "almarhum",
    "alm",
    "almh",
}
PATRONYMIC = {"bin", "binti", "bt", "bn"}


@functools.lru_cache(maxsize=1 << 16)  # names repeat: the import keys a million rows
def name_key(name: str) -> str:
    """``"Hj. Siti Aminah, S.Pd."`` → ``"siti aminah"``: folded, titles removed, spaces collapsed.

    A patronymic (bin/binti and what follows) is dropped: it is often missing from one record.
    """
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    # "S.Pd." and "S. Pd" are one title: drop dots and commas inside titles before splitting.
    tokens = re.split(r"[\s,]+", folded)
    words: list[str] = []
    for token in tokens:
        token = re.sub(r"[^a-z]", "", token)
        if not token or token in TITLES:
            continue
        if token in PATRONYMIC and words:
            break
        words.append(token)
    return " ".join(words)


def within_one_edit(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` differ by at most one insertion, deletion or substitution."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la > lb:
        a, b, la, lb = b, a, lb, la
    i = 0
    while i < la and a[i] == b[i]:
        i += 1
    if la == lb:
        return a[i + 1 :] == b[i + 1 :]
    return a[i:] == b[i + 1 :]


# Old (pre-1972 and Dutch-era) spellings still on documents, and letters that sound alike.
_SOUND_RULES = [
    ("oe", "u"),
    ("dj", "j"),
    ("tj", "c"),
    ("sj", "sy"),
    ("nj", "ny"),
    ("ch", "h"),
    ("kh", "h"),
    ("ph", "f"),
]
_SOUND_MAP = str.maketrans({"v": "f", "q": "k", "z": "j", "x": "k"})


def sound_key(word: str) -> str:
    """A phonetic key of one Indonesian name for blocking candidates: ``"Muhammad"``, ``"Mohamad"``
    and ``"Muhamad"`` → ``"md"``; ``"Djoko"`` and ``"Joko"`` → ``"jk"``; ``"Achmad"`` and ``"Ahmad"``
    → ``"amd"``. The first letter is kept, later vowels and ``h``/``w``/``y`` are dropped and doubled
    letters collapse."""
    w = re.sub(r"[^a-z]", "", word.lower())
    if not w:
        return ""
    for old, new in _SOUND_RULES:
        w = w.replace(old, new)
    w = w.translate(_SOUND_MAP)
    out = [w[0]]
    for ch in w[1:]:
        if ch in "aeiouyhw":
            continue
        if ch != out[-1]:
            out.append(ch)
    return "".join(out)[:6]
