"""Importing the sample: a CSV of case references, their inspector and profile.

Columns: `ref` (or `case_ref`, `case_reference`, `crn`), optional `inspector`, then any profile
field of the framework by its id. Columns that would hold a person's name or birth date are
refused unless the caller asks to drop them: we store references, never names.
"""

from __future__ import annotations

import csv
import io
import sqlite3
from pathlib import Path

from ..checks import check_code
from ..errors import HmipError
from ..framework import Framework
from ..store import transaction
from ..store.cases import add_cases, check_ref, clean_profile, profile_problem
from ..store.database import backup_committed

REF_COLUMNS = ("ref", "case_ref", "case_reference", "crn")
PERSONAL_COLUMNS = frozenset({
    "name", "full_name", "fullname", "forename", "forenames", "first_name", "firstname",
    "surname", "last_name", "lastname", "family_name", "given_name", "date_of_birth", "dob",
    "birth_date", "birthdate", "address", "postcode", "phone", "telephone", "email",
})
MAX_FIELD = 10_000  # characters; a longer cell is a damaged file, not a profile value


def read_sample(path: Path, framework: Framework, *, drop_personal: bool = False):
    """Parse and validate the whole file; returns [(line, ref, inspector, profile)] or raises HmipError."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise HmipError(f"{path}: cannot read the sample file ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise HmipError(
            f"{path}: line {line}: not UTF-8 text "
            f"(byte {exc.start + 1} is {raw[exc.start]:#04x}); "
            "save the sample as CSV UTF-8 and import it again"
        ) from None
    if "\x00" in text:
        raise HmipError(f"{path}: holds NUL bytes, so it is not a CSV text file")
    csv.field_size_limit(MAX_FIELD * 4 + 1)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator(path, text), strict=True)
    try:
        header = next(reader, None)
        if header is None or not any(h.strip() for h in header):
            raise HmipError(f"{path}: empty; expected a header row naming the columns")
        columns = [h.strip().lower() for h in header]
        _check_header(path, columns, framework, drop_personal)
        ref_col = next(c for c in REF_COLUMNS if c in columns)
        wanted = [(i, c) for i, c in enumerate(columns)
                  if c not in PERSONAL_COLUMNS and c != ref_col and c]
        ref_index = columns.index(ref_col)
        rows, seen = [], {}
        for record in reader:
            line = reader.line_num
            if not record or all(not cell.strip() for cell in record):
                continue
            if len(record) != len(columns):
                raise HmipError(f"{path}: line {line}: has {len(record)} fields; the header has {len(columns)}")
            for cell, column in zip(record, columns):
                if len(cell) > MAX_FIELD:
                    raise HmipError(f"{path}: line {line}: column {column!r} is longer than {MAX_FIELD} characters")
            ref = check_ref(record[ref_index], f"{path}: line {line}")
            if ref in seen:
                raise HmipError(f"{path}: line {line}: case {ref} is given twice (first on line {seen[ref]})")
            seen[ref] = line
            values = {c: record[i].strip() for i, c in wanted}
            inspector = check_code(values.pop("inspector", "") or None, f"{path}: line {line}: inspector",
                                   optional=True)
            profile = clean_profile(values)
            problem = profile_problem(framework, profile)
            if problem:
                raise HmipError(f"{path}: line {line}: case {ref}: {problem}")
            rows.append((line, ref, inspector, profile))
    except csv.Error as exc:
        raise HmipError(f"{path}: line {reader.line_num}: not valid CSV ({exc})") from None
    if not rows:
        raise HmipError(f"{path}: has a header but no cases")
    return rows


def separator(path: Path, text: str) -> str:
    """Comma, or semicolon: Excel saves "CSV" with semicolons where the comma is the decimal
    mark, and a header of field ids says which was used (no id holds either). A header with
    both cannot say, so it is refused rather than guessed."""
    header = text.split("\n", 1)[0]
    if ";" not in header:
        return ","
    if "," in header:
        raise HmipError(f"{path}: line 1: the header has both commas and semicolons; separate "
                        "its columns with one or the other")
    return ";"


def _check_header(path: Path, columns: list[str], framework: Framework, drop_personal: bool) -> None:
    personal = [c for c in columns if c in PERSONAL_COLUMNS]
    if personal and not drop_personal:
        raise HmipError(
            f"{path}: column {personal[0]!r} would store personal details; hmip keeps case "
            "references, never names: remove the column, or import it with "
            "hmip sample import --drop-personal-columns"
        )
    refs = [c for c in columns if c in REF_COLUMNS]
    if not refs:
        raise HmipError(f"{path}: no case reference column (name one of: {', '.join(REF_COLUMNS)})")
    if len(refs) > 1:
        raise HmipError(f"{path}: two case reference columns ({refs[0]!r} and {refs[1]!r}); keep one")
    known = {f.id for f in framework.profile} | {"inspector"}
    for position, column in enumerate(columns, start=1):
        if not column:
            raise HmipError(f"{path}: column {position} has no name in the header")
        if column not in known and column not in PERSONAL_COLUMNS and column not in REF_COLUMNS:
            raise HmipError(
                f"{path}: column {column!r} is not a profile field of framework {framework.id} "
                f"(known: {', '.join(sorted(known))})"
            )
        if columns.count(column) > 1:
            raise HmipError(f"{path}: column {column!r} appears twice in the header")


def import_sample(conn: sqlite3.Connection, path: Path, framework: Framework, *, by: str,
                  drop_personal: bool = False) -> int:
    """Add every case of the file in one transaction, or none. Returns how many were added.
    Codes in the `inspector` column join the team as inspectors (the lead's to decide)."""
    rows = read_sample(path, framework, drop_personal=drop_personal)
    with transaction(conn):
        add_sample(conn, path, rows, by)
        backup_committed(conn, "before-sample-import")
    return len(rows)


def add_sample(conn: sqlite3.Connection, path: Path, rows: list, by: str) -> None:
    """Add the rows `read_sample` gave, inside the caller's transaction."""
    _refuse_held(conn, path, rows)
    add_cases(conn, [(ref, inspector, profile) for _, ref, inspector, profile in rows], by)


def _refuse_held(conn: sqlite3.Connection, path: Path, rows: list) -> None:
    held = {r for (r,) in conn.execute("SELECT ref FROM case_file")}
    for line, ref, _, _ in rows:
        if ref in held:
            raise HmipError(f"{path}: line {line}: case {ref} is already in this inspection")
