from civicid.runtime import service_engine
from civicid.settings import Settings


def test_the_service_engine_never_runs_the_slow_cnn_fallback_on_live_frames_by_default():
    for engine in ("fr-feature", "mobilefacenet", "dlib"):
        assert detection_options(service_engine(Settings(face_engine=engine))).cnn_fallback is False
        assert detection_options(service_engine(Settings(face_engine=engine, face_cnn_fallback=True))).cnn_fallback is True


def detection_options(engine):
    return getattr(engine, "detector_options", None) or engine.options


def test_the_default_engine_is_the_measured_best_with_its_calibrated_threshold():
    engine = service_engine(Settings())
    assert (engine.name, engine.threshold) == ("fr-feature", 1.08)


def test_the_service_engine_uses_the_quality_policy_from_settings():
    engine = service_engine(Settings(quality_min_inter_eye_px=40))
    assert engine.quality_policy.min_inter_eye_px == 40
