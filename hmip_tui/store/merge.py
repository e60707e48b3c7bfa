"""Merging another laptop's history into this one: a union of entries, as version control does it.

The bundle reader has already checked every entry's form, recomputed its id and verified every
batch's signature. Here the history meets this database: an entry already held is ignored; the
rest must belong to this inspection, hang on parents that are held or come with them, and be
signed by keys and people this inspection trusts:

- a signer's key is pinned on first sight, and a different key for a pinned code is refused
  (unless the lead kept that batch when re-pinning the code);
- every signer is on the team, and the team changes only by entries of a lead (a database with no
  team yet takes the first one it is given: that is how a laptop joins);
- lead-only entries (team, keys, grants, assignments, locks, redactions, settlements) come from a
  lead; a second reading comes from the reader the case was assigned to.

Then `registers.advance` moves every register forward at once. Any order, any repetition of the
same bundles ends in the same heads.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from .. import identity
from ..errors import HmipError
from . import batches, history, registers, rights, team
from .access import restricted_closed_to
from .history import Entry


@dataclass
class ReceivedBatch:
    signer: str
    key: bytes
    signature: bytes
    digest: bytes
    indices: list[int]


@dataclass
class Received:
    """A history as a bundle brings it: checked in form, ids recomputed, signatures verified.

    A signed bundle is read in two steps: `claimed` lists its batches' digests, and `resolve`
    (given the ids of the batches this database already holds) checks everything else. So the
    entries of a batch already held are never hashed or checked again: importing the same
    bundle twice costs little more than reading it. `entries[i]` is None for those."""

    source: Path
    uid: str
    framework: tuple[str, str]
    entries: list[Entry | None]
    batches: list[ReceivedBatch] = field(default_factory=list)  # none for an unsigned bundle
    texts: list[tuple[bytes, bytes, str]] = field(default_factory=list)  # (hash, salt, body)
    exporter: str | None = None
    signed: bool = True
    exporter_key: bytes | None = None  # the key that signed the file as a whole
    ids: list[bytes] = field(default_factory=list)
    claimed: list[bytes] = field(default_factory=list)
    assumes: list[bytes] = field(default_factory=list)  # batches a thin bundle builds on
    resolve: object = None  # resolve(held: {digest: ids}) fills entries, ids and batches


@dataclass
class MergeSummary:
    created_inspection: bool = False
    entries_added: int = 0
    entries_held: int = 0
    cases_added: int = 0
    conflicts_opened: int = 0
    conflicts_closed: int = 0
    # (code, fingerprint, who relayed it when not its owner or a lead) seen first here
    pinned: list[tuple[str, str, str | None]] = field(default_factory=list)
    notes_not_kept: int = 0  # limited-access notes the importer may not open


def merge(conn: sqlite3.Connection, received: Received, by: str | None) -> MergeSummary:
    """Merge inside the caller's transaction; HmipError (and nothing changed) if refused."""
    src = received.source
    summary = MergeSummary()
    held_inspection = conn.execute("SELECT uid, framework_id, framework_version, pdu FROM inspection").fetchone()
    if held_inspection is not None:
        if held_inspection[0] != received.uid:
            raise HmipError(f"{src}: belongs to another inspection ({received.uid}); this database "
                            f"holds {held_inspection[3]} ({held_inspection[0]}); nothing was imported")
        if tuple(held_inspection[1:3]) != received.framework:
            raise HmipError(f"{src}: written under framework {' '.join(received.framework)}; this "
                            f"inspection uses {held_inspection[1]} {held_inspection[2]}; nothing was imported")
    else:
        summary.created_inspection = True
    if received.assumes:
        lacking = set(received.assumes) - batches.held(conn, received.assumes)
        if lacking:
            raise HmipError(f"{src}: builds on {len(lacking)} batch{'es' if len(lacking) != 1 else ''} of the "
                            "lead's that this database does not hold: import the lead's latest bundle first "
                            "(or ask for a whole one: hmip bundle export --full); nothing was imported")
    if received.resolve is not None:
        received.resolve(batches.entries_of(conn, received.claimed))
    if held_inspection is None and not any(e is not None and e.kind == "inspection" for e in received.entries):
        raise HmipError(f"{src}: holds no inspection entry, and this database holds no inspection; "
                        "nothing was imported")

    held_batches = batches.held(conn, [b.digest for b in received.batches])
    candidates = [e for e in received.entries if e is not None]
    already = history.held_keys(conn, [e.id for e in candidates])
    new = [e for e in candidates if e.id not in already]
    summary.entries_held = len(received.entries) - len(new)
    _check_parents(conn, new, src)
    pins = _check_keys(conn, received, new, held_batches, summary) if received.signed else None
    team.require_own_laptop(conn, by, pins)
    roles = _check_rights(conn, received, new, by, founding=held_inspection is None)
    if received.signed:
        _check_signers(received, held_batches, roles)

    stored_batches = {}
    # What comes in a lead's bundle, the lead holds: an inspector's next bundle need not carry it.
    via_lead = received.signed and received.exporter is not None and (
        team.is_lead(conn, received.exporter) or _founds_lead(new, received.exporter))
    for b in received.batches:
        if b.digest not in held_batches:
            ids = [received.ids[i] for i in b.indices]
            stored_batches[b.digest] = batches.store(conn, b.signer, b.key, b.signature, ids, b.digest,
                                                     via_lead=via_lead)
    batch_of = {}
    for b in received.batches:
        if b.digest in stored_batches:
            for i in b.indices:
                batch_of.setdefault(received.ids[i], stored_batches[b.digest])
    cases_before = conn.execute("SELECT count(*) FROM case_file").fetchone()[0]
    texts = _Texts(conn, received, by, new)
    texts.keep_open()  # before the entries, so their answers show their notes as they are applied
    result = registers.advance(conn, new, batch_of)
    if pins is not None:
        _keep_pins(conn, pins)
    summary.conflicts_opened, summary.conflicts_closed = result.conflicts_opened, result.conflicts_closed
    summary.entries_added = len(new)
    summary.cases_added = conn.execute("SELECT count(*) FROM case_file").fetchone()[0] - cases_before
    summary.notes_not_kept = texts.keep_the_rest()
    return summary


