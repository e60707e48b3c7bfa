"""`hmip sync`: this laptop's history meets the team's, on a team server or in a shared folder.

The same rules as bundles, by the same code: what arrives is put in the bundle's form and goes
through the bundle reader's checks (every id recomputed, every batch signature verified) and the
same merge (store/merge.py), in one SQLite transaction. What leaves is signed as a bundle export
signs it. A cut connection at any point leaves both sides consistent:

1. entries recorded since the last sync are signed and committed here (as `bundle export` does);
2. the push is one PostgreSQL transaction: all of it is on the server, or none;
3. the pull reads everything first, then merges in one local transaction.

Run again, each step finds what is already done and does the rest.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import HmipError
from ..store import batches, team
from ..store.database import transaction
from ..store.inspections import get_inspection


@dataclass
class SyncSummary:
    where: str
    pushed_entries: int = 0
    pushed_batches: int = 0
    imported: list = field(default_factory=list)  # ImportSummary, one per bundle or pull
    wrote: Path | None = None
    left_out: dict = field(default_factory=dict)  # {signer: why their batches were refused}
    files_left_out: dict = field(default_factory=dict)  # {bundle in a shared folder: why it was refused}


def sync(conn: sqlite3.Connection, target: str, by: str, inspection_uid: str | None = None) -> SyncSummary:
    from ..store.server_schema import is_server_url

    held = get_inspection(conn)
    if held is None and inspection_uid is None:
        raise HmipError("this database holds no inspection yet: join one with hmip sync TARGET --inspection UID "
                        "(the lead's hmip team shows its uid)")
    if held is not None and inspection_uid is not None and held.uid != inspection_uid:
        raise HmipError(f"this database holds inspection {held.uid}, not {inspection_uid}: "
                        "join another inspection in a database of its own (--db)")
    uid = held.uid if held is not None else inspection_uid
    if is_server_url(target):
        return _with_server(conn, target, by, uid, held is not None)
    if held is not None:
        _sign_what_is_new(conn, uid, by)
    return _with_folder(conn, Path(target), by, uid, held is not None)


def _sign_what_is_new(conn: sqlite3.Connection, uid: str, by: str) -> None:
    with transaction(conn):
        team.ready_to_write(conn, by)
        batches.sign_pending(conn, uid, by)


# --- a team server -----------------------------------------------------------------------------


def _with_server(conn: sqlite3.Connection, url: str, by: str, uid: str, holding: bool) -> SyncSummary:
    from ..exchange.bundle import merge_received
    from ..store.server_schema import connect, where

    summary = SyncSummary(where(url))
    pg = connect(url)
    try:
        with _said_as_one_sentence(url, summary.where):
            _require_own_login(pg, by, summary.where)
            if holding:
                # Signed only once the server has answered: a sync that cannot reach it changes nothing.
                _sign_what_is_new(conn, uid, by)
                _push(conn, pg, uid, by, summary)
            fetched = _pull(conn, pg, uid, summary.where)
        if fetched is not None:
            summary.imported = _merge_pulled(conn, fetched, uid, by, summary)
        # After the merge: a grant it brought may open notes the server now gives this login.
        with _said_as_one_sentence(url, summary.where):
            late = _notes_now_open(conn, pg, uid, summary.where)
        if late is not None:
            summary.imported += merge_received(conn, [late], by, "before-sync-import")
    finally:
        pg.close()
    return summary


@contextmanager
def _said_as_one_sentence(url: str, where: str):
    import psycopg

    from ..store.server_schema import said

    try:
        yield
    except psycopg.OperationalError as exc:
        raise HmipError(f"the connection to the team server at {where} was lost ({said(exc, url)}): "
                        "nothing was left half done; run hmip sync again to finish") from None
    except psycopg.Error as exc:
        raise HmipError(f"the team server at {where} refused the sync: {said(exc, url)}; "
                        "nothing was left half done") from None


def _push(conn, pg, uid: str, by: str, summary: SyncSummary) -> None:
    from ..store import server_sync as rows
    from ..store.inspections import require_inspection

    inspection = require_inspection(conn)
    lead = team.is_lead(conn, by)
    with pg.transaction():
        if rows.server_inspection(pg, uid) is None:
            if not lead:
                raise HmipError(f"the team server at {summary.where} does not hold this inspection yet: "
                                "the lead syncs it first")
            rows.found_inspection(pg, inspection)
        if lead:
            rows.publish_team(pg, uid, by, *rows.team_as_held(conn))
        out = rows.outgoing(conn, uid, rows.server_digests(pg, uid), by, lead)
        rows.push(pg, out)
    summary.pushed_entries, summary.pushed_batches = len(out.entries), len(out.batches)


def _require_own_login(pg, by: str, label: str) -> None:
    """The URL must be this inspector's own: another's login would read with their rights and
    sign nothing the server accepts as this inspector's."""
    from ..store import server_sync as rows

    code = rows.login_code(pg)
    if code is None:
        raise HmipError(f"the login in this URL is not an inspector's on the team server at {label} "
                        "(an analyst's login reads the views only): use the URL hmip server add gave for "
                        f"{by}")
    if code != by:
        raise HmipError(f"the URL is {code}'s login on the team server at {label}, and this laptop records "
                        f"as {by}: sync with {by}'s own URL (or --as {code} on {code}'s laptop)")


