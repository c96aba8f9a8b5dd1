"""What an official must write before reading a citizen's record (DESIGN.md principle 6): a
justification a person could act on, and a case reference in the format the operator set.

The justification goes verbatim into the citizen's transparency log, so text that says nothing
("aaaaaaaaaaaaaaaaaaaa", "test test test test", "asdfasdfasdfasdfasdf") is refused, as is text
that would put personal data or control characters in the log. The rules are deliberately
simple and each has its own message: they stop placeholders, not a determined liar; the log and
the rate limit do the rest.
"""

from __future__ import annotations

import re
from collections import Counter

from civicid.officials.errors import JustificationRequired

MIN_CHARS = 20
MAX_CHARS = 1000
MIN_WORDS = 3  # distinct words (of two letters or more; each CJK character counts as one)
MIN_LETTERS = 6  # distinct letters
MAX_LETTER_SHARE = 0.4  # of all letters, for the most frequent one ('e' is about 13 % in English)
CASE_REFERENCE_MAX = 64

_WORD = re.compile(r"[^\W\d_]+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_REPEATED = re.compile(r"(.+?)\1+", re.DOTALL)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# national ID numbers (18 characters, or the legacy 15 digits) have no place in the log
_ID_NUMBER = re.compile(r"(?<![0-9])(?:[0-9]{17}[0-9Xx]|[0-9]{15})(?![0-9Xx])")


def check_justification(text: str, *, min_chars: int = MIN_CHARS, max_chars: int = MAX_CHARS) -> str:
    """The justification with its whitespace collapsed, or :class:`JustificationRequired` saying
    what is wrong with it."""
    if _CONTROL.search(text.replace("\n", " ").replace("\t", " ")):
        raise _refused("The justification must not contain control characters.", "control_characters")
    text = " ".join(text.split())
    if not min_chars <= len(text) <= max_chars:
        raise _refused(f"The justification must have {min_chars} to {max_chars} characters.", "length")
    if _ID_NUMBER.search(text):
        raise _refused("Leave the ID number out of the justification: it is written to the citizen's "
                       "public log. The record is identified by the ID number field.", "contains_id_number")
    letters = [char.casefold() for char in text if char.isalpha()]
    counts = Counter(letters)
    if len(counts) < MIN_LETTERS or counts.most_common(1)[0][1] > MAX_LETTER_SHARE * len(letters):
        raise _refused("The justification is not written text: say why this record is needed.", "degenerate")
    if _REPEATED.fullmatch("".join(text.casefold().split())):
        raise _refused("The justification repeats one piece of text: say why this record is needed.", "repeated")
    if len(_words(text)) < MIN_WORDS:
        raise _refused(f"The justification needs at least {MIN_WORDS} different words.", "too_few_words")
    return text


def check_case_reference(reference: str, *, pattern: str) -> str:
    """``reference`` if it matches the operator's format (``official_case_reference_pattern``)."""
    reference = reference.strip()
    if len(reference) > CASE_REFERENCE_MAX or not re.fullmatch(pattern, reference):
        raise JustificationRequired(
            f"The case reference must match the format {pattern} (set by the operator).",
            field="case_reference", reason="format")
    return reference


def _words(text: str) -> set[str]:
    words: set[str] = set()
    for run in _WORD.findall(text.casefold()):
        ideographs = _CJK.findall(run)
        words.update(ideographs)
        rest = _CJK.sub(" ", run).split()
        words.update(word for word in rest if len(word) >= 2)
    return words


def _refused(message: str, reason: str) -> JustificationRequired:
    return JustificationRequired(message, field="justification", reason=reason)
