"""Writing files whole or not at all.

A run that fails part-way must not leave a truncated table or multipliers
file behind, nor destroy the previous one: write beside the target, then
rename over it (a rename is atomic on one file system).
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path"]


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """A temporary path to write ``target``'s content to; renamed over
    ``target`` when the block succeeds, removed when it fails.

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
    target.parent.mkdir(parents=True, exist_ok=True)
    # A fresh name the writer creates itself, so the file gets the usual
    # permissions (mkstemp's would be owner-only).
    partial = target.with_name(f".{target.name}.{uuid.uuid4().hex}.partial")
    try:
        yield partial
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
