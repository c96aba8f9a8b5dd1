"""Everything that expires is deleted, and nothing that is still live: each kind of row, by the
maintenance service, the server's periodic pruner and ``civicid maintenance prune``."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from civicid.enrolment.limits import AttemptLimiter
from civicid.enrolment.models import Attempt, AttemptKey, DecisionReceipt, EnrolmentSession
from civicid.enrolment.receipts import DecisionReceipts
from civicid.enrolment.recovery import RecoverySession
from civicid.enrolment.service import EnrolmentDecision, EnrolmentService
from civicid.identity.passkeys import WebAuthnCeremony
from civicid.identity.sessions import CitizenSession, SignInSessions
from civicid.maintenance.periodic import Pruner
from civicid.maintenance.service import prune_expired, table_sizes
from civicid.oidc.models import (OidcAuthorizationCode, OidcClientAssertion, OidcDpopProof, OidcPushedRequest,
                                 OidcToken)
from civicid.partners.models import VerificationChallenge
from civicid.partners.service import PartnerService
from civicid.vault.models import WrappedDataKey
from tests.support.harness import NOW, make_citizen

ID_NUMBER, NAME = "11010519900307005X", "Li Ming"  # enrolled
APPLICANT, APPLICANT_NAME = "11010519491231002X", "Zhang Wei"  # in the registry, enrolling
SOON, LATER = NOW + timedelta(minutes=1), NOW + timedelta(hours=2)


@pytest.fixture
def h(harness_factory):
    harness = harness_factory()
    harness.add_person(id_number=ID_NUMBER, name=NAME, photo=b"unused")
    harness.citizen_id = make_citizen(harness, id_number=ID_NUMBER, name=NAME)
    harness.add_person(id_number=APPLICANT, name=APPLICANT_NAME, photo=b"unused")
    return harness


def _code(code_hash: str, expires_at, citizen_id: str) -> OidcAuthorizationCode:
    return OidcAuthorizationCode(
        code_hash=code_hash, client_id="rp", citizen_id=citizen_id, redirect_uri="https://rp.example/cb",
        scope="openid", claims="", nonce=None, code_challenge="c" * 43, code_challenge_method="S256",
        acr="urn:civicid:acr:face-liveness", amr="hwk", auth_time=NOW, expires_at=expires_at, used_at=None)


def _token(token_id: str, grant_id: str, expires_at, refresh_expires_at, citizen_id: str) -> OidcToken:
    return OidcToken(
        id=token_id, grant_id=grant_id, client_id="rp", citizen_id=citizen_id, access_token_hash=f"a-{token_id}",
        refresh_token_hash=f"r-{token_id}" if refresh_expires_at else None, scope="openid", claims="",
        acr="urn:civicid:acr:face-liveness", amr="hwk", auth_time=NOW, issued_at=NOW, expires_at=expires_at,
        refresh_expires_at=refresh_expires_at, revoked_at=None)


def _seed_one_of_each(h, *, expires_at, tag: str) -> None:
    """One row of every kind that expires at ``expires_at`` (ids carry ``tag``)."""
    with h.runtime.transaction() as session:
        partner_id = PartnerService(h.runtime, session).register(f"Partner {tag}").partner_id
        session.add_all([
            RecoverySession(id=f"recovery-{tag}", citizen_id=h.citizen_id, actions="blink", nonce="n",
                            created_at=NOW, expires_at=expires_at),
            VerificationChallenge(id=f"challenge-{tag}", partner_id=partner_id, actions="blink", nonce="n",
                                  expires_at=expires_at, used=False),
            WebAuthnCeremony(id=f"ceremony-{tag}", purpose="authentication", challenge=b"c" * 32, citizen_id=None,
                             expires_at=expires_at),
            CitizenSession(token_hash=f"session-{tag}", citizen_id=h.citizen_id, amr="hwk", acr="a", auth_time=NOW,
                           expires_at=expires_at),
            _code(f"code-{tag}", expires_at, h.citizen_id),
            _token(f"token-{tag}", f"grant-{tag}", expires_at, None, h.citizen_id),
            OidcClientAssertion(jti_hash=f"jti-{tag}", expires_at=expires_at),
            OidcDpopProof(jti_hash=f"dpop-{tag}", expires_at=expires_at),
            OidcPushedRequest(request_uri_hash=f"par-{tag}", client_id="rp", params="[]", expires_at=expires_at),
        ])
    with h.runtime.transaction() as session:  # an enrolment session, its sealed number and a counted attempt
        started = EnrolmentService(h.runtime, session).start(id_number=APPLICANT, name=APPLICANT_NAME,
                                                             client=f"client-{tag}")
        session.execute(sa.update(EnrolmentSession).where(EnrolmentSession.id == started.session_id)
                        .values(expires_at=expires_at))
        session.execute(sa.delete(Attempt).where(Attempt.scope != "test_scope"))  # enrolment's own: this
        session.execute(sa.delete(AttemptKey).where(AttemptKey.scope != "test_scope"))  # test sets its own
    with h.runtime.transaction() as session:
        AttemptLimiter.for_runtime(h.runtime, session).hit("test_scope", tag, limit=10, window=expires_at - NOW)
    with h.runtime.transaction() as session:  # a decision receipt with its sealed sign-in token
        receipts = DecisionReceipts(h.runtime, session)
        receipts.pending(f"receipt-{tag}", flow="enrolment", client=f"client-{tag}")
        receipts.decided(f"receipt-{tag}", EnrolmentDecision("enrolled", (), network_id="n", session_token="t"))
        session.execute(sa.update(DecisionReceipt).where(DecisionReceipt.session_id == f"receipt-{tag}")
                        .values(expires_at=expires_at))


def _sizes(h) -> dict[str, int]:
    with h.runtime.transaction() as session:
        sizes = table_sizes(session)
        sizes["data_keys:enrolment"] = session.scalar(
            sa.select(sa.func.count()).where(WrappedDataKey.owner.like("enrolment:%")))
        sizes["data_keys:decision"] = session.scalar(
            sa.select(sa.func.count()).where(WrappedDataKey.owner.like("decision:%")))
    return sizes


def test_expired_rows_of_every_kind_go_and_live_ones_stay(h):
    _seed_one_of_each(h, expires_at=SOON, tag="old")
    _seed_one_of_each(h, expires_at=LATER, tag="new")
    before = _sizes(h)
    assert set(before.values()) == {2}, before  # one expiring soon and one later of each kind

    h.clock.advance(minutes=5)
    pruned = prune_expired(h.runtime)
    assert set(_sizes(h).values()) == {1}
    assert pruned.as_dict() == {table: 1 for table in before if not table.startswith("data_keys:")}
    with h.runtime.transaction() as session:
        assert session.scalars(sa.select(VerificationChallenge.id)).all() == ["challenge-new"]
        assert session.scalars(sa.select(CitizenSession.token_hash)).all() == ["session-new"]

    h.clock.advance(hours=3)
    prune_expired(h.runtime)
    assert set(_sizes(h).values()) == {0}


def test_a_code_stays_while_a_token_of_its_grant_can_be_revoked_and_a_token_while_it_can_refresh(h):
    with h.runtime.transaction() as session:
        session.add_all([_code("code-1", SOON, h.citizen_id),
                         _token("token-1", "code-1", SOON, NOW + timedelta(days=30), h.citizen_id)])
    h.clock.advance(hours=1)
    assert prune_expired(h.runtime).total == 0  # a replayed code-1 must still revoke token-1's family
    h.clock.advance(days=31)
    assert prune_expired(h.runtime).as_dict()["oidc_tokens"] == 1
    assert _sizes(h)["oidc_authorization_codes"] == 0


def test_an_attempt_key_stays_while_an_attempt_on_it_counts(h):
    with h.runtime.transaction() as session:
        limiter = AttemptLimiter.for_runtime(h.runtime, session)
        limiter.hit("enrol_id", "x", limit=5, window=timedelta(days=1))
        limiter.hit("official_read", "y", limit=5, window=timedelta(hours=1))
    h.clock.advance(hours=2)
    prune_expired(h.runtime)
    with h.runtime.transaction() as session:
        assert session.scalars(sa.select(Attempt.scope)).all() == ["enrol_id"]
        assert session.scalars(sa.select(AttemptKey.scope)).all() == ["enrol_id"]


def test_pruning_goes_in_batches_until_nothing_expired_is_left(h):
    with h.runtime.transaction() as session:
        for i in range(7):
            SignInSessions(session, h.clock).create(h.citizen_id, amr=("hwk",), acr="a", ttl=timedelta(minutes=1))
    h.clock.advance(minutes=2)
    assert prune_expired(h.runtime, batch=3).as_dict()["citizen_sessions"] == 7
    assert _sizes(h)["citizen_sessions"] == 0


def test_expired_recovery_sessions_are_purged_by_starting_an_enrolment(h):
    _seed_one_of_each(h, expires_at=SOON, tag="old")
    h.clock.advance(minutes=5)
    assert h.client.post("/api/v1/enrolments", json={"id_number": APPLICANT, "name": APPLICANT_NAME}
                         ).status_code == 201
    sizes = _sizes(h)
    assert (sizes["recovery_sessions"], sizes["enrolment_sessions"], sizes["data_keys:enrolment"]) == (0, 1, 1)


def test_the_server_prunes_periodically(h):
    _seed_one_of_each(h, expires_at=SOON, tag="old")
    h.clock.advance(minutes=5)
    pruner = Pruner(h.runtime, interval_s=0.05)
    pruner.start()
    try:
        deadline = time.monotonic() + 10
        while _sizes(h)["citizen_sessions"] and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        pruner.stop()
    assert set(_sizes(h).values()) == {0} and pruner.passes >= 1


def test_the_cli_prunes_and_reports(tmp_path, monkeypatch):
    from civicid.cli.main import app
    from civicid.identity.service import CitizenService
    from civicid.registry.interfaces import RegistryRecord
    from civicid.runtime import build_runtime
    from civicid.settings import Settings

    monkeypatch.setenv("CIVICID_HOME", str(tmp_path))
    monkeypatch.delenv("CIVICID_DATABASE_URL", raising=False)
    runtime = build_runtime(Settings())
    with runtime.transaction() as session:
        record = RegistryRecord(id_number=ID_NUMBER, name=NAME, birth_date=NOW.date().replace(year=1990), sex="M",
                                photo=b"")
        citizen = CitizenService(session, runtime.vault(session), runtime.clock).create(record, verification="x")
        sessions = SignInSessions(session, runtime.clock)
        sessions.create(citizen.id, amr=("hwk",), acr="a", ttl=timedelta(seconds=-1))  # already expired
        sessions.create(citizen.id, amr=("hwk",), acr="a")
    runtime.engine.dispose()

    result = CliRunner().invoke(app, ["maintenance", "prune", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["pruned"]["citizen_sessions"] == 1 and report["total"] == 1


def test_the_server_starts_its_pruner_in_the_lifespan(tmp_path):
    from fastapi.testclient import TestClient

    from civicid.runtime import build_runtime
    from civicid.settings import Settings
    from civicid.web.app import create_app

    settings = Settings(home=tmp_path, maintenance_prune_interval_s=0.1, demo=False)
    runtime = build_runtime(settings)
    with runtime.transaction() as session:
        SignInSessions(session, runtime.clock).create("c-1", amr=("hwk",), acr="a", ttl=timedelta(seconds=-1))

    def left() -> int:
        with runtime.transaction() as session:
            return table_sizes(session)["citizen_sessions"]

    with TestClient(create_app(settings)):  # the lifespan builds its own runtime, as `civicid serve` does
        deadline = time.monotonic() + 10
        while left() and time.monotonic() < deadline:
            time.sleep(0.05)
    runtime.engine.dispose()
    assert left() == 0
