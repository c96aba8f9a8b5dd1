"""The server's log sequencer: a daemon thread per process that moves recorded events from the
outbox into the Merkle tree every ``interval_s`` (RFC 9162 §4.1's merge delay, here 0.1 s by
default). Sequencers of several processes share the work: one holds the tail, the others skip.
"""

from __future__ import annotations

import logging
import threading

from civicid.runtime import Runtime

log = logging.getLogger("civicid.audit")


class LogSequencer:
    def __init__(self, runtime: Runtime, *, interval_s: float) -> None:
        self._runtime = runtime
        self._interval_s = interval_s
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
        while not self._stopping.wait(self._interval_s):
            self._pass()

    def _pass(self) -> None:
        try:
            self._runtime.sequence_log()
        except Exception:  # a database hiccup must not end the thread; events stay in the outbox
            log.exception("Sequencing the transparency log failed; retrying in %.1f s", self._interval_s)
