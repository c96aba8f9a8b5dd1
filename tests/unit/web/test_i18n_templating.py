"""_() bound to each render's language, and the ``when`` date filter (civicid.web.i18n.templating)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

from jinja2 import DictLoader, Environment

from civicid.web.i18n.catalogues import Catalogues
from civicid.web.i18n.negotiation import CHINESE, ENGLISH
from civicid.web.i18n.request import RequestLanguage
from civicid.web.i18n.templating import format_when, install_gettext

CATALOGUES = Catalogues.load()
MOMENT = datetime(2026, 11, 30, 10, 35, 12, tzinfo=timezone.utc)


def environment(source: str) -> Environment:
    env = Environment(loader=DictLoader({"page.html": source}), autoescape=True)
    install_gettext(env)
    return env


def language(locale: str) -> RequestLanguage:
    return RequestLanguage(locale, CATALOGUES[locale], "/")


def test_each_render_speaks_its_own_language_even_at_the_same_time():
    template = environment('{{ _("Page not found") }}|{% trans %}Sign in{% endtrans %}').get_template("page.html")

    def render(locale):
        return template.render(i18n=language(locale))

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(render, [CHINESE, ENGLISH] * 50))
    assert results == ["页面不存在|登录", "Page not found|Sign in"] * 50
    assert template.render() == "Page not found|Sign in"  # no language given: the English text


def test_variables_are_escaped_but_the_translation_keeps_its_markup():
    template = environment('{{ _("%(service)s wants to know", service=name) }}').get_template("page.html")
    assert template.render(i18n=language(CHINESE), name="<b>Forum</b>") == "&lt;b&gt;Forum&lt;/b&gt; 希望了解您的以下信息"


def test_when_writes_a_time_element_in_the_page_language_in_utc():
    template = environment("{{ moment | when }}").get_template("page.html")
    chinese = template.render(i18n=language(CHINESE), moment=MOMENT)
    english = template.render(i18n=language(ENGLISH), moment=MOMENT)
    assert chinese == '<time datetime="2026-11-30T10:35:12Z">2026年11月30日 10:35 UTC</time>'
    assert english == '<time datetime="2026-11-30T10:35:12Z">Nov 30, 2026, 10:35\u202fAM UTC</time>'
    assert template.render(moment=None) == ""


def test_when_converts_other_zones_and_reads_naive_times_as_utc():
    beijing = MOMENT.astimezone(timezone(timedelta(hours=8)))
    assert format_when(beijing, CHINESE) == format_when(MOMENT.replace(tzinfo=None), CHINESE) == "2026年11月30日 10:35 UTC"
