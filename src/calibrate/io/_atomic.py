"""Writing files — and whole directories — whole or not at all.

A run that fails part-way must not leave a truncated table or multipliers
file behind, nor destroy the previous one: write beside the target, then
rename over it (a rename is atomic on one file system). A directory of
several files (the report's) is written completely beside its target and
then exchanged with it in one step (:func:`atomic_directory`).

A write the system refuses — no permission, a read-only file system, a
full disk, a file too large — becomes an :class:`~calibrate.errors.OutputError`
naming the path and the reason, and the clean-up of the unfinished files
never hides it (a clean-up that fails too is added to it as a note).
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import re
import shutil
import signal
import stat
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from calibrate.errors import OutputError, Terminated

__all__ = ["atomic_directory", "atomic_path", "output_error", "remove_abandoned"]

#: What to do about each refusal, said to the user after the reason.
_HINTS = {
    errno.EACCES: "You may not write there: write somewhere else, or get write permission "
                  "on that folder.",
    errno.EPERM: "You may not write there: write somewhere else, or get write permission "
                 "on that folder.",
    errno.EROFS: "That file system is read-only: write somewhere else.",
    errno.ENOSPC: "The disk is full: free some space on it, or write somewhere else.",
    errno.EDQUOT: "Your disk quota is used up: free some space, or write somewhere else.",
    errno.EFBIG: "The file is larger than the file system or the process's file size limit "
                 "(ulimit -f) allows: write somewhere else, or raise the limit.",
}

#: A killed run that was using the fallback swap may have left the previous
#: content at ``.NAME.previous-PID-RANDOM``; an unfinished new content is at
#: ``.NAME.partial-PID-RANDOM``.
_SIBLING = r"\.{name}\.(?P<kind>partial|previous)-(?P<pid>\d+)-[0-9a-f]{{8}}"

#: A sibling directory not locked by a live run, younger than this (seconds),
#: is left alone while its creator may still be between creating and locking it.
_GRACE_SECONDS = 10.0

#: The sibling directories this process is working in.
_active: set[Path] = set()

#: Flags of Linux's renameat2 (<linux/fs.h>) and "relative to the working directory".
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def output_error(path: str | Path, error: OSError, *, unchanged: str | Path | None = None,
                 doing: str = "write") -> OutputError:
    """The :class:`OutputError` for a refused write: what, where, why, what to do.

    Parameters
    ----------
    path : str or Path
        The file or directory the user asked for (not a temporary name).
    error : OSError
        What the system said.
    unchanged : str or Path, optional
        What is known to be as it was before (said in the message).
    doing : str
        The verb: ``"write"``, ``"replace"``, ...

    Examples
    --------
    >>> import errno
    >>> from calibrate.io._atomic import output_error
    >>> print(output_error("out/report.pdf", OSError(errno.ENOSPC, "No space left on device"),
    ...                    unchanged="out"))
    cannot write out/report.pdf: No space left on device [ENOSPC]; out is unchanged
    The disk is full: free some space on it, or write somewhere else.
    """
    code = errno.errorcode.get(error.errno, "") if error.errno is not None else ""
    reason = error.strerror or str(error) or type(error).__name__
    summary = f"cannot {doing} {path}: {reason}" + (f" [{code}]" if code else "")
    if unchanged is not None:
        summary += f"; {unchanged} is unchanged"
    hint = _HINTS.get(error.errno, "Check that the folder exists and can be written, or write "
                                   "somewhere else.")
    return OutputError(summary, hint=hint, path=path, errno=error.errno)


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """A temporary path to write ``target``'s content to; renamed over
    ``target`` when the block succeeds, removed when it fails.

    Raises
    ------
    OutputError
        When the system refuses to write (an :class:`OSError` with an error
        number, raised by the block or by the rename); ``target`` is then
        unchanged. Other exceptions pass through.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from calibrate.io._atomic import atomic_path
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_path(target) as partial:
    ...     _ = partial.write_text("done")
    >>> target.read_text()
    'done'
    """
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        if error.errno is None:
            raise
        raise output_error(target, error) from error
    # A fresh name the writer creates itself, so the file gets the usual
    # permissions (mkstemp's would be owner-only).
    partial = target.with_name(f".{target.name}.{uuid.uuid4().hex}.partial")
    try:
        yield partial
        os.replace(partial, target)
    except OSError as error:
        if error.errno is None:  # not the system's refusal: someone's own OSError
            _remove(partial, error)
            raise
        refused = output_error(target, error, unchanged=target if target.exists() else None)
        _remove(partial, refused)
        raise refused from error
    except BaseException as error:
        _remove(partial, error)
        raise


@contextlib.contextmanager
def atomic_directory(target: str | Path, *, shown: str | Path | None = None,
                     reached: Callable[[str], None] | None = None) -> Iterator[Path]:
    """A new, empty directory beside ``target`` to fill; it takes
    ``target``'s place as a whole when the block succeeds, and is removed
    when the block fails or is interrupted.

    ``target`` is always either its old content or the complete new one:

    - on Linux, the new directory and ``target`` are exchanged by one
      ``renameat2(RENAME_EXCHANGE)``, atomic, and ``target`` stays a real
      directory (files tracked by git in it stay tracked);
    - where that is not available, ``target`` is renamed aside and the new
      directory into place: a crash between the two renames leaves no
      ``target`` but its old content under ``.NAME.previous-…``, which the
      next call puts back before anything else;
    - the first time (no ``target`` yet), one rename.

    The new directory is ``.NAME.partial-PID-RANDOM`` in ``target``'s
    folder, locked (``flock``) while this process works on it. What runs
    killed outright (SIGKILL, power loss) left there is removed by the next
    call (:func:`remove_abandoned`). While the block runs in the main thread,
    SIGTERM and SIGHUP raise :class:`~calibrate.errors.Terminated` (when
    their handlers are the default ones) so that the clean-up runs, and a
    signal arriving during the clean-up waits until it is done.

    Parameters
    ----------
    target : str or Path
        The directory to replace (created if missing, with its folder).
        A symbolic link is followed: the directory it points to is replaced.
    shown : str or Path, optional
        How to name ``target`` in messages (default: as given).
    reached : callable, optional
        Called with ``"staging"``, ``"synced"``, ``"swapped"`` and
        ``"cleaned"`` as those steps complete (the fault tests stop the
        process there).

    Notes
    -----
    ``target``'s folder is created if missing. A directory exchanged in has
    a new inode: a shell whose working directory is ``target`` sees the old,
    removed one until it changes directory again.

    Raises
    ------
    OutputError
        When the system refuses to create, fill or swap the directory;
        ``target`` is then unchanged.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from calibrate.io._atomic import atomic_directory
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "report"
    >>> with atomic_directory(target) as new:
    ...     _ = (new / "a.txt").write_text("one run")
    >>> sorted(p.name for p in target.iterdir())
    ['a.txt']
    """
    shown = target if shown is None else shown
    reached = reached or (lambda step: None)
    target = Path(os.path.abspath(target))
    if target.is_symlink():
        target = target.resolve()
    with _signals_raise():
        staging = target.parent / f".{target.name}.partial-{os.getpid()}-{_random()}"
        _active.add(staging)  # not taken for abandoned before it is locked
        lock = None
        try:
            # All inside the try: a signal between any two statements is
            # cleaned up after.
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                remove_abandoned(target)  # may put back a previous content
                existed = target.exists()
                staging.mkdir()
            except OSError as error:
                raise output_error(shown, error, unchanged=shown if target.exists() else None) \
                    from error
            unchanged = shown if existed else None
            lock = _lock(staging)
            try:
                if existed:  # the report folder keeps the permissions it had
                    os.chmod(staging, stat.S_IMODE(target.stat().st_mode))
                reached("staging")
                yield staging
            except OSError as error:
                if error.errno is None:  # not the system's refusal: someone's own OSError
                    raise
                raise output_error(shown, error, unchanged=unchanged) from error
            try:
                _sync(staging)
                reached("synced")
                _swap(staging, target)
            except OSError as error:
                raise output_error(shown, error, doing="replace", unchanged=unchanged) \
                    from error
            reached("swapped")
        except BaseException as error:
            # Before the swap: the unfinished new content; after it (a signal
            # right after the exchange): the previous content. Either way, not
            # the target.
            with _signals_deferred():
                _remove(staging, error)
            raise
        else:
            # The staging name now holds the previous content: remove it. Best
            # effort — the new content is in place; what is left over is
            # removed by the next run.
            with _signals_deferred():
                shutil.rmtree(staging, ignore_errors=True)
                _sync_directory(target.parent)
            reached("cleaned")
        finally:
            _unlock(lock)
            _active.discard(staging)


def remove_abandoned(target: str | Path) -> list[Path]:
    """Remove what killed runs of :func:`atomic_directory` left beside ``target``.

    An unfinished ``.NAME.partial-PID-RANDOM`` directory is removed, and an
    old content a killed fallback swap moved aside (``.NAME.previous-…``) is
    put back as ``target`` when ``target`` is missing, else removed. A
    directory still locked by a live run is left alone, as is a young one
    whose run is alive (it may not have locked it yet). Best effort: what
    cannot be removed is left for a later run.

    Returns
    -------
    list of Path
        The directories removed or put back.
    """
    target = Path(target)
    pattern = re.compile(_SIBLING.format(name=re.escape(target.name)))
    try:
        names = sorted(os.listdir(target.parent), key=lambda name: "partial" in name)
    except OSError:
        return []
    handled = []
    for name in names:  # old contents first: one may have to be put back
        match = pattern.fullmatch(name)
        path = target.parent / name
        if match is None or not _abandoned(path, int(match["pid"])):
            continue
        if match["kind"] == "previous" and not os.path.lexists(target):
            with contextlib.suppress(OSError):
                os.rename(path, target)
                handled.append(path)
            continue
        shutil.rmtree(path, ignore_errors=True)
        if not os.path.lexists(path):
            handled.append(path)
    return handled


# -- swapping --------------------------------------------------------------------------------


def _swap(new: Path, target: Path) -> None:
    """Put ``new`` in ``target``'s place; afterwards ``new``'s name holds the
    old content (or nothing, the first time)."""
    if not os.path.lexists(target):
        os.rename(new, target)
        return
    if _exchange(new, target):
        return
    # No atomic exchange here: rename aside, then into place. The old content
    # stays locked while aside, so no other run's clean-up takes it for
    # abandoned; a crash between the renames leaves it for the next run to
    # put back (remove_abandoned).
    aside = target.parent / f".{target.name}.previous-{os.getpid()}-{_random()}"
    old_lock = _lock(target)
    try:
        with _signals_deferred():
            os.rename(target, aside)
            try:
                os.rename(new, target)
            except BaseException:
                os.rename(aside, target)
                raise
            os.rename(aside, new)
    finally:
        _unlock(old_lock)


def _exchange(first: Path, second: Path) -> bool:
    """Exchange two paths atomically (Linux ``renameat2(RENAME_EXCHANGE)``,
    kernel 3.15 or later); False where that is not available."""
    renameat2 = _renameat2()
    if renameat2 is None:
        return False
    import ctypes

    if renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second),
                 _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    # No such system call, or a file system that cannot exchange: fall back.
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(second))


@functools.cache
def _renameat2():
    """libc's ``renameat2`` (glibc 2.28 or later), or None."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                         ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


