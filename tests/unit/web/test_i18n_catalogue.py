"""The Simplified Chinese catalogue is complete: no text a citizen can meet is left in English.

The lists are not written here: every subclass of ``CivicIDError`` in every module, the consent
page's claim labels, the history's phrases and the account page's outcome messages are read from
the code, so adding one without a translation fails this test (then: ``make messages``, translate,
run again)."""

from __future__ import annotations

import re

import pytest

from civicid.web.i18n.catalogues import Catalogues, po_path, read_catalog
from civicid.web.i18n.extract import TABLES, all_modules, build_template, error_classes, table_texts
from civicid.web.i18n.negotiation import BABEL_NAMES, CHINESE

PLACEHOLDER = re.compile(r"%\(\w+\)s|\{\w+\}|</?[a-z][^>]*>")


@pytest.fixture(scope="module")
def chinese():
    all_modules()  # every error class defined
    catalog = read_catalog(po_path(CHINESE), BABEL_NAMES[CHINESE])
    return {message.id: message for message in catalog if message.id}


def _translated(chinese, text: str) -> str:
    message = chinese.get(text)
    assert message is not None, f"not in the zh_CN catalogue (run make messages): {text!r}"
    assert message.string and not message.fuzzy, f"no confirmed zh_CN translation: {text!r}"
    return message.string


def test_every_error_class_has_a_chinese_default_message(chinese):
    classes = [cls for cls in error_classes() if "default_message" in vars(cls)]
    assert len(classes) > 50  # the walk found the domains' errors, not just the root
    missing = [f"{cls.__module__}.{cls.__qualname__}" for cls in classes
               if not (chinese.get(cls.default_message) and chinese[cls.default_message].string
                       and not chinese[cls.default_message].fuzzy)]
    assert missing == []


def test_every_consent_label_has_a_chinese_translation(chinese):
    from civicid.oidc.claims import LABELS

    for label in LABELS.values():
        assert re.search(r"[\u4e00-\u9fff]", _translated(chinese, label))


def test_every_text_kept_in_a_table_is_translated(chinese):
    texts = list(table_texts())
    assert {"LABELS", "_PHRASES", "DONE"} <= {name for _, name in TABLES}
    assert len(texts) > 20
    for text, _, _ in texts:
        _translated(chinese, text)


def test_no_empty_or_fuzzy_entry_and_placeholders_kept(chinese):
    for text, message in chinese.items():
        translations = _translated(chinese, text)
        singular = text[0] if isinstance(text, tuple) else text  # plurals: one form in Chinese
        for translation in (translations if isinstance(translations, (tuple, list)) else (translations,)):
            assert translation, text
            assert sorted(PLACEHOLDER.findall(translation)) == sorted(PLACEHOLDER.findall(singular)), text


def test_the_catalogue_holds_every_text_the_code_marks(chinese):
    """What `make messages` would extract now is all in the catalogue (no forgotten run)."""
    template = build_template()
    missing = sorted(message.id for message in template if message.id and message.id not in chinese)
    assert missing == []


def test_the_scripts_get_their_messages_only():
    catalogue = Catalogues.load()[CHINESE]
    scripts = catalogue.script_messages
    assert scripts["Look at the camera"] == "请看着摄像头"
    assert "Page not found" not in scripts  # a template's text, not sent with every page
    assert catalogue.gettext("Page not found") == "页面不存在"
