"""Enrolment: claimed ID number and name → live challenge → frames → a citizen, or nothing.

DESIGN.md, Flows, Enrolment. A failure leaves nothing behind except the counted attempt; the
session's sealed ID number is shredded when the session ends either way.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Callable, Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from civicid.audit.events import EventTag
from civicid.enrolment.assessment import Assessment
from civicid.enrolment.errors import (AlreadyEnrolled, FramesInvalid, FrameTooLarge, NotFoundOrMismatch, SessionExpired,
                                      SessionNotFound)
from civicid.enrolment.frames import Frame
from civicid.enrolment.limits import AttemptLimiter, Hit
from civicid.enrolment.models import EnrolmentSession
from civicid.errors import CivicIDError
from civicid.face.challenge import Action, Challenge, new_challenge, parse_script
from civicid.face.decode import header_size, sniff_format
from civicid.face.errors import ImageError
from civicid.identity.service import CitizenService
from civicid.identity.sessions import SignInSessions
from civicid.ids import parse_id_number
from civicid.registry.interfaces import RegistryRecord
from civicid.registry.names import normalise_name
from civicid.runtime import Runtime

TABLE = EnrolmentSession.__tablename__
RATE_LIMIT_PURPOSE = "rate_limit.attempts"
VERIFICATION_METHOD = "face-liveness"
FACE_AMR = ("face", "user")
log = logging.getLogger("civicid.enrolment")


@dataclass(frozen=True, slots=True)
class StartedEnrolment:
    session_id: str
    challenge: Challenge


@dataclass(frozen=True, slots=True)
class EnrolmentDecision:
    decision: str  # "enrolled" | "rejected"
    reasons: tuple[str, ...]
    network_id: str | None = None
    citizen_id: str | None = field(default=None, repr=False)
    assessment: Assessment | None = field(default=None, repr=False)
    session_token: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class OpenedSession:
    """What the face work of a taken session needs; nothing of it stays in the database."""

    number: str = field(repr=False)
    record: RegistryRecord = field(repr=False)
    actions: tuple[Action, ...]
    prompts_ms: tuple[int, ...] | None
    attempt: str | None
    citizen_id: str | None = field(default=None, repr=False)


def decide_session(runtime: Runtime, service: type["EnrolmentService"], session_id: str, frames: Sequence[Frame],
                  *, client: str, sign_in: bool = False, receipt: bool = False):
    """One decision as three units of work: take the session; the face work with no transaction
    open (it takes seconds, and would hold SQLite's write lock or PostgreSQL's row locks); record
    the outcome. ``service`` is EnrolmentService or RecoveryService. Blocking: call it from a
    worker thread.

    The decision, its reason codes and the face stage timings go to ``runtime.metrics``; a typed
    error (an expired session, an enrolled number) counts as the outcome ``error`` with its code.

    With ``receipt``, the decision is also kept for ``client`` a short time, from the moment the
    session is taken (pending) to its outcome, so a page that lost the answer can fetch it again
    (:mod:`civicid.enrolment.receipts`)."""
    try:
        decision = _decide(runtime, service, session_id, frames, sign_in=sign_in,
                           receipt_for=client if receipt else None)
    except CivicIDError as error:
        runtime.metrics.decision(service.flow, "error", (error.code,))
        raise
    runtime.metrics.decision(service.flow, decision.decision, decision.reasons)
    log.info("%s decided: %s (%s)", service.flow, decision.decision, ", ".join(decision.reasons) or "-")
    return decision


def _decide(runtime: Runtime, service: type["EnrolmentService"], session_id: str, frames: Sequence[Frame], *,
            sign_in: bool, receipt_for: str | None = None):
    from civicid.enrolment.receipts import DecisionReceipts

    with runtime.transaction() as session:
        opened = service(runtime, session).open(session_id, frames)
        if receipt_for is not None:
            receipts = DecisionReceipts(runtime, session)
            receipts.pending(session_id, flow=service.flow, client=receipt_for)
            if not isinstance(opened, OpenedSession):
                receipts.decided(session_id, opened)
    if not isinstance(opened, OpenedSession):
        return opened
    try:
        assessment = runtime.live_check().assess(frames, actions=opened.actions, reference=opened.record.photo,
                                                 prompts_ms=opened.prompts_ms)
        runtime.metrics.face_stages(service.flow, assessment.timings_ms)
        with runtime.transaction() as session:
            try:
                decision = service(runtime, session).close(opened, assessment, sign_in=sign_in)
            except CivicIDError as error:  # committed with what close wrote (runtime.transaction)
                if receipt_for is not None:
                    DecisionReceipts(runtime, session).failed(session_id, error)
                raise
            if receipt_for is not None:
                DecisionReceipts(runtime, session).decided(session_id, decision)
            return decision
    except CivicIDError:
        raise
    except Exception:
        if receipt_for is not None:  # not stranded as pending: the page is told to start again
            with runtime.transaction() as session:
                DecisionReceipts(runtime, session).failed(session_id, CivicIDError())
        raise


class ResponseFloor:
    """Answers no earlier than ``min_s`` after they started, so an unknown number and a wrong
    name cannot be told apart by timing."""

    def __init__(self, min_s: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._min_s, self._clock, self._sleep = min_s, clock, sleep

    def __enter__(self) -> "ResponseFloor":
        self._start = self._clock()
        return self

    def __exit__(self, *exc) -> None:
        remaining = self._min_s - (self._clock() - self._start)
        if remaining > 0:
            self._sleep(remaining)


class EnrolmentService:
    flow = "enrolment"  # the flow label of its metrics

    def __init__(self, runtime: Runtime, session: Session, *, floor: ResponseFloor | None = None) -> None:
        self._rt = runtime
        self._session = session
        self._vault = runtime.vault(session)
        self._limiter = AttemptLimiter.for_runtime(runtime, session)
        self._floor = floor or ResponseFloor(runtime.settings.enrolment_min_response_s)

    # --- step 1 ------------------------------------------------------------------------------
    def start(self, *, id_number: str, name: str, client: str, actions: str | None = None) -> StartedEnrolment:
        """A challenge for a claimed number and name that match the registry. Whether the number
        already has a CivicID is not told here (anyone who knows a number and a name could ask):
        only a live face that matches the registry photo learns it (:meth:`close`)."""
        now = self._rt.clock.now()
        self._purge_expired(now)
        with self._floor:
            number, _ = self._claimed_record(id_number, name, client)
            return self._sealed_session(number, client, actions=actions, state="open")

    def _sealed_session(self, number: str, client: str, *, actions: str | None, state: str) -> StartedEnrolment:
        """A session holding the claimed number sealed under its own data key, and its challenge."""
        now = self._rt.clock.now()
        attempt = self._session_attempt(number, client)
        challenge = self._new_challenge(now, actions)
        session_id = str(uuid.uuid4())
        owner = f"enrolment:{session_id}"
        self._vault.create_key(owner)
        self._session.add(EnrolmentSession(
            id=session_id,
            id_number_ct=self._vault.seal(owner, number, table=TABLE, column="id_number", row_id=session_id),
            id_number_index=self._vault.id_number_index(number),
            client_key=self._limiter.key_for("enrol_client", client),
            actions=challenge.script, nonce=challenge.nonce,
            created_at=now, expires_at=challenge.expires_at, state=state, attempt_ids=attempt,
        ))
        return StartedEnrolment(session_id, challenge)

    # --- step 2: take the session (a short unit of work) ----------------------------------------
    def open(self, session_id: str, frames: Sequence[Frame]) -> "OpenedSession | EnrolmentDecision":
        """Use up the session and read what the face work needs; one submission per challenge."""
        row = self._session.get(EnrolmentSession, session_id, with_for_update=True)
        if row is None or row.state != "open":
            raise SessionNotFound()
        if self._rt.clock.now() >= row.expires_at:
            self._end(row)
            raise SessionExpired()
        check_frame_limits(frames, settings=self._rt.settings)
        number = self._take_sealed(row)
        record = self._rt.registry(self._session).lookup(number)
        if record is None or record.status != "active":
            return EnrolmentDecision("rejected", ("registry.not_active",))
        actions, prompts = parse_script(row.actions)
        return OpenedSession(number, record, actions, prompts, row.attempt_ids)

    # --- step 3: record the outcome (a short unit of work) --------------------------------------
    def close(self, opened: "OpenedSession", assessment: Assessment, *, sign_in: bool) -> EnrolmentDecision:
        """A failure stays counted (it was counted when the session started); a match creates the
        citizen, uncounts the attempt and, with ``sign_in``, opens a face-verified session."""
        matched = assessment.outcome == "match"
        citizens = CitizenService(self._session, self._vault, self._rt.clock)
        existing = citizens.find_by_id_number(opened.number)
        if existing is not None:
            self._rt.access_log(self._session).record(
                EventTag.SYSTEM_CITIZEN_ENROLMENT_FAILED, actor="system", citizen_id=existing.id,
                purpose="an enrolment with your ID number, which already has a CivicID: "
                        + ("the face matched your registry photo" if matched else
                           f"refused ({', '.join(assessment.reasons)})"))
            if matched:  # the holder, proven live: they may know, and are sent to recovery
                self._release(opened.attempt)
                raise AlreadyEnrolled()
        if not matched:
            return EnrolmentDecision("rejected", assessment.reasons, assessment=assessment)
        citizen = self._create_citizen(opened.record, assessment)
        self._release(opened.attempt)
        self._rt.access_log(self._session).record(
            EventTag.SYSTEM_CITIZEN_ENROLLED, actor="system", citizen_id=citizen.id,
            purpose=f"remote enrolment: ID number, registry photo 1:1 match (distance {assessment.distance:.3f}), liveness")
        token = self._face_session(citizen.id) if sign_in else None
        return EnrolmentDecision("enrolled", assessment.reasons, network_id=citizen.network_id,
                                 citizen_id=citizen.id, assessment=assessment, session_token=token)

    # --- helpers -----------------------------------------------------------------------------
    def _session_attempt(self, number: str, client: str) -> str:
        """Count a started session as a failure now, against the client's budget of starts and the
        number's and client's budgets of failures; a session that ends in a match uncounts it
        (:meth:`_release`). Abandoning sessions until a challenge fits a recording therefore costs
        as much as failing them."""
        settings = self._rt.settings
        self._limiter.hit("enrol_start", client, limit=settings.enrolment_starts_per_client_per_hour,
                          window=timedelta(hours=1))
        return ",".join(str(i) for i in self._check_limits(number, client).attempt_ids)

    def _release(self, attempt: str | None) -> None:
        if attempt:
            self._limiter.release(Hit(tuple(int(i) for i in attempt.split(",")), self._rt.clock.now()))

    def _face_session(self, citizen_id: str) -> str:
        """A sign-in session verified by face (``amr`` face), which may register a passkey."""
        return SignInSessions(self._session, self._rt.clock).create(
            citizen_id, amr=FACE_AMR, acr=f"urn:civicid:acr:{VERIFICATION_METHOD}")

    def _new_challenge(self, now, actions: str | None) -> Challenge:
        """A random challenge; ``actions`` (an operator's recording, ``civicid enrol --actions``) or
        CIVICID_TEST_CHALLENGE (test environment only) pin the actions and drop prompt timing."""
        settings = self._rt.settings
        return new_challenge(self._rt.random, now=now, ttl_s=settings.enrolment_ttl_s,
                             pinned=actions or settings.test_challenge)

    def _create_citizen(self, record: RegistryRecord, assessment: Assessment):
        template = assessment.template if self._rt.settings.keep_face_template else None
        citizens = CitizenService(self._session, self._vault, self._rt.clock)
        return citizens.create(record, verification=VERIFICATION_METHOD, template=template)

    def _take_sealed(self, row: EnrolmentSession) -> str:
        """The session's claimed number; the session ends (shredded) as it is read."""
        number = self._vault.open_text(f"enrolment:{row.id}", row.id_number_ct, table=TABLE, column="id_number",
                                       row_id=row.id)
        self._end(row)
        return number

    def _end(self, row: EnrolmentSession) -> None:
        """Shred the sealed ID number and remove the session: nothing of it stays behind."""
        self._vault.destroy(f"enrolment:{row.id}")
        self._session.execute(sa.delete(EnrolmentSession).where(EnrolmentSession.id == row.id))

    def _claimed_record(self, id_number: str, name: str, client: str) -> tuple[str, RegistryRecord]:
        """The active registry record for a claimed number and name, within the attempt limits.

        An unknown number, an inactive record and a wrong name give the same error and count as a
        failed attempt; the caller's response floor gives them the same minimum time."""
        number = parse_id_number(id_number, today=self._rt.clock.now().date()).value
        hit = self._check_limits(number, client)  # counted at once; released if it matches
        record = self._rt.registry(self._session).lookup(number)
        if record is None or record.status != "active" or normalise_name(name) != normalise_name(record.name):
            raise NotFoundOrMismatch()
        self._limiter.release(hit)
        return number, record

    def _purge_expired(self, now, *, batch: int = 100) -> None:
        """Abandoned enrolment and recovery sessions are shredded like finished ones, a batch at a
        time (the server's periodic prune takes the rest: civicid.maintenance)."""
        from civicid.maintenance.service import prune_enrolment_sessions, prune_recovery_sessions

        prune_enrolment_sessions(self._session, self._vault, now=now, batch=batch)
        prune_recovery_sessions(self._session, now=now, batch=batch)

    def _check_limits(self, number: str, client: str):
        """Count this attempt as a failure against the number's and the client's budgets now,
        atomically, or raise Locked; returns the Hit to ``self._limiter.release`` on success."""
        from civicid.enrolment.limits import Limit

        settings = self._rt.settings
        return self._limiter.hit_all(
            Limit("enrol_id", number, settings.enrolment_failures_per_id_per_day, timedelta(days=1)),
            Limit("enrol_client", client, settings.enrolment_failures_per_client_per_hour, timedelta(hours=1)))



def check_frame_limits(frames: Sequence[Frame], *, settings) -> None:
    if not frames:
        raise FramesInvalid("No frames were sent.")
    if len(frames) > settings.enrolment_max_frames:
        raise FramesInvalid(f"At most {settings.enrolment_max_frames} frames are accepted.")
    if any(len(frame.data) > settings.enrolment_max_frame_bytes for frame in frames):
        raise FramesInvalid(f"Each frame may be at most {settings.enrolment_max_frame_bytes} bytes.")
    if sum(len(frame.data) for frame in frames) > settings.enrolment_max_total_bytes:
        raise FramesInvalid(f"The frames may be at most {settings.enrolment_max_total_bytes} bytes in all.")
    for index, frame in enumerate(frames):
        _check_frame_header(index, frame.data, max_pixels=settings.live_frame_max_pixels)
    times = [frame.t_ms for frame in frames]
    if any(later <= earlier for earlier, later in zip(times, times[1:])):
        raise FramesInvalid("Frame timestamps must be strictly increasing.")
    if times[-1] - times[0] > settings.enrolment_ttl_s * 1000:
        raise FramesInvalid("The frames span more time than the challenge allows.")


def _check_frame_header(index: int, data: bytes, *, max_pixels: int) -> None:
    """A live frame is a camera frame: its header must name a supported format of at most
    ``max_pixels`` pixels. Read from the header alone, so a small file that would decode to
    gigabytes (a decompression bomb) is refused before anything is decoded."""
    fmt = sniff_format(data)
    if fmt is None:
        raise FramesInvalid(f"Frame {index} is not a JPEG, PNG or WebP image.", frame=index)
    try:
        width, height, _ = header_size(data, fmt)
    except ImageError:
        raise FramesInvalid(f"Frame {index} has a corrupt header.", frame=index) from None
    if width * height > max_pixels:
        raise FrameTooLarge(f"Frame {index} is {width}x{height}; a live frame may have at most {max_pixels} pixels.",
                            frame=index, max_pixels=max_pixels)
