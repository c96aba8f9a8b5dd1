"""Everything the service needs, built once from settings and handed to the app or a command.

Tests build a Runtime with their own session factory, clock, key provider or face engine.
"""

from __future__ import annotations

import logging
import random
import secrets
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Literal, TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from civicid.audit.service import PENDING_FLAG, SEQUENCE_BATCH, AccessLog
from civicid.clock import Clock, SystemClock
from civicid.db import make_engine, make_session_factory
from civicid.errors import CivicIDError
from civicid.enrolment.assessment import LiveCheck
from civicid.face.interfaces import FaceEngine
from civicid.face.pad import PresentationAttackDetector
from civicid.face.pool import LocatorPool
from civicid.observability.interfaces import Metrics, NullMetrics
from civicid.registry.interfaces import PopulationRegistry
from civicid.settings import Settings
from civicid.vault.interfaces import KeyProvider
from civicid.vault.store import FieldVault

T = TypeVar("T")


@dataclass
class Runtime:
    settings: Settings
    sessions: sessionmaker[Session]
    keys: KeyProvider
    clock: Clock = field(default_factory=SystemClock)
    random: random.Random = field(default_factory=secrets.SystemRandom)
    engine: Engine | None = None
    # "inline": events recorded by a unit of work enter the log's tree right after its commit (the
    # CLI, tests); "background": a LogSequencer does it within the merge delay (the server).
    log_sequencing: Literal["inline", "background"] = "inline"
    # what the domains report (decisions, face stage timings, limiter hits): the web app's
    # Prometheus registry once create_app has it (civicid.web.metrics), else nothing
    metrics: Metrics = field(default_factory=NullMetrics)
    _face_engine: FaceEngine | None = None
    _builds_engine: bool = True
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _shared: dict[str, Any] = field(default_factory=dict, repr=False)
    #: set when a unit of work committed events for the background sequencer
    log_recorded: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def face_engine(self) -> FaceEngine:
        """Built on first use (loading dlib weights takes about a second)."""
        with self._lock:
            if self._face_engine is None:
                self._face_engine = service_engine(self.settings)
            return self._face_engine

    @property
    def pad_detector(self) -> PresentationAttackDetector | None:
        """The presentation-attack detector (CIVICID_FACE_PAD), built on first use."""
        if self.settings.face_pad == "off":
            return None
        return self.shared("pad_detector", lambda: PresentationAttackDetector(model_dir=self.settings.resolved_model_dir))

    @property
    def face_pool(self) -> LocatorPool | None:
        """Worker processes for the frames of live streams (CIVICID_FACE_WORKERS of them), started
        on first use; None with one worker, or when the runtime was given its own engine (tests)."""
        if self.settings.face_workers < 2 or not self._builds_engine:
            return None
        factory = service_engine_factory(self.settings)
        return self.shared("face_pool", lambda: LocatorPool(factory, workers=self.settings.face_workers))

    def live_check(self) -> LiveCheck:
        """The live-stream decision of enrolment, recovery and the partner API."""
        return LiveCheck.from_settings(self.face_engine, self.settings, pad=self.pad_detector, rng=self.random,
                                       pool=self.face_pool)

    def close(self) -> None:
        """Stop what the runtime started: the face workers and the database's connections."""
        pool = self._shared.pop("face_pool", None)
        if pool is not None:
            pool.close()
        if self.engine is not None:
            self.engine.dispose()

    def shared(self, name: str, factory: Callable[[], T]) -> T:
        """A process-wide object that a domain keeps between units of work (a cache), made on
        first use."""
        with self._lock:
            if name not in self._shared:
                self._shared[name] = factory()
            return self._shared[name]

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work. A domain error is an outcome, not a crash: what the domain wrote
        before raising it (a counted attempt, a shredded session) is committed; anything
        unexpected rolls back."""
        session = self.sessions()
        committed = False
        try:
            yield session
            session.commit()
            committed = True
        except CivicIDError:
            session.commit()
            committed = True
            raise
        except BaseException:
            session.rollback()
            raise
        finally:
            recorded = committed and session.info.pop(PENDING_FLAG, False)
            session.close()
            if recorded and self.log_sequencing == "inline":
                self._sequence_after_commit()
            elif recorded:
                self.log_recorded.set()

    def sequence_log(self) -> int | None:
        """Move every pending event into the log's tree (in batches, one transaction each); None
        if another sequencer holds the tail (it takes what was committed before it looked)."""
        total = 0
        while True:
            with self.transaction() as session:
                moved = self.access_log(session).sequence(limit=SEQUENCE_BATCH)
            if moved is None:
                return None if total == 0 else total
            total += moved
            if moved < SEQUENCE_BATCH:
                return total

    def _sequence_after_commit(self) -> None:
        try:
            self.sequence_log()
        except Exception:  # the events are committed in the outbox; the next sequencing takes them
            logging.getLogger("civicid.audit").exception("Sequencing the log after a commit failed")

    def access_log(self, session: Session) -> AccessLog:
        return AccessLog(session, self.keys, self.clock)

    def vault(self, session: Session) -> FieldVault:
        return FieldVault(session, self.keys, self.clock)

    def registry(self, session: Session) -> PopulationRegistry:
        if self.settings.registry_url:
            from civicid.registry.http import HttpRegistry

            token = self.settings.registry_token.get_secret_value() if self.settings.registry_token else ""
            return HttpRegistry(self.settings.registry_url, token=token)
        from civicid.registry.demo import DemoRegistry

        return DemoRegistry(session, self.vault(session), self.clock)


def service_engine_factory(settings: Settings) -> Callable[[], FaceEngine]:
    """A picklable factory of the engine that sees live frames and registry photos
    (CIVICID_FACE_ENGINE), for this process or a worker."""
    from civicid.face.dlib_engine import EngineOptions
    from civicid.face.engines import engine_factory

    detection = EngineOptions(detector=settings.face_detector, cnn_fallback=settings.face_cnn_fallback)
    return engine_factory(settings.face_engine, model_dir=settings.resolved_model_dir, detection=detection,
                          quality_policy=settings.quality_policy, custom=settings.custom_face_model,
                          threshold=settings.face_threshold)


def service_engine(settings: Settings) -> FaceEngine:
    return service_engine_factory(settings)()


def build_runtime(
    settings: Settings,
    *,
    sessions: sessionmaker[Session] | None = None,
    keys: KeyProvider | None = None,
    clock: Clock | None = None,
    face_engine: FaceEngine | None = None,
    rng: random.Random | None = None,
    migrate: bool = True,
) -> Runtime:
    engine = None
    if sessions is None:
        settings.ensure_home()
        engine = make_engine(settings.resolved_database_url)
        if migrate:
            from civicid.migrate import upgrade

            upgrade(engine)
        sessions = make_session_factory(engine)
    if keys is None:
        from civicid.vault.local_keys import LocalKeyProvider

        keys = LocalKeyProvider(settings.ensure_home())
    return Runtime(settings=settings, sessions=sessions, keys=keys, clock=clock or SystemClock(),
                   random=rng or secrets.SystemRandom(), engine=engine, _face_engine=face_engine,
                   _builds_engine=face_engine is None)
