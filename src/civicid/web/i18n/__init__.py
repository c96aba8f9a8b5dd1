"""English and Simplified Chinese on every page (issue 13).

- :mod:`.negotiation`: the request's locale (cookie ``civicid_lang``, else Accept-Language, else English);
- :mod:`.catalogues`: the gettext catalogues, read from ``civicid/web/locales/*/LC_MESSAGES/messages.po``;
- :mod:`.request`: ``language_of(request)`` / ``LanguageDep``, the request's language and translations;
- :mod:`.templating`: ``_``, ``ngettext`` and the filters ``when`` (a date), ``amr_words`` (how one
  signed in) and ``claim_words`` (what a service received) in templates;
- :mod:`.words`: those codes in words, ``N_``;
- :mod:`.switch`: ``GET /lang?to=…&next=…``, the switch every page shows;
- :mod:`.extract`: ``make messages`` (extract, then update the catalogues).

In templates: ``{{ _("Text") }}``, ``{{ _("Hello %(name)s", name=n) }}``, ``{% trans %}…{% endtrans %}``,
``{{ moment | when }}``. In scripts: ``CivicID.t("Text")``, ``CivicID.t("About {n} s", {n: 3})``.
In Python: ``language_of(request).gettext("Text")``; texts kept in tables are marked ``N_("Text")``,
or listed in ``extract.TABLES``; every error class's ``default_message`` is collected by itself.
Then ``make messages``, translate the new entries of ``locales/zh_CN/LC_MESSAGES/messages.po``;
tests/unit/web/test_i18n_catalogue.py fails while one is missing or fuzzy.
"""

from __future__ import annotations

from civicid.web.i18n.catalogues import Catalogue, Catalogues
from civicid.web.i18n.negotiation import CHINESE, COOKIE_NAME, DEFAULT, ENGLISH, SUPPORTED, negotiate
from civicid.web.i18n.request import LanguageDep, RequestLanguage, language_of, locale_of
from civicid.web.i18n.words import N_

__all__ = ["CHINESE", "COOKIE_NAME", "Catalogue", "Catalogues", "DEFAULT", "ENGLISH", "LanguageDep",
           "RequestLanguage", "SUPPORTED", "N_", "install", "language_of", "locale_of", "negotiate"]


def install(app, templates) -> Catalogues:
    """Load the catalogues onto ``app`` and teach ``templates`` the request's language."""
    from civicid.web.i18n import switch
    from civicid.web.i18n.templating import install_gettext, page_context

    catalogues = Catalogues.load()
    app.state.i18n = catalogues
    install_gettext(templates.env)
    templates.context_processors.append(page_context)
    if hasattr(app, "include_router"):
        app.include_router(switch.router)
    app.add_middleware(VaryByLanguage)
    return catalogues


class VaryByLanguage:
    """Pure ASGI middleware: pages and error answers depend on Accept-Language and the
    ``civicid_lang`` cookie, so a shared cache must not give one reader's language to another
    (RFC 9110 §12.5.5). Static files and successful JSON answers are the same in every language."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_vary(message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                content_type = next((value for name, value in headers if name.lower() == b"content-type"), b"")
                if content_type.startswith(b"text/html") or message["status"] >= 400:
                    vary = [value for name, value in headers if name.lower() == b"vary"]
                    present = {part.strip().lower() for value in vary for part in value.split(b",")}
                    missing = [name for name in (b"Accept-Language", b"Cookie") if name.lower() not in present]
                    if missing:
                        headers = [(n, v) for n, v in headers if n.lower() != b"vary"]
                        headers.append((b"vary", b", ".join([*(v for v in vary if v), *missing])))
                        message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_vary)