@dataclass
class _Fetched:
    label: str
    inspection: tuple
    incoming: object  # server_sync.Incoming


def _pull(conn, pg, uid: str, label: str) -> _Fetched | None:
    """What the server holds that this laptop lacks (or None), read in one transaction."""
    from ..store import server_sync as rows

    with pg.transaction():
        inspection = rows.server_inspection(pg, uid)
        if inspection is None:
            raise HmipError(f"the team server at {label} holds no inspection {uid} that this login may read "
                            "(the lead syncs it first, with you on the team)")
        wanted = rows.server_digests(pg, uid) - rows.local_digests(conn)
        if not wanted:
            return None
        return _Fetched(label, inspection, rows.fetch(pg, uid, wanted))


def _history(fetched: _Fetched, uid: str, signers: set[str] | None = None):
    """The pulled rows (or those of some signers' batches) in a bundle's form, read by the bundle
    reader's checks: ids recomputed, signatures verified. HmipError if any fails."""
    from ..exchange.bundle import read_history
    from .. import identity

    incoming, label = fetched.incoming, fetched.label
    chosen = [b for b in incoming.batches if signers is None or b[1] in signers]
    ids = {i for b in chosen for i in _ids(b[4])}
    entries = [e for e in incoming.entries if e[0] in ids]
    index = {e[0]: n for n, e in enumerate(entries)}
    if len(index) != len(ids):
        raise HmipError(f"the team server at {label} gave batches without {len(ids) - len(index)} of their "
                        "entries; nothing was imported")
    hashes = {h for e in entries for h in (e[5], e[6]) if h}
    data = {
        "inspection": {"uid": uid, "pdu": fetched.inspection[1]},
        "framework": {"id": fetched.inspection[2], "version": fetched.inspection[3]},
        "history": {
            "assumes": [],
            # A parent outside these entries goes by its id: held here, or merged before them.
            "entries": [[kind, ref, f, value, note.hex() if note else "", reason.hex() if reason else "",
                         author, at, [index[p] if p in index else p.hex() for p in _ids(parents)], flags]
                        for _, kind, ref, f, value, note, reason, author, at, parents, flags in entries],
            "batches": [{"signer": signer, "key": identity.b64(key), "sig": identity.b64(sig),
                         "digest": digest.hex(), "entries": [index[i] for i in _ids(blob)]}
                        for digest, signer, key, sig, blob in chosen],
            "texts": {h.hex(): [salt.hex(), body] for h, salt, body in incoming.texts if h in hashes},
        },
    }
    return read_history(data, Path(f"the team server at {label}"), None, None)


def _merge_pulled(conn, fetched: _Fetched, uid: str, by: str, summary: SyncSummary) -> list:
    """Merge what was pulled in one transaction. The server cannot check signatures or rights, so
    a member's login could put there a batch every laptop refuses; rather than let it stop the
    whole team's sync, a refused pull is merged again signer by signer (each all or nothing,
    until none more goes in), and what is left out is said, by signer, with the reason."""
    from ..exchange.bundle import merge_received

    try:
        return merge_received(conn, [_history(fetched, uid)], by, "before-sync-import")
    except HmipError:
        pass
    merged, summary.left_out = _each_that_goes_in(
        sorted({b[1] for b in fetched.incoming.batches}),
        lambda signer: merge_received(conn, [_history(fetched, uid, {signer})], by, "before-sync-import"))
    return merged


