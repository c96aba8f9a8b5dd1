"""What the citizen's API and /account page show, built once for both: the services they use (by
registered name, with what each received and when), their history in plain words and in the
verifiable form (inclusion proofs), and the export document."""

from __future__ import annotations

import base64
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from civicid.audit.events import EventTag, LogEvent
from civicid.audit.history import MAX_HISTORY, History, read_history
from civicid.audit.outbox import PENDING_MAC_PURPOSE
from civicid.audit.sth import SignedTreeHead
from civicid.audit.service import open_log
from civicid.audit.signing import load_chain
from civicid.errors import CivicIDError
from civicid.oidc.models import OidcClient
from civicid.oidc.pairwise import KEY_PURPOSE as SUBJECT_KEY_PURPOSE
from civicid.oidc.pairwise import pairwise_subject
from civicid.oidc.service import OidcProvider
from civicid.runtime import Runtime
from civicid.web.i18n import N_
from civicid.web.i18n.words import claim_words


@dataclass(frozen=True, slots=True)
class Release:
    at: datetime
    channel: str  # id_token | userinfo
    claims: tuple[str, ...]

    def to_json(self) -> dict:
        return {"at": self.at.isoformat(), "channel": self.channel, "claims": list(self.claims)}


@dataclass(frozen=True, slots=True)
class ServiceUse:
    client_id: str
    name: str
    granted: tuple[str, ...]
    declined: tuple[str, ...]
    granted_at: datetime
    releases: tuple[Release, ...]  # newest first
    #: the pairwise identifier (OIDC Core §8.1 ``sub``) this service knows the citizen by: derived
    #: from the internal id and the service's sector, so changing the network ID leaves it as it is
    subject: str = ""

    def to_json(self) -> dict:
        return {"client_id": self.client_id, "name": self.name, "subject": self.subject, "granted": list(self.granted),
                "declined": list(self.declined), "granted_at": self.granted_at.isoformat(),
                "last_received_at": self.releases[0].at.isoformat() if self.releases else None,
                "received": [release.to_json() for release in self.releases]}


def _release(event: LogEvent) -> Release:
    channel, _, claims = event.purpose.partition(":")
    return Release(event.occurred_at, channel.strip(), tuple(claims.split()))


#: entries per page of the history (``limit`` may ask for up to MAX_PAGE)
PAGE_SIZE = 50
MAX_PAGE = 200

#: the history's filter (``?kind=``): each kind is the tags it shows
KINDS: dict[str, frozenset[str]] = {
    "services": frozenset(t.value for t in EventTag if t.source == "rp"),
    "checks": frozenset(t.value for t in EventTag if t.source == "partner"),
    "officials": frozenset(t.value for t in EventTag if t.source == "official"),
    "security": frozenset(t.value for t in EventTag if t.source == "system" and t.subject == "citizen"),
    "you": frozenset(t.value for t in EventTag if t.source == "citizen"),
}
KIND_LABELS: dict[str, str] = {
    "services": "Services you use",
    "checks": "ID checks by verification partners",
    "officials": "Officials",
    "security": "Enrolment and recovery, failed attempts too",
    "you": "Your own actions",
}


class UnknownHistoryKind(CivicIDError):
    code = "history.unknown_kind"
    status = 422
    default_message = "This is not a kind of history entry. Choose one of the kinds listed."


class InvalidHistoryPage(CivicIDError):
    code = "history.invalid_page"
    status = 422
    default_message = "This page of your history does not exist. Go back to the newest entries."


def history_of(runtime: Runtime, session: Session, citizen_id: str, *, before: int | None = None,
               kind: str | None = None, limit: int = MAX_HISTORY, head: SignedTreeHead | None = None) -> History:
    """The citizen's history, each entry checked against the signed tree head first
    (:func:`civicid.audit.history.read_history`): the newest ``limit`` entries below leaf index
    ``before`` of ``kind`` (all kinds when None), oldest first."""
    if kind is not None and kind not in KINDS:
        raise UnknownHistoryKind(kinds=sorted(KINDS))
    if before is not None and not 0 <= before < 1 << 63:
        raise InvalidHistoryPage()
    chain = load_chain(session, runtime.keys)
    return read_history(session, open_log(session, runtime.keys, runtime.clock, chain=chain), citizen_id,
                        head_valid=chain.verifies, mac_key=runtime.keys.hmac_key(PENDING_MAC_PURPOSE),
                        before=before, tags=KINDS[kind] if kind else None, limit=limit, head=head)


