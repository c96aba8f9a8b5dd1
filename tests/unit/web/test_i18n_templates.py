"""Every template marks its text for translation: with the Jinja parts taken out (expressions,
tags, comments and whole {% trans %} blocks), nothing English is left for a reader to see.

This reads every template there is (CivicID's and the demo forum's), so a new page cannot skip
the catalogues; the rendered pages are checked in tests/integration/web/test_i18n_pages.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import civicid
from tests.support.visible_text import english_left

PACKAGE = Path(civicid.__file__).parent
TEMPLATES = sorted([*PACKAGE.glob("web/templates/**/*.html"), *PACKAGE.glob("demo_rp/templates/**/*.html")])
JINJA = re.compile(r"\{%-?\s*trans\b.*?\{%-?\s*endtrans\s*-?%\}|\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)


def test_the_templates_are_found():
    names = {path.name for path in TEMPLATES}
    assert {"base.html", "consent.html", "enrol.html", "forum.html", "account.html"} <= names


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda path: str(path.relative_to(PACKAGE)))
def test_no_text_outside_the_catalogue(path):
    without_jinja = JINJA.sub(" ", path.read_text(encoding="utf-8"))
    assert english_left(without_jinja) == []


def test_the_check_sees_an_unmarked_text():
    assert english_left(JINJA.sub(" ", '<p>{{ _("Marked") }} Not marked</p>')) == ["Not marked"]
    assert english_left(JINJA.sub(" ", '<p>{% trans %}Marked{% endtrans %}</p><a title="Plain">x</a>')) == ["Plain"]


# --- the pages' scripts -----------------------------------------------------------------------

SCRIPTS = sorted(PACKAGE.glob("web/static/*/*.js"))
LITERAL = re.compile(r'''(?<![\w.])((?:CivicID\.)?t\(\s*)?("(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`)''')
#: strings a script uses but never shows: the strict-mode directive, an internal error's name
NOT_SHOWN = {"use strict", "request failed"}


def shown_literals(source: str) -> list[str]:
    """String literals of two or more English words that are not the text of a ``t(…)`` call."""
    source = re.sub(r"^\s*//[^\n]*|\s//[^\n]*", "", source, flags=re.M)
    found = []
    for match in LITERAL.finditer(source):
        wrapped, text = match.group(1), match.group(2)[1:-1]
        if wrapped or text in NOT_SHOWN or re.search(r"[#\[\]=]|^[./]", text):  # selectors, paths
            continue
        words = re.sub(r"\$\{[^}]*\}", "", text)
        if re.search(r"\S\s+\S", words) and len(re.findall(r"[A-Za-z]{2,}", words)) >= 2:  # a phrase, not a code
            found.append(text)
    return found


def test_the_scripts_are_found():
    assert {"enrol.js", "signin.js", "webauthn.js", "account.js"} <= {path.name for path in SCRIPTS}


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda path: str(path.relative_to(PACKAGE)))
def test_scripts_show_text_through_the_catalogue(path):
    assert shown_literals(path.read_text(encoding="utf-8")) == []


def test_the_script_check_sees_an_unmarked_text():
    source = 'say(CivicID.t("Marked text")); say("Not marked"); x(`Also ${n} not`); q("#a li[data-x]");'
    assert shown_literals(source) == ["Not marked", "Also ${n} not"]
