"""The join file (`hmip bundle export --join`): a new laptop joins from the lead's database,
scrubbed and signed, in one copy. It must leave the laptop holding what joining from the lead's
bundle leaves, carry nothing a bundle would not, and refuse anything changed on the way or
anything a signed file could smuggle in."""

from __future__ import annotations

import hashlib
import json
import sqlite3

import pytest

from conftest import db_content, one_sentence
from test_team import SECRET, hmip, send, status, team  # noqa: F401,F811  (team is a fixture)

from hmip_tui import identity
from hmip_tui.exchange.join_file import _signed_part

# What differs by design between two laptops holding the same history: when each received it,
# and the row numbers each gave (cases, entries, batches, conflicts, facets), compared by name.
LOCAL_COLUMNS = {"batch": {"received_at", "seq"}, "signer": {"pinned_at", "source"}, "case_file": {"id"},
                 "entry": {"seq", "batch"}, "conflict": {"id"}, "facet": {"id", "rate"}, "tally": {"facet"}}
TABLES = ("inspection", "inspector", "signer", "kept_batch", "batch", "entry", "text", "redacted", "head",
          "case_file", "answer", "judgement", "case_access", "conflict", "second_reading", "second_answer",
          "facet", "applicable", "tally", "derived")
NAMED = {"case_id": "(SELECT ref FROM case_file WHERE id = case_id)"}
EXTRA = {"entry": ["(SELECT digest FROM batch WHERE seq = entry.batch)"],
         "facet": ["(SELECT name FROM facet r WHERE r.id = facet.rate)"],
         "tally": ["(SELECT name FROM facet WHERE id = tally.facet)"]}


def holdings(path) -> dict:
    conn = sqlite3.connect(path)
    out = {}
    for table in TABLES:
        columns = [NAMED.get(r[1], r[1]) for r in conn.execute(f"PRAGMA table_info({table})")
                   if r[1] not in LOCAL_COLUMNS.get(table, ())] + EXTRA.get(table, [])
        # Conflicts settled before a laptop saw them are in the lead's log of conflicts only: a
        # laptop joined from a bundle never saw them open. Open ones must be the same.
        # A count that fell to nought is as good as none.
        where = {"conflict": " WHERE closed_by IS NULL", "tally": " WHERE n > 0"}.get(table, "")
        out[table] = sorted(conn.execute(f"SELECT {', '.join(columns)} FROM {table}{where}").fetchall(), key=repr)
    out["search"] = sorted(conn.execute("SELECT kind, case_ref, question, body FROM evidence_text").fetchall())
    out["found"] = conn.execute("SELECT count(*) FROM evidence_text_fts WHERE evidence_text_fts MATCH 'reading'"
                                ).fetchone()
    return out


@pytest.fixture
def week(team, tmp_path):
    """A fieldwork week on the lead's laptop: answers with notes from two inspectors, a note on a
    limited-access case, an open conflict, a settled one, a judgement and a redaction."""
    lead, i2, i3 = team
    hmip(lead, "case", "grant", "R1", "LF")  # the lead holds R1's notes: a join file must not
    hmip(i2, "answer", "C1", "2.2.1", "yes", "--note", "I2's first reading.")
    hmip(i2, "answer", "R1", "2.2.1", "no", "--note", SECRET)
    hmip(i3, "answer", "C3", "2.2.1", "no", "--note", "I3's reading of the plan.")
    hmip(lead, "answer", "C2", "2.2.1", "yes", "--note", "LF's reading.")
    hmip(i2, "answer", "C2", "2.2.1", "no", "--note", "I2's reading.")
    hmip(i2, "answer", "C2", "2.2.2", "no", "--note", "Named the victim by mistake.")
    hmip(lead, "answer", "C2", "2.2.2", "yes")
    send(i2, lead, tmp_path, "i2-week", "--include-restricted-notes")
    send(i3, lead, tmp_path, "i3-week")
    conflicts = {c["question"]: c["id"] for c in status(lead)["conflicts"]}
    hmip(lead, "moderation", "settle", str(conflicts["2.2.2"]), "no", "--reason", "Agreed at the team meeting.")
    hmip(lead, "redact", "C2", "2.2.2", "--reason", "A name in the note.")
    hmip(lead, "judge", "1.1", "good", "--evidence", "A reading of the staff survey.")
    return lead, i2, i3


