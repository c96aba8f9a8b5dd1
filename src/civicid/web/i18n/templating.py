"""Jinja's ``_``/``gettext``/``ngettext`` bound to each render's own language, and the ``when``
filter for dates.

The gettext callables are installed once per environment and read the translations from the
render's context (``i18n``, put there by :func:`page_context`), so two requests in two languages
can render at the same time.
"""

from __future__ import annotations

from datetime import datetime, timezone

from babel.dates import format_date, format_time, get_datetime_format
from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape
from starlette.requests import Request

from civicid.web.i18n.negotiation import BABEL_NAMES, DEFAULT
from civicid.web.i18n.request import RequestLanguage, language_of
from civicid.oidc.claims import LABELS
from civicid.web.i18n.words import amr_words, claim_words


def _language(context: Context) -> RequestLanguage | None:
    value = context.get("i18n")
    return value if isinstance(value, RequestLanguage) else None


@pass_context
def _gettext(context: Context, message: str) -> str:
    language = _language(context)
    return language.catalogue.gettext(message) if language else message


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    language = _language(context)
    if language:
        return language.catalogue.ngettext(singular, plural, n)
    return singular if n == 1 else plural


@pass_context
def _pgettext(context: Context, msgctxt: str, message: str) -> str:
    language = _language(context)
    return language.translations.pgettext(msgctxt, message) if language else message


@pass_context
def _npgettext(context: Context, msgctxt: str, singular: str, plural: str, n: int) -> str:
    language = _language(context)
    if language:
        return language.translations.npgettext(msgctxt, singular, plural, n)
    return singular if n == 1 else plural


def as_utc(value: datetime) -> datetime:
    """Naive datetimes in CivicID are UTC."""
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def format_when(value: datetime, locale: str = DEFAULT) -> str:
    """The server's rendering of a moment: the locale's medium date and short time, joined the
    locale's way, in UTC ("Nov 30, 2026, 10:35 AM UTC" / "2026年11月30日 10:35 UTC")."""
    moment, name = as_utc(value), BABEL_NAMES[locale]
    date_text = format_date(moment, "medium", locale=name)
    time_text = format_time(moment, "short", tzinfo=timezone.utc, locale=name)
    return get_datetime_format("medium", locale=name).replace("{1}", date_text).replace("{0}", time_text) + " UTC"


def iso_utc(value: datetime) -> str:
    return as_utc(value).isoformat(timespec="seconds").replace("+00:00", "Z")


@pass_context
def when(context: Context, value: datetime | None) -> Markup:
    """``{{ moment | when }}``: ``<time datetime="…Z">`` with the date in the page's language
    (UTC); /static/citizen/locale.js rewrites it in the browser's time zone."""
    if value is None:
        return Markup("")
    language = _language(context)
    text = format_when(value, language.locale if language else DEFAULT)
    return Markup('<time datetime="{}">{}</time>').format(iso_utc(value), escape(text))


def _gettext_of(context: Context):
    language = _language(context)
    return language.catalogue.gettext if language else str


@pass_context
def amr_filter(context: Context, amr) -> str:
    """``{{ session.amr | amr_words }}``: how the citizen signed in, in words ("a passkey, unlocking your device…")."""
    return amr_words(amr or (), _gettext_of(context))


@pass_context
def claims_filter(context: Context, claims) -> str:
    """``{{ release.claims | claim_words }}``: the claims, by their consent-page labels, in the page's language."""
    return claim_words(claims or (), LABELS, _gettext_of(context))


def install_gettext(env: Environment) -> None:
    """Once per environment: the i18n extension with context-bound, new-style callables."""
    if "jinja2.ext.InternationalizationExtension" not in env.extensions:
        env.add_extension("jinja2.ext.i18n")
    env.policies["ext.i18n.trimmed"] = True  # {% trans %} blocks' line breaks and indents are not part of the text
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True, pgettext=_pgettext, npgettext=_npgettext)
    env.filters["when"] = when
    env.filters["amr_words"] = amr_filter
    env.filters["claim_words"] = claims_filter
    # the scripts' messages block stays readable Chinese (tojson still escapes <, >, & and ')
    env.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False}


def page_context(request: Request) -> dict:
    """The context processor every template response runs: ``i18n`` (the request's language)."""
    return {"i18n": language_of(request)}
