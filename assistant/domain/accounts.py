"""One key per customer account, however people type its name.

"Acme Corp", "ACME Corp." and "Acme, Inc." are one account: sponsorship, the
portfolio filters and the digest group by this key. Case, spacing, punctuation
and accents do not count, nor do legal suffixes (Inc., Ltda., S.A., GmbH…).
"""

from __future__ import annotations

import re
import unicodedata

# At most 150 characters: the key is also a Slack option value.
KEY_LENGTH = 150

# Legal-form suffixes as words once punctuation is gone ("S.A. de C.V." -> "s a de c v").
_SUFFIXES = """
inc incorporated corp corporation co company llc llp lp ltd limited plc
ltda lda eireli me sa sab sas sarl srl spa sl slu sau gmbh ag kg bv nv pty oy ab as kk
s a b de c v | s a de c v | s de r l | s a s | s p a | s r l | s a b | s a | s l | b v | n v | de c v
"""
# Longest first, so "s a de c v" goes before "s a" could leave "de c v".
LEGAL_SUFFIXES: tuple[tuple[str, ...], ...] = tuple(
    sorted(
        {
            tuple(words.split())
            for line in _SUFFIXES.strip().splitlines()
            for words in (line.split("|") if "|" in line else line.split())
        },
        key=len,
        reverse=True,
    )
)
_NOT_A_WORD = re.compile(r"[^\w]+")


def account_key(name: str) -> str:
    """The account's key: folded, without punctuation or a legal suffix ("Acme, Inc." -> "acme")."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().strip() or name
    words = _NOT_A_WORD.sub(" ", folded.casefold().replace("&", " and ")).split()
    words = _without_legal_suffix(words)
    return " ".join(words)[:KEY_LENGTH]


def _without_legal_suffix(words: list[str]) -> list[str]:
    """Drop trailing legal suffixes (and the "and" of "& Co."), never every word."""
    changed = True
    while changed:
        changed = False
        for suffix in LEGAL_SUFFIXES:
            if len(words) > len(suffix) and tuple(words[-len(suffix) :]) == suffix:
                words = words[: -len(suffix)]
                changed = True
                break
        if changed and len(words) > 1 and words[-1] == "and":
            words = words[:-1]
    return words