def test_a_laptop_joined_from_the_join_file_holds_what_the_bundle_gives(week, tmp_path):
    lead, _, _ = week
    bundle, join_file = tmp_path / "lead.hmip.json", tmp_path / "lead.hmip-join"
    hmip(lead, "bundle", "export", "--full", "--out", str(bundle))
    said = hmip(lead, "bundle", "export", "--join", "--out", str(join_file)).stdout
    assert f"to {join_file}" in said and "limited-access case" in said
    by_bundle, by_join = (tmp_path / "i3-bundle.sqlite", "I3"), (tmp_path / "i3-join.sqlite", "I3")
    hmip(by_bundle, "bundle", "import", str(bundle))
    joined = hmip(by_join, "bundle", "import", str(join_file)).stdout
    assert "inspection created" in joined and "Joined the inspection as I3" in joined
    expected, got = holdings(by_bundle[0]), holdings(by_join[0])
    for table in expected:
        assert got[table] == expected[table], table
    assert status(by_join)["open_conflicts"] == 1
    assert "sound" in hmip(by_join, "check").stdout
    # The joined laptop works on: its answer reaches the lead in its next bundle.
    hmip(by_join, "answer", "C3", "2.2.2", "yes", "--note", "After joining.")
    send(by_join, lead, tmp_path, "i3-after-join")
    assert sqlite3.connect(lead[0]).execute(
        "SELECT note FROM answer WHERE question = '2.2.2' AND case_id = (SELECT id FROM case_file "
        "WHERE ref = 'C3')").fetchone() == ("After joining.",)
    assert sqlite3.connect(by_join[0]).execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_a_join_file_never_holds_a_limited_access_note_nor_a_redacted_one(week, tmp_path):
    lead, _, _ = week
    join_file = tmp_path / "lead.hmip-join"
    hmip(lead, "bundle", "export", "--join", "--out", str(join_file))
    assert b"two streets away" in sqlite3.connect(lead[0]).execute(
        "SELECT group_concat(body) FROM text").fetchone()[0].encode()  # the lead holds it
    raw = join_file.read_bytes()
    assert b"two streets away" not in raw and b"Named the victim" not in raw
    assert b"I2's first reading" in raw  # an open case's note travels


def _reseal(path, lead_code: str, change) -> None:
    """What a lead's laptop could sign: the database part changed by `change(conn)`, the file
    written again with a manifest signed by the lead's own key."""
    raw = path.read_bytes()
    at = raw.rindex(b'{"format":"hmip-join/')
    manifest = json.loads(raw[at:])
    db = path.with_suffix(".sqlite")
    db.write_bytes(raw[:at])
    conn = sqlite3.connect(db, isolation_level=None)
    change(conn)
    conn.close()
    data = db.read_bytes()
    manifest.update(size=len(data), sha256=hashlib.sha256(data).hexdigest())
    manifest["signature"] = identity.b64(identity.sign(lead_code, hashlib.sha256(_signed_part(manifest)).digest()))
    path.write_bytes(data + json.dumps(manifest, separators=(",", ":")).encode() + b"\n")


REWRITE_GUARD = ("CREATE TRIGGER entry_no_rewrite BEFORE UPDATE OF seq, id, k, kind, case_ref, field, value, note, "
                 "reason, author, at, parents, flags ON entry BEGIN SELECT RAISE(ABORT, 'the history is "
                 "append-only'); END;")  # put back as it was, so the file is laid out as hmip's


