"""The text a reader of a page sees or hears: element text and the attributes read out or shown
(``title``, ``alt``, ``placeholder``, ``aria-label``, ``aria-valuetext``, an input button's ``value``).

Left out: scripts, styles, ``<code>``/``<pre>`` (identifiers and raw data shown as such), and any
element marked as English with ``lang="en…"`` (the language switch's "English", details meant for
a service's developers)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

SPOKEN_ATTRIBUTES = ("title", "alt", "placeholder", "aria-label", "aria-valuetext")
SKIPPED = {"script", "style", "code", "pre", "template"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
#: words that stay as they are in a Chinese page: the brand, formats and keys named as such
ALLOWED = {"CivicID", "JavaScript", "PIN", "JPEG", "PNG", "WebP", "JSON", "UTC", "Ctrl", "base64", "RFC"}
ENGLISH_WORD = re.compile(r"[A-Za-z][A-Za-z'’]+")


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._stack: list[tuple[str, bool]] = []  # (tag, skipped)

    @property
    def _skipping(self) -> bool:
        return any(skipped for _, skipped in self._stack)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        skipped = tag in SKIPPED or (attributes.get("lang") or "").lower().startswith("en")
        if not (self._skipping or skipped):
            for name in SPOKEN_ATTRIBUTES:
                if attributes.get(name):
                    self.texts.append(attributes[name])
            if tag == "input" and attributes.get("type") in ("submit", "button", "reset") and attributes.get("value"):
                self.texts.append(attributes["value"])
        if tag not in VOID:
            self._stack.append((tag, skipped))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        for i in range(len(self._stack) - 1, -1, -1):  # tolerate unclosed <p>, <li>
            if self._stack[i][0] == tag:
                del self._stack[i:]
                return

    def handle_data(self, data):
        if not self._skipping and data.strip():
            self.texts.append(data.strip())


def visible_texts(html: str) -> list[str]:
    collector = _Collector()
    collector.feed(html)
    collector.close()
    return collector.texts


def english_left(html: str, *, data: tuple[str, ...] = ()) -> list[str]:
    """The texts of the page with English words in them (other than :data:`ALLOWED`), once
    ``data`` (names and values the page shows as they are: a service's registered name, a
    network ID) is taken out."""
    found = []
    for text in visible_texts(html):
        for value in data:
            text = text.replace(value, " ")
        words = [word for word in ENGLISH_WORD.findall(text) if word not in ALLOWED]
        if words:
            found.append(text)
    return found
