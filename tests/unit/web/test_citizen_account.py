"""The history in plain words: newest first, services by their registered name, claims by label."""

from __future__ import annotations

from datetime import datetime, timezone

from civicid.audit.events import EventTag, LogEvent
from civicid.oidc.claims import LABELS
from civicid.web.citizen_account import in_plain_words

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)


def event(tag, actor, purpose="", minute=0):
    return LogEvent(tag=tag, actor=actor, citizen_ref="c-1", purpose=purpose, occurred_at=T0.replace(minute=minute))


def test_plain_words_newest_first():
    events = [event(EventTag.SYSTEM_CITIZEN_ENROLLED, "system"),
              event(EventTag.RP_CITIZEN_CLAIMS_RELEASED, "rp:rp_1", "id_token: verified age_over_18", 1),
              event(EventTag.OFFICIAL_CITIZEN_READ, "official:o-7", "case 42: court order", 2),
              event(EventTag.RP_CITIZEN_CLAIMS_RELEASED, "rp:rp_gone", "userinfo: sub", 3)]
    entries = in_plain_words(events, {"rp_1": "Community Forum"}, LABELS)
    assert [e.at.minute for e in entries] == [3, 2, 1, 0]
    assert entries[0].text.startswith("A service (rp_gone) received")
    assert entries[1].text == "An official (o-7) read your record. Reason given: case 42: court order"
    assert entries[2].text.startswith("Community Forum received: that you are a real person")
    assert "whether you are over 18" in entries[2].text and "(at sign-in)" in entries[2].text
    assert entries[3].text == "You enrolled with CivicID"


def test_every_tag_has_words():
    for tag in (t for t in EventTag if t.subject == "citizen"):  # the tags a citizen's history can hold
        actor = {"rp": "rp:x", "partner": "partner:x", "official": "official:x"}.get(tag.source, tag.source)
        ref_event = LogEvent(tag=tag, actor=actor, citizen_ref="c-1",
                             purpose="why" if tag is EventTag.OFFICIAL_CITIZEN_READ else "", occurred_at=T0)
        text = in_plain_words([ref_event], {}, LABELS)[0].text
        assert text != str(tag), f"{tag} has no plain words"
