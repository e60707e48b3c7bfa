"""The case bundle: an inspection's history as one signed JSON file, with a readable snapshot.

Format `hmip-bundle/2` (docs/formats.md, schema/bundle.schema.json):

- `inspection`, `framework`, `inspectors`, `judgements`, `cases[]`: the snapshot, as version 1
  had it, for people and other tools to read. Importing never reads it.
- `history`: every entry this laptop holds, in an order where parents come first, the signed
  batches that cover them, and the texts (notes, reasons) it may pass on.
- `manifest`: who exported it, with their key, the SHA-256 of the file and their signature over
  it: one changed byte fails the checksum, and a re-stamped file fails the signature.

Reading checks everything that needs no database: the checksum and signature, every entry's
form and values against the framework, every id, every batch's signature, every text's hash.
Merging (store/merge.py) then checks what needs the database: the inspection, keys, team, rights.
Version-1 files (unsigned) are read by bundle_v1.py.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from .. import __version__, identity
from ..errors import HmipError
from ..framework import Framework, load_framework
from ..store import batches, history, team
from ..store.access import closed_to, restricted_refs
from ..store.cases import CASE_REF
from ..store.database import backup_committed, transaction
from ..store.history import FLAGS, KINDS, VOUCHED
from ..store.inspections import now, require_inspection
from ..store.merge import MergeSummary, Received, ReceivedBatch, merge
from .bounded_json import loads_bounded
from .files import atomic_output

FORMAT = "hmip-bundle/2"
FORMAT_PREFIX = "hmip-bundle/"
# The oldest hmip that reads this format: named to anyone whose hmip is older.
REQUIRES = "0.2.0"
ZEROS = "0" * 64
UNSIGNED = "A" * 86 + "=="  # the length of a base64 Ed25519 signature


# --- writing -----------------------------------------------------------------------------------


def export_bundle(conn: sqlite3.Connection, out: Path | str, *, exporter: str,
                  include_restricted_notes: bool = False, passphrase: str | None = None,
                  full: bool | None = None) -> dict:
    """Sign what this laptop recorded since its last export, then write the history and its
    snapshot to `out`, atomically, sealed if given a passphrase. Returns what was written.

    The lead's bundle is whole: any laptop can join from it. An inspector's bundle is thin unless
    `full`: it leaves out what came from the lead's bundles (the lead holds it), and names those
    batches as what it builds on. That keeps twenty inspectors' bundles from each carrying the
    whole sample back to the lead."""
    inspection = require_inspection(conn)
    out = Path(out)
    # One transaction around signing and writing: a bundle that cannot be written (a full disk)
    # leaves the database as it was, its entries still to be signed next time.
    with transaction(conn):
        team.ready_to_write(conn, exporter)
        allowed = _notes_allowed(conn, exporter, include_restricted_notes)
        if allowed:
            from ..store import registers

            registers.write(conn, ("export", "", "bundle"),
                            f"bundle {out.name} carried the notes of limited-access cases "
                            f"{', '.join(sorted(allowed))}", author=exporter)
        batches.sign_pending(conn, inspection.uid, exporter)
        if full is None:
            full = team.is_lead(conn, exporter) or not team.has_lead(conn)
        withheld = restricted_refs(conn) - allowed
        history_part = history_data(conn, withheld, thin=not full)
        data = snapshot(conn, withheld, None if full else history_part.pop("cases"))
        data["history"] = history_part
        payload = signed_bytes(data, exporter)
        if passphrase is not None:
            from .sealing import seal

            payload = seal(payload, passphrase)
        with atomic_output(out) as tmp:
            tmp.write_bytes(payload)
    return data


def _notes_allowed(conn, exporter: str, asked: bool) -> set[str]:
    """The limited-access cases whose notes this export may carry: the lead's choice for all of
    them; an inspector's for the ones they may open (to send them to the lead)."""
    if not asked:
        return set()
    restricted = restricted_refs(conn)
    if team.is_lead(conn, exporter):
        return restricted
    mine = restricted - closed_to(conn, exporter)
    if not mine:
        raise HmipError(f"{exporter} may open no limited-access case, so has no restricted notes to "
                        "include; only the lead inspector includes others'")
    return mine


