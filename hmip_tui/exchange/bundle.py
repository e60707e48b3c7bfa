"""The case bundle: an inspection's cases and answers as one versioned JSON file.

Format `hmip-bundle/1`, described in docs/formats.md and schema/bundle.schema.json. Importing
validates the whole file first (the SHA-256 of its bytes, in its manifest, included), then writes in one
transaction: a bad bundle changes nothing, and importing the same bundle twice changes nothing
the second time. An answer that differs from the one already held is never overwritten: it
becomes a conflict for moderation to settle.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from ..errors import HmipError
from ..framework import Framework, load_framework
from ..store import audit, transaction
from ..store.database import backup_before
from ..store.moderation import add_conflict
from ..store.cases import STATUSES, check_ref, profile_problem
from ..store.inspections import Inspection, create_inspection, get_inspection, now
from ..checks import check_code, check_date, check_timestamp
from .bounded_json import loads_bounded
from .files import atomic_output

FORMAT = "hmip-bundle/1"


PLACEHOLDER = "0" * 64


def _digest_field(value: str) -> bytes:
    return f'"sha256": "{value}"'.encode()


def add_manifest(data: dict, inspector: str | None) -> dict:
    """Stamp a bundle with who wrote it and under what; `bundle_bytes` fills in its checksum."""
    data = {k: v for k, v in data.items() if k != "manifest"}
    data["manifest"] = {
        "inspection": data["inspection"]["uid"], "inspector": inspector,
        "framework": f"{data['framework']['id']} {data['framework']['version']}",
        "tool": f"hmip {__version__}", "created": data.get("created") or now(),
        "sha256": PLACEHOLDER,
    }
    return data


def bundle_bytes(data: dict, inspector: str | None) -> bytes:
    """The bundle file's bytes, with the SHA-256 of exactly those bytes in its manifest.

    The digest is taken with a placeholder of 64 zeros where it goes, then written in its
    place; so any changed byte anywhere in the file (even white space) fails the check, and
    checking costs one pass of SHA-256 over the file rather than re-serialising it.
    """
    import hashlib

    raw = (json.dumps(add_manifest(data, inspector), ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    digest = hashlib.sha256(raw).hexdigest()
    return raw.replace(_digest_field(PLACEHOLDER), _digest_field(digest), 1)


def check_manifest(data, raw: bytes, source: Path) -> None:
    """A bundle file must carry its manifest, and its bytes must match the checksum in it."""
    import hashlib

    manifest = data.get("manifest") if isinstance(data, dict) else None
    digest = manifest.get("sha256") if isinstance(manifest, dict) else None
    if not isinstance(digest, str) or len(digest) != 64:
        raise HmipError(f"{source}: manifest: missing; a bundle carries its manifest and checksum "
                        "(write it with hmip bundle export); nothing was imported")
    field_at = raw.find(_digest_field(digest))
    unstamped = raw[:field_at] + _digest_field(PLACEHOLDER) + raw[field_at + len(_digest_field(digest)):]
    if field_at < 0 or hashlib.sha256(unstamped).hexdigest() != digest:
        raise HmipError(f"{source}: the checksum does not match the content: the file was changed "
                        "or damaged after it was written; nothing was imported")
    inspection = data.get("inspection") if isinstance(data.get("inspection"), dict) else {}
    if manifest.get("inspection") != inspection.get("uid"):
        raise HmipError(f"{source}: manifest.inspection does not match inspection.uid")


@dataclass
class BundleCase:
    ref: str
    inspector: str | None
    status: str
    profile: dict
    answers: list[tuple]  # (question, value, note, answered_by, answered_at)
    notes_withheld: bool = False  # a limited-access case exported without its evidence notes


@dataclass
class Bundle:
    framework: Framework
    inspection: dict
    inspectors: dict[str, str]
    judgements: dict[str, tuple]  # standard -> (rating, evidence, judged_by, judged_at)
    cases: list[BundleCase] = field(default_factory=list)
    exported_by: str | None = None  # from the manifest

    @property
    def answer_count(self) -> int:
        return sum(len(c.answers) for c in self.cases)


@dataclass(frozen=True)
class ImportSummary:
    created_inspection: bool
    cases_added: int
    answers_added: int
    answers_unchanged: int
    judgements_added: int
    conflicts_added: int = 0


# --- reading and validating ------------------------------------------------------------


def _text(value, where: str, fail, *, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str):
        fail(where, f"must be text, not {type(value).__name__}")
    return value


def parse_bundle(data, source: Path) -> Bundle:
    """Check every part of a parsed bundle against the framework it names."""

    def fail(where: str, message: str):
        raise HmipError(f"{source}: {where}: {message}")

    if not isinstance(data, dict):
        fail("top level", "a bundle is a JSON object")
    if data.get("format") != FORMAT:
        fail("format", f"expected {FORMAT!r}, found {data.get('format')!r}")
    check_code(data["manifest"].get("inspector") if isinstance(data.get("manifest"), dict) else None,
               f"{source}: manifest.inspector", optional=True)
    fw = data.get("framework")
    if not isinstance(fw, dict):
        fail("framework", "missing: the bundle must name its framework id and version")
    framework = load_framework(_text(fw.get("id"), "framework.id", fail),
                               _text(fw.get("version"), "framework.version", fail))

    inspection = data.get("inspection")
    if not isinstance(inspection, dict):
        fail("inspection", "missing")
    for key in ("uid", "pdu"):
        if not isinstance(inspection.get(key), str) or not inspection[key].strip():
            fail(f"inspection.{key}", "missing")
    for key in ("region", "fieldwork_start", "created_at"):
        _text(inspection.get(key), f"inspection.{key}", fail, optional=True)
    check_date(inspection.get("fieldwork_start"), f"{source}: inspection.fieldwork_start", optional=True)

    inspectors = data.get("inspectors", {})
    if not isinstance(inspectors, dict):
        fail("inspectors", "must map inspector codes to roles")
    for code, role in inspectors.items():
        check_code(code, f"{source}: inspectors")
        if role not in ("lead", "inspector"):
            fail(f"inspectors.{code}", f"role {role!r} is not lead or inspector")

    judgements = {}
    raw_judgements = data.get("judgements", {})
    if not isinstance(raw_judgements, dict):
        fail("judgements", "must map standard ids to judgements")
    for sid, j in raw_judgements.items():
        where = f"judgements.{sid}"
        if sid not in {s.id for s in framework.standards if s.rated_by == "judgement"}:
            fail(where, f"standard {sid!r} is not judged by the team in framework {framework.id}")
        if not isinstance(j, dict):
            fail(where, "must be an object with rating and evidence")
        rating = _text(j.get("rating"), f"{where}.rating", fail)
        if rating not in {b.id for b in framework.bands}:
            fail(f"{where}.rating", f"unknown rating {rating!r}")
        evidence = _text(j.get("evidence"), f"{where}.evidence", fail)
        judgements[sid] = (rating, evidence, _text(j.get("by"), f"{where}.by", fail, optional=True),
                           _text(j.get("at"), f"{where}.at", fail, optional=True))
        check_code(j.get("by"), f"{source}: {where}.by", optional=True)
        check_timestamp(j.get("at"), f"{source}: {where}.at", optional=True)

    raw_cases = data.get("cases")
    if not isinstance(raw_cases, list):
        fail("cases", "missing: expected a list of cases")
    questions = framework.questions
    values_of = {qid: frozenset(q.type.values) for qid, q in questions.items()}
    applicable_for: dict[tuple, frozenset] = {}
    app_fields = framework.applicability_fields()
    cases, seen = [], set()
    default_at = _text(data.get("created"), "created", fail, optional=True) or now()
    check_timestamp(data.get("created"), f"{source}: created", optional=True)
    for i, c in enumerate(raw_cases):
        where = f"cases[{i}]"
        if not isinstance(c, dict):
            fail(where, "each case must be an object")
        ref = check_ref(c.get("ref") if isinstance(c.get("ref"), str) else "", f"{source}: {where}.ref")
        where = f"cases[{i}] (case {ref})"
        if ref in seen:
            fail(where, "this case reference is given twice")
        seen.add(ref)
        inspector = _text(c.get("inspector"), f"{where}.inspector", fail, optional=True)
        check_code(inspector, lambda: f"{source}: {where}.inspector", optional=True)
        status = c.get("status", "in_progress" if c.get("answers") else "not_started")
        if status not in STATUSES:
            fail(f"{where}.status", f"unknown status {status!r}")
        profile = c.get("profile")
        if not isinstance(profile, dict):
            fail(f"{where}.profile", "missing: expected an object of profile fields")
        problem = profile_problem(framework, profile)
        if problem:
            fail(f"{where}.profile", problem)
        signature = tuple(profile.get(f) for f in app_fields)
        applicable = applicable_for.get(signature)
        if applicable is None:
            applicable = frozenset(q.id for q in questions.values() if q.applies_to(profile))
            applicable_for[signature] = applicable
        raw_answers = c.get("answers", {})
        if not isinstance(raw_answers, dict):
            fail(f"{where}.answers", "must map question ids to answers")
        answers = []
        for qid, a in raw_answers.items():
            if qid not in questions:
                fail(f"{where}.answers.{qid}", f"unknown question: framework {framework.id} "
                                               f"{framework.version} has no {qid!r}")
            if not isinstance(a, dict):
                fail(f"{where}.answers.{qid}", "must be an object with a value")
            value = a.get("value")
            if not isinstance(value, str) or value not in values_of[qid]:
                allowed = ", ".join(sorted(values_of[qid]))
                fail(f"{where}.answers.{qid}.value", f"{value!r} is not an answer (use one of: {allowed})")
            if qid not in applicable:
                fail(f"{where}.answers.{qid}",
                     f"does not apply to this case: {questions[qid].why_not(profile)}")
            note = a.get("note")
            if note is not None and not isinstance(note, str):
                fail(f"{where}.answers.{qid}.note", "must be text")
            by = a.get("by", inspector)
            at = a.get("at", default_at)
            if (by is not None and not isinstance(by, str)) or not isinstance(at, str):
                fail(f"{where}.answers.{qid}", "'by' and 'at' must be text")
            check_code(by, lambda: f"{source}: {where}.answers.{qid}.by", optional=True)
            check_timestamp(at, lambda: f"{source}: {where}.answers.{qid}.at")
            answers.append((qid, value, note or None, by, at))
        withheld = c.get("notes_withheld", False)
        if not isinstance(withheld, bool):
            fail(f"{where}.notes_withheld", "must be true or false")
        cases.append(BundleCase(ref, inspector, status, profile, answers, withheld))
    return Bundle(framework, inspection, dict(inspectors), judgements, cases)


def read_bundle(path: Path | str, passphrase=None) -> Bundle:
    """Read and check a bundle file. `passphrase` is called for one if the bundle is sealed."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise HmipError(f"{path}: cannot read the bundle ({exc.strerror or exc})") from None
    try:
        data = loads_bounded(raw, path)
    except UnicodeDecodeError:
        raise HmipError(f"{path}: not a bundle: the file is not UTF-8 JSON text") from None
    except json.JSONDecodeError as exc:
        # Every bundle ends with the brace that closes it; without it, the file was cut short.
        hint = " (the file looks truncated)" if not raw.rstrip().endswith(b"}") else ""
        raise HmipError(f"{path}: not valid JSON at line {exc.lineno} column {exc.colno}: "
                        f"{exc.msg}{hint}") from None
    from .sealing import is_sealed, unseal

    if is_sealed(data):
        if passphrase is None:
            raise HmipError(f"{path}: the bundle is sealed: give its passphrase")
        try:
            raw = unseal(data, passphrase(), path)
            data = loads_bounded(raw, path)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise HmipError(f"{path}: the sealed bundle does not hold a bundle") from None
    if isinstance(data, dict) and data.get("format") == FORMAT:
        check_manifest(data, raw, path)
    bundle = parse_bundle(data, path)
    bundle.exported_by = data["manifest"].get("inspector") if isinstance(data["manifest"].get("inspector"), str) else None
    return bundle


