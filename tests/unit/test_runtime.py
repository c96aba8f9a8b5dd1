from civicid.runtime import service_engine
from civicid.settings import Settings


def test_the_service_engine_never_runs_the_slow_cnn_fallback_on_live_frames_by_default():
    assert service_engine(Settings()).options.cnn_fallback is False
    assert service_engine(Settings(face_cnn_fallback=True)).options.cnn_fallback is True


def test_the_service_engine_uses_the_quality_policy_from_settings():
    engine = service_engine(Settings(quality_min_inter_eye_px=40))
    assert engine.quality_policy.min_inter_eye_px == 40
