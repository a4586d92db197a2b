"""Drawing a report's figures on two processor cores.

Matplotlib draws in Python, under the interpreter lock, so threads would
not help; drawing is more than half of a report's run. On Linux with two
or more cores, a forked copy of the process — which has the figures' data
already, with nothing to pickle — takes items from a shared counter and
draws them while the process draws the others; its results come back
through an unnamed temporary file. Elsewhere, or with one core, every item
is drawn in the process. The output does not depend on which process drew
what. The same way, :func:`in_background` prints the PDF while the process
writes the data files.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import signal
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

__all__ = ["can_fork", "in_background", "map_forked"]

_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


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
    parent = os.getpid()
    with tempfile.TemporaryFile() as delivered:
        with warnings.catch_warnings():
            # Python 3.12+ warns when a process with threads forks (numpy's BLAS
            # pool): the copy only draws, writes one file and leaves through
            # os._exit, taking no lock such a thread could hold.
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:  # the copy
            _work(function, items, counter, delivered, parent)
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


@contextlib.contextmanager
def in_background(function: Callable[[], Any]) -> Iterator[Callable[[], Any]]:
    """Start ``function()`` in a forked copy; yield a callable that waits for
    its result.

    The same rules as :func:`map_forked`: a picklable result, no effect but
    it (or one that may be repeated: printing to a file), and what the copy could not finish
    (an error, a crash) is done again here when asked, so errors are raised
    here. Without the fork, ``function()`` runs here when its result is
    first asked for. A copy still running when the block ends is stopped.

    Examples
    --------
    >>> with in_background(lambda: sum(range(10))) as total:
    ...     total()
    45
    """
    if not can_fork():
        yield _once(function)
        return
    counter = multiprocessing.get_context("fork").Value("i", 0)
    parent = os.getpid()
    with tempfile.TemporaryFile() as delivered:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # see map_forked
            pid = os.fork()
        if pid == 0:  # the copy
            _work(lambda _: function(), [None], counter, delivered, parent)
        waited = False

        def result() -> Any:
            nonlocal waited
            if not waited:
                _take(counter, 1)  # the copy has not started it: it now never will
                os.waitpid(pid, 0)
                waited = True
            delivered.seek(0)
            done = _delivered(delivered)
            return done[0] if 0 in done else function()

        try:
            yield result
        finally:
            if not waited:
                _stop(pid)


def _once(function: Callable[[], Any]) -> Callable[[], Any]:
    """``function``, called at most once: later calls return its first result."""
    results: list = []

    def once() -> Any:
        if not results:
            results.append(function())
        return results[0]

    return once


def _take(counter, count: int) -> int | None:
    """The next item nobody has taken, or None."""
    with counter.get_lock():
        index = counter.value
        if index >= count:
            return None
        counter.value = index + 1
    return index


def _die_with(parent: int) -> None:
    """End this copy when the process that forked it ends, even by SIGKILL:
    an item such as a file being written must not outlive the run that
    would clean it up (Linux's ``PR_SET_PDEATHSIG``)."""
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (AttributeError, OSError):
        return
    if os.getppid() != parent:  # the parent ended before the request took effect
        os._exit(1)


def _work(function, items: list, counter, delivered, parent: int) -> None:
    """The forked copy: draw items until none is left, then leave."""
    status = 1
    try:
        # The process that forked this one handles the user's Ctrl-C and cleans up;
        # here a signal ends the copy at once.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for name in ("SIGTERM", "SIGHUP"):
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), signal.SIG_DFL)
        _die_with(parent)
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
