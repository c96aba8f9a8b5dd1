"""Personal names: a matching key for claimed vs. registry names, and synthetic names for the demo.

:func:`normalise_name` makes two spellings of the same name compare equal when they differ only in
ways people do not consider part of the name: Unicode form (NFKC: full-width letters, composed
accents), letter case (Unicode casefolding, so 'ß' matches 'SS'), runs of white space, and
punctuation. Transliterated Chinese names join their parts with a middle dot ('阿依古丽·吐尔逊');
people type it as '·', '•', '・', '.', '-' or leave it out, so all punctuation is dropped. Han, kana
and Hangul are kept as they are, and white space between two of them is dropped, since those
scripts do not separate the parts of a name ('张 三' is '张三'). Accents are not stripped:
'José' and 'Jose' stay different, because that is a different spelling, not a different encoding.
"""

from __future__ import annotations

import random
import unicodedata

# Dots that are typed as name separators but are math symbols (category Sm), not punctuation (P*).
_EXTRA_SEPARATORS = frozenset("\u2219\u22c5")  # BULLET OPERATOR, DOT OPERATOR
_DROPPED_CATEGORIES = ("Cc", "Cf")  # controls and invisible format characters (ZWSP, ZWJ, BOM)

# Script blocks written without spaces between the parts of a name.
_UNSPACED_RANGES = (
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x3400, 0x4DBF),  # CJK Unified Ideographs Extension A
    (0x4E00, 0x9FFF),  # CJK Unified Ideographs
    (0xAC00, 0xD7AF),  # Hangul Syllables
    (0xF900, 0xFAFF),  # CJK Compatibility Ideographs
    (0x20000, 0x323AF),  # CJK Unified Ideographs Extensions B-H
)


def normalise_name(name: str) -> str:
    """The key under which two spellings of a name match (see the module docstring).

    Steps: NFKC, casefold, NFKC again (casefolding can un-normalise), white space to single
    spaces, punctuation and invisible characters dropped, spaces between Han/kana/Hangul dropped,
    leading and trailing space stripped, and a last NFKC because dropping a character can bring a
    letter and a combining accent together. An all-punctuation name normalises to "".
    """
    text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    kept: list[str] = []
    for char in text:
        if char.isspace():
            kept.append(" ")
            continue
        category = unicodedata.category(char)
        if category.startswith("P") or category in _DROPPED_CATEGORIES or char in _EXTRA_SEPARATORS:
            continue
        kept.append(char)

    words = "".join(kept).split()
    if not words:
        return ""
    joined = words[0]
    for word in words[1:]:
        separator = "" if _is_unspaced(joined[-1]) and _is_unspaced(word[0]) else " "
        joined += separator + word
    return unicodedata.normalize("NFKC", joined)


def _is_unspaced(char: str) -> bool:
    point = ord(char)
    return any(low <= point <= high for low, high in _UNSPACED_RANGES)


# (Han, pinyin) pairs of common surnames and given-name syllables.
_SURNAMES = (
    ("王", "Wang"), ("李", "Li"), ("张", "Zhang"), ("刘", "Liu"), ("陈", "Chen"), ("杨", "Yang"),
    ("黄", "Huang"), ("赵", "Zhao"), ("吴", "Wu"), ("周", "Zhou"), ("徐", "Xu"), ("孙", "Sun"),
    ("马", "Ma"), ("朱", "Zhu"), ("胡", "Hu"), ("郭", "Guo"), ("何", "He"), ("林", "Lin"),
    ("高", "Gao"), ("罗", "Luo"), ("郑", "Zheng"), ("梁", "Liang"), ("谢", "Xie"), ("宋", "Song"),
    ("唐", "Tang"), ("韩", "Han"), ("冯", "Feng"), ("邓", "Deng"), ("曹", "Cao"), ("欧阳", "Ouyang"),
    ("司马", "Sima"),
)  # fmt: skip
_GIVEN_SYLLABLES = (
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"),
    ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"), ("勇", "yong"), ("艳", "yan"),
    ("杰", "jie"), ("涛", "tao"), ("明", "ming"), ("超", "chao"), ("秀", "xiu"), ("英", "ying"),
    ("华", "hua"), ("慧", "hui"), ("建", "jian"), ("国", "guo"), ("平", "ping"), ("文", "wen"),
    ("晓", "xiao"), ("红", "hong"), ("玲", "ling"), ("鹏", "peng"), ("宇", "yu"), ("浩", "hao"),
    ("婷", "ting"), ("雪", "xue"), ("琳", "lin"), ("欣", "xin"), ("志", "zhi"), ("海", "hai"),
    ("梅", "mei"), ("子", "zi"), ("涵", "han"), ("思", "si"), ("博", "bo"), ("嘉", "jia"),
)  # fmt: skip
# Uyghur names as written in Chinese characters, whose parts are joined by a middle dot.
_TRANSLITERATED_PARTS = (
    "阿依古丽", "买买提", "阿不都", "热依拉", "艾尼瓦尔", "古丽娜尔", "吐尔逊", "帕提古丽", "努尔", "艾合买提",
)  # fmt: skip
_OTHER_GIVEN = (
    "Maria", "Olivia", "Amir", "Aisha", "Lucas", "Sofia", "Noah", "Léa", "José", "Hannah",
    "Mateo", "Yuki", "Ananya", "Kwame", "Ivan", "Fatima", "Chloé", "Tariq",
)  # fmt: skip
_OTHER_FAMILY = (
    "Silva", "Martin", "Khan", "Nguyen", "Müller", "O'Brien", "García", "Kowalski", "Haddad",
    "Tanaka", "Okafor", "Petrov", "Dubois", "Jean-Baptiste", "Andersson", "Mensah",
)  # fmt: skip


def generate_name(rng: random.Random) -> str:
    """A plausible synthetic full name for the demo registry, drawn only from ``rng``.

    About half are Chinese names in pinyin ('Zhang Xiaoming', surname first), a fifth in Chinese
    characters ('张晓明'), one in ten a transliterated Uyghur name with a middle dot ('阿依古丽·吐尔逊'),
    and the rest names from elsewhere, some with accents, apostrophes or hyphens.
    """
    style = rng.random()
    if style < 0.7:
        surname_han, surname_pinyin = rng.choice(_SURNAMES)
        syllables = [rng.choice(_GIVEN_SYLLABLES) for _ in range(rng.choice((1, 2, 2)))]
        if style < 0.5:
            given = "".join(pinyin for _, pinyin in syllables)
            return f"{surname_pinyin} {given.capitalize()}"
        return surname_han + "".join(han for han, _ in syllables)
    if style < 0.8:
        first, second = rng.sample(_TRANSLITERATED_PARTS, 2)
        return f"{first}·{second}"
    return f"{rng.choice(_OTHER_GIVEN)} {rng.choice(_OTHER_FAMILY)}"