# --- importing -------------------------------------------------------------------------

_INSERT_ANSWER = (
    "INSERT INTO answer (case_id, question, value, note, framework_id, framework_version, "
    "answered_by, answered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


def _check_same_inspection(held: Inspection, bundle: Bundle, source: Path) -> None:
    if held.uid != bundle.inspection["uid"]:
        raise HmipError(
            f"{source}: belongs to another inspection ({bundle.inspection['pdu']}, "
            f"{bundle.inspection['uid']}); this database holds {held.pdu} ({held.uid})"
        )
    fw = bundle.framework
    if (held.framework_id, held.framework_version) != (fw.id, fw.version):
        raise HmipError(
            f"{source}: written under framework {fw.id} {fw.version}; this inspection uses "
            f"{held.framework_id} {held.framework_version}"
        )


def _chunks(items: list, size: int = 500):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def import_bundle(conn: sqlite3.Connection, path: Path | str, passphrase=None) -> ImportSummary:
    """Read, check and merge a bundle file into the database, all or nothing."""
    return import_bundles(conn, [path], passphrase)[0]


def import_bundles(conn: sqlite3.Connection, paths: list, passphrase=None) -> list[ImportSummary]:
    """Read and check every bundle first, back up once, then merge them all in one
    transaction: the batch is all or nothing, like a single bundle."""
    bundles = [(read_bundle(p, passphrase), Path(p)) for p in paths]
    backup_before(conn, "before-bundle-import")
    with transaction(conn):
        return [_merge(conn, bundle, path) for bundle, path in bundles]


def merge_bundle(conn: sqlite3.Connection, bundle: Bundle, path: Path) -> ImportSummary:
    """Merge a checked bundle in one transaction; `path` names it in messages."""
    backup_before(conn, "before-bundle-import")
    with transaction(conn):
        return _merge(conn, bundle, path)


def _merge(conn: sqlite3.Connection, bundle: Bundle, path: Path) -> ImportSummary:
    """Merge inside the caller's transaction."""
    fw = bundle.framework
    held = get_inspection(conn)
    created = held is None
    if created:
        i = bundle.inspection
        create_inspection(conn, pdu=i["pdu"], framework=fw, region=i.get("region"),
                          fieldwork_start=i.get("fieldwork_start"), uid=i["uid"],
                          created_at=i.get("created_at"))
    else:
        _check_same_inspection(held, bundle, path)

    for code, role in bundle.inspectors.items():
        conn.execute("INSERT INTO inspector (code, role) VALUES (?, ?) ON CONFLICT (code) DO UPDATE "
                     "SET role = CASE WHEN excluded.role = 'lead' THEN 'lead' ELSE inspector.role END",
                     (code, role))
    for code in {c.inspector for c in bundle.cases if c.inspector} - set(bundle.inspectors):
        conn.execute("INSERT OR IGNORE INTO inspector (code) VALUES (?)", (code,))

    judgements_added = 0
    held_judgements = {s: (r, e) for s, r, e in conn.execute(
        "SELECT standard, rating, evidence FROM judgement")}
    for sid, (rating, evidence, by, at) in bundle.judgements.items():
        if sid in held_judgements:
            if held_judgements[sid] != (rating, evidence):
                raise HmipError(f"{path}: judgements.{sid}: differs from the judgement held "
                                f"({held_judgements[sid][0]}); it was not overwritten")
            continue
        conn.execute("INSERT INTO judgement (standard, rating, evidence, judged_by, judged_at) "
                     "VALUES (?, ?, ?, ?, ?)", (sid, rating, evidence, by, at or now()))
        judgements_added += 1

    # Only the cases this bundle shares with the database are read back, so merging many
    # bundles one after another stays linear in their size.
    refs = [c.ref for c in bundle.cases]
    held_cases = {} if created else {
        ref: (cid, profile) for chunk in _chunks(refs) for cid, ref, profile in conn.execute(
            f"SELECT id, ref, profile FROM case_file WHERE ref IN ({','.join('?' * len(chunk))})", chunk)}
    shared = [cid for cid, _ in held_cases.values()]
    held_answers = {
        (cid, q): (v, n, by) for chunk in _chunks(shared) for cid, q, v, n, by in conn.execute(
            "SELECT case_id, question, value, note, answered_by FROM answer "
            f"WHERE case_id IN ({','.join('?' * len(chunk))})", chunk)}
    source = f"{bundle.exported_by or 'unknown inspector'} ({path.name})"
    conflicts_added = 0

    rows, cases_added, unchanged = [], 0, 0
    stamp = now()
    for case in bundle.cases:
        if case.ref in held_cases:
            case_id, held_profile = held_cases[case.ref]
            if json.loads(held_profile) != case.profile:
                raise HmipError(f"{path}: case {case.ref}: its profile differs from the one held; "
                                "it was not overwritten")
        else:
            case_id = conn.execute(
                "INSERT INTO case_file (ref, inspector, profile, status, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (case.ref, case.inspector, json.dumps(case.profile, sort_keys=True),
                 case.status, stamp)).lastrowid
            cases_added += 1
        for qid, value, note, by, at in case.answers:
            existing = held_answers.get((case_id, qid))
            if existing is not None:
                # A withheld note says nothing about the note held: compare values only.
                same = existing[0] == value if case.notes_withheld else existing[:2] == (value, note)
                if not same:
                    # Never overwritten: a conflict for moderation to settle.
                    conflicts_added += add_conflict(conn, case_id, qid, existing, (value, note, by),
                                                    source)
                else:
                    unchanged += 1
                continue
            rows.append((case_id, qid, value, note, fw.id, fw.version, by, at))
    conn.executemany(_INSERT_ANSWER, rows)
    if cases_added or rows or judgements_added or conflicts_added:
        audit.log(conn, "import", bundle.exported_by, detail=(
            f"{path.name}: {cases_added} cases, {len(rows)} answers, {judgements_added} "
            f"judgements added; {conflicts_added} conflicts to settle"))
    return ImportSummary(created, cases_added, len(rows), unchanged, judgements_added, conflicts_added)


