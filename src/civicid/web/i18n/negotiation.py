"""Which language a request gets: the ``civicid_lang`` cookie (the page's switch), else the
browser's ``Accept-Language`` (RFC 9110 §12.5.4), else English.

CivicID offers English and Simplified Chinese; any ``zh`` range (``zh``, ``zh-CN``, ``zh-Hans``,
``zh-TW``…) gets Simplified Chinese, the only written Chinese offered.
"""

from __future__ import annotations

from typing import Mapping

ENGLISH = "en"
CHINESE = "zh-CN"
SUPPORTED = (ENGLISH, CHINESE)
DEFAULT = ENGLISH
COOKIE_NAME = "civicid_lang"
#: the BCP 47 tag of each locale (``<html lang>``, the cookie) → its Babel/gettext name
BABEL_NAMES: Mapping[str, str] = {ENGLISH: "en", CHINESE: "zh_CN"}
MAX_HEADER = 512  # longer Accept-Language headers are ignored, not parsed


def supported(tag: str | None) -> str | None:
    """The supported locale a language tag or range names (case-insensitive), or ``None``."""
    if not tag:
        return None
    primary = tag.strip().lower().replace("_", "-").split("-", 1)[0]
    if primary == "zh":
        return CHINESE
    if primary == "en":
        return ENGLISH
    return None


def accept_language(header: str | None) -> list[tuple[str, float]]:
    """The header's ranges with their weights, best first (stable for equal weights); malformed
    parts are skipped."""
    if not header or len(header) > MAX_HEADER:
        return []
    ranges: list[tuple[str, float]] = []
    for part in header.split(","):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip()
        if not tag:
            continue
        weight = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = -1.0
        if 0.0 < weight <= 1.0:
            ranges.append((tag, weight))
    return sorted(ranges, key=lambda item: -item[1])


def negotiate(*, cookie: str | None, accept: str | None) -> str:
    """The cookie's locale when it names a supported one, else the first supported range of the
    Accept-Language header (``*`` means the default), else the default."""
    chosen = supported(cookie) if cookie in SUPPORTED else None
    if chosen:
        return chosen
    for tag, _ in accept_language(accept):
        if tag == "*":
            return DEFAULT
        chosen = supported(tag)
        if chosen:
            return chosen
    return DEFAULT