def _sync(directory: Path) -> None:
    """Flush the files of ``directory`` and the directory itself to disk, so
    that after a power loss the swapped-in directory is not one of empty files."""
    for entry in os.scandir(directory):
        if entry.is_file(follow_symlinks=False):
            _fsync(entry.path)
    _sync_directory(directory)


def _sync_directory(directory: Path) -> None:
    if os.name == "posix":  # other systems cannot open a directory
        with contextlib.suppress(OSError):
            _fsync(directory)


def _fsync(path: str | Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    except OSError as error:
        if error.errno not in (errno.EINVAL, errno.EBADF, errno.ENOTSUP):
            raise  # a file system that cannot sync is not an error; a failed sync is
    finally:
        os.close(descriptor)


# -- removing --------------------------------------------------------------------------------


def _remove(path: Path, error: BaseException) -> None:
    """Remove an unfinished file or directory; if that fails too (a file
    system turned read-only), say so in a note on ``error``, never instead of it."""
    if not os.path.lexists(path):
        return
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    except OSError as cleanup:
        error.add_note(f"The unfinished {path} could not be removed either "
                       f"({cleanup.strerror or cleanup}); remove it by hand, or let the next "
                       "run do it.")


def _abandoned(path: Path, pid: int) -> bool:
    """Whether a sibling directory belongs to no live run."""
    if path in _active:  # this process is writing it
        return False
    lock = _lock(path, wait=False)
    if lock is False:  # locked by a live run
        return False
    try:
        # Ours and not in use (an earlier call's, or a former process's with
        # the same pid), or its process is gone.
        if pid == os.getpid() or not _alive(pid):
            return True
        # Its pid is alive: another process reusing the pid, or a run between
        # creating and locking it. Judge by age.
        info = path.lstat()
        return time.time() - max(info.st_mtime, info.st_ctime) > _GRACE_SECONDS
    except OSError:
        return False
    finally:
        _unlock(lock)


def _alive(pid: int) -> bool:
    if os.name != "posix":  # os.kill(pid, 0) would send CTRL_C_EVENT on Windows
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. another user's process
        return True
    return True


def _lock(path: Path, *, wait: bool = True):
    """An exclusive ``flock`` on a directory: its descriptor, False when
    another process holds it (with ``wait=False``), None where unsupported."""
    try:
        import fcntl
    except ImportError:
        return None
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except OSError as error:
        os.close(descriptor)
        if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return False
        return None
    return descriptor


def _unlock(lock) -> None:
    if isinstance(lock, int) and not isinstance(lock, bool):
        with contextlib.suppress(OSError):
            os.close(lock)  # closing the descriptor releases the flock


def _random() -> str:
    return uuid.uuid4().hex[:8]


# -- signals ---------------------------------------------------------------------------------

#: Signals that end a run and whose default action gives no chance to clean up.
_ENDING = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))