#: the download holds at most this many entries (each with its proof); past it, ``next_before``
EXPORT_MAX_ENTRIES = 50 * MAX_HISTORY


def whole_history(runtime: Runtime, session: Session, citizen_id: str) -> History:
    """Every entry (up to :data:`EXPORT_MAX_ENTRIES`), page after page against the first page's
    signed tree head, so every proof in the download leads to the one head it carries."""
    first = found = history_of(runtime, session, citizen_id)
    items = list(found.items)
    while found.has_older and found.items and len(items) < EXPORT_MAX_ENTRIES:
        found = history_of(runtime, session, citizen_id, before=found.items[0].index, head=first.head)
        items[:0] = found.items
    return History(first.head, tuple(items), first.pending, found.has_older)


def all_events(history: History) -> list[LogEvent]:
    """Sequenced and pending events, oldest first."""
    return [item.event for item in history.items] + list(history.pending)


def services_of(runtime: Runtime, session: Session, citizen_id: str, events: list[LogEvent]) -> list[ServiceUse]:
    consents = OidcProvider(runtime, session).consents(citizen_id)
    releases: dict[str, list[Release]] = {}
    for event in events:
        if event.tag is EventTag.RP_CITIZEN_CLAIMS_RELEASED:
            releases.setdefault(event.actor.partition(":")[2], []).append(_release(event))
    rows = session.execute(sa.select(OidcClient.client_id, OidcClient.sector_identifier)
                           .where(OidcClient.client_id.in_([c.client_id for c in consents]))) if consents else ()
    sectors = {client_id: sector for client_id, sector in rows}
    subject_key = runtime.keys.hmac_key(SUBJECT_KEY_PURPOSE)
    return [ServiceUse(c.client_id, c.client_name, tuple(c.granted), tuple(i for i in c.asked if i not in c.granted),
                       c.granted_at, tuple(reversed(releases.get(c.client_id, []))),
                       pairwise_subject(subject_key, sector=sectors[c.client_id], citizen_id=citizen_id)
                       if c.client_id in sectors else "")
            for c in consents]


def history_json(history: History) -> dict:
    """The verifiable form (``GET /api/v1/me/history``): oldest first, each with its proof;
    ``next_before`` is the ``before`` of the page of older entries (None on the last page)."""
    head, items, pending = history.head, history.items, history.pending
    return {
        "sth": head.to_json(),
        "next_before": items[0].index if history.has_older and items else None,
        "events": [{
            "leaf_index": item.index, "tag": str(item.event.tag), "actor": item.event.actor,
            "purpose": item.event.purpose, "occurred_at": item.event.occurred_at.isoformat(),
            "leaf": base64.b64encode(item.event.to_bytes()).decode(), **item.proof.to_json(),
        } for item in items],
        "pending": [{"tag": str(event.tag), "actor": event.actor, "purpose": event.purpose,
                     "occurred_at": event.occurred_at.isoformat()} for event in pending],
    }


# --- the history in plain words -------------------------------------------------------------------

