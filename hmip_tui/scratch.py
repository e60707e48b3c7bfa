"""Scratch files and folders: private while hmip writes them, gone once it is done.

A killed hmip (SIGKILL, a dead battery) cannot tidy up after itself. So a scratch file or folder
is held with an advisory lock (flock) for as long as it is written, and the next run that
writes into the same folder removes every scratch entry it can lock: a killed writer's lock died
with it, while a live writer (another export, the app's export thread) still holds its own.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no flock, so sweep only what is plainly old
    fcntl = None

# Without locks, a scratch entry untouched this long cannot belong to a live writer.
_UNLOCKED_AGE_S = 24 * 3600


@contextmanager
def held(path: Path):
    """Hold the lock on `path` (a file or a folder) while the block writes it."""
    fd = os.open(path, os.O_RDONLY)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        yield
    finally:
        os.close(fd)


def sweep(folder: Path, is_scratch: Callable[[str], bool]) -> list[Path]:
    """Remove the scratch entries of `folder` that no live writer holds; returns them."""
    try:
        entries = [e for e in os.scandir(folder) if is_scratch(e.name)]
    except OSError:
        return []
    removed = []
    for entry in entries:
        if _abandoned(entry.path):
            _remove(entry.path)
            removed.append(Path(entry.path))
    return removed


def _abandoned(path: str) -> bool:
    if fcntl is None:
        try:
            return time.time() - os.stat(path).st_mtime > _UNLOCKED_AGE_S
        except OSError:
            return False
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False  # a live writer holds it
    finally:
        os.close(fd)


def _remove(path: str) -> None:
    try:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.unlink(path)
    except OSError:
        pass  # gone already, or not ours to remove: either way nothing to say
