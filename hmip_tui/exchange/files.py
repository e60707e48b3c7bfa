"""Writing export files safely: whole or not at all, readable by their owner only.

Everything an export writes before it is finished (the file itself, and XlsxWriter's own
temporary files, which hold every evidence note) lives in a scratch folder of its own beside
the destination, 0700, never in the shared temporary folder where other programs could read or
delete it. The folder goes on every way out; one left by a killed export goes on the next run.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path

from .. import scratch
from ..errors import HmipError
from ..failures import explain

SCRATCH_SUFFIX = ".hmip-part"
# What versions before the scratch folder left: tempfile.mkstemp's `.<name>.<8 chars>.part`.
_OLD_PART = re.compile(r"\..+\.[a-z0-9_]{8}\.part")


def _is_scratch(name: str) -> bool:
    return (name.startswith(".") and name.endswith(SCRATCH_SUFFIX)) or bool(_OLD_PART.fullmatch(name))


def check_output_path(out: Path | str, *, database: Path | None = None, option: str = "--out") -> Path:
    """Refuse a destination that cannot be an export file, or that would overwrite the database.

    An export replaces whatever is at `out`, so it must never be the database, its journal
    files, or anything in its backups folder: that would destroy what it exports.
    """
    if str(out).strip() == "":
        raise HmipError(f"{option} is empty: name the file to write")
    out = Path(out)
    if database is not None:
        _refuse_database_files(out, Path(database), option)
    if out.is_symlink():
        # Writing replaces the file named: through a link it would replace the link itself
        # (or, as root, a system file such as /dev/stdout).
        raise HmipError(f"{option} {out}: is a symbolic link, and an export never writes through one: "
                        "name the file itself")
    if out.is_dir():
        raise HmipError(f"{option} {out}: is a folder; name a file in it")
    if out.exists() and not stat.S_ISREG(out.stat().st_mode):
        raise HmipError(f"{option} {out}: is not a regular file (a device, a pipe or a socket); "
                        "name a file")
    return out


def _refuse_database_files(out: Path, database: Path, option: str) -> None:
    from ..store.backups import backups_dir

    target = out.resolve()
    db = database.resolve()
    kept = {db, *(db.with_name(db.name + suffix) for suffix in ("-wal", "-shm", "-journal"))}
    same = target in kept or (out.exists() and any(
        p.exists() and os.path.samefile(out, p) for p in kept))  # a hard link is the same file too
    if same:
        raise HmipError(f"{option} {out}: is the inspection database {database} or one of its "
                        "journal files; an export never overwrites them: write it elsewhere")
    if backups_dir(db).resolve() in target.parents:
        raise HmipError(f"{option} {out}: is in the database's backups folder; an export never "
                        "writes there: write it elsewhere")
    from ..identity import keys_dir

    if keys_dir().resolve() in target.parents:
        raise HmipError(f"{option} {out}: is in the folder of this laptop's signing keys; an export "
                        "never writes there: write it elsewhere")


@contextmanager
def atomic_output(final: Path):
    """Yield a path in a private scratch folder beside `final`; rename it into place only if
    the block succeeds. `path.parent` is the scratch folder, for a writer's own temporary files.

    A failed or interrupted export never leaves a half-written file under the final name.
    """
    final = check_output_path(final)
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        scratch.sweep(final.parent, _is_scratch)
        folder = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=SCRATCH_SUFFIX,
                                       dir=final.parent))  # mkdtemp makes it 0700
    except OSError as exc:
        raise HmipError(explain(exc, final, "nothing was written", "write there")) from None
    with scratch.held(folder):
        try:
            part = folder / final.name
            os.close(os.open(part, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))  # kept 0600
            yield part
            with open(part, "rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(part, final)
            _sync_folder(final.parent)
        except OSError as exc:
            raise HmipError(explain(exc, final, "nothing was written under that name",
                                    "write there")) from None
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable: a power cut after we said "Wrote" keeps the file."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot sync a folder; the rename is still atomic
    finally:
        os.close(fd)