def snapshot(conn: sqlite3.Connection, withheld: set[str], only: set[str] | None = None) -> dict:
    """The inspection as it stands, in version 1's shape, for readers: every case, or (a thin
    bundle) the cases in `only`, whose history it carries. Notes of the cases in `withheld` are
    left out (and the case marked `notes_withheld`)."""
    inspection = require_inspection(conn)
    answers: dict[int, dict] = {}
    for case_id, q, value, note in conn.execute(
            "SELECT case_id, question, value, note FROM answer ORDER BY case_id, question"):
        answers.setdefault(case_id, {})[q] = {"value": value, "note": note} if note is not None else {"value": value}
    cases = []
    for case_id, ref, inspector, status, profile in conn.execute(
            "SELECT id, ref, inspector, status, profile FROM case_file ORDER BY ref"):
        if only is not None and ref not in only:
            continue
        case = {"ref": ref, "inspector": inspector, "status": status, "profile": json.loads(profile),
                "answers": answers.get(case_id, {})}
        if ref in withheld:
            case["answers"] = {q: {k: v for k, v in a.items() if k != "note"}
                               for q, a in case["answers"].items()}
            case["notes_withheld"] = True
        cases.append(case)
    return {
        "format": FORMAT,
        "tool": {"name": "hmip", "version": __version__},
        "created": now(),
        "framework": {"id": inspection.framework_id, "version": inspection.framework_version},
        "inspection": {"uid": inspection.uid, "pdu": inspection.pdu, "region": inspection.region,
                       "fieldwork_start": inspection.fieldwork_start,
                       "created_at": inspection.created_at},
        "inspectors": team.members(conn),
        "judgements": {
            s: {"rating": r, "evidence": e, "by": by, "at": at}
            for s, r, e, by, at in conn.execute(
                "SELECT standard, rating, evidence, judged_by, judged_at FROM judgement ORDER BY standard")
        },
        "cases": cases,
    }


def history_data(conn: sqlite3.Connection, withheld: set[str], thin: bool = False) -> dict:
    """The entries (parents first), the batches that sign them, and the texts this export may
    carry. A thin history leaves out the batches that came in a lead's bundle, naming them in
    `assumes`; an entry's parent in one of those is given by its id rather than its place.
    With `thin`, also returns the cases its entries touch (under "cases", for the snapshot)."""
    all_batches = batches.all_batches(conn)
    from_lead = batches.from_lead(conn) if thin else set()
    carried = [b for b in all_batches if b.digest not in from_lead]
    wanted_ids = {i for b in carried for i in b.ids} if thin else None
    index: dict[bytes, int] = {}
    entries, wanted, cases = [], set(), set()
    for _, e in history.entries(conn):
        if wanted_ids is not None and e.id not in wanted_ids:
            continue
        index[e.id] = len(entries)
        parents = sorted(index[p] for p in e.parents if p in index)
        parents += sorted(p.hex() for p in e.parents if p not in index)
        entries.append([e.kind, e.case_ref, e.field, e.value, e.note.hex() if e.note else "",
                        e.reason.hex() if e.reason else "", e.author, e.at, parents, e.flags])
        cases.add(e.case_ref)
        if e.case_ref not in withheld:
            wanted.update(h for h in (e.note, e.reason) if h)
    texts = {}
    hashes = sorted(wanted)
    for i in range(0, len(hashes), 500):
        chunk = hashes[i:i + 500]
        for digest, salt, body in conn.execute(
                f"SELECT hash, salt, body FROM text WHERE hash IN ({','.join('?' * len(chunk))})", chunk):
            texts[digest.hex()] = [salt.hex(), body]
    out = {
        "assumes": sorted(d.hex() for d in from_lead),
        "entries": entries,
        "batches": [{"signer": b.signer, "key": identity.b64(b.key), "sig": identity.b64(b.signature),
                     "digest": b.digest.hex(), "entries": [index[i] for i in b.ids]} for b in carried],
        "texts": texts,
    }
    if thin:
        out["cases"] = cases - {""}
    return out


