"""The server's pruner: a daemon thread per process that deletes what has expired every
``interval_s`` (DESIGN.md, Scale: any number of processes and nodes may prune at once; each
batch is its own short transaction and skips rows another one holds)."""

from __future__ import annotations

import logging
import random
import threading

from civicid.maintenance.service import prune_expired
from civicid.runtime import Runtime

log = logging.getLogger("civicid.maintenance")
JITTER = 0.1  # of the interval, so the processes of a deployment do not all prune at once


class Pruner:
    def __init__(self, runtime: Runtime, *, interval_s: float, rng: random.Random | None = None) -> None:
        self._runtime = runtime
        self._interval_s = interval_s
        self._rng = rng or random.Random()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="civicid-pruner", daemon=True)
        self.passes = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stopping.wait(self._interval_s * (1 + self._rng.uniform(-JITTER, JITTER))):
            try:
                pruned = prune_expired(self._runtime)
                if pruned.total:
                    log.info("Pruned %d expired rows: %s", pruned.total,
                             ", ".join(f"{table} {count}" for table, count in pruned.counts if count))
            except Exception:  # a database hiccup must not end the thread; the next pass retries
                log.exception("Pruning expired rows failed; retrying in %.0f s", self._interval_s)
            self.passes += 1
