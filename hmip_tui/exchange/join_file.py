"""The join file (`hmip bundle export --join`): how a new laptop joins a large inspection fast.

Format `hmip-join/1` (docs/formats.md): the bytes of an SQLite database, the lead's own as the
lead's laptop holds it less what no other laptop may hold (store/founding.py `scrub`), then one
line of JSON, the manifest: the inspection, the lead and their key, the size and SHA-256 of the
database bytes, and the lead's signature over the manifest. SQLite reads the file as it is (a
database's header says how long it is), so a joining laptop checks it in place and takes it in
with one page-by-page copy.

A bundle is read entry by entry and every current table derived again; a join file is taken in
whole by SQLite (store/founding.py `fill`), which at 5,000 cases is the difference between half
a minute and a few seconds. It founds a database that holds nothing, so only a lead writes one
and only an empty database takes one in; everything after that travels in bundles.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
from pathlib import Path

from .. import __version__, identity
from ..errors import HmipError
from ..framework import load_framework
from ..store import batches, founding, team
from ..store.access import restricted_refs
from ..store.database import transaction, written_once
from ..store.inspections import now, require_inspection
from ..store.merge import MergeSummary
from ..store.migrations import SCHEMA_VERSION
from .files import atomic_output

FORMAT = "hmip-join/1"
SQLITE = b"SQLite format 3\x00"
MAGIC = b'{"format":"hmip-join/'
REQUIRES = "0.3.0"  # the first hmip that reads join files
MANIFEST_MAX = 4096
FIELDS = ("format", "inspection", "framework", "inspector", "key", "tool", "requires", "schema", "created",
          "size", "sha256", "signature")


def _tail(fh) -> tuple[int, bytes]:
    """Where the manifest starts, and what follows from there to the end of the file (the
    manifest, and nothing else, in a file as written)."""
    end = fh.seek(0, os.SEEK_END)
    start = max(0, end - MANIFEST_MAX)
    fh.seek(start)
    tail = fh.read()
    at = tail.rfind(MAGIC)  # never in a bundle: its JSON strings escape their quotes
    if at < 0:
        return -1, b""
    return start + at, tail[at:]


def is_join_file(path: Path) -> bool:
    """Whatever its first bytes (a database cut or changed at its start is still a join file
    that fails its checksum, not a bundle that fails to parse)."""
    try:
        with open(path, "rb") as fh:
            return _tail(fh)[0] >= 0
    except OSError:
        return False


def _signed_part(manifest: dict) -> bytes:
    return json.dumps({k: v for k, v in manifest.items() if k != "signature"}, sort_keys=True,
                      separators=(",", ":")).encode()


# --- writing -----------------------------------------------------------------------------------


def export_join_file(conn: sqlite3.Connection, out: Path | str, exporter: str) -> dict:
    """Sign what is pending, then write the lead's database, scrubbed, as a join file at `out`,
    atomically. Returns the manifest and what the file holds."""
    inspection = require_inspection(conn)
    team.require_lead(conn, exporter, "write a join file (new laptops join from the lead's)")
    out = Path(out)
    with transaction(conn):
        team.ready_to_write(conn, exporter)
        batches.sign_pending(conn, inspection.uid, exporter)
    withheld = restricted_refs(conn)
    with atomic_output(out) as part:
        copy = part.parent / "join.sqlite"
        conn.execute("VACUUM INTO ?", (str(copy),))
        at = now()
        founding.scrub(copy, withheld, at)
        size, digest = _hash(copy)
        manifest = {
            "format": FORMAT, "inspection": inspection.uid,
            "framework": f"{inspection.framework_id} {inspection.framework_version}",
            "inspector": exporter, "key": identity.b64(identity.public_key(exporter)),
            "tool": f"hmip {__version__}", "requires": f"hmip {REQUIRES}", "schema": SCHEMA_VERSION,
            "created": at, "size": size, "sha256": digest.hex(),
        }
        manifest["signature"] = identity.b64(identity.sign(exporter, hashlib.sha256(_signed_part(manifest)).digest()))
        with open(part, "wb") as fh, open(copy, "rb") as src:
            shutil.copyfileobj(src, fh, 1 << 20)
            fh.write(json.dumps(manifest, separators=(",", ":")).encode() + b"\n")
        copy.unlink()
    counts = {"entries": conn.execute("SELECT count(*) FROM entry").fetchone()[0],
              "cases": conn.execute("SELECT count(*) FROM case_file").fetchone()[0],
              "withheld": len(withheld)}
    return {"manifest": manifest, **counts}


def _hash(path: Path) -> tuple[int, bytes]:
    h, size = hashlib.sha256(), 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
            size += len(chunk)
    return size, h.digest()


# --- reading -----------------------------------------------------------------------------------


def _manifest(path: Path, fh) -> tuple[dict, int]:
    """The manifest, checked in form, and where the database bytes end."""
    at, line = _tail(fh)
    if at < 0 or not line.endswith(b"}\n"):
        raise HmipError(f"{path}: the join file's manifest is missing or cut short: copy it again; "
                        "nothing was imported")
    try:
        manifest = json.loads(line)
    except (ValueError, RecursionError):
        raise HmipError(f"{path}: the join file's manifest is not JSON; nothing was imported") from None
    if not isinstance(manifest, dict):
        raise HmipError(f"{path}: the join file's manifest is not an object; nothing was imported")
    fmt = manifest.get("format")
    newer = re.fullmatch(r"hmip-join/(\d{1,6})", fmt) if isinstance(fmt, str) else None
    if newer and int(newer.group(1)) > 1:
        requires = manifest.get("requires") if isinstance(manifest.get("requires"), str) else "a newer hmip"
        raise HmipError(f"{path}: written in format {fmt}, which this hmip ({__version__}) cannot read: "
                        f"install {''.join(c for c in requires if c.isprintable())[:40]} or later")
    missing = [k for k in FIELDS if k not in manifest]
    if fmt != FORMAT or missing:
        raise HmipError(f"{path}: manifest: {', '.join(missing) or 'format'} missing or wrong; nothing was imported")
    # Exactly as written: one byte added or changed anywhere after the database fails here.
    if line != json.dumps(manifest, separators=(",", ":")).encode() + b"\n":
        raise HmipError(f"{path}: the join file's manifest was changed after it was written; copy it again; "
                        "nothing was imported")
    return manifest, at


def _version_fits(path: Path, manifest: dict) -> None:
    """After the signature: the schema the lead's database is in, which this hmip must share."""
    if manifest["schema"] != SCHEMA_VERSION:
        later = isinstance(manifest["schema"], int) and manifest["schema"] > SCHEMA_VERSION
        raise HmipError(f"{path}: written by {str(manifest['tool'])[:30]}, whose database is schema "
                        f"{str(manifest['schema'])[:10]}; this hmip's is {SCHEMA_VERSION}: "
                        + ("install the same hmip as the lead" if later else
                           "ask the lead for a bundle instead (hmip bundle export --full)")
                        + "; nothing was imported")


