"""Writing export files safely: whole or not at all, readable by their owner only."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

from ..errors import HmipError


@contextmanager
def atomic_output(final: Path):
    """Yield a temporary path beside `final`; rename it into place only if the block succeeds.

    A failed or interrupted export never leaves a half-written file under the final name.
    """
    final = Path(final)
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".part", dir=final.parent)
    except OSError as exc:
        raise HmipError(f"{final}: cannot write there ({exc.strerror or exc})") from None
    os.close(fd)  # mkstemp creates it 0600, which the finished file keeps
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp_path, final)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise
