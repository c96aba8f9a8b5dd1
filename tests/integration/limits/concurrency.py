"""Run one call from many threads at once and tally what came back."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

CONCURRENCY = 20


def run_at_once(calls: list[Callable[[], str]]) -> Counter:
    """Start every call together (a barrier), each on its own thread; count their outcomes."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], str]) -> str:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return Counter(pool.map(run, calls))
