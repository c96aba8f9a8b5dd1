"""Which language a request gets (civicid.web.i18n.negotiation)."""

import pytest

from civicid.web.i18n.negotiation import CHINESE, ENGLISH, accept_language, negotiate


@pytest.mark.parametrize(("header", "expected"), [
    ("zh-CN,zh;q=0.9,en;q=0.8", CHINESE),
    ("zh", CHINESE),
    ("zh-Hans-CN", CHINESE),
    ("zh-TW", CHINESE),  # Simplified is the only written Chinese offered
    ("ZH_cn", CHINESE),
    ("en-US,en;q=0.9", ENGLISH),
    ("en;q=0.5, zh;q=0.9", CHINESE),  # weights decide, not order
    ("fr-FR, zh;q=0.2", CHINESE),  # the first supported one
    ("fr-FR, de;q=0.8", ENGLISH),  # none supported: the default
    ("*", ENGLISH),
    ("zh;q=0", ENGLISH),  # q=0: "not acceptable"
    ("zh;q=abc, en", ENGLISH),  # a malformed weight is not acceptable either
    ("", ENGLISH),
    (None, ENGLISH),
    ("zh," * 300, ENGLISH),  # an absurdly long header is not parsed
])
def test_accept_language(header, expected):
    assert negotiate(cookie=None, accept=header) == expected


def test_the_cookie_beats_the_header():
    assert negotiate(cookie="zh-CN", accept="en-US,en") == CHINESE
    assert negotiate(cookie="en", accept="zh-CN,zh") == ENGLISH


@pytest.mark.parametrize("cookie", ["fr", "zh", "zh-TW", "", "en-GB", "zh-CN; evil", "<script>"])
def test_a_cookie_that_is_not_one_of_ours_is_ignored(cookie):
    assert negotiate(cookie=cookie, accept="zh-CN") == CHINESE
    assert negotiate(cookie=cookie, accept=None) == ENGLISH


def test_ranges_best_first_and_stable():
    assert accept_language("da, en-gb;q=0.8, en;q=0.7, zh;q=0.8") == [
        ("da", 1.0), ("en-gb", 0.8), ("zh", 0.8), ("en", 0.7)]