def _founds_lead(new: list[Entry], code: str) -> bool:
    return any(e.kind == "team" and e.field == code and e.value == "lead" for e in new)


def _check_parents(conn, new: list[Entry], src: Path) -> None:
    """Every parent is held, or comes earlier in the same history: a history is whole."""
    seen = set()
    missing = set()
    for e in new:
        for p in e.parents:
            if p not in seen:
                missing.add(p)
        seen.add(e.id)
    if missing:
        absent = set(missing) - history.held_keys(conn, missing)
        if absent:
            raise HmipError(f"{src}: an entry replaces {len(absent)} entr{'y' if len(absent) == 1 else 'ies'} "
                            "this database does not hold and the bundle does not carry; nothing was imported")


def _check_keys(conn, received: Received, new: list[Entry], held_batches: set[bytes],
                summary: MergeSummary) -> dict[str, bytes]:
    """Keys pinned, or pinned now on first sight, and no other key for a pinned code. Returns the
    pins as they stand after this history (first sightings and re-pinnings in its order).

    A key first seen in someone else's bundle than its owner's or the lead's is pinned too, and
    said so, for the lead to check with its owner: whoever sends it first could have made it."""
    src = received.source
    pins = team.pins(conn)
    roles = team.members(conn)
    exporter_trusted = roles.get(received.exporter) == "lead" or not any(r == "lead" for r in roles.values()) \
        or any(e.kind == "team" and e.field == received.exporter and e.value == "lead" for e in new)
    kept = batches.kept(conn)
    new_ids = {e.id for e in new}
    for e in new:
        if e.kind == "rekey":
            kept |= {bytes.fromhex(d) for d in json.loads(e.value).get("keep", ())}
    # The exporter's signature over the whole file counts as a sighting of their key too.
    sightings = [(b.signer, b.key, b.digest) for b in received.batches if b.digest not in held_batches]
    if received.exporter and received.exporter_key:
        sightings.append((received.exporter, received.exporter_key, b""))
    for signer, key, digest in sightings:
        known = pins.get(signer)
        if known is None:
            pins[signer] = key
            relayed = signer != received.exporter and not exporter_trusted
            summary.pinned.append((signer, identity.fingerprint(key), received.exporter if relayed else None))
        elif known != key and digest not in kept:
            raise HmipError(
                f"{src}: signed as {signer} by a key this inspection does not know for {signer} "
                f"({identity.fingerprint(key)}; it knows {identity.fingerprint(known)}): if {signer} "
                f"has a new laptop, the lead re-pins it (hmip team rekey {signer}); nothing was imported")
        batch = next((b for b in received.batches if b.digest == digest), None) if digest else None
        if batch is None:
            continue
        # A re-pinning in this batch applies to the batches after it.
        for i in batch.indices:
            e = received.entries[i]
            if e is not None and e.kind == "rekey" and e.id in new_ids:
                key_hex = json.loads(e.value).get("key")
                if key_hex:
                    pins[e.field] = bytes.fromhex(key_hex)
                else:
                    pins.pop(e.field, None)
    return pins


