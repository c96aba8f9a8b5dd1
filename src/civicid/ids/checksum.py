"""ISO 7064 MOD 11-2, the check character of GB 11643-1999 (§5.5, worked example in Annex B).

GB 11643-1999 cites ISO 7064:1983 (now ISO/IEC 7064:2003). MOD 11-2 is a pure system with modulus
11 and radix 2: the character in position i, counted from the right starting at 1 for the check
character, has weight 2^(i-1) mod 11, and a valid string satisfies  sum(a_i * w_i) ≡ 1 (mod 11).
For the 17-digit body of an ID number the weights are 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2. The check
value is 0..10; 10 is written 'X'.

Why it detects every single substitution and every adjacent transposition: 11 is prime, so a digit
change d -> d' (|d - d'| <= 10) alters the sum by (d' - d) * w, and neither factor is 0 mod 11;
swapping neighbours a, b alters it by (a - b) * (2w - w) = (a - b) * w, likewise never 0 mod 11.
This holds for the check character too, whose weight is 1.
"""

from __future__ import annotations

from civicid.ids.errors import IdNumberCharset

MODULUS = 11
RADIX = 2
CHECK_CHARACTERS = "0123456789X"
DIGITS = frozenset("0123456789")


def check_value(digits: str) -> int:
    """The MOD 11-2 check value (0..10) for a string of ASCII decimal digits."""
    if not digits or not DIGITS.issuperset(digits):
        raise IdNumberCharset("The MOD 11-2 check value is defined for ASCII digits only.")
    # Horner's scheme: after the loop, total = sum(d_k * 2^(n-k)) mod 11 for k = 0..n-1, which is
    # the weight each digit has once the check character is appended in position 1.
    total = 0
    for char in digits:
        total = (total + int(char)) * RADIX % MODULUS
    return (1 - total) % MODULUS


def check_character(digits: str) -> str:
    """The MOD 11-2 check character ('0'..'9' or 'X') to append to ``digits``."""
    return CHECK_CHARACTERS[check_value(digits)]


def is_valid(text: str) -> bool:
    """Whether the last character of ``text`` is the MOD 11-2 check character of the digits before it."""
    body = text[:-1]
    return bool(body) and DIGITS.issuperset(body) and text[-1] == check_character(body)
