"""KEK rotation: re-wrap every data key under the current KEK (DESIGN.md, Administration).

Only the wrapped data keys change; encrypted fields are untouched because the data keys
themselves stay the same. The work is resumable: rows already under the current KEK are not
returned by ``stale_batch``, so running ``rewrap_all`` again after an interruption continues
where it stopped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from civicid.vault.errors import KekInUse, VaultUsageError
from civicid.vault.interfaces import KeyProvider, RotatingKeyProvider, WrappedKeyStore


@dataclass(frozen=True, slots=True)
class RotationReport:
    kek_id: str
    rewrapped: int
    skipped: int  # changed or deleted (e.g. shredded) between read and write; left as they are
    batches: int


def rewrap_all(
    store: WrappedKeyStore,
    provider: KeyProvider,
    *,
    progress: Callable[[RotationReport], None] | None = None,
    batch_size: int = 500,
) -> RotationReport:
    """Re-wrap every data key not under ``provider.current_kek_id``.

    ``progress`` gets the running report after each batch. An unwrap error (a KEK retired too
    early) stops the run and is raised.
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise VaultUsageError("batch_size must be a positive integer.", argument="batch_size")
    kek_id = provider.current_kek_id
    rewrapped = skipped = batches = 0
    after: str | None = None
    while True:
        batch = store.stale_batch(kek_id, after=after, limit=batch_size)
        if not batch:
            break
        for owner, wrapped in batch:
            dek = provider.unwrap(wrapped, owner=owner)
            new = provider.wrap(dek, owner=owner)
            if store.replace(owner, expected=wrapped, new=new):
                rewrapped += 1
            else:
                skipped += 1
        batches += 1
        after = batch[-1][0]
        if progress is not None:
            progress(RotationReport(kek_id, rewrapped, skipped, batches))
    return RotationReport(kek_id, rewrapped, skipped, batches)


def retire_kek_if_unused(
    store: WrappedKeyStore, provider: RotatingKeyProvider, kek_id: str
) -> None:
    """Retire ``kek_id`` only when no stored data key is under any KEK but the current one.

    Retiring a KEK that still wraps a data key would shred that citizen by accident.
    """
    remaining = store.stale_batch(provider.current_kek_id, after=None, limit=1)
    if remaining:
        raise KekInUse(
            "Some data keys are not under the current key-encryption key yet; re-wrap first.",
            kek_id=kek_id,
        )
    provider.retire_kek(kek_id)