#: Signals received while a clean-up was under way, raised when it is done.
_pending: list[int] = []
_deferring = 0


def _on_signal(signum: int, frame) -> None:
    if _deferring:
        _pending.append(signum)
        return
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise Terminated(signum)


@contextlib.contextmanager
def _signals_raise() -> Iterator[None]:
    """SIGTERM and SIGHUP raise Terminated while the block runs (SIGINT keeps
    raising KeyboardInterrupt), so that ``finally`` clauses clean up.

    Only signals with Python's default handling are taken over, and only in
    the main thread (the only one that may set handlers); the previous
    handlers are restored afterwards.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    taken = {}
    for signum in (*_ENDING, signal.SIGINT):
        handler = signal.getsignal(signum)
        default = signal.default_int_handler if signum == signal.SIGINT else signal.SIG_DFL
        if handler is default:
            taken[signum] = handler
            signal.signal(signum, _on_signal)
    try:
        yield
    finally:
        for signum, handler in taken.items():
            signal.signal(signum, handler)


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """A signal arriving while the block runs (a clean-up) is raised when it
    ends, not in the middle of it."""
    global _deferring
    _deferring += 1
    try:
        yield
    finally:
        _deferring -= 1
        if not _deferring and _pending:
            signum = _pending[0]
            _pending.clear()
            if signum == signal.SIGINT:
                raise KeyboardInterrupt
            raise Terminated(signum)