# --- exporting -------------------------------------------------------------------------


def bundle_data(conn: sqlite3.Connection, *, include_restricted_notes: bool = False) -> dict:
    """The whole inspection as a bundle. Evidence notes of limited-access cases are left out
    (and the case marked `notes_withheld`) unless the lead asks for them."""
    from ..store import require_inspection
    from ..store.access import restricted_refs

    inspection = require_inspection(conn)
    withheld = set() if include_restricted_notes else restricted_refs(conn)
    answers: dict[int, dict] = {}
    for case_id, q, value, note, by, at in conn.execute(
            "SELECT case_id, question, value, note, answered_by, answered_at FROM answer "
            "ORDER BY case_id, question"):
        entry = {"value": value, "by": by, "at": at}
        if note is not None:
            entry["note"] = note
        answers.setdefault(case_id, {})[q] = entry
    cases = []
    for case_id, ref, inspector, status, profile in conn.execute(
            "SELECT id, ref, inspector, status, profile FROM case_file ORDER BY ref"):
        case = {"ref": ref, "inspector": inspector, "status": status, "profile": json.loads(profile),
                "answers": answers.get(case_id, {})}
        if ref in withheld:
            case["answers"] = {q: {k: v for k, v in a.items() if k != "note"}
                               for q, a in case["answers"].items()}
            case["notes_withheld"] = True
        cases.append(case)
    data = {
        "format": FORMAT,
        "tool": {"name": "hmip", "version": __version__},
        "created": now(),
        "framework": {"id": inspection.framework_id, "version": inspection.framework_version},
        "inspection": {"uid": inspection.uid, "pdu": inspection.pdu, "region": inspection.region,
                       "fieldwork_start": inspection.fieldwork_start,
                       "created_at": inspection.created_at},
        "inspectors": dict(conn.execute("SELECT code, role FROM inspector ORDER BY code")),
        "judgements": {
            s: {"rating": r, "evidence": e, "by": by, "at": at}
            for s, r, e, by, at in conn.execute(
                "SELECT standard, rating, evidence, judged_by, judged_at FROM judgement ORDER BY standard")
        },
        "cases": cases,
    }
    return data


def export_bundle(conn: sqlite3.Connection, out: Path | str, *, include_restricted_notes: bool = False,
                  passphrase: str | None = None, exported_by: str | None = None) -> dict:
    """Write the inspection as a bundle to `out`, atomically, sealed if given a passphrase.
    Returns what was written."""
    data = bundle_data(conn, include_restricted_notes=include_restricted_notes)
    payload = bundle_bytes(data, exported_by)
    if passphrase is not None:
        from .sealing import seal

        payload = seal(payload, passphrase)
    with atomic_output(Path(out)) as tmp:
        tmp.write_bytes(payload)
    return data
