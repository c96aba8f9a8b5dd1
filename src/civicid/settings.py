"""Service settings, read from ``CIVICID_*`` environment variables.

Settings are built explicitly (``Settings()``) and passed to ``create_app`` and the CLI; nothing
reads them at import time. Outside development they fail closed: a placeholder secret or a
missing production setting stops the service from starting.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
import stat
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from civicid.face.models import QualityPolicy

_POLICY = QualityPolicy()  # the defaults of the quality_* settings
PLACEHOLDER_SECRETS = frozenset({"", "changeme", "change-me", "secret", "dev", "placeholder"})



class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CIVICID_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    home: Path = Path("var")
    data: Path = Path("../shared/data")
    database_url: str | None = None
    public_url: str = "http://localhost:8000"
    session_secret: SecretStr | None = None
    # None: on in development and test, off in production (then set after validation, always a bool)
    demo: bool | None = Field(None, description="Mount the demo registry and demo relying party.")
    api_docs: bool | None = Field(None, description="Serve /docs, /redoc and /openapi.json.")

    # The HTTP boundary (civicid.web.boundary): the frame uploads take enrolment_max_total_bytes
    # plus multipart overhead; every other route at most max_body_bytes.
    max_body_bytes: int = Field(64 * 1024, ge=1024, le=16 * 1024 * 1024)
    trusted_proxies: str = Field("", description=(
        "Comma-separated addresses or networks of the reverse proxies whose X-Forwarded-For and "
        "X-Forwarded-Proto are believed (civicid serve --proxy-headers). Default: none."))
    ready_max_log_outbox_age_s: float = Field(60, gt=0, description=(
        "/api/v1/ready fails while a transparency-log event has waited longer than this."))
    log_origin: str | None = Field(None, description=(
        "The transparency log's checkpoint origin and note key name (docs/transparency.md). "
        "Default: public_url without its scheme, plus /log (e.g. localhost:8000/log)."))
    log_witnesses: str = Field("", description=(
        "Comma-separated cosigner keys (<name>+<key ID>+<base64>) of the witnesses whose "
        "cosigned checkpoints the log publishes at /log/cosigned-checkpoint."))
    # Operations (README, Operations): log format, and who may read /metrics (civicid.web.metrics)
    log_format: Literal["json", "text"] | None = Field(None, description=(
        "Log lines on stderr: one JSON object each, or text. Default: json in production, else text."))
    metrics_token: SecretStr | None = Field(None, description=(
        "Bearer token for /metrics; without it /metrics answers only to unrelayed loopback clients."))

    # Population registry: the demo registry in CivicID's own database unless a URL is given
    registry_url: str | None = None
    registry_token: SecretStr | None = None

    # Enrolment and verification limits
    enrolment_ttl_s: int = Field(120, ge=10, le=3600)
    enrolment_min_response_s: float = Field(0.25, ge=0, le=5)
    enrolment_max_frames: int = Field(150, ge=1, le=1000)
    enrolment_max_frame_bytes: int = Field(1024 * 1024, ge=1024)
    enrolment_max_total_bytes: int = Field(20 * 1024 * 1024, ge=1024)
    enrolment_failures_per_id_per_day: int = Field(5, ge=1)
    enrolment_failures_per_client_per_hour: int = Field(5, ge=1)
    enrolment_starts_per_client_per_hour: int = Field(20, ge=1)
    partner_requests_per_minute: int = Field(60, ge=1)
    partner_requests_per_id_per_hour: int = Field(10, ge=1)
    official_reads_per_hour: int = Field(10, ge=1)
    official_case_reference_pattern: str = Field(r"[A-Z]{2,10}-(19|20)[0-9]{2}-[0-9]{1,8}", description=(
        "The format of an official's case reference (a regular expression the whole reference must "
        "match); the default is OFFICE-YEAR-NUMBER, e.g. CASE-2026-117."))
    maintenance_prune_interval_s: float = Field(60, ge=0.1, le=86_400, description=(
        "How often the server deletes expired sessions, codes, tokens and attempts."))
    log_merge_delay_ms: int = Field(100, ge=10, le=60_000, description=(
        "How often the server moves recorded events into the transparency log's tree."))
    keep_face_template: bool = False

    # Face engine (docs/face-models.md): a manifest model, dlib (comparison) or an operator's ONNX
    face_engine: Literal["fr-feature", "mobilefacenet", "dlib", "custom"] = "fr-feature"
    face_model_dir: Path | None = Field(None, description="Model cache [default: ~/.cache/civicid/models].")
    face_model_path: Path | None = Field(None, description="The custom engine's ArcFace-style ONNX file.")
    face_model_channels: Literal["RGB", "BGR"] = "RGB"
    face_model_mean: float = 127.5
    face_model_std: float = 127.5
    # None: the engine's calibrated threshold (docs/face-threshold.md); a custom model needs one.
    face_threshold: float | None = Field(None, gt=0, lt=2)
    face_pad: Literal["fr-liveness", "off"] = "fr-liveness"
    face_detector: Literal["hog", "cnn"] = "hog"
    # The MMOD CNN detector runs when HOG finds nothing: ~0.7 s of CPU per faceless image. Worth it
    # for registry photos and evaluation, but live frames without a face are common (turned heads)
    # and an attacker could send 150 of them; the service's engine leaves it off.
    face_cnn_fallback: bool = False
    face_workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1, le=64)
    image_max_bytes: int = Field(10 * 1024 * 1024, ge=1024)
    image_max_pixels: int = Field(40_000_000, ge=1024)
    # Live frames are camera frames: a larger one is refused before it is decoded (issue: bombs).
    live_frame_max_pixels: int = Field(2_000_000, ge=1024)
    # Pins the liveness challenge (e.g. "turn_left,turn_right", prompt timing unchecked) so tests
    # and demos can replay recordings; refused outside CIVICID_ENVIRONMENT=test.
    test_challenge: str | None = None

    # Quality thresholds for probe faces
    quality_min_inter_eye_px: float = _POLICY.min_inter_eye_px
    quality_min_sharpness: float = _POLICY.min_sharpness
    quality_min_brightness: float = _POLICY.min_brightness
    quality_max_brightness: float = _POLICY.max_brightness
    quality_max_abs_yaw_deg: float = _POLICY.max_abs_yaw_deg
    quality_max_abs_pitch_deg: float = _POLICY.max_abs_pitch_deg

    @model_validator(mode="after")
    def _fail_closed(self) -> "Settings":
        if self.test_challenge and self.environment != "test":
            raise ValueError("CIVICID_TEST_CHALLENGE pins the liveness challenge and is refused outside "
                             "CIVICID_ENVIRONMENT=test")
        if self.face_engine == "custom" and (self.face_model_path is None or self.face_threshold is None):
            raise ValueError("CIVICID_FACE_ENGINE=custom needs CIVICID_FACE_MODEL_PATH and CIVICID_FACE_THRESHOLD "
                             "(calibrate it with `civicid face eval`)")
        if self.environment == "production":
            secret = self.session_secret.get_secret_value() if self.session_secret else ""
            if secret.strip().lower() in PLACEHOLDER_SECRETS or len(secret) < 32:
                raise ValueError(
                    "CIVICID_SESSION_SECRET must be set to a random value of at least 32 "
                    "characters in production"
                )
            if not self.database_url:
                raise ValueError("CIVICID_DATABASE_URL must be set in production")
        if self.demo is None:
            self.demo = self.environment != "production"
        if self.api_docs is None:
            self.api_docs = self.environment != "production"
        if self.log_format is None:
            self.log_format = "json" if self.environment == "production" else "text"
        token = self.metrics_token.get_secret_value() if self.metrics_token else None
        if token is not None and self.environment == "production" and (
                token.strip().lower() in PLACEHOLDER_SECRETS or len(token) < 32):
            raise ValueError("CIVICID_METRICS_TOKEN must be a random value of at least 32 characters in production "
                             "(or unset: /metrics then answers only on this host)")
        if self.environment == "production" and not self.demo and not self.registry_url:
            raise ValueError("CIVICID_REGISTRY_URL must be set in production (the demo registry "
                             "runs only with CIVICID_DEMO=true)")
        return self

    @field_validator("official_case_reference_pattern")
    @classmethod
    def _case_reference_pattern(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"CIVICID_OFFICIAL_CASE_REFERENCE_PATTERN is not a regular expression: {exc}") from None
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_networks(cls, value: str) -> str:
        entries = [entry.strip() for entry in value.split(",") if entry.strip()]
        for entry in entries:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"CIVICID_TRUSTED_PROXIES: {entry!r} is not an IP address or network") from None
        return ",".join(entries)

    @property
    def trusted_proxy_list(self) -> tuple[str, ...]:
        return tuple(self.trusted_proxies.split(",")) if self.trusted_proxies else ()

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.home / 'civicid.db').resolve()}"

    @property
    def resolved_model_dir(self) -> Path:
        from civicid.face.model_store import default_model_dir

        return self.face_model_dir or default_model_dir()

    @property
    def custom_face_model(self):
        """The operator's model spec when ``face_model_path`` is set (civicid.face.manifest)."""
        if self.face_model_path is None:
            return None
        from civicid.face.manifest import custom_embedding_spec

        return custom_embedding_spec(path=str(self.face_model_path), threshold=self.face_threshold or 1.0,
                                     channels=self.face_model_channels, mean=self.face_model_mean,
                                     std=self.face_model_std)

    def threshold_of(self, engine: str) -> float:
        """``face_threshold`` if set, else ``engine``'s calibrated one."""
        if self.face_threshold is not None:
            return self.face_threshold
        from civicid.face.dlib_engine import DlibFaceEngine
        from civicid.face.manifest import EMBEDDING_MODELS

        if engine == "dlib":
            return DlibFaceEngine.threshold
        if engine in EMBEDDING_MODELS:
            return float(EMBEDDING_MODELS[engine].threshold)
        raise ValueError("CIVICID_FACE_THRESHOLD must be set for a custom face model")

    @property
    def quality_policy(self) -> QualityPolicy:
        return QualityPolicy(
            min_inter_eye_px=self.quality_min_inter_eye_px,
            min_sharpness=self.quality_min_sharpness,
            min_brightness=self.quality_min_brightness,
            max_brightness=self.quality_max_brightness,
            max_abs_yaw_deg=self.quality_max_abs_yaw_deg,
            max_abs_pitch_deg=self.quality_max_abs_pitch_deg,
        )

    def ensure_home(self) -> Path:
        """The service's folder (database, keyring), private to its user: created 0700, or an
        existing one tightened to 0700; if that is not allowed, the service does not start."""
        self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        mode = stat.S_IMODE(self.home.stat().st_mode)
        if mode & 0o077:
            try:
                os.chmod(self.home, 0o700)
            except OSError as error:
                raise PermissionError(f"CIVICID_HOME {self.home} has mode {mode:04o} and cannot be made private "
                                      f"({error.strerror}). Refusing to start. Fix it with: chmod 700 {self.home}"
                                      ) from None
            logging.getLogger("civicid").warning("CIVICID_HOME %s had mode %04o; now 0700", self.home, mode)
        return self.home
