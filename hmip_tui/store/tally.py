"""Tallies: how many cases gave each answer, kept in step with the answers as they change.

Rating, the dashboard and the workbook's summary sheets read these counts, never the answers,
so their cost grows with the framework, not with the archive.

Each case has two *facets*, strings naming the values of a few of its profile fields:
- its rating facet, the fields any question's applicability depends on ("r" + JSON);
- its split facet, those and the fields the breakdowns and comparisons split by ("s" + JSON).
`tally` holds, per question, value and facet, how many answers say so; triggers on `answer` and
on a case's facets keep it in step inside the same transaction as the change, whichever path
made it (a keypress, a merge, a migration). Which questions apply is the framework's rule, kept
in Python: `applicable` lists, per rating facet, the questions that apply, written here from the
framework; the triggers use it to keep each case's count of answered questions that apply
(`case_file.answered`) for the home screen.

The facets' field lists are the *spec*, stored in `derived`. Opening a database whose spec is not
the installed framework's (an upgrade changed which fields applicability reads) rebuilds them
(`stale`, `ensure`); until then, counts are made from the answers, never from stale tallies.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager

from ..errors import HmipError

SPEC = "tally_spec"  # the row of `derived` that says which fields the facets name

SCHEMA = """
    -- Derived state's bookkeeping: what it was built from.
    CREATE TABLE derived (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE tally (
        facet    TEXT NOT NULL,
        question TEXT NOT NULL,
        value    TEXT NOT NULL,
        n        INTEGER NOT NULL,
        PRIMARY KEY (facet, question, value)
    ) WITHOUT ROWID;
    CREATE TABLE applicable (
        facet    TEXT NOT NULL,
        question TEXT NOT NULL,
        PRIMARY KEY (facet, question)
    ) WITHOUT ROWID;
    ALTER TABLE case_file ADD COLUMN rate_facet TEXT;
    ALTER TABLE case_file ADD COLUMN split_facet TEXT;
    ALTER TABLE case_file ADD COLUMN answered INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX case_file_status ON case_file(status)
"""

# Schema 6: facets numbered (rating facets below zero, split facets above, each split facet with
# the rating facet it belongs to), and tally rows keyed question first: the rows one answer moves
# (its question's old and new value, under its rating and split facets) then sit side by side, on
# one page for an inspection's few facets, so a save writes one tally page, not two; the rating
# reads the rows below zero, the breakdowns those above.
FACETS = """
    CREATE TABLE facet (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, rate INTEGER);
    DROP TABLE tally;
    CREATE TABLE tally (
        question TEXT NOT NULL,
        value    TEXT NOT NULL,
        facet    INTEGER NOT NULL,
        n        INTEGER NOT NULL,
        PRIMARY KEY (question, value, facet)
    ) WITHOUT ROWID
"""

_FACETS_OF_CASE = ("SELECT f.id FROM case_file c JOIN facet f ON f.name = c.split_facet WHERE c.id = {0} "
                   "UNION ALL SELECT f.rate FROM case_file c JOIN facet f ON f.name = c.split_facet WHERE c.id = {0}")


def _count(sign: str, row: str) -> str:
    """Statements adding (+) or taking (-) one answer `row` (NEW or OLD) under its case's facets."""
    if sign == "+":
        return "".join(
            f"INSERT INTO tally (question, value, facet, n) SELECT {row}.question, {row}.value, f.{col}, 1 "
            f"FROM case_file c JOIN facet f ON f.name = c.split_facet WHERE c.id = {row}.case_id "
            "ON CONFLICT DO UPDATE SET n = n + 1; " for col in ("id", "rate"))
    return (f"UPDATE tally SET n = n - 1 WHERE question = {row}.question AND value = {row}.value AND facet IN "
            f"({_FACETS_OF_CASE.format(row + '.case_id')}); ")


def _answered(sign: str, row: str) -> str:
    return (f"UPDATE case_file SET answered = answered {sign} 1 WHERE id = {row}.case_id AND EXISTS "
            f"(SELECT 1 FROM applicable p WHERE p.facet = case_file.rate_facet AND p.question = {row}.question); ")


def _move() -> str:
    """A case's answers leave its old facets for its new ones."""
    return ("UPDATE tally SET n = n - 1 WHERE OLD.split_facet IS NOT NEW.split_facet AND facet IN "
            "(SELECT id FROM facet WHERE name = OLD.split_facet UNION ALL SELECT rate FROM facet WHERE "
            "name = OLD.split_facet) AND (question, value) IN (SELECT question, value FROM answer WHERE "
            "case_id = OLD.id); " + "".join(
                f"INSERT INTO tally (question, value, facet, n) SELECT a.question, a.value, f.{col}, 1 "
                "FROM answer a JOIN facet f ON f.name = NEW.split_facet WHERE a.case_id = NEW.id AND "
                "OLD.split_facet IS NOT NEW.split_facet ON CONFLICT DO UPDATE SET n = n + 1; "
                for col in ("id", "rate")))


# One statement each (trigger bodies hold semicolons). Kept as made: database.py gives back any
# found missing or altered, and rebuilds the tallies they kept.
TRIGGERS = [
    "CREATE TRIGGER answer_counted AFTER INSERT ON answer BEGIN "
    + _count("+", "NEW") + _answered("+", "NEW") + "END",
    "CREATE TRIGGER answer_uncounted AFTER DELETE ON answer BEGIN "
    + _count("-", "OLD") + _answered("-", "OLD") + "END",
    "CREATE TRIGGER answer_recounted AFTER UPDATE OF value ON answer WHEN OLD.value IS NOT NEW.value BEGIN "
    + _count("-", "OLD") + _count("+", "NEW") + "END",
    "CREATE TRIGGER case_facets_moved AFTER UPDATE OF rate_facet, split_facet ON case_file BEGIN "
    + _move()
    + "UPDATE case_file SET answered = (SELECT count(*) FROM answer a JOIN applicable p ON p.facet = "
      "NEW.rate_facet AND p.question = a.question WHERE a.case_id = NEW.id) WHERE id = NEW.id; END",
]


# --- the spec and a case's facets ---------------------------------------------------------------


def spec_of(framework) -> dict:
    """The fields a framework's tallies are kept by: what applicability reads, and what the
    breakdowns and comparisons split by."""
    applies = sorted(framework.applicability_fields())
    splits = {framework.grouping(b).field for b in framework.breakdowns}
    splits |= {framework.grouping(c.by).field for c in framework.comparisons}
    return {"framework": [framework.id, framework.version], "rate": applies,
            "split": sorted(splits | set(applies))}


def stored_spec(conn: sqlite3.Connection) -> dict | None:
    """The spec the tallies were built by (remembered by the connection: it changes only with a
    rebuild, which updates the memory too)."""
    held = getattr(conn, "tally_spec", False)
    if held is not False:
        return held
    try:
        row = conn.execute("SELECT value FROM derived WHERE name = ?", (SPEC,)).fetchone()
    except sqlite3.OperationalError:  # a database from before the tallies, not migrated yet
        return None
    spec = json.loads(row[0]) if row else None
    if hasattr(conn, "tally_spec"):
        conn.tally_spec = spec
    return spec


def _facet(prefix: str, fields, profile: dict) -> str:
    return prefix + json.dumps({f: profile[f] for f in fields if profile.get(f) is not None},
                               sort_keys=True, separators=(",", ":"))


def facets_of(spec: dict | None, profile: dict) -> tuple[str | None, str | None]:
    if spec is None:
        return None, None
    return _facet("r", spec["rate"], profile), _facet("s", spec["split"], profile)


def profile_of(facet: str) -> dict:
    """The profile values a facet names (a partial profile: only the fields it keeps)."""
    return json.loads(facet[1:])


def set_case_facets(conn: sqlite3.Connection, case_ids_profiles) -> None:
    """Give cases the facets of their (new) profiles; the triggers move their answers' counts.
    The caller holds the transaction."""
    spec = stored_spec(conn)
    if spec is None:
        return
    rows = []
    for case_id, profile in case_ids_profiles:
        rate, split = facets_of(spec, profile)
        know(conn, rate, split)
        rows.append((rate, split, case_id, rate, split))
    conn.executemany("UPDATE case_file SET rate_facet = ?, split_facet = ? WHERE id = ? AND "
                     "(rate_facet IS NOT ? OR split_facet IS NOT ?)", rows)


def know(conn: sqlite3.Connection, rate_facet: str, split_facet: str) -> None:
    """Make sure both facets are numbered, and `applicable` lists the questions that apply under
    the rating facet."""
    known = getattr(conn, "applicable_facets", None)
    if known is not None and split_facet in known:
        return
    conn.execute("INSERT OR IGNORE INTO facet (id, name) SELECT min(coalesce(min(id), 0), 0) - 1, ? FROM facet",
                 (rate_facet,))
    conn.execute("INSERT OR IGNORE INTO facet (id, name, rate) SELECT max(coalesce(max(id), 0), 0) + 1, ?, "
                 "(SELECT id FROM facet WHERE name = ?) FROM facet", (split_facet, rate_facet))
    if known is not None and rate_facet in known:
        known.add(split_facet)
        return
    if conn.execute("SELECT 1 FROM applicable WHERE facet = ?", (rate_facet,)).fetchone() is None:
        framework = _framework(conn)
        if framework is None:
            return
        profile = profile_of(rate_facet)
        conn.executemany("INSERT OR IGNORE INTO applicable (facet, question) VALUES (?, ?)",
                         [(rate_facet, q.id) for q in framework.questions.values() if q.applies_to(profile)])
    if known is not None:
        known.update((rate_facet, split_facet))


def _framework(conn: sqlite3.Connection):
    """The inspection's framework, loaded once a connection."""
    from ..framework import load_framework

    held = getattr(conn, "tally_framework", None)
    if held is not None:
        return held
    row = conn.execute("SELECT framework_id, framework_version FROM inspection").fetchone()
    if row is None:
        return None
    try:
        framework = load_framework(*row)
    except HmipError:  # a framework this installation lacks: counted from the answers instead
        return None
    if hasattr(conn, "tally_framework"):
        conn.tally_framework = framework
    return framework


# --- building, checking ----------------------------------------------------------------------


_PER_ANSWER = ("answer_counted", "answer_uncounted", "answer_recounted")
BULK_AT = 5000  # fewer answer rows than this are always counted row by row


@contextmanager
def bulk(conn: sqlite3.Connection, changes: int):
    """Around writing `changes` answer rows at once (a merge): when they are many beside what is
    held, counting them afresh afterwards (one GROUP BY) costs less than keeping count row by
    row, so the per-answer triggers are set aside meanwhile, in the caller's transaction (a
    failure rolls their removal back with everything else)."""
    held = conn.execute("SELECT coalesce(sum(answered), 0) FROM case_file").fetchone()[0] \
        if changes >= BULK_AT else 0
    if changes < BULK_AT or changes * 8 < held or stored_spec(conn) is None or _framework(conn) is None:
        yield
        return
    for name in _PER_ANSWER:
        conn.execute(f"DROP TRIGGER IF EXISTS {name}")
    yield
    for sql in TRIGGERS:
        if sql.split()[2] in _PER_ANSWER:
            conn.execute(sql)
    rebuild(conn)


def rebuild(conn: sqlite3.Connection, framework=None) -> bool:
    """Build every tally, facet and count of answered questions afresh from the answers and
    profiles, under `framework`'s spec (the inspection's framework if not given). Returns
    whether it could (not without an inspection whose framework is installed). The caller holds
    the transaction."""
    framework = framework or _framework(conn)
    if framework is None:
        return False
    spec = spec_of(framework)
    conn.execute("DELETE FROM tally")
    conn.execute("DELETE FROM applicable")
    conn.execute("DELETE FROM facet")
    conn.execute("INSERT INTO derived (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET "
                 "value = excluded.value", (SPEC, json.dumps(spec, sort_keys=True)))
    if hasattr(conn, "tally_spec"):
        conn.tally_spec = spec
    if hasattr(conn, "applicable_facets"):
        conn.applicable_facets = set()
    rows, seen = [], set()
    # Facets are set with their trigger off (it would move counts about to be counted afresh).
    moved = next(t for t in TRIGGERS if t.split()[2] == "case_facets_moved")
    conn.execute("DROP TRIGGER IF EXISTS case_facets_moved")
    for case_id, profile in conn.execute("SELECT id, profile FROM case_file").fetchall():
        rate, split = facets_of(spec, json.loads(profile))
        if rate not in seen:
            seen.add(rate)
            p = profile_of(rate)
            conn.executemany("INSERT INTO applicable (facet, question) VALUES (?, ?)",
                             [(rate, q.id) for q in framework.questions.values() if q.applies_to(p)])
        rows.append((rate, split, case_id))
    conn.executemany("UPDATE case_file SET rate_facet = ?, split_facet = ? WHERE id = ?", rows)
    for split, rate in sorted({(split, rate) for rate, split, _ in rows}):
        know(conn, rate, split)
    conn.execute(moved)
    # One pass over the answers, grouped by split facet; the rating facets' counts are sums of
    # those (each split facet belongs to one rating facet), not a second pass.
    conn.execute("CREATE TEMP TABLE split_count AS SELECT f.id AS facet, f.rate AS rate, a.question AS question, "
                 "a.value AS value, count(*) AS n FROM answer a JOIN case_file c ON c.id = a.case_id "
                 "JOIN facet f ON f.name = c.split_facet GROUP BY f.id, a.question, a.value")
    conn.execute("INSERT INTO tally (question, value, facet, n) SELECT question, value, facet, n FROM split_count "
                 "UNION ALL SELECT question, value, rate, sum(n) FROM split_count GROUP BY question, value, rate "
                 "ORDER BY 1, 2, 3")
    conn.execute("DROP TABLE temp.split_count")
    conn.execute("UPDATE case_file SET answered = (SELECT count(*) FROM answer a JOIN applicable p ON "
                 "p.facet = case_file.rate_facet AND p.question = a.question WHERE a.case_id = case_file.id)")
    return True


def in_step(conn: sqlite3.Connection, framework) -> bool:
    """Whether the stored tallies were built under this framework's spec."""
    return stored_spec(conn) == spec_of(framework)


def stale(conn: sqlite3.Connection) -> bool:
    """Whether the tallies were built under fields other than the installed framework's (an
    hmip upgrade that changed which fields a question's applicability reads)."""
    framework = _framework(conn)
    return framework is not None and not in_step(conn, framework)


def ensure(conn: sqlite3.Connection, framework=None) -> bool:
    """Rebuild the tallies if they were built under another spec; returns whether it did."""
    framework = framework or _framework(conn)
    if framework is None or in_step(conn, framework):
        return False
    return rebuild(conn, framework)


def differences(conn: sqlite3.Connection, framework) -> list[str]:
    """Where the kept tallies and counts differ from a recount of the answers: none, always,
    unless something wrote to the file behind hmip's back. One sentence each."""
    if not in_step(conn, framework):
        return ["the tallies were built for another version of the framework's fields "
                "(the next change rebuilds them)"]
    spec = stored_spec(conn)
    out = []
    wrong_facets = 0
    for ref, profile, rate, split in conn.execute("SELECT ref, profile, rate_facet, split_facet FROM case_file"):
        if facets_of(spec, json.loads(profile)) != (rate, split):
            wrong_facets += 1
            if wrong_facets == 1:
                out.append(f"case {ref}: its tally facets do not match its profile")
    unpaired = conn.execute(
        "SELECT c.ref FROM case_file c LEFT JOIN facet f ON f.name = c.split_facet LEFT JOIN facet r ON r.id = f.rate "
        "WHERE r.name IS NOT c.rate_facet LIMIT 1").fetchone()
    if unpaired:
        out.append(f"case {unpaired[0]}: its facets are not numbered as its profile says")
    kept = {(f, q, v): n for f, q, v, n in conn.execute(
        "SELECT f.name, t.question, t.value, t.n FROM tally t JOIN facet f ON f.id = t.facet") if n}
    counted = {}
    for facet in ("rate_facet", "split_facet"):
        counted.update({(f, q, v): n for f, q, v, n in conn.execute(
            f"SELECT c.{facet}, a.question, a.value, count(*) FROM answer a JOIN case_file c ON c.id = a.case_id "
            "GROUP BY 1, 2, 3")})
    for key in sorted(kept.keys() | counted.keys()):
        if kept.get(key, 0) != counted.get(key, 0):
            facet, question, value = key
            out.append(f"tally of {question} = {value} under {facet}: kept {kept.get(key, 0)}, "
                       f"answers say {counted.get(key, 0)}")
            break
    for rate in {r for (r,) in conn.execute("SELECT DISTINCT rate_facet FROM case_file")}:
        p = profile_of(rate)
        expected = {q.id for q in framework.questions.values() if q.applies_to(p)}
        held = {q for (q,) in conn.execute("SELECT question FROM applicable WHERE facet = ?", (rate,))}
        if expected != held:
            out.append(f"the questions that apply under {rate} are not the framework's")
    wrong = conn.execute(
        "SELECT ref, answered, (SELECT count(*) FROM answer a JOIN applicable p ON p.facet = c.rate_facet "
        "AND p.question = a.question WHERE a.case_id = c.id) AS counted FROM case_file c "
        "WHERE answered != counted LIMIT 1").fetchone()
    if wrong:
        out.append(f"case {wrong[0]}: kept as {wrong[1]} questions answered, its answers say {wrong[2]}")
    return out