def _each_that_goes_in(items: list, merge) -> tuple[list, dict]:
    """Merge each item on its own, all or nothing each, going round again while any goes in (one
    may build on another's batches). Returns what was merged and {item left out: why}."""
    merged, waiting, refused = [], list(items), {}
    progress = True
    while waiting and progress:
        progress = False
        for item in list(waiting):
            try:
                merged += merge(item)
            except HmipError as exc:
                refused[item] = str(exc)
                continue
            waiting.remove(item)
            progress = True
    return merged, {item: refused[item] for item in waiting}


def _notes_now_open(conn, pg, uid: str, label: str):
    """Notes held back when their entries came (a limited-access case not open to this login
    then) that the server now gives (the lead has since assigned the case): a history of no new
    entries, only texts, through the same merge, which keeps only what this laptop may open."""
    from ..store import server_sync as rows
    from ..store.inspections import require_inspection
    from ..store.merge import Received

    waiting = rows.notes_waiting(conn)
    texts = rows.texts_of(pg, uid, waiting) if waiting else []
    if not texts:
        return None
    ids = rows.entries_using(conn, {h for h, _, _ in texts})
    inspection = require_inspection(conn)
    return Received(Path(f"the team server at {label}"), uid, (inspection.framework_id, inspection.framework_version),
                    [None] * len(ids), [], texts, None, signed=True, ids=ids)


def _ids(blob: bytes | None) -> list[bytes]:
    return [blob[i:i + 32] for i in range(0, len(blob), 32)] if blob else []


# --- a shared folder ---------------------------------------------------------------------------


def _with_folder(conn: sqlite3.Connection, folder: Path, by: str, uid: str, holding: bool) -> SyncSummary:
    """Write this laptop's bundle into the folder (a shared drive), then import the others'."""
    from .transfer import export_bundle

    if not folder.is_dir():
        raise HmipError(f"{folder}: is not a folder (sync takes a folder, or a team server's URL)")
    summary = SyncSummary(str(folder))
    mine = folder / f"{uid}-{by}.hmip.json"
    if holding:
        export_bundle(conn, mine, by)
        _shared_with_the_folders_group(folder, mine)
        summary.wrote = mine
    # The inspection's bundles are named UID-CODE.hmip.json: the whole uid, not a prefix of it.
    others = sorted(p for p in folder.glob(f"{uid}-*.hmip.json")
                    if p != mine and p.is_file() and p.name[:-len(".hmip.json")].rsplit("-", 1)[0] == uid)
    if not holding and not others:
        raise HmipError(f"{folder}: holds no bundle of inspection {uid}; nothing was joined "
                        "(the lead's hmip team shows the inspection's uid)")
    if others:
        summary.imported = _import_each_that_can(conn, others, by, summary)
    if not holding and not summary.imported:  # nothing joined: a refusal, not a partial sync
        raise HmipError(next(iter(summary.files_left_out.values())) + "; nothing was joined")
    return summary


def _shared_with_the_folders_group(folder: Path, bundle: Path) -> None:
    """A bundle is written 0600, readable by its writer alone. In a folder its group may enter
    and read (a team's share, as its owner set it up), teammates signed in as other users must
    read it too: it takes the group's read permission, never anyone else's. The folder's
    permissions are the access control, as they are for who may join."""
    if folder.stat().st_mode & 0o050 == 0o050:
        bundle.chmod(0o640)


def _import_each_that_can(conn: sqlite3.Connection, paths: list[Path], by: str, summary: SyncSummary) -> list:
    """All of the folder's bundles in one import; if that is refused, each on its own (all or
    nothing each, until no more goes in: one builds on another's batches), so that one cut short
    or tampered file on a shared drive stops nobody else's sync. What is left out is said, by
    file, with the reason."""
    from .transfer import import_bundles

    try:
        return import_bundles(conn, paths, by)
    except HmipError:
        pass
    imported, summary.files_left_out = _each_that_goes_in(paths, lambda path: import_bundles(conn, [path], by))
    return imported
