"""Service settings, read from ``CIVICID_*`` environment variables.

Settings are built explicitly (``Settings()``) and passed to ``create_app`` and the CLI; nothing
reads them at import time. Outside development they fail closed: a placeholder secret or a
missing production setting stops the service from starting.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from civicid.face.models import QualityPolicy

_POLICY = QualityPolicy()  # the defaults of the quality_* settings
PLACEHOLDER_SECRETS = frozenset({"", "changeme", "change-me", "secret", "dev", "placeholder"})

# Calibrated with `civicid face eval` on ../shared/data (see docs/face-threshold.md): the largest
# distance (two decimals) at which the all-vs-all impostor pairs of lfw_view1/ (12.4 million) and
# faces/ stay at FMR <= 1e-4 with the default DlibFaceEngine. It costs FNMR ~0.28 on both.
DEFAULT_FACE_THRESHOLD = 0.46


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CIVICID_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    home: Path = Path("var")
    data: Path = Path("../shared/data")
    database_url: str | None = None
    public_url: str = "http://localhost:8000"
    session_secret: SecretStr | None = None
    demo: bool = Field(True, description="Mount the demo registry and demo relying party.")

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
    partner_requests_per_minute: int = Field(60, ge=1)
    partner_requests_per_id_per_hour: int = Field(10, ge=1)
    official_reads_per_hour: int = Field(10, ge=1)
    log_merge_delay_ms: int = Field(100, ge=10, le=60_000, description=(
        "How often the server moves recorded events into the transparency log's tree."))
    keep_face_template: bool = False

    # Face engine
    face_threshold: float = Field(DEFAULT_FACE_THRESHOLD, gt=0, lt=2)
    face_detector: Literal["hog", "cnn"] = "hog"
    # The MMOD CNN detector runs when HOG finds nothing: ~0.7 s of CPU per faceless image. Worth it
    # for registry photos and evaluation, but live frames without a face are common (turned heads)
    # and an attacker could send 150 of them; the service's engine leaves it off.
    face_cnn_fallback: bool = False
    face_workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1, le=64)
    image_max_bytes: int = Field(10 * 1024 * 1024, ge=1024)
    image_max_pixels: int = Field(40_000_000, ge=1024)

    # Quality thresholds for probe faces
    quality_min_inter_eye_px: float = _POLICY.min_inter_eye_px
    quality_min_sharpness: float = _POLICY.min_sharpness
    quality_min_brightness: float = _POLICY.min_brightness
    quality_max_brightness: float = _POLICY.max_brightness
    quality_max_abs_yaw_deg: float = _POLICY.max_abs_yaw_deg
    quality_max_abs_pitch_deg: float = _POLICY.max_abs_pitch_deg

    @model_validator(mode="after")
    def _fail_closed(self) -> "Settings":
        if self.environment == "production":
            secret = self.session_secret.get_secret_value() if self.session_secret else ""
            if secret.strip().lower() in PLACEHOLDER_SECRETS or len(secret) < 32:
                raise ValueError(
                    "CIVICID_SESSION_SECRET must be set to a random value of at least 32 "
                    "characters in production"
                )
            if not self.database_url:
                raise ValueError("CIVICID_DATABASE_URL must be set in production")
        return self

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.home / 'civicid.db').resolve()}"

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
        self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        return self.home
