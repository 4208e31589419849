"""One job's reading and pricing in a child process of its own, under a time and a memory budget.

A roster can be made to take far more memory or time than its size suggests. Run in the worker itself,
such a job would hold the worker (a thread of the app's process on the SQLite default, or of
``flask outlets worker``) for as long as it likes and leave its memory behind in that process. Here each
job gets a fresh child process: its address space is capped (``RLIMIT_AS``, ``OUTLET_JOB_MEMORY_MB``) and
it is killed when it runs past ``OUTLET_JOB_SECONDS``; whatever it allocated goes with it, so nothing
leaks into the next job (a fresh child per job is the recycling). The parent, which keeps the job's row,
records the Chinese reason.

huey offers a task ``timeout``, but only as ``SIGALRM`` in its own long-lived process workers (and a
cooperative check for threads), with no memory limit and no fresh process per task, so it is not used.

Children come from a ``forkserver``: a small server process that has imported the engine once and forks a
clean child per job, which is cheaper than importing numpy and pandas again (``spawn``) and, unlike a
plain fork, never copies the threads, locks and connections of the app's process.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import multiprocessing
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection

from rates.model import Region, Version
from rates.store import Snapshot
from service.outlets.roster import Limits

log = logging.getLogger(__name__)

# Measured (docs/security.md): a 200,000-row roster (the upload's row limit) peaks at about 570 MB of
# address space (the engine's modules alone are some 230 MB of it); the default leaves room above that.
DEFAULT_MEMORY_MB = 1024
START_SECONDS = 60  # a child that has not started by then (a fork server still importing) is given up
DEFAULT_SECONDS = 120
_POLL = 0.2  # seconds between two looks at the child while it runs
OUT_OF_MEMORY = 3  # the child's exit code when it ran out of memory


@dataclass(frozen=True)
class Budget:
    seconds: float
    memory_mb: int


@dataclass(frozen=True)
class Priced:
    """What the parent needs of a finished job: the workbook, the summary, and its counts."""

    result: bytes
    summary: str  # JSON
    rows: int  # rows read that hold something (the summary's 读取 N 行)
    accepted: int  # rows priced (the summary's 计费 N 行)


class Refused(Exception):
    """The roster or the region was refused (``RosterFileError``/``QuoteError`` in the child)."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class OverBudget(Refused):
    """The job ran past its time or memory budget and was stopped."""


class Crashed(Exception):
    """The child failed in a way that is the service's fault (logged there): the internal error message."""


def over_time(seconds: float) -> OverBudget:
    return OverBudget(
        503,
        "job_timeout",
        f"这份花名册的测算超过了时间上限（{seconds:g} 秒），已停止："
        "请把花名册拆分成几个较小的文件后分别上传；如文件本身不大，请检查其中是否有异常的格式（如大量合并单元格）。",
    )


def over_memory(memory_mb: int) -> OverBudget:
    return OverBudget(
        503,
        "job_memory",
        f"这份花名册的测算超过了内存上限（{memory_mb} MB），已停止："
        "请把花名册拆分成几个较小的文件后分别上传；如文件本身不大，请检查其中是否有异常的格式或内容。",
    )


def _context() -> multiprocessing.context.BaseContext:
    """The forkserver where there is one (Linux, macOS), else spawn: never a plain fork of the app."""
    try:
        context = multiprocessing.get_context("forkserver")
    except ValueError:  # Windows
        return multiprocessing.get_context("spawn")
    # imported once by the server, before it forks a child per job
    context.set_forkserver_preload(["service.outlets.child"])
    return context


