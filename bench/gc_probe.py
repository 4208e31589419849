"""gunicorn configuration for the load benchmark: every worker times its garbage collections.

    gunicorn -c bench/gc_probe.py ... wsgi:app      (GC_PROBE_DIR names where the figures go)

Counted from the moment the worker has built and frozen the app (``wsgi.py``), that is while serving. A
collection stops the worker's request for as long as it walks the objects alive; the longest
pauses are what the p99 latency sees. Each worker writes, when it exits, the number of collections
and the longest and total pause of each generation (CPU time of the worker's thread, so that other
processes on a busy machine do not count) to GC_PROBE_DIR/<pid>.json.
"""

from __future__ import annotations

import gc
import json
import os
import time
from pathlib import Path
from typing import Any

_started: list[float] = [0.0]
_frozen: list[int] = [0]
_stats: dict[str, list[float]] = {"count": [0, 0, 0], "longest_ms": [0.0, 0.0, 0.0], "total_ms": [0.0, 0.0, 0.0]}


def _time_collection(phase: str, info: dict[str, Any]) -> None:
    # Nothing here may walk the heap: gc.get_freeze_count() counts the frozen objects one by one, and
    # called on every collection it made the probe itself the cause of 20 ms tails and half the rate.
    if phase == "start":
        _started[0] = time.thread_time()
        return
    pause = (time.thread_time() - _started[0]) * 1000  # the collector's own work, whatever else the machine runs
    generation = info["generation"]
    _stats["count"][generation] += 1
    _stats["total_ms"][generation] += pause
    _stats["longest_ms"][generation] = max(_stats["longest_ms"][generation], pause)


def post_worker_init(worker: Any) -> None:
    """The app is built and frozen (wsgi.py): from here on the worker serves, and its collections count."""
    _frozen[0] = gc.get_freeze_count()
    gc.callbacks.append(_time_collection)


def worker_exit(server: Any, worker: Any) -> None:
    directory = os.environ.get("GC_PROBE_DIR")
    if directory:
        tracked = len(gc.get_objects())
        report = {**_stats, "tracked_objects": tracked, "frozen_objects": _frozen[0]}
        (Path(directory) / f"{os.getpid()}.json").write_text(json.dumps(report))
