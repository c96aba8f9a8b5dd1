"""The language of one request, and the translations that go with it.

Nothing is global: the catalogues hang on the app (``app.state.i18n``, built by
:func:`civicid.web.i18n.install`), the locale is read from each request's cookie and headers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends
from starlette.requests import HTTPConnection

from civicid.web.i18n.catalogues import Catalogue, Catalogues
from civicid.web.i18n.negotiation import BABEL_NAMES, CHINESE, COOKIE_NAME, ENGLISH, negotiate

SWITCH_PATH = "/lang"
#: each language's name, in that language (the switch shows both)
NAMES = {CHINESE: "中文", ENGLISH: "English"}
_FALLBACK = Catalogues({})


@dataclass(frozen=True, slots=True)
class SwitchLink:
    locale: str
    name: str
    href: str
    current: bool


@dataclass(frozen=True, slots=True)
class RequestLanguage:
    """What a page needs to speak the request's language."""

    locale: str  # BCP 47, for <html lang> and Intl
    catalogue: Catalogue
    here: str  # this page, as the switch's ``next``

    @property
    def babel_locale(self) -> str:
        return BABEL_NAMES[self.locale]

    @property
    def translations(self):
        return self.catalogue.translations

    def gettext(self, message: str, **variables: object) -> str:
        text = self.catalogue.gettext(message)
        return text % variables if variables else text

    def ngettext(self, singular: str, plural: str, n: int, **variables: object) -> str:
        text = self.catalogue.ngettext(singular, plural, n)
        return text % {"num": n, **variables}

    def knows(self, message: str | None) -> bool:
        """Whether ``message`` is one of CivicID's own texts (in the catalogue), not a library's."""
        return bool(message) and message in self.catalogue.known

    @property
    def script_messages(self) -> dict[str, str]:
        return dict(self.catalogue.script_messages)

    @property
    def switch(self) -> tuple[SwitchLink, ...]:
        nxt = quote(self.here, safe="/")
        return tuple(SwitchLink(locale, NAMES[locale], f"{SWITCH_PATH}?to={locale}&next={nxt}", locale == self.locale)
                     for locale in (CHINESE, ENGLISH))


def catalogues_of(connection: HTTPConnection) -> Catalogues:
    return getattr(connection.app.state, "i18n", None) or _FALLBACK


def locale_of(connection: HTTPConnection) -> str:
    return negotiate(cookie=connection.cookies.get(COOKIE_NAME), accept=connection.headers.get("accept-language"))


def _here(connection: HTTPConnection) -> str:
    """Where the switch comes back to: this page when it can be fetched again (a GET), else the
    home page (a page shown after a form, e.g. "deleted", cannot be loaded again)."""
    if getattr(connection, "method", "GET") != "GET":
        return "/"
    query = connection.url.query
    return connection.url.path + ("?" + query if query else "")


def language_of(connection: HTTPConnection) -> RequestLanguage:
    """The request's language (FastAPI dependency: ``LanguageDep``)."""
    locale = locale_of(connection)
    return RequestLanguage(locale, catalogues_of(connection)[locale], _here(connection))


LanguageDep = Annotated[RequestLanguage, Depends(language_of)]