def price(
    data: bytes,
    snapshot: Snapshot,
    limits: Limits,
    region: str | None,
    progress: Callable[[int, int], None],
    budget: Budget,
    kind: str = "roster",
) -> Priced:
    """Read, price and write one roster (or a platform's orders, ``kind``) in a fresh child process;
    ``Refused``, ``OverBudget`` or ``Crashed``."""
    context = _context()
    receive, send = context.Pipe(duplex=False)
    state = (snapshot.regions, snapshot.all_versions, snapshot.revision)
    process = context.Process(
        target=_child_main,
        args=(send, data, state, limits, region, budget.memory_mb, kind),
        name="outlet-job",
        daemon=True,
    )
    process.start()
    send.close()  # the child holds the only writing end: its death closes the pipe
    # the budget counts from the child's first word: the fork server's first start (its imports) is not the job's
    deadline = time.monotonic() + max(budget.seconds, START_SECONDS)
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                # a child that ran out of memory where it could not say so (a native library failing an
                # allocation under the limit) may hang instead of dying: its peak tells the two apart
                if _peak_mb(process.pid) >= budget.memory_mb * 0.95:
                    raise over_memory(budget.memory_mb)
                raise over_time(budget.seconds)
            try:
                ready = receive.poll(min(_POLL, remaining))
                message = receive.recv() if ready else None
            except (EOFError, OSError):  # the child ended without a word: killed (memory) or crashed
                process.join(5)
                raise _death(process.exitcode, budget) from None
            if message is None:
                continue
            kind, *rest = message
            if kind == "started":
                deadline = time.monotonic() + budget.seconds
            elif kind == "progress":
                progress(*rest)
            elif kind == "done":
                return Priced(*rest)
            elif kind == "refused":
                raise Refused(*rest)
            elif kind == "memory":
                raise over_memory(budget.memory_mb)
            else:
                raise Crashed(rest[0] if rest else "")
    finally:
        receive.close()
        if process.is_alive():
            process.kill()  # over time, or the parent is stopping: nothing of the job outlives it
        process.join(5)
        process.close()


def _peak_mb(pid: int | None) -> float:
    """The child's peak address space (Linux ``/proc``), 0 where it cannot be read."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmPeak:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


def _death(exitcode: int | None, budget: Budget) -> Exception:
    """A child that died without reporting: out of memory where it could not even say so (a C allocation
    failing under the limit ends in SIGSEGV or SIGABRT, the kernel's OOM killer sends SIGKILL)."""
    log.warning("outlet job child ended with exit code %s without a result", exitcode)
    if exitcode is not None and (exitcode < 0 or exitcode == OUT_OF_MEMORY):
        return over_memory(budget.memory_mb)
    return Crashed(f"exit code {exitcode}")


def _out_of_memory(error: BaseException) -> bool:
    """MemoryError, or the loader or the kernel refusing memory under the limit (a module loaded late)."""
    if isinstance(error, MemoryError):
        return True
    if isinstance(error, OSError) and error.errno == errno.ENOMEM:
        return True
    return isinstance(error, ImportError) and "failed to map" in str(error)


def _die_with_parent() -> None:
    """Linux: end this child when the fork server ends, which it does when the worker that started it
    dies (``kill -9``): a job whose worker is gone is queued again elsewhere, so this run is of no use."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the child ends at its next word to a closed pipe
        pass


def _child_main(
    send: Connection,
    data: bytes,
    state: tuple[dict[str, Region], list[Version], int],
    limits: Limits,
    region: str | None,
    memory_mb: int,
    kind: str = "roster",
) -> None:
    """In the child: cap the address space, then read, price and write; every outcome is one message."""
    _die_with_parent()
    limit = memory_mb * 1024 * 1024
    try:
        import resource  # POSIX only: on Windows a job has its time limit but no memory cap

        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):  # a limit already below ours (the operator's) stays as it is
        log.warning("could not set the outlet job's memory limit to %s MB", memory_mb)
    code = 0
    try:
        send.send(("started",))
        from service.outlets.child import run_job

        result, summary, rows, accepted = run_job(data, Snapshot(*state), limits, region, send, kind)
        send.send(("done", result, summary, rows, accepted))
    except Exception as error:  # the parent answers for it; its kind decides the message
        from calc.quote import QuoteError
        from service.outlets.roster import RosterFileError

        if _out_of_memory(error):
            code = OUT_OF_MEMORY  # said by the exit code as well: sending may need memory there is none of
            with contextlib.suppress(Exception):
                send.send(("memory",))
        elif isinstance(error, (RosterFileError, QuoteError)):
            send.send(("refused", error.status, error.code, error.message))
        else:
            log.exception("outlet job failed in its child process")
            send.send(("internal", repr(error)[:500]))
    finally:
        with contextlib.suppress(Exception):
            send.close()
        os._exit(code)  # no atexit handlers, no flushing of what the fork server's modules hold
