"""Real full disks and real read-only places, for the tests that need the machine to say no.

CI runs as root, where chmod stops no write: a read-only place has to be a read-only mount, and
a full disk a small file system. Both need mount(8) and the right to use it (root, or
CAP_SYS_ADMIN); without them the test is skipped, and says why.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest

MOUNT = shutil.which("mount")
UMOUNT = shutil.which("umount")


def _mount(*args: str) -> None:
    if not (MOUNT and UMOUNT):
        pytest.skip("mount(8) is not installed, so no small or read-only file system can be made")
    done = subprocess.run([MOUNT, *args], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount here ({done.stderr.strip() or done.returncode}): a read-only "
                    "or full file system needs root or CAP_SYS_ADMIN")


def _unmount(target: Path) -> None:
    if subprocess.run([UMOUNT, str(target)], capture_output=True).returncode != 0:
        subprocess.run([UMOUNT, "-l", str(target)], capture_output=True)  # still busy: detach


@contextmanager
def small_filesystem(folder: Path, size: str = "2m"):
    """`folder` becomes an empty tmpfs of `size` for the block."""
    folder.mkdir(parents=True, exist_ok=True)
    _mount("-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(folder))
    try:
        yield folder
    finally:
        _unmount(folder)


@contextmanager
def read_only(path: Path):
    """`path` (a folder or a single file) is read-only for the block, even for root."""
    _mount("--bind", str(path), str(path))
    try:
        # A bind mount takes the ro flag only on a remount.
        done = subprocess.run([MOUNT, "-o", "remount,bind,ro", str(path)], capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot make a read-only bind mount here: {done.stderr.strip()}")
        yield path
    finally:
        _unmount(path)


def fill(folder: Path, leave: int = 0) -> Path:
    """Fill the file system holding `folder`, all but `leave` bytes; returns the filler file."""
    reserve = folder / "reserve"
    reserve.write_bytes(b"\0" * leave)
    filler = folder / "filler"
    fd = os.open(filler, os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o600)
    try:
        for size in (1 << 16, 1 << 10, 1):
            try:
                while os.write(fd, b"\0" * size):
                    pass
            except OSError:
                pass
    finally:
        os.close(fd)
    reserve.unlink()
    return filler


def free_bytes(folder: Path) -> int:
    found = os.statvfs(folder)
    return found.f_bavail * found.f_frsize
