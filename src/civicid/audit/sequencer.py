"""The server's log sequencer: a daemon thread per process that moves recorded events from the
outbox into the Merkle tree within ``interval_s`` of their commit (RFC 9162's merge delay, here
0.1 s by default). It looks only when its own process recorded something, and every
``sweep_s`` for events that another process or a failed pass left behind. Sequencers of several
processes share the work: one holds the tail, the others skip.
"""

from __future__ import annotations

import logging
import threading
import time

from civicid.runtime import Runtime

log = logging.getLogger("civicid.audit")


class LogSequencer:
    def __init__(self, runtime: Runtime, *, interval_s: float, sweep_s: float = 5.0) -> None:
        self._runtime = runtime
        self._interval_s = interval_s
        self._sweep_s = sweep_s
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="civicid-log-sequencer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop, after a last pass so nothing recorded before shutdown waits for the next start."""
        self._stopping.set()
        self._thread.join()
        self._pass()

    def _run(self) -> None:
        last_sweep = time.monotonic()
        while not self._stopping.wait(self._interval_s):
            if self._runtime.log_recorded.is_set() or time.monotonic() - last_sweep >= self._sweep_s:
                self._runtime.log_recorded.clear()
                last_sweep = time.monotonic()
                self._pass()

    def _pass(self) -> None:
        try:
            if self._runtime.sequence_log() is None:  # another process's pass may have missed ours
                self._runtime.log_recorded.set()
        except Exception:  # a database hiccup must not end the thread; events stay in the outbox
            log.exception("Sequencing the transparency log failed; retrying within %.0f s", self._sweep_s)