@pytest.mark.parametrize("change, needle", [
    (lambda c: c.execute("CREATE TRIGGER spy AFTER INSERT ON answer BEGIN SELECT 1; END"), "laid out otherwise"),
    (lambda c: c.execute("UPDATE answer SET value = 'no' WHERE question = '2.2.1' AND case_id = "
                         "(SELECT id FROM case_file WHERE ref = 'C1')"), "not what its history says"),
    (lambda c: c.executescript("DROP TRIGGER entry_no_rewrite; UPDATE entry SET value = 'no' WHERE kind = "
                               "'answer' AND field = '2.2.1' AND case_ref = 'C1'; CREATE TRIGGER entry_no_rewrite "
                               "BEFORE UPDATE OF seq, id, k, kind, case_ref, field, value, note, reason, author, "
                               "at, parents, flags ON entry BEGIN SELECT RAISE(ABORT, 'the history is "
                               "append-only'); END; UPDATE answer SET value = 'no' WHERE question = '2.2.1' AND case_id = (SELECT id "
                               "FROM case_file WHERE ref = 'C1');"), "not what its id says"),
    (lambda c: c.executescript("DROP TRIGGER entry_no_rewrite; UPDATE entry SET value = 'maybe' WHERE kind = "
                               "'answer' AND field = '2.2.1' AND case_ref = 'C1'; UPDATE answer SET value = "
                               "'maybe' WHERE question = '2.2.1' AND case_id = (SELECT id FROM case_file WHERE "
                               "ref = 'C1');" + REWRITE_GUARD), "not an answer the framework"),
], ids=["a trigger of its own", "an answer unlike its history", "an entry unlike its id", "an unknown value"])
def test_what_a_signed_join_file_could_smuggle_in_is_refused(week, tmp_path, change, needle):
    lead, _, _ = week
    join_file = tmp_path / "lead.hmip-join"
    hmip(lead, "bundle", "export", "--join", "--out", str(join_file))
    _reseal(join_file, "LF", change)
    laptop = (tmp_path / "new.sqlite", "I3")
    one_sentence(hmip(laptop, "bundle", "import", str(join_file), check=False), needle, "nothing was imported")
    assert not laptop[0].exists()  # a refused import into a new file leaves nothing behind


def test_a_changed_or_cut_join_file_is_refused_and_nothing_joined(week, tmp_path):
    lead, _, _ = week
    join_file = tmp_path / "lead.hmip-join"
    hmip(lead, "bundle", "export", "--join", "--out", str(join_file))
    raw = join_file.read_bytes()
    at = raw.rindex(b'{"format":"hmip-join/')
    flipped = bytearray(raw)
    flipped[at // 2] ^= 0x01
    restamped = raw[:at] + raw[at:].replace(b'"inspector":"LF"', b'"inspector":"I2"')
    for name, data, needle in [("flipped", bytes(flipped), "the checksum does not match"),
                               ("cut", raw[:at + 40], "manifest is missing or cut short"),
                               ("no-manifest", raw[:at], "is an SQLite database, not a bundle or a join file"),
                               ("first-byte", b"X" + raw[1:], "the checksum does not match"),
                               ("a-page", raw[:4096] + bytes(4096) + raw[8192:], "the checksum does not match"),
                               ("appended", raw + b" ", "manifest is missing or cut short"),
                               ("spaced", raw[:at] + raw[at:].replace(b'","tool"', b'", "tool"'),
                                "manifest was changed"),
                               ("restamped", restamped, "signature does not match")]:
        bad = tmp_path / f"{name}.hmip-join"
        bad.write_bytes(data)
        laptop = (tmp_path / f"{name}.sqlite", "I3")
        one_sentence(hmip(laptop, "bundle", "import", str(bad), check=False), needle)
        assert not laptop[0].exists()


def test_a_join_file_founds_an_empty_database_only_and_only_the_lead_writes_one(week, tmp_path, monkeypatch):
    lead, i2, _ = week
    one_sentence(hmip(i2, "bundle", "export", "--join", "--out", str(tmp_path / "i2.hmip-join"), check=False),
                 "only the lead")
    join_file = tmp_path / "lead.hmip-join"
    hmip(lead, "bundle", "export", "--join", "--out", str(join_file))
    before = db_content(i2[0])
    one_sentence(hmip(i2, "bundle", "import", str(join_file), check=False),
                 "holds an inspection already", "import the lead's bundle instead")
    assert db_content(i2[0]) == before
    # As I2 on a laptop without I2's key: refused as a bundle is, nothing joined.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "another-laptop"))
    other = (tmp_path / "other.sqlite", "I2")
    one_sentence(hmip(other, "bundle", "import", str(join_file), check=False), "this laptop has no key for I2")
    assert not other[0].exists()
