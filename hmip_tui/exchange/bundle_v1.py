"""Reading `hmip-bundle/1` files: the unsigned format of hmip 0.1, as history entries.

A version-1 bundle holds a snapshot (cases, profiles, answers, judgements) and no history. Each
of its facts becomes a root entry flagged `v1`, made the same way wherever it is read (unsalted
texts, the bundle's own authors and times), so importing the same bundle twice adds nothing.
Roles in it are never taken: an unsigned file cannot make anyone lead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from ..checks import check_code, check_date, check_timestamp
from ..errors import HmipError
from ..framework import Framework, load_framework
from ..store import history
from ..store.cases import STATUSES, case_entries, check_ref, clean_profile, profile_problem
from ..store.history import V1, make_entry
from ..store.inspections import now

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


def entries_from_v1(bundle: Bundle, created: str) -> tuple[list[history.Entry], list[tuple[bytes, bytes, str]]]:
    """The bundle's facts as root entries, and their texts (unsalted: the same everywhere)."""
    texts: dict[bytes, str] = {}

    def text(body: str | None) -> bytes | None:
        if not body or not body.strip():
            return None
        digest, _ = history.new_text(body, salted=False)
        texts[digest] = body
        return digest

    i = bundle.inspection
    fw = bundle.framework
    out = [make_entry("inspection", "", "", json.dumps({
        "uid": i["uid"], "pdu": i["pdu"].strip(), "region": i.get("region"),
        "fieldwork_start": i.get("fieldwork_start"), "framework_id": fw.id,
        "framework_version": fw.version, "created_at": i.get("created_at") or created}, sort_keys=True),
        author="", at=i.get("created_at") or created, flags=V1)]
    for case in bundle.cases:
        author = case.inspector or ""
        out += case_entries(case.ref, case.inspector, clean_profile(case.profile), author=author, at=created,
                            flags=V1)
        if case.status == "complete":
            last = max((a[4] for a in case.answers), default=created)
            out.append(make_entry("status", case.ref, "", "complete", author=author, at=last, flags=V1))
        for qid, value, note, by, at in case.answers:
            out.append(make_entry("answer", case.ref, qid, value, author=by or "", at=at, flags=V1,
                                  note=None if case.notes_withheld else text(note)))
    for sid, (rating, evidence, by, at) in sorted(bundle.judgements.items()):
        out.append(make_entry("judgement", "", sid, rating, author=by or "", at=at or created, flags=V1,
                              note=text(evidence)))
    return out, [(h, b"", body) for h, body in texts.items()]
