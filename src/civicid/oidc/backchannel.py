"""OpenID Back-Channel Logout 1.0: logout tokens to relying parties, through an outbox.

When a citizen withdraws consent for a service or deletes the account, :func:`enqueue` writes one
``oidc_logout_notices`` row per notification in the same transaction (nothing is lost on a crash)
and, once that transaction has committed, wakes the server's :class:`BackchannelWorker`, a
daemon thread started with the app (which also delivers what a crash left behind, and retries);
the CLI and tests, whose runtime sequences the log inline, call :func:`deliver_due` themselves. The worker claims due rows (compare-and-set on ``next_attempt_at``, so two workers
never post the same row at once), signs each logout token (§2.4) with the client's ID-token
algorithm, commits, and only then POSTs ``logout_token=...`` (§2.5) with a short timeout, outside
any transaction and off the citizen's request. A failure is retried with a growing delay, at most
``MAX_ATTEMPTS`` times; it is logged with the client id and the HTTP status only.
"""

from __future__ import annotations

import logging
import secrets
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Iterable

import httpx
import sqlalchemy as sa
from joserfc import jwt
from sqlalchemy import event
from sqlalchemy.orm import Session

from civicid.oidc.models import OidcClient, OidcLogoutNotice
from civicid.oidc.pairwise import KEY_PURPOSE as SUBJECT_KEY_PURPOSE
from civicid.oidc.pairwise import pairwise_subject
from civicid.oidc.session_id import KEY_PURPOSE as SID_KEY_PURPOSE
from civicid.oidc.session_id import session_id_of_hash

log = logging.getLogger(__name__)

LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
LOGOUT_TOKEN_TYP = "logout+jwt"  # §2.4: explicit typing
TOKEN_TTL = timedelta(minutes=2)
TIMEOUT_S = 5.0
MAX_ATTEMPTS = 5
RETRY_BASE = timedelta(seconds=15)
LEASE = timedelta(seconds=60)  # a claimed row is not due again before this
BATCH = 50

Post = Callable[[str, str], int | None]


@dataclass(frozen=True, slots=True)
class _Job:
    notice_id: str
    client_id: str
    uri: str
    token: str
    attempts: int


def http_post(uri: str, token: str) -> int | None:
    """§2.5: form-encoded ``logout_token``; no redirects followed. The status, or None when unreachable."""
    try:
        response = httpx.post(uri, data={"logout_token": token}, timeout=TIMEOUT_S, follow_redirects=False,
                              headers={"Cache-Control": "no-store"})
    except httpx.HTTPError:
        return None
    return response.status_code


def enqueue(session: Session, runtime, *, citizen_id: str, client_ids: Iterable[str],
            session_keys: Iterable[str] = (), session_only: bool = False) -> int:
    """Queue a logout notification for each client in ``client_ids`` that registered a
    ``backchannel_logout_uri``: ``sub`` (the client's pairwise subject) and, for each of the
    citizen's browser sessions in ``session_keys`` (their token hashes), a ``sid``. With
    ``session_only`` (one browser session ends, §2.7) every token names its ``sid``, so the
    client ends that session only. Returns how many rows were written; the worker is woken
    after the commit."""
    ids = sorted(set(client_ids))
    if not ids:
        return 0
    clients = session.scalars(sa.select(OidcClient).where(
        OidcClient.client_id.in_(ids), OidcClient.backchannel_logout_uri.is_not(None))).all()
    if not clients:
        return 0
    now = runtime.clock.now()
    subject_key = runtime.keys.hmac_key(SUBJECT_KEY_PURPOSE)
    sid_key = runtime.keys.hmac_key(SID_KEY_PURPOSE)
    keys = sorted(set(session_keys))
    written = 0
    for client in clients:
        sub = pairwise_subject(subject_key, sector=client.sector_identifier, citizen_id=citizen_id)
        sids = [session_id_of_hash(sid_key, session_key=k, client_id=client.client_id) for k in keys]
        # §2.4: sub and/or sid; a client requiring sid gets one token per session (sub alone if none)
        per_session = (session_only or client.backchannel_logout_session_required) and sids
        for sid in (sids if per_session else [None]):
            session.add(OidcLogoutNotice(id=str(uuid.uuid4()), client_id=client.client_id, sub=sub, sid=sid,
                                         created_at=now, attempts=0, next_attempt_at=now))
            written += 1
    session.flush()
    if written and not session.info.get("backchannel_wake"):
        session.info["backchannel_wake"] = True

        def wake(_session) -> None:
            _session.info.pop("backchannel_wake", None)
            if runtime.log_sequencing == "background":  # the server; the CLI and tests call deliver_due
                worker_of(runtime).wake()

        event.listen(session, "after_commit", wake, once=True)
    return written


