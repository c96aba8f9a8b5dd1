"""The message catalogues, read from the ``.po`` files in ``civicid/web/locales`` when the app is
built (no compiled ``.mo`` files, nothing fetched at run time).

English is the source language: its "translation" is the message id itself. Fuzzy or empty
entries are left out, so the English text shows until a translator has confirmed one.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Mapping

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from civicid.web.i18n.negotiation import BABEL_NAMES, DEFAULT, SUPPORTED

LOCALES_DIR = Path(__file__).parents[1] / "locales"
DOMAIN = "messages"
#: the message ids the scripts in /static use (``CivicID.t``) are those extracted from .js files
SCRIPT_SUFFIX = ".js"


def po_path(locale: str, directory: Path = LOCALES_DIR) -> Path:
    return directory / BABEL_NAMES[locale] / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


@dataclass(frozen=True, slots=True)
class Catalogue:
    """One locale's translations and the part of them the page's scripts need."""

    locale: str
    translations: gettext.NullTranslations
    #: msgid → translation, for the messages used in scripts (rendered into each page)
    script_messages: Mapping[str, str] = field(default_factory=dict)
    #: every message id the catalogues hold, translated or not: CivicID's own words
    known: frozenset[str] = frozenset()

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.translations.ngettext(singular, plural, n)


def _translated(message) -> bool:
    strings = message.string if isinstance(message.string, (list, tuple)) else (message.string,)
    return bool(message.id) and not message.fuzzy and all(strings)


def catalogue_from_po(locale: str, catalog: Catalog) -> Catalogue:
    buffer = BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    translations = Translations(fp=buffer, domain=DOMAIN)
    scripts = {}
    for message in catalog:
        if (_translated(message) and isinstance(message.id, str)
                and any(path.endswith(SCRIPT_SUFFIX) for path, _ in message.locations)):
            scripts[message.id] = message.string
    known = frozenset(message.id for message in catalog if isinstance(message.id, str) and message.id)
    return Catalogue(locale, translations, scripts, known)


class Catalogues:
    """Every supported locale's catalogue, loaded once per app."""

    def __init__(self, catalogues: Mapping[str, Catalogue]) -> None:
        self._by_locale = dict(catalogues)
        known = frozenset().union(*(catalogue.known for catalogue in self._by_locale.values()))
        self._by_locale.setdefault(DEFAULT, Catalogue(DEFAULT, gettext.NullTranslations(), known=known))

    @classmethod
    def load(cls, directory: Path = LOCALES_DIR) -> "Catalogues":
        loaded = {}
        for locale in SUPPORTED:
            path = po_path(locale, directory)
            if locale == DEFAULT or not path.exists():
                continue
            loaded[locale] = catalogue_from_po(locale, read_catalog(path, BABEL_NAMES[locale]))
        return cls(loaded)

    def __getitem__(self, locale: str) -> Catalogue:
        return self._by_locale.get(locale) or self._by_locale[DEFAULT]
