"""Codes a page would otherwise show as they are, in the citizen's words: how they signed in
(``amr``, RFC 8176 §2) and which claims a service received (by their consent-page labels)."""

from __future__ import annotations

import re
from typing import Callable, Iterable, Mapping

Gettext = Callable[[str], str]


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "mark for extraction, translate where shown"
    return message


#: RFC 8176 §2 authentication method reference values, as a citizen would say them
AMR_WORDS: Mapping[str, str] = {
    "hwk": N_("a passkey"),
    "swk": N_("a software key"),
    "user": N_("unlocking your device (fingerprint, face or PIN)"),
    "face": N_("face verification"),
    "fpt": N_("fingerprint"),
    "pin": N_("a PIN"),
    "mfa": N_("more than one factor"),
    "otp": N_("a one-time code"),
    "pwd": N_("a password"),
    "sms": N_("a text message"),
}
# Translators: between the items of a list ("a passkey, unlocking your device")
SEPARATOR = N_(", ")


def short_label(label: str) -> str:
    """A claim's label without its aside, as a phrase inside a sentence: "whether you are over 18"."""
    short = re.split(r" \(|（", label, maxsplit=1)[0]
    return short[:1].lower() + short[1:]


def amr_words(amr: Iterable[str], gettext: Gettext = str) -> str:
    return gettext(SEPARATOR).join(gettext(AMR_WORDS[value]) if value in AMR_WORDS else value for value in amr)


def claim_words(claims: Iterable[str], labels: Mapping[str, str], gettext: Gettext = str) -> str:
    return gettext(SEPARATOR).join(short_label(gettext(labels[c])) if c in labels else c for c in claims)
