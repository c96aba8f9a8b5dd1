"""What a citizen sees, measured in the browser: horizontal overflow on a phone, full-page
screenshots in e2e-artifacts/ (git-ignored; look at them), and the visible text of a page with the
English words a Simplified Chinese page should not show."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from tests.support.visible_text import ALLOWED as SERVER_SIDE_ALLOWED

ARTIFACTS = Path(__file__).parents[2] / "e2e-artifacts"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}  # iPhone 12-15 in CSS pixels
LANGUAGES = ("en", "zh-CN")
LANG_COOKIE = "civicid_lang"


def with_language(context, base_url: str, lang: str) -> None:
    """The language switch's cookie, as the switch sets it (contexts are also opened with
    ``locale=lang``: the browser's own language, its Accept-Language and date formats)."""
    context.add_cookies([{"name": LANG_COOKIE, "value": lang, "url": base_url}])


def at_path(path: str):
    """For ``page.wait_for_url``: the URL's path is ``path`` (a glob "**/account" also matches
    "/signin?next=/account", before the page has gone anywhere)."""
    return lambda url: urlsplit(url).path == path


def reload_until(page, path: str, selector: str, *, tries: int = 40):
    """Open ``path`` until ``selector`` is on it (the transparency log sequences entries in the
    background: an entry gets its place, and its proof, a moment after the event); its first match."""
    for _ in range(tries):
        page.goto(path)
        if page.locator(selector).count():
            break
        page.wait_for_timeout(250)
    found = page.locator(selector).first
    assert found.count(), f"{path} did not show {selector} after {tries} loads"
    return found


def save_screenshot(page, lang: str, name: str) -> Path:
    """e2e-artifacts/<lang>/<name>-<width>.png, the whole page."""
    width = page.viewport_size["width"]
    path = ARTIFACTS / lang / f"{name}-{width}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path


@dataclass(frozen=True, slots=True)
class Overflow:
    scroll_width: int
    inner_width: int
    widest: tuple[str, ...]  # the elements that reach past the viewport's right edge, outermost first

    @property
    def scrolls(self) -> bool:
        return self.scroll_width > self.inner_width

    def __str__(self) -> str:
        return (f"the page is {self.scroll_width}px wide in a {self.inner_width}px viewport; past the edge: "
                + ", ".join(self.widest))


def horizontal_overflow(page) -> Overflow:
    """document.documentElement.scrollWidth against window.innerWidth, and which elements stick out."""
    found = page.evaluate("""() => {
        const edge = window.innerWidth;
        const describe = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
            (el.classList.length ? "." + [...el.classList].join(".") : "") +
            ` (right ${Math.round(el.getBoundingClientRect().right)}px)`;
        const out = [...document.body.querySelectorAll("*")].filter((el) => {
            const box = el.getBoundingClientRect();
            return box.width > 0 && box.right > edge + 0.5;
        });
        // the innermost offenders say most: drop an element whose child is listed too
        const innermost = out.filter((el) => !out.some((other) => other !== el && el.contains(other)));
        return { scroll: document.documentElement.scrollWidth, inner: edge,
                 widest: innermost.slice(0, 8).map(describe) };
    }""")
    return Overflow(found["scroll"], found["inner"], tuple(found["widest"]))


# --- untranslated English -------------------------------------------------------------------

#: Latin-script words a Simplified Chinese page may show: those the server-side check allows (the
#: brand, formats and keys named as such), abbreviations Chinese text uses as they are, and the
#: protocol codes of sign-in methods.
ALLOWED_WORDS = frozenset(SERVER_SIDE_ALLOWED | {"ID", "API", "OIDC", "OpenID", "URL", "WebAuthn", "hwk", "swk", "mfa"})
#: names that are data, not interface text: the demo forum's registered name, Swagger UI
ALLOWED_PHRASES = ("Community Forum (demo)", "Community Forum")
_WORD = re.compile(r"[A-Za-z][A-Za-z']+")
_NON_LATIN = re.compile(r"[^\x00-\x7F]")
_IDENTIFIER = re.compile(r"[\d_:/=@#]|\w\.\w")  # numbers, codes, URLs, network IDs, dotted names


def visible_texts(page) -> list[str]:
    """The title, the rendered text and the text that assistive technology reads from attributes
    (aria-label, aria-valuetext, placeholder, title, alt, button values). Left out: hidden
    elements; <code>, <pre>, <kbd>, <samp> and translate="no" (identifiers and raw data); text
    marked as another language (the language switch's "English", lang="en")."""
    return page.evaluate("""() => {
        const skip = "code, pre, kbd, samp, [translate=no], [lang]:not([lang|=zh])";
        // innerText leaves out what is not rendered: hide what is skipped for the one read
        const hidden = [...document.body.querySelectorAll(skip)].filter((el) => !el.matches("html"));
        const before = hidden.map((el) => el.style.getPropertyValue("display"));
        hidden.forEach((el) => el.style.setProperty("display", "none", "important"));
        const text = document.body.innerText;
        hidden.forEach((el, i) => before[i] ? el.style.setProperty("display", before[i]) : el.style.removeProperty("display"));
        const texts = [document.title, text];
        const attributes = ["aria-label", "aria-valuetext", "placeholder", "title", "alt"];
        for (const el of document.querySelectorAll(attributes.map((a) => `[${a}]`).join(", "))) {
            const skipped = el.closest(skip);
            if ((skipped && skipped !== document.documentElement) || el.closest("[hidden]")) continue;
            for (const name of attributes) if (el.hasAttribute(name)) texts.push(el.getAttribute(name));
        }
        for (const el of document.querySelectorAll("input[type=submit], input[type=button]")) texts.push(el.value);
        return texts.filter((t) => t && t.trim());
    }""")


def english_words(texts: list[str], *, names: tuple[str, ...] = ()) -> list[str]:
    """The lines of ``texts`` that hold an English word: a run of two or more Latin letters outside
    identifiers, the allowed words, the allowed phrases and ``names`` (the registry persons')."""
    found = []
    for text in texts:
        for line in text.splitlines():
            rest = line
            for phrase in (*ALLOWED_PHRASES, *names):
                rest = rest.replace(phrase, " ")
            rest = _NON_LATIN.sub(" ", rest)  # Chinese runs have no spaces: split tokens at them
            words = [word for token in rest.split() if not _IDENTIFIER.search(token.strip(".,;:!?()[]“”\"'…"))
                     for word in _WORD.findall(token) if word not in ALLOWED_WORDS]
            if words:
                found.append(f"{' '.join(words)!s:40} ← {line.strip()[:160]}")
    return found
