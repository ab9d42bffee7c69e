"""Text helpers of the plan parser, each linear in the length of its input, whatever the input.

A model's reply is untrusted text: one regex that backtracks (the old code-fence pattern took 46.7 s on "```"
followed by 3000 spaces) blocks the whole amplify phase. So fences are found with `str.find`, and the only regex
here is a single character class, which cannot backtrack.

- `fenced_blocks`: the bodies of ``` fenced blocks (an optional `json` tag after the opening fence).
- `bad_character`: why a subquestion's text cannot be used (a NUL, a lone surrogate), or None.
- `normalise`: the text a repeat check compares: NFKC-normalised and case-folded, with invisible format
  characters (zero-width spaces, soft hyphens) and the combining marks of Latin letters dropped, the common
  Cyrillic and Greek look-alikes of Latin letters mapped to them, and punctuation and whitespace runs as single
  spaces.
"""

from __future__ import annotations

import re
import unicodedata

FENCE = "```"
_BLANKS = re.compile(r"[ \t]*")  # one class, nothing after it: no backtracking
_NOT_WORD = re.compile(r"[\W_]+")
# Dropped before comparing: the combining marks that decorate Latin letters (diacritics, enclosing marks) and the
# invisible format characters (soft hyphen, zero-width spaces and joiners, bidi controls, variation selectors,
# fillers). Explicit ranges, not "every Mn", so the vowel signs other scripts spell with are kept; one character
# class, so C speed and no backtracking.
_INVISIBLE = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
                        "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
                        "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]+")

# Letters NFKC leaves alone that look like Latin ones (Unicode's confusables, the unambiguous part): mapped
# before case folding, since the upper and lower case of one letter can look like different Latin letters.
_LOOKALIKES = str.maketrans({
    **dict(zip("АВЕКМНОРСТХУЅІЈԚԜ", "ABEKMHOPCTXYSIJQW", strict=True)),  # Cyrillic capitals
    **dict(zip("аеорсухѕіјһԁԛԝӏ", "aeopcyxsijhdqwl", strict=True)),  # Cyrillic small letters
    **dict(zip("ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ", "ABEZHIKMNOPTYX", strict=True)),  # Greek capitals
    **dict(zip("οικνρυχ", "oikvpux", strict=True)),  # Greek small letters
})


def fenced_blocks(text: str, limit: int | None = None) -> list[str]:
    """The bodies of the first `limit` (None: all) ``` fenced blocks of `text`, in order; an opening fence never
    closed gives none. After an opening fence, blanks, an optional `json` tag (any case), blanks and one newline
    are skipped."""
    blocks: list[str] = []
    pos = 0
    while (limit is None or len(blocks) < limit) and (start := text.find(FENCE, pos)) != -1:
        body = _after_tag(text, start + len(FENCE))
        end = text.find(FENCE, body)
        if end == -1:  # no closing fence after this one, so none after any later opening fence either
            break
        blocks.append(text[body:end])
        pos = end + len(FENCE)
    return blocks


def _after_tag(text: str, i: int) -> int:
    i = _BLANKS.match(text, i).end()  # type: ignore[union-attr]  # `*` always matches
    if text[i:i + 4].lower() == "json":
        i = _BLANKS.match(text, i + 4).end()  # type: ignore[union-attr]
    return i + 1 if text.startswith("\n", i) else i


def bad_character(text: str) -> str | None:
    """Why `text` cannot be sent to a model or stored, or None: a NUL, or a lone surrogate (JSON's "\\ud800"
    escapes decode to one; it is not a character, and UTF-8 cannot encode it)."""
    if "\x00" in text:
        return f"a NUL character at position {text.index(chr(0))}"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:
        return f"a lone surrogate (U+{ord(text[err.start]):04X}) at position {err.start}"
    return None


def normalise(text: str) -> str:
    """Text compared for repeats (see the module docstring): equal for look-alike spellings of one text."""
    kept = _INVISIBLE.sub("", unicodedata.normalize("NFKD", text))
    folded = unicodedata.normalize("NFKC", kept.translate(_LOOKALIKES).casefold())
    return _NOT_WORD.sub(" ", folded).strip()