def _digest(path: Path, size: int) -> str | None:
    h, left = hashlib.sha256(), size
    with open(path, "rb") as fh:
        while left > 0 and (chunk := fh.read(min(left, 1 << 22))):
            h.update(chunk)
            left -= len(chunk)
    return h.hexdigest() if left == 0 else None


def _header_says(path: Path, size: int) -> bool:
    """Whether the database header gives the manifest's size, so that SQLite reads exactly the
    database bytes and never the manifest after them (its in-header size is valid when the
    change counter equals the version-valid-for number)."""
    with open(path, "rb") as fh:
        head = fh.read(100)
    if len(head) < 100 or not head.startswith(SQLITE):
        return False
    page = int.from_bytes(head[16:18], "big")
    page = 65536 if page == 1 else page
    return head[24:28] == head[92:96] and int.from_bytes(head[28:32], "big") * page == size


def join(conn: sqlite3.Connection, path: Path | str, by: str | None):
    """Found this database (it must hold no inspection) from a join file: every check, then
    one copy. Returns an ImportSummary as a bundle import does."""
    from urllib.parse import quote

    from .bundle import ImportSummary

    path = Path(path)
    if conn.execute("SELECT 1 FROM inspection").fetchone() is not None:
        raise HmipError(f"{path}: a join file founds a new laptop's database, and this one holds an "
                        "inspection already: import the lead's bundle instead (hmip bundle export); "
                        "nothing was imported")
    changed = HmipError(f"{path}: the checksum does not match the content: the file was changed or cut "
                        "short after it was written; copy it again; nothing was imported")
    try:
        with open(path, "rb") as fh:
            manifest, size = _manifest(path, fh)
        try:
            key = identity.unb64(manifest["key"], 32)
            signature = identity.unb64(manifest["signature"], 64)
            code = identity.check_code(manifest["inspector"], "manifest.inspector")
        except (ValueError, HmipError) as exc:
            raise HmipError(f"{path}: manifest: {exc}; nothing was imported") from None
        if not identity.verify(key, signature, hashlib.sha256(_signed_part(manifest)).digest()):
            raise HmipError(f"{path}: the lead's signature does not match the manifest: the file was changed "
                            "after it was written; nothing was imported")
        # Nothing opens the database before its bytes are those the lead signed.
        if manifest["size"] != size or not _header_says(path, size) or _digest(path, size) != manifest["sha256"]:
            raise changed
    except OSError as exc:
        raise HmipError(f"{path}: cannot read the join file ({exc.strerror or exc}); nothing was imported") from None
    _version_fits(path, manifest)
    fw_id, _, fw_version = str(manifest["framework"]).partition(" ")
    framework = load_framework(fw_id, fw_version)
    try:
        with written_once(conn):
            counts = founding.fill(conn, f"file:{quote(str(path.absolute()))}?mode=ro&immutable=1",
                                   str(manifest["inspection"]), framework, path, by, (code, key))
    except sqlite3.DatabaseError as exc:
        raise HmipError(f"{path}: the join file's database cannot be read ({exc}); nothing was imported") from None
    summary = MergeSummary(created_inspection=True, entries_added=counts["entries"], cases_added=counts["cases"],
                           conflicts_opened=conn.execute("SELECT count(*) FROM conflict WHERE closed_by IS NULL"
                                                         ).fetchone()[0])
    summary.pinned = [(c, identity.fingerprint(k), None) for c, k in
                      conn.execute("SELECT code, key FROM signer ORDER BY code")]
    return ImportSummary(path, summary, True)