def _check_signers(received: Received, held_batches: set[bytes], roles: dict[str, str]) -> None:
    signers = {b.signer for b in received.batches if b.digest not in held_batches}
    if received.exporter:
        signers.add(received.exporter)
    for signer in sorted(signers):
        if signer not in roles:
            raise HmipError(f"{received.source}: signed by {signer}, who is not on the team of this inspection "
                            f"(the lead adds them with hmip team add {signer}); nothing was imported")


def _keep_pins(conn, pins: dict[str, bytes]) -> None:
    """Make this database's pins what the history left them (after its re-pinnings applied)."""
    held = team.pins(conn)
    for code in set(held) | set(pins):
        if held.get(code) == pins.get(code):
            continue
        conn.execute("DELETE FROM signer WHERE code = ?", (code,))
        if pins.get(code) is not None:
            team.pin(conn, code, pins[code], "first seen in a bundle")


def _check_rights(conn, received: Received, new: list[Entry], by: str | None, founding: bool) -> dict[str, str]:
    """Every new entry, in order, against the rules (store/rights.py). An unsigned bundle that
    founds a database (hmip 0.1's way of starting a copy) answers to nobody; otherwise its
    entries answer to whoever imports it. Returns the team's roles after this history."""
    if founding and not received.signed:
        return team.members(conn)
    checker = rights.Rights(conn)
    who = rights.authorities(received, new, by)
    checker.check_team(new, who, str(received.source))
    for e in new:
        checker.check(e, who[e.id], str(received.source))
    return checker.roles


class _Texts:
    """Keeping the texts a history's entries refer to, except the notes of limited-access cases
    the importer may not open, which never reach this laptop's file.

    Most texts are stored before the entries are applied, so each answer shows its note at once.
    The texts of a case that is (or, after this merge, may be) of limited access wait until the
    merge has applied its profile and grants, and are decided then."""

    def __init__(self, conn, received: Received, by: str | None, new: list[Entry]):
        self.conn, self.received, self.by = conn, received, by
        held = set()
        digests = [t[0] for t in received.texts]
        for i in range(0, len(digests), 500):
            chunk = digests[i:i + 500]
            marks = ",".join("?" * len(chunk))
            held.update(h for (h,) in conn.execute(
                f"SELECT hash FROM text WHERE hash IN ({marks}) UNION SELECT hash FROM redacted "
                f"WHERE hash IN ({marks})", chunk + chunk))
        self.arriving = {t[0] for t in received.texts} - held
        self.late = set()
        self.case_of = self._cases_of_texts() if self.arriving else {}
        maybe_restricted = restricted_closed_to(conn, by) | {
            e.case_ref for e in new if e.kind == "profile" and e.field == "limited_access" and e.value == "yes"}
        # A text is kept if any case that may be opened here uses it (texts from unsigned
        # bundles are unsalted, so one text can serve many cases).
        self.now = {h for h, refs in self.case_of.items() if refs - maybe_restricted}
        self.later = set(self.case_of) - self.now

    def _cases_of_texts(self) -> dict[bytes, set[str]]:
        """Which case each arriving text belongs to: from the entries read now, or (for entries
        held already, which were not read again) from this database's own copy of them."""
        self.late: set[bytes] = set()  # texts of entries held already: to be shown where they belong
        case_of: dict[bytes, set[str]] = {}
        unread = []
        for i, e in enumerate(self.received.entries):
            if e is None:
                unread.append(self.received.ids[i])
                continue
            for h in (e.note, e.reason):
                if h in self.arriving:
                    case_of.setdefault(h, set()).add(e.case_ref)
        if len(case_of) < len(self.arriving) and unread:
            for i in range(0, len(unread), 500):
                keys = [history.id_key(x) for x in unread[i:i + 500]]
                for case_ref, note, reason in self.conn.execute(
                        f"SELECT case_ref, note, reason FROM entry WHERE k IN ({','.join('?' * len(keys))})", keys):
                    for h in (note, reason):
                        if h in self.arriving:
                            case_of.setdefault(h, set()).add(case_ref)
                            self.late.add(h)
        return case_of

    def _store(self, wanted: set[bytes], fill: set[bytes]) -> None:
        texts = [t for t in self.received.texts if t[0] in wanted]
        history.store_texts(self.conn, texts)
        if fill:
            registers.fill_texts(self.conn, [t[0] for t in texts if t[0] in fill])

    def keep_open(self) -> None:
        # Texts of entries held before this merge are filled in where they belong; the others
        # are in place before their entries are applied.
        self._store(self.now, fill=self.late)

    def keep_the_rest(self) -> int:
        """After the merge: the limited-access texts the importer may open. Returns how many
        were not kept."""
        if not self.later:
            return 0
        hidden = restricted_closed_to(self.conn, self.by)
        keep = {h for h in self.later if self.case_of[h] - hidden}
        self._store(keep, fill=keep)
        return len(self.later - keep)
