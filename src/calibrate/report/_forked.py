"""Drawing a report's figures on two processor cores.

Matplotlib draws in Python, under the interpreter lock, so threads would
not help; drawing is more than half of a report's run. On Linux with two
or more cores, a forked copy of the process — which has the figures' data
already, with nothing to pickle — takes items from a shared counter and
draws them while the process draws the others; its results come back
through an unnamed temporary file. Elsewhere, or with one core, every item
is drawn in the process. The output does not depend on which process drew
what.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import sys
import tempfile
import warnings
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["map_forked", "can_fork"]


def can_fork() -> bool:
    """Whether :func:`map_forked` uses a second process here."""
    if not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return False  # macOS' system libraries are not safe to use after fork
    try:
        return len(os.sched_getaffinity(0)) >= 2
    except (AttributeError, OSError):
        return (os.cpu_count() or 1) >= 2


def map_forked(function: Callable[[Any], Any], items: Sequence[Any], *,
               beside: Callable[[], object] | None = None) -> list:
    """``[function(item) for item in items]``, shared with a forked process.

    ``function`` must return picklable values and have no effect but its
    result (the forked copy's effects are lost). An item the other process
    could not finish (an error, a crash) is done again here, so errors are
    raised here, as without the fork.

    ``beside``, if given, is called here first, while the copy starts on the
    items (without the fork: before them): work this process needs later,
    such as loading a library, done on the core that would otherwise wait.
    Its result is discarded.
    """
    items = list(items)
    if len(items) < 2 or not can_fork():
        if beside is not None:
            beside()
        return [function(item) for item in items]
    counter = multiprocessing.get_context("fork").Value("i", 0)
    with tempfile.TemporaryFile() as delivered:
        with warnings.catch_warnings():
            # Python 3.12+ warns when a process with threads forks (numpy's BLAS
            # pool): the copy only draws, writes one file and leaves through
            # os._exit, taking no lock such a thread could hold.
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:  # the copy
            _work(function, items, counter, delivered)
        results: dict[int, Any] = {}
        try:
            if beside is not None:
                beside()
            while (index := _take(counter, len(items))) is not None:
                results[index] = function(items[index])
            os.waitpid(pid, 0)
        except BaseException:
            _stop(pid)
            raise
        delivered.seek(0)
        results.update(_delivered(delivered))
    # Whatever the copy did not deliver (it failed) is drawn here.
    return [results[index] if index in results else function(items[index])
            for index in range(len(items))]


def _take(counter, count: int) -> int | None:
    """The next item nobody has taken, or None."""
    with counter.get_lock():
        index = counter.value
        if index >= count:
            return None
        counter.value = index + 1
    return index


def _work(function, items: list, counter, delivered) -> None:
    """The forked copy: draw items until none is left, then leave."""
    status = 1
    try:
        # The process that forked this one handles the user's Ctrl-C and cleans up;
        # here a signal ends the copy at once.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for name in ("SIGTERM", "SIGHUP"):
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), signal.SIG_DFL)
        parent = os.getppid()
        while os.getppid() == parent and (index := _take(counter, len(items))) is not None:
            pickle.dump((index, function(items[index])), delivered,
                        protocol=pickle.HIGHEST_PROTOCOL)
        delivered.flush()
        status = 0
    finally:
        os._exit(status)  # never back into the caller's code, its clean-ups or atexit


def _delivered(delivered) -> dict[int, Any]:
    results = {}
    while True:
        try:
            index, value = pickle.load(delivered)
        except EOFError:
            break
        except Exception:  # a record cut short by a crash: the rest is redone
            break
        results[index] = value
    return results


def _stop(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass
