"""A key provider whose keyring is one file on the local disk (``<home>/keys/keyring.json``).

For development and single-host deployments; an HSM or KMS adapter implements the same
``KeyProvider`` Protocol. Like ssh with private keys, it refuses a keyring file that group or
others can read or write. Changes are written to a 0600 temporary file, fsynced and renamed over
the old file, under an advisory lock so two processes (server and ``civicid keys``) cannot lose
each other's rotation.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import stat
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from civicid.vault.errors import KeyFilePermissions, KeyringInvalid, UnknownKek
from civicid.vault.interfaces import RandomSource, WrappedKey
from civicid.vault.keyring import Keyring

KEYS_DIR = "keys"
KEYRING_FILE = "keyring.json"
LOCK_FILE = "keyring.lock"


class LocalKeyProvider:
    def __init__(self, home: Path, *, rng: RandomSource = secrets) -> None:
        self._dir = Path(home) / KEYS_DIR
        self._path = self._dir / KEYRING_FILE
        self._rng = rng
        self._ensure_dir()
        with self._locked():
            if self._path.exists():
                self._ring, self._version = _load(self._path)
            else:
                ring = Keyring.generate(rng)
                self._ring, self._version = ring, _write(self._path, ring, rng)

    @property
    def path(self) -> Path:
        return self._path

    @property
    def current_kek_id(self) -> str:
        self._refresh()
        return self._ring.current_kek_id

    @property
    def kek_ids(self) -> tuple[str, ...]:
        self._refresh()
        return self._ring.kek_ids

    def wrap(self, dek: bytes, *, owner: str) -> WrappedKey:
        # Re-read if another process rotated, so new keys are wrapped under the new current KEK.
        self._refresh()
        return self._ring.wrap(dek, owner=owner, rng=self._rng)

    def unwrap(self, wrapped: WrappedKey, *, owner: str) -> bytes:
        try:
            return self._ring.unwrap(wrapped, owner=owner)
        except UnknownKek:
            if not self._refresh():
                raise
            return self._ring.unwrap(wrapped, owner=owner)

    def hmac_key(self, purpose: str) -> bytes:
        return self._ring.hmac_key(purpose)

    def signing_key(self, purpose: str) -> Ed25519PrivateKey:
        return self._ring.signing_key(purpose)

    def rotate_kek(self) -> str:
        with self._locked():
            ring = _load(self._path)[0].rotated(self._rng)
            self._ring, self._version = ring, _write(self._path, ring, self._rng)
        return ring.current_kek_id

    def retire_kek(self, kek_id: str) -> None:
        with self._locked():
            ring = _load(self._path)[0].retired(kek_id)
            self._ring, self._version = ring, _write(self._path, ring, self._rng)

    def __repr__(self) -> str:
        current = self._ring.current_kek_id
        return f"LocalKeyProvider(path={str(self._path)!r}, current_kek_id={current!r})"

    __str__ = __repr__

    def __reduce__(self) -> None:  # type: ignore[override]
        raise TypeError("LocalKeyProvider cannot be pickled")

    def _refresh(self) -> bool:
        """Reload the keyring if the file changed on disk; True if it did."""
        try:
            version = _file_version(os.stat(self._path))
        except FileNotFoundError:
            raise KeyringInvalid(f"The keyring file {self._path} has disappeared.") from None
        if version == self._version:
            return False
        self._ring, self._version = _load(self._path)
        return True

    def _ensure_dir(self) -> None:
        try:
            self._dir.mkdir(parents=True, mode=0o700)
        except FileExistsError:
            return
        os.chmod(self._dir, 0o700)  # mkdir's mode is filtered by the umask

    @contextmanager
    def _locked(self) -> Iterator[None]:
        fd = os.open(self._dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock


def _file_version(st: os.stat_result) -> tuple[int, int, int]:
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def _load(path: Path) -> tuple[Keyring, tuple[int, int, int]]:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        raise KeyringInvalid(
            f"The keyring file {path} cannot be opened: {exc.strerror}.", file=str(path)
        ) from None
    try:
        # Checked on the open descriptor, so the file cannot be swapped between check and read.
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise KeyringInvalid(f"The keyring {path} is not a regular file.", file=str(path))
        mode = stat.S_IMODE(st.st_mode)
        if mode & 0o077:
            raise KeyFilePermissions(
                f"The keyring file {path} has mode {mode:04o}: group or others can read or write "
                f"it. Refusing to start. Fix it with: chmod 600 {path}",
                file=str(path),
                mode=f"{mode:04o}",
                fix=f"chmod 600 {path}",
            )
        raw = b"".join(iter(lambda: os.read(fd, 65536), b""))
    finally:
        os.close(fd)
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        message = f"The keyring file {path} is not valid JSON."
        raise KeyringInvalid(message, file=str(path)) from None
    return Keyring.from_json(data), _file_version(st)


def _write(path: Path, ring: Keyring, rng: RandomSource) -> tuple[int, int, int]:
    tmp = path.with_name(f".{path.name}.{rng.token_bytes(6).hex()}.tmp")
    payload = json.dumps(ring.to_json(), indent=2, sort_keys=True).encode("utf-8")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return _file_version(os.stat(path))