_PHRASES: dict[EventTag, str] = {
    EventTag.PARTNER_CITIZEN_VERIFY: "{who} checked that you hold your ID number",
    EventTag.PARTNER_CITIZEN_VERIFY_REFUSED: "{who} tried to check your ID number and was refused",
    EventTag.RP_CITIZEN_CLAIMS_RELEASED: "{who} received: {detail}",
    EventTag.RP_CITIZEN_CONSENT_GRANTED: "You allowed {who} to receive information about you",
    EventTag.RP_CITIZEN_CONSENT_REVOKED: "You withdrew {who}'s access",
    EventTag.OFFICIAL_CITIZEN_READ: "{who} read your record. Reason given: {purpose}",
    EventTag.OFFICIAL_CITIZEN_READ_REFUSED: "{who} asked to read your record and was refused",
    EventTag.CITIZEN_SELF_READ: "You viewed the data CivicID holds about you",
    EventTag.CITIZEN_SELF_EXPORT: "You downloaded your data",
    EventTag.CITIZEN_SELF_DELETE: "You deleted your CivicID",
    EventTag.CITIZEN_SELF_ROTATE_NETWORK_ID: "You changed your network ID",
    EventTag.CITIZEN_SELF_PASSKEY_ADDED: "You added a passkey",
    EventTag.SYSTEM_CITIZEN_ENROLLED: "You enrolled with CivicID",
    EventTag.SYSTEM_CITIZEN_ENROLMENT_FAILED: "Someone tried to enrol with your ID number and failed",
    EventTag.SYSTEM_CITIZEN_RECOVERED: "You recovered your account by verifying your face",
    EventTag.SYSTEM_CITIZEN_RECOVERY_FAILED: "A face verification to recover your account failed",
}
_CHANNELS = {"id_token": "at sign-in", "userinfo": "from the user-info endpoint"}
#: who acted, when not a service the citizen knows by name ({ident}: the actor's id)
WHO = {"rp": "A service ({ident})", "partner": "A verification partner ({ident})", "official": "An official ({ident})"}
# the parts of a "received" entry (translated like the rest: make messages, civicid.web.i18n)
_RECEIVED = N_("{claims} ({channel})")
_NOTHING = N_("nothing")
_NO_REASON = N_("none")


@dataclass(frozen=True, slots=True)
class PlainEntry:
    at: datetime
    text: str
    tag: str
    #: its index in the public log, for "Check proof"; None while it waits for the sequencer
    leaf_index: int | None = None

    @property
    def official(self) -> bool:
        """An official's read (or refused attempt): highlighted on the page."""
        return self.tag.startswith("official:")


def client_names(session: Session, events: list[LogEvent]) -> dict[str, str]:
    ids = {event.actor.partition(":")[2] for event in events if event.tag.source == "rp"}
    if not ids:
        return {}
    rows = session.execute(sa.select(OidcClient.client_id, OidcClient.name).where(OidcClient.client_id.in_(ids)))
    return {client_id: name for client_id, name in rows}


def history_entries(history: History, names: dict[str, str], labels: dict[str, str], *,
                    gettext: Callable[[str], str] = str) -> list[PlainEntry]:
    """The page's entries, newest first, each with its leaf index (None while pending)."""
    indices = [item.index for item in history.items] + [None] * len(history.pending)
    entries = in_plain_words(all_events(history), names, labels, gettext=gettext)
    return [replace(entry, leaf_index=index) for entry, index in zip(entries, reversed(indices))]


def in_plain_words(events: list[LogEvent], names: dict[str, str], labels: dict[str, str], *,
                   gettext: Callable[[str], str] = str) -> list[PlainEntry]:
    """Newest first, in the language of ``gettext`` (the request's: ``civicid.web.i18n.language_of``);
    every phrase is a catalogue entry with named placeholders ({who}, {detail}, {purpose})."""
    entries = []
    for event in reversed(events):
        kind, _, ident = event.actor.partition(":")
        if kind == "rp" and ident in names:
            who = names[ident]
        else:
            who = gettext(WHO[kind]).format(ident=ident) if kind in WHO else "CivicID"
        detail = event.purpose
        if event.tag is EventTag.RP_CITIZEN_CLAIMS_RELEASED:
            release = _release(event)
            claims = claim_words(release.claims, labels, gettext)
            channel = gettext(_CHANNELS[release.channel]) if release.channel in _CHANNELS else release.channel
            detail = gettext(_RECEIVED).format(claims=claims or gettext(_NOTHING), channel=channel)
        phrase = gettext(_PHRASES[event.tag]) if event.tag in _PHRASES else str(event.tag)
        text = phrase.format(who=who, detail=detail, purpose=event.purpose or gettext(_NO_REASON))
        entries.append(PlainEntry(event.occurred_at, text, str(event.tag)))
    return entries