def logout_token(signing, *, issuer: str, client: OidcClient, sub: str | None, sid: str | None,
                 now: datetime) -> str:
    """§2.4: iss, aud, iat, exp, jti, events, sub and/or sid, never a nonce; typ logout+jwt."""
    key = signing.current(client.id_token_signed_response_alg)
    claims: dict = {"iss": issuer, "aud": client.client_id, "iat": int(now.timestamp()),
                    "exp": int((now + TOKEN_TTL).timestamp()), "jti": secrets.token_urlsafe(24),
                    "events": {LOGOUT_EVENT: {}}}
    if sub:
        claims["sub"] = sub
    if sid:
        claims["sid"] = sid
    header = {"alg": key.alg, "kid": key.kid, "typ": LOGOUT_TOKEN_TYP}
    return jwt.encode(header, claims, key.private, algorithms=[key.alg])


def deliver_due(runtime, *, post: Post = http_post, limit: int = BATCH) -> int:
    """One pass over the due notifications; returns how many were delivered."""
    from civicid.oidc.service import OidcProvider

    now = runtime.clock.now()
    jobs: list[_Job] = []
    with runtime.transaction() as session:
        rows = session.execute(sa.select(OidcLogoutNotice.id, OidcLogoutNotice.next_attempt_at)
                               .where(OidcLogoutNotice.next_attempt_at <= now)
                               .order_by(OidcLogoutNotice.next_attempt_at, OidcLogoutNotice.id).limit(limit)).all()
        if not rows:
            return 0
        provider = OidcProvider(runtime, session)
        for notice_id, due in rows:
            claimed = session.execute(sa.update(OidcLogoutNotice).where(
                OidcLogoutNotice.id == notice_id, OidcLogoutNotice.next_attempt_at == due)
                .values(next_attempt_at=now + LEASE).execution_options(synchronize_session=False)).rowcount
            if claimed != 1:
                continue
            notice = session.get(OidcLogoutNotice, notice_id)
            client = session.get(OidcClient, notice.client_id)
            uri = client.backchannel_logout_uri if client is not None and client.active else None
            if not uri or not uri.startswith(("https://", "http://")):
                session.delete(notice)
                continue
            token = logout_token(provider.signing, issuer=provider.issuer, client=client, sub=notice.sub,
                                 sid=notice.sid, now=now)
            jobs.append(_Job(notice_id, client.client_id, uri, token, notice.attempts))
    delivered: list[str] = []
    failed: list[_Job] = []
    for job in jobs:  # outside any transaction
        status = post(job.uri, job.token)
        if status in (200, 204):
            delivered.append(job.notice_id)
        else:
            failed.append(job)
            log.warning("back-channel logout to client %s failed (attempt %d, status %s)", job.client_id,
                        job.attempts + 1, status if status is not None else "unreachable")
    if not jobs:
        return 0
    with runtime.transaction() as session:
        if delivered:
            session.execute(sa.delete(OidcLogoutNotice).where(OidcLogoutNotice.id.in_(delivered))
                            .execution_options(synchronize_session=False))
        for job in failed:
            attempts = job.attempts + 1
            if attempts >= MAX_ATTEMPTS:
                log.warning("back-channel logout to client %s given up after %d attempts", job.client_id, attempts)
                session.execute(sa.delete(OidcLogoutNotice).where(OidcLogoutNotice.id == job.notice_id))
            else:
                session.execute(sa.update(OidcLogoutNotice).where(OidcLogoutNotice.id == job.notice_id).values(
                    attempts=attempts, next_attempt_at=now + RETRY_BASE * (2 ** (attempts - 1))))
    return len(delivered)


class BackchannelWorker:
    """A daemon thread delivering the outbox: woken after a commit that queued notifications,
    otherwise every ``poll_s`` for retries."""

    def __init__(self, runtime, *, poll_s: float = 15.0, post: Post = http_post) -> None:
        self._runtime = runtime
        self._poll_s = poll_s
        self.post = post
        self._event = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stopping = False

    def wake(self) -> None:
        with self._lock:
            self._idle.clear()
            self._event.set()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="civicid-backchannel-logout", daemon=True)
                self._thread.start()

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            self._event.set()
            thread = self._thread
        if thread is not None:
            thread.join(timeout=TIMEOUT_S + 1)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """For tests and shutdown: until the last wake-up's pass is over."""
        return self._idle.wait(timeout)

    def _run(self) -> None:
        while not self._stopping:
            self._event.wait(self._poll_s)
            self._event.clear()
            if self._stopping:
                break
            try:
                while deliver_due(self._runtime, post=self.post):
                    pass
            except Exception as error:  # noqa: BLE001 - the worker must survive; nothing personal logged
                log.warning("back-channel logout pass failed (%s)", type(error).__name__)
            finally:
                if not self._event.is_set():
                    self._idle.set()


def worker_of(runtime) -> BackchannelWorker:
    return runtime.shared("oidc.backchannel_worker", lambda: BackchannelWorker(runtime))
