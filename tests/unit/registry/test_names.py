"""Name matching keys and synthetic names for the demo registry."""

from __future__ import annotations

import random
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicid.registry.names import generate_name, normalise_name


@pytest.mark.parametrize(
    ("claimed", "registered"),
    [
        ("  ZHANG   Wei ", "Zhang Wei"),
        ("zhang\twei", "Zhang Wei"),
        ("Ｚｈａｎｇ　Ｗｅｉ", "Zhang Wei"),  # full-width letters and ideographic space
        ("Xiao-ming Li", "Xiaoming Li"),
        ("J.R. Tolkien", "JR Tolkien"),
        ("J. R. Tolkien", "j r tolkien"),
        ("O\u2019Brien", "OBrien"),
        ("STRASSE", "Straße"),
        ("Jose\u0301", "José"),  # decomposed and composed accent
        ("阿依古丽·吐尔逊", "阿依古丽吐尔逊"),  # U+00B7 middle dot
        ("阿依古丽・吐尔逊", "阿依古丽·吐尔逊"),  # U+30FB katakana middle dot
        ("阿依古丽•吐尔逊", "阿依古丽·吐尔逊"),  # U+2022 bullet
        ("阿依古丽∙吐尔逊", "阿依古丽·吐尔逊"),  # U+2219 bullet operator
        ("阿依古丽.吐尔逊", "阿依古丽·吐尔逊"),
        ("阿依古丽 · 吐尔逊", "阿依古丽·吐尔逊"),
        ("张 三", "张三"),  # Han is written without spaces
        ("张\u200b三", "张三"),  # zero-width space
        ("山田 太郎", "山田太郎"),
        ("Abdulla·Tursun", "AbdullaTursun"),  # the dot joins, it does not separate
    ],
)
def test_same_name_spelled_differently_matches(claimed: str, registered: str) -> None:
    assert normalise_name(claimed) == normalise_name(registered)


@pytest.mark.parametrize(
    ("one", "other"),
    [("José", "Jose"), ("张三", "张四"), ("Li Na", "Lina"), ("Wang Wei", "Wei Wang"), ("李娜", "李 娜 A")],
)
def test_different_names_stay_different(one: str, other: str) -> None:
    assert normalise_name(one) != normalise_name(other)


@pytest.mark.parametrize(
    ("name", "key"), [("  Zhang  WEI ", "zhang wei"), ("李·娜", "李娜"), ("...", ""), ("", "")]
)
def test_exact_keys(name: str, key: str) -> None:
    assert normalise_name(name) == key


def test_cjk_characters_are_kept_as_they_are() -> None:
    assert normalise_name("欧阳晓明") == "欧阳晓明"
    assert normalise_name("김민수") == "김민수"


def test_space_between_han_and_latin_is_kept() -> None:
    assert normalise_name("李 Lee") == "李 lee"


@given(st.text(max_size=40))
def test_normalising_twice_changes_nothing(name: str) -> None:
    once = normalise_name(name)
    assert normalise_name(once) == once
    assert once == once.strip()
    assert "  " not in once
    assert not any(unicodedata.category(c).startswith("P") for c in once)


def test_generate_name_is_deterministic_per_seed() -> None:
    assert [generate_name(random.Random(5)) for _ in range(3)] == [generate_name(random.Random(5))] * 3


def test_generated_names_are_plausible_and_varied() -> None:
    rng = random.Random(11)
    names = [generate_name(rng) for _ in range(500)]
    assert all(name == name.strip() and normalise_name(name) for name in names)
    assert all(2 <= len(name) <= 40 for name in names)
    surnames = set(
        "Zhang Wang Li Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Lin Gao Luo Zheng"
        " Liang Xie Song Tang Han Feng Deng Cao Ouyang Sima".split()
    )
    pinyin = [n for n in names if n.isascii() and n.split()[0] in surnames]
    han = [n for n in names if "\u4e00" <= n[0] <= "\u9fff" and "·" not in n]
    dotted = [n for n in names if "·" in n]
    other = set(names) - set(pinyin) - set(han) - set(dotted)
    # Roughly the documented mix: half pinyin, a fifth Han, a tenth dotted, the rest others.
    assert 180 <= len(pinyin) <= 320
    assert 60 <= len(han) <= 150
    assert 25 <= len(dotted) <= 80
    assert 25 <= len(other) <= 100
    assert all(" " in n and n.split()[1][0].isupper() for n in pinyin)
    assert len(set(names)) > 300
