"""English and Simplified Chinese on every page (issue 13).

- :mod:`.negotiation`: the request's locale (cookie ``civicid_lang``, else Accept-Language, else English);
- :mod:`.catalogues`: the gettext catalogues, read from ``civicid/web/locales/*/LC_MESSAGES/messages.po``;
- :mod:`.request`: ``language_of(request)`` / ``LanguageDep``, the request's language and translations;
- :mod:`.templating`: ``_``, ``ngettext`` and the ``when`` date filter in templates;
- :mod:`.switch`: ``GET /lang?to=…&next=…``, the switch every page shows;
- :mod:`.extract`: ``make messages`` (extract, then update the catalogues).

In templates: ``{{ _("Text") }}``, ``{{ _("Hello %(name)s", name=n) }}``, ``{% trans %}…{% endtrans %}``,
``{{ moment | when }}``. In scripts: ``CivicID.t("Text")``, ``CivicID.t("About {n} s", {n: 3})``.
In Python: ``language_of(request).gettext("Text")``; texts kept in tables are marked ``N_("Text")``.
"""

from __future__ import annotations

from civicid.web.i18n.catalogues import Catalogue, Catalogues
from civicid.web.i18n.negotiation import CHINESE, COOKIE_NAME, DEFAULT, ENGLISH, SUPPORTED, negotiate
from civicid.web.i18n.request import LanguageDep, RequestLanguage, language_of, locale_of

__all__ = ["CHINESE", "COOKIE_NAME", "Catalogue", "Catalogues", "DEFAULT", "ENGLISH", "LanguageDep",
           "RequestLanguage", "SUPPORTED", "N_", "install", "language_of", "locale_of", "negotiate"]


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "mark for extraction, translate later"
    return message


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
    return catalogues