def _field(name: str, value: str) -> bytes:
    return f'"{name}":"{value}"'.encode()


def signed_bytes(data: dict, exporter: str) -> bytes:
    """The file's bytes, with the SHA-256 of exactly those bytes in its manifest and the
    exporter's signature over that digest. Both are computed with placeholders where they go,
    so checking costs one pass of SHA-256 over the file and one signature."""
    key = identity.public_key(exporter)
    data = {k: v for k, v in data.items() if k != "manifest"}
    data["manifest"] = {
        "format": FORMAT, "inspection": data["inspection"]["uid"], "inspector": exporter,
        "key": identity.b64(key), "framework": f"{data['framework']['id']} {data['framework']['version']}",
        "tool": f"hmip {__version__}", "requires": f"hmip {REQUIRES}", "created": data["created"],
        "sha256": ZEROS, "signature": UNSIGNED,
    }
    raw = (json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
    digest = hashlib.sha256(raw).digest()
    signature = identity.b64(identity.sign(exporter, digest))
    raw = raw.replace(_field("sha256", ZEROS), _field("sha256", digest.hex()), 1)
    return raw.replace(_field("signature", UNSIGNED), _field("signature", signature), 1)


# --- reading -----------------------------------------------------------------------------------


def read_bundle(path: Path | str, passphrase=None) -> Received:
    """Read and check a bundle file, either format. `passphrase` is called if it is sealed."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise HmipError(f"{path}: cannot read the bundle ({exc.strerror or exc})") from None
    data = _json(raw, path)
    from .sealing import is_sealed, unseal

    if is_sealed(data):
        if passphrase is None:
            raise HmipError(f"{path}: the bundle is sealed: give its passphrase")
        raw = unseal(data, passphrase(), path)
        try:
            data = loads_bounded(raw, path)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            raise HmipError(f"{path}: the sealed bundle does not hold a bundle") from None
    fmt = data.get("format") if isinstance(data, dict) else None
    if fmt == FORMAT:
        return _read_v2(data, raw, path)
    from . import bundle_v1

    if fmt == bundle_v1.FORMAT:
        return _read_v1(data, raw, path)
    newer = re.fullmatch(r"hmip-bundle/(\d{1,6})", fmt) if isinstance(fmt, str) else None
    if newer and int(newer.group(1)) > 2:
        manifest = data.get("manifest") if isinstance(data.get("manifest"), dict) else {}
        requires = manifest.get("requires") if isinstance(manifest.get("requires"), str) else "a newer hmip"
        raise HmipError(f"{path}: written in format {fmt}, which this hmip ({__version__}) cannot read: "
                        f"install {_printable(requires)[:40]} or later")
    raise HmipError(f"{path}: format: expected {FORMAT!r}, found {_printable(str(fmt))[:60]!r}")


def _printable(text: str) -> str:
    return "".join(c for c in text if c.isprintable())


def _json(raw: bytes, path: Path):
    try:
        return loads_bounded(raw, path)
    except UnicodeDecodeError:
        raise HmipError(f"{path}: not a bundle: the file is not UTF-8 JSON text") from None
    except RecursionError:
        raise HmipError(f"{path}: not a bundle: its JSON is nested too deeply") from None
    except json.JSONDecodeError as exc:
        if not raw.lstrip().startswith(b"{"):
            raise HmipError(f"{path}: not a bundle: a bundle is a JSON object, and this file does not "
                            "begin as one") from None
        # Every bundle ends with the brace that closes it; without it, the file was cut short.
        if not raw.rstrip().endswith(b"}"):
            raise HmipError(f"{path}: the file is cut short (its JSON stops unfinished at line "
                            f"{exc.lineno} column {exc.colno}): copy or export it again") from None
        raise HmipError(f"{path}: not valid JSON at line {exc.lineno} column {exc.colno} "
                        f"({exc.msg.lower()})") from None


def _read_v1(data: dict, raw: bytes, path: Path) -> Received:
    from . import bundle_v1

    bundle_v1.check_manifest(data, raw, path)
    bundle = bundle_v1.parse_bundle(data, path)
    created = data.get("created") if isinstance(data.get("created"), str) else bundle.inspection.get("created_at") or ""
    entries, texts = bundle_v1.entries_from_v1(bundle, created)
    exporter = data["manifest"].get("inspector")
    return Received(path, bundle.inspection["uid"], (bundle.framework.id, bundle.framework.version),
                    entries, [], texts, exporter if isinstance(exporter, str) else None, signed=False,
                    ids=[e.id for e in entries])


def _check_signature(data: dict, raw: bytes, path: Path) -> tuple[str, bytes]:
    manifest = data.get("manifest")
    if not isinstance(manifest, dict):
        raise HmipError(f"{path}: manifest: missing; a bundle carries its manifest, checksum and "
                        "signature (write it with hmip bundle export); nothing was imported")
    digest, signature = manifest.get("sha256"), manifest.get("signature")
    try:
        exporter = identity.check_code(manifest.get("inspector"), "manifest.inspector")
        key = identity.unb64(manifest.get("key"), 32)
        sig = identity.unb64(signature, 64)
        if not isinstance(digest, str) or len(digest) != 64:
            raise ValueError("no checksum")
    except (ValueError, HmipError) as exc:
        raise HmipError(f"{path}: manifest: {exc}; nothing was imported") from None
    unstamped = raw
    for name, value, placeholder in (("sha256", digest, ZEROS), ("signature", signature, UNSIGNED)):
        stamped = _field(name, value)
        at = unstamped.find(stamped)
        if at < 0:
            raise HmipError(f"{path}: the checksum does not match the content: the file was changed "
                            "or damaged after it was written; nothing was imported")
        unstamped = unstamped[:at] + _field(name, placeholder) + unstamped[at + len(stamped):]
    actual = hashlib.sha256(unstamped).digest()
    if actual.hex() != digest:
        raise HmipError(f"{path}: the checksum does not match the content: the file was changed "
                        "or damaged after it was written; nothing was imported")
    if not identity.verify(key, sig, actual):
        raise HmipError(f"{path}: the signature of {exporter} does not match the file: it was changed "
                        "after it was signed; nothing was imported")
    inspection = data.get("inspection") if isinstance(data.get("inspection"), dict) else {}
    if manifest.get("inspection") != inspection.get("uid"):
        raise HmipError(f"{path}: manifest.inspection does not match inspection.uid")
    return exporter, key


_AT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})?$")
_HASH = re.compile(r"^[0-9a-f]{64}$")


def _read_v2(data: dict, raw: bytes, path: Path) -> Received:
    exporter, exporter_key = _check_signature(data, raw, path)
    return read_history(data, path, exporter, exporter_key)


def read_history(data: dict, path: Path, exporter: str | None, exporter_key: bytes | None) -> Received:
    """Check a history in the bundle's form, however it came: from a file whose manifest was
    checked, or built from a team server's rows (services/sync.py), so both meet the database
    through the same checks and the same merge."""
    fw_data = data.get("framework") if isinstance(data.get("framework"), dict) else {}
    if not isinstance(fw_data.get("id"), str) or not isinstance(fw_data.get("version"), str):
        raise HmipError(f"{path}: framework: missing: the bundle must name its framework id and version")
    framework = load_framework(fw_data["id"], fw_data["version"])
    uid = data["inspection"].get("uid")
    if not isinstance(uid, str) or not uid:
        raise HmipError(f"{path}: inspection.uid: missing")
    h = data.get("history")
    if not isinstance(h, dict) or not all(isinstance(h.get(k), t) for k, t in
                                          (("entries", list), ("batches", list), ("texts", dict))):
        raise HmipError(f"{path}: history: missing or not in the form of {FORMAT}; nothing was imported")
    raw_batches = _claimed_batches(h["batches"], len(h["entries"]), path)
    assumes = h.get("assumes", [])
    if not isinstance(assumes, list) or not all(isinstance(d, str) and _HASH.match(d) for d in assumes):
        raise HmipError(f"{path}: history.assumes: must list batch digests; nothing was imported")
    received = Received(path, uid, (framework.id, framework.version), [], [], _texts(h["texts"], path),
                        exporter, signed=True, exporter_key=exporter_key,
                        claimed=[b[4] for b in raw_batches], assumes=[bytes.fromhex(d) for d in assumes])

    def resolve(held: dict[bytes, tuple[bytes, ...]]) -> None:
        known: dict[int, bytes] = {}
        for signer, key, signature, indices, digest in raw_batches:
            if digest in held:
                if len(held[digest]) != len(indices):
                    raise HmipError(f"{path}: history.batches: a batch this database holds is given with "
                                    "other entries; nothing was imported")
                known.update(zip(indices, held[digest]))
        received.entries, received.ids = _entries(h["entries"], framework, path, known)
        received.batches = _batches(raw_batches, received.entries, received.ids, uid, path, held)

    received.resolve = resolve
    return received


def _entries(raw_entries: list, framework: Framework, path: Path,
             known: dict[int, bytes]) -> tuple[list[history.Entry | None], list[bytes]]:
    """Check and hash every entry not already `known` (index -> id, from batches this database
    holds); those stay None. Returns the entries and every entry's id."""
    check = _EntryCheck(framework)
    # Plain answers (nearly every entry) pass a quick test; anything else takes the full check.
    plain_answers = {(q, v) for q, values in check.values.items() for v in values}
    refs_seen: set[str] = set()
    at_match, case_match = _AT.match, CASE_REF.match
    authors: set[str] = set()
    out: list[history.Entry | None] = []
    ids: list[bytes] = []
    for i, raw in enumerate(raw_entries):
        if i in known:
            out.append(None)
            ids.append(known[i])
            continue
        where = f"history.entries[{i}]"
        if not isinstance(raw, list) or len(raw) != 10:
            raise HmipError(f"{path}: {where}: an entry is a list of 10 fields; nothing was imported")
        kind, case_ref, field, value, note, reason, author, at, parents, flags = raw
        try:
            # Joined, the nine text fields hold exactly eight separators if none holds a NUL.
            if "\x00".join((kind, case_ref, field, value, note, reason, author, at, flags)).count("\x00") != 8:
                raise TypeError
        except TypeError:
            raise HmipError(f"{path}: {where}: every field but the parents is text without NUL; "
                            "nothing was imported") from None
        if not isinstance(parents, list) or not all(
                type(p) is int and 0 <= p < i or type(p) is str and _HASH.match(p) for p in parents):
            raise HmipError(f"{path}: {where}: parents must be earlier entries, or the ids of entries "
                            "it builds on; nothing was imported")
        if flags not in FLAGS or kind not in KINDS:
            raise HmipError(f"{path}: {where}: unknown kind {kind[:20]!r} or flags {flags[:20]!r}; "
                            "nothing was imported")
        if not at_match(at):
            raise HmipError(f"{path}: {where}: {at[:40]!r} is not a time (ISO 8601); nothing was imported")
        if author not in authors:
            if not (identity.CODE.match(author) or author == "" and flags in VOUCHED):
                raise HmipError(f"{path}: {where}: author {author[:40]!r} is not an inspector code; "
                                "nothing was imported")
            authors.add(author)
        if note and not _HASH.match(note) or reason and not _HASH.match(reason):
            raise HmipError(f"{path}: {where}: a text is named by its 64-digit hash; nothing was imported")
        if kind == "answer" and (field, value) in plain_answers and (case_ref in refs_seen or case_match(case_ref)):
            refs_seen.add(case_ref)
            problem = None
        else:
            problem = check(kind, case_ref, field, value)
        if problem:
            raise HmipError(f"{path}: {where} ({kind} {case_ref} {field}".rstrip() + f"): {problem}; "
                            "nothing was imported")
        e = history.entry_from_wire(kind, case_ref, field, value, note, reason, author, at,
                                    [ids[p] if type(p) is int else bytes.fromhex(p) for p in parents], flags)
        ids.append(e.id)
        out.append(e)
    if len(set(ids)) != len(ids):
        raise HmipError(f"{path}: history.entries: an entry is given twice; nothing was imported")
    return out, ids


class _EntryCheck:
    """What each kind of entry may say, against the framework: one sentence when it may not."""

    def __init__(self, framework: Framework):
        self.values = {qid: frozenset(q.type.values) for qid, q in framework.questions.items()}
        self.key_questions = {q.id for q in framework.questions.values() if q.kind == "key_question"}
        self.fields = {f.id: (frozenset(o.id for o in f.options) if f.options else None) for f in framework.profile}
        self.judged = {s.id for s in framework.standards if s.rated_by == "judgement"}
        self.bands = {b.id for b in framework.bands}
        self.framework = framework

    def __call__(self, kind: str, case_ref: str, field: str, value: str) -> str | None:
        if kind in ("case", "profile", "status", "lock", "answer", "grant", "assign", "reading", "finish") \
                and not CASE_REF.match(case_ref):
            return f"{case_ref[:70]!r} is not a case reference"
        if kind == "answer" or kind == "reading":
            allowed = self.values.get(field)
            if allowed is None:
                return f"unknown question: framework {self.framework.id} has no {field[:20]!r}"
            if kind == "reading" and field not in self.key_questions:
                return f"a second reading judges key questions only, not {field}"
            if value and value not in allowed or kind == "reading" and not value:
                return f"{value[:20]!r} is not an answer to {field}"
        elif kind == "profile":
            if field not in self.fields:
                return f"{field[:30]!r} is not a profile field"
            options = self.fields[field]
            if value and options is not None and value not in options:
                return f"{value[:30]!r} is not one of the field's options"
        elif kind == "judgement":
            if field not in self.judged:
                return f"standard {field[:10]!r} is not judged by the team"
            if value not in self.bands:
                return f"unknown rating {value[:30]!r}"
        elif kind == "team":
            if not identity.CODE.match(field) or value not in team.ROLES:
                return "a team entry names a code and a role"
        elif kind in ("grant", "rekey"):
            if not identity.CODE.match(field):
                return f"{field[:40]!r} is not an inspector code"
            if kind == "grant" and value not in ("granted", "revoked"):
                return "a grant is granted or revoked"
            if kind == "rekey" and not _json_object(value, {"key", "keep"}):
                return "a re-pinning says a key and the batches kept"
        elif kind == "status" and value not in ("complete", "in_progress", ""):
            return f"unknown status {value[:20]!r}"
        elif kind == "lock" and value not in ("locked", "unlocked"):
            return "a lock is locked or unlocked"
        elif kind == "assign" and value and not identity.CODE.match(value):
            return f"{value[:40]!r} is not an inspector code"
        elif kind == "case" and value and not identity.CODE.match(value):
            return f"{value[:40]!r} is not an inspector code"
        elif kind == "finish" and value and not _json_object(value, {"first"}):
            return "a finished reading records the first reading"
        elif kind == "redact" and not all(_HASH.match(x) for x in value.split(",")):
            return "a redaction names the hashes of the texts it removes"
        elif kind == "inspection" and not _json_object(value, {"uid", "pdu", "framework_id",
                                                               "framework_version", "created_at"}):
            return "an inspection entry says its uid, PDU and framework"
        return None


def _json_object(value: str, keys: set[str]) -> bool:
    try:
        data = json.loads(value)
    except (ValueError, RecursionError):
        return False
    return isinstance(data, dict) and keys <= set(data)


def _claimed_batches(raw_batches: list, count: int, path: Path) -> list[tuple]:
    """Each batch as (signer, key, signature, indices, digest it claims), checked in form only."""
    out = []
    for n, b in enumerate(raw_batches):
        where = f"history.batches[{n}]"
        try:
            if not isinstance(b, dict):
                raise ValueError("a batch is an object")
            signer = identity.check_code(b.get("signer"), "signer")
            key = identity.unb64(b.get("key"), 32)
            signature = identity.unb64(b.get("sig"), 64)
            digest = b.get("digest")
            if not isinstance(digest, str) or not _HASH.match(digest):
                raise ValueError("its digest must be 64 hex digits")
            indices = b.get("entries")
            if not isinstance(indices, list) or not indices or \
                    not all(type(i) is int and 0 <= i < count for i in indices):
                raise ValueError("its entries must be indices of the history's entries")
        except (ValueError, HmipError) as exc:
            raise HmipError(f"{path}: {where}: {exc}; nothing was imported") from None
        out.append((signer, key, signature, indices, bytes.fromhex(digest)))
    return out


def _batches(raw_batches: list[tuple], entries: list[history.Entry | None], ids: list[bytes], uid: str,
             path: Path, held: dict) -> list[ReceivedBatch]:
    """Verify each batch not held yet: its entries' authors, its digest and its signature.
    Every entry must be signed by some batch."""
    out, covered = [], set()
    for n, (signer, key, signature, indices, claimed) in enumerate(raw_batches):
        covered.update(indices)
        if claimed in held:
            out.append(ReceivedBatch(signer, key, signature, claimed, indices))
            continue
        where = f"history.batches[{n}]"
        for i in indices:
            e = entries[i]
            if e is not None and e.author != signer and e.flags not in VOUCHED:
                raise HmipError(f"{path}: {where}: signed by {signer} but holds an entry by {e.author}: "
                                "an entry is signed by its author; nothing was imported")
        digest = batches.digest(uid, signer, key, [ids[i] for i in indices])
        if digest != claimed or not identity.verify(key, signature, digest):
            raise HmipError(f"{path}: {where}: the signature of {signer} does not match the entries: "
                            "the history was changed after it was signed; nothing was imported")
        out.append(ReceivedBatch(signer, key, signature, digest, indices))
    if len(covered) != len(entries):
        raise HmipError(f"{path}: history: {len(entries) - len(covered)} entries are signed by nobody; "
                        "nothing was imported")
    return out


def _texts(raw_texts: dict, path: Path) -> list[tuple[bytes, bytes, str]]:
    out = []
    for digest, pair in raw_texts.items():
        try:
            if not _HASH.match(digest) or not isinstance(pair, list) or len(pair) != 2:
                raise ValueError
            salt, body = bytes.fromhex(pair[0]), pair[1]
            if not isinstance(body, str) or len(salt) > 32:
                raise ValueError
        except (ValueError, TypeError):
            raise HmipError(f"{path}: history.texts: {digest[:64]!r} is not a text and its salt; "
                            "nothing was imported") from None
        if history.text_hash(salt, body) != bytes.fromhex(digest):
            raise HmipError(f"{path}: history.texts: a text does not match its hash: the file was "
                            "changed after it was written; nothing was imported")
        out.append((bytes.fromhex(digest), salt, body))
    return out


# --- importing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportSummary:
    source: Path
    merged: MergeSummary
    signed: bool


def import_bundles(conn: sqlite3.Connection, paths: list, passphrase=None, by: str | None = None) -> list[ImportSummary]:
    """Read and check every bundle first; then merge them all in one transaction (all or
    nothing), backing up the database as it was just before committing; a refused batch of
    bundles changes nothing and makes no backup."""
    return merge_received(conn, [read_bundle(p, passphrase) for p in paths], by)


def merge_received(conn: sqlite3.Connection, received: list[Received], by: str | None,
                   backup_kind: str = "before-bundle-import") -> list[ImportSummary]:
    """Merge checked histories (bundles, or a team server's rows) in one transaction, backing
    up the database as it was just before committing when anything was added."""
    # Whole bundles first: a thin one may build on a lead's bundle given after it in the list.
    received = sorted(received, key=lambda r: bool(r.assumes))
    out = []
    with transaction(conn):
        for r in received:
            out.append(ImportSummary(r.source, merge(conn, r, by), r.signed))
        if any(s.merged.entries_added or s.merged.created_inspection for s in out):
            backup_committed(conn, backup_kind)
    return out


def import_bundle(conn: sqlite3.Connection, path: Path | str, passphrase=None, by: str | None = None) -> ImportSummary:
    return import_bundles(conn, [path], passphrase, by)[0]
