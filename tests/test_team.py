"""One history of every answer: three laptops (lead LF, inspectors I2 and I3), each its own
database, brought together by signed bundles through the installed command."""

from __future__ import annotations

import hashlib
import json
import sqlite3

import openpyxl
import pytest

from conftest import db_content, run_hmip

KEY_QUESTIONS = ["2.2.1", "2.2.2", "2.2.3", "2.3.1", "2.3.2", "2.3.3", "2.4.1", "2.4.2", "2.4.3",
                 "2.5.1", "2.5.2", "2.5.3", "2.6.1"]
SECRET = "Limited-access note: the victim lives two streets away."
SAMPLE = ("ref,inspector,sentence_type,sex,rosh,pre_sentence_report,limited_access\n"
          "C1,I2,community_order,male,medium,no,no\n"
          "C2,I2,licence,female,high,no,no\n"
          "C3,I3,licence,male,low,no,no\n"
          "R1,I2,licence,male,low,no,yes\n")


def hmip(laptop, *args, check=True):
    db, code = laptop
    return run_hmip(*args, db=db, inspector=code, check=check)


def status(laptop) -> dict:
    return json.loads(hmip(laptop, "moderation", "status", "--json").stdout)


def answer_of(laptop, ref, qid):
    row = sqlite3.connect(laptop[0]).execute(
        "SELECT value, note FROM answer a JOIN case_file c ON c.id = a.case_id WHERE c.ref = ? AND question = ?",
        (ref, qid)).fetchone()
    return row


def send(source, target, tmp_path, name, *extra):
    """source exports a bundle; target imports it. Returns the bundle's path."""
    path = tmp_path / f"{name}.hmip.json"
    hmip(source, "bundle", "export", "--out", str(path), *extra)
    hmip(target, "bundle", "import", str(path))
    return path


@pytest.fixture
def team(tmp_path):
    """The lead's database with the sample and I3 added; I2 and I3 joined from the lead's bundle."""
    lead, i2, i3 = (tmp_path / "lf.sqlite", "LF"), (tmp_path / "i2.sqlite", "I2"), (tmp_path / "i3.sqlite", "I3")
    sample = tmp_path / "sample.csv"
    sample.write_text(SAMPLE)
    hmip(lead, "init", "--pdu", "Three laptops PDU")
    hmip(lead, "sample", "import", str(sample))
    hmip(lead, "team", "add", "I4")
    joined = send(lead, i2, tmp_path, "lead-0")
    hmip(i3, "bundle", "import", str(joined))
    return lead, i2, i3


def test_joining_takes_the_team_from_the_leads_bundle(team):
    lead, i2, i3 = team
    members = json.loads(hmip(i2, "team", "--json").stdout)
    assert {m["code"]: m["role"] for m in members} == {"LF": "lead", "I2": "inspector", "I3": "inspector",
                                                      "I4": "inspector"}
    refused = hmip(i2, "team", "add", "I2", "--role", "lead", check=False)
    assert refused.returncode == 1 and "only the lead inspector can change the team" in refused.stderr


def test_a_correction_moves_the_answer_forward_without_a_conflict(team, tmp_path):
    lead, i2, _ = team
    hmip(i2, "answer", "C1", "2.2.1", "yes", "--note", "First reading.")
    send(i2, lead, tmp_path, "i2-1")
    hmip(i2, "answer", "C1", "2.2.1", "no", "--note", "Corrected after reading the OASys.")
    send(i2, lead, tmp_path, "i2-2")
    assert answer_of(lead, "C1", "2.2.1") == ("no", "Corrected after reading the OASys.")
    assert status(lead)["open_conflicts"] == 0


def test_one_difference_is_one_conflict_settled_by_the_lead_everywhere(team, tmp_path):
    lead, i2, i3 = team
    hmip(lead, "answer", "C2", "2.2.1", "yes", "--reason", "Read it at the office.", "--note", "LF's reading.")
    hmip(i2, "answer", "C2", "2.2.1", "no", "--note", "I2's reading.")
    old = send(i2, lead, tmp_path, "i2-old")
    conflicts = status(lead)["conflicts"]
    assert len(conflicts) == 1 and sorted(conflicts[0]["values"]) == ["no", "yes"]
    cid = str(conflicts[0]["id"])
    send(lead, i3, tmp_path, "lead-to-i3")
    for laptop in (i3, (lead[0], "I3")):
        refused = hmip(laptop, "moderation", "settle", cid if laptop[0] == lead[0] else
                       str(status(i3)["conflicts"][0]["id"]), "yes", "--reason", "I3 tries", check=False)
        assert refused.returncode == 1 and "only the lead inspector can settle" in refused.stderr
    hmip(lead, "moderation", "settle", cid, "no", "--reason", "The plan shows no analysis.")
    assert status(lead)["open_conflicts"] == 0 and answer_of(lead, "C2", "2.2.1") == ("no", "I2's reading.")
    hmip(lead, "bundle", "import", str(old))  # the old bundle again: the settlement stands
    assert status(lead)["open_conflicts"] == 0
    send(lead, i2, tmp_path, "lead-settled")
    assert status(i2)["open_conflicts"] == 0 and answer_of(i2, "C2", "2.2.1")[0] == "no"
    before = db_content(lead[0])
    send(i2, lead, tmp_path, "i2-after")  # I2's next bundle reopens nothing
    assert status(lead)["open_conflicts"] == 0
    trail = hmip(lead, "audit", "C2").stdout
    assert "settle" in trail and "The plan shows no analysis." in trail
    assert len(db_content(lead[0])) >= len(before)


def test_profile_fields_and_judgements_conflict_and_settle_alike(team, tmp_path):
    lead, i2, _ = team
    hmip(lead, "judge", "1.1", "inadequate", "--evidence", "No exit strategy.")
    send(lead, i2, tmp_path, "lead-1")
    hmip(lead, "judge", "1.1", "requires_improvement", "--evidence", "Exit strategy drafted.")
    hmip(i2, "judge", "1.1", "good", "--evidence", "Staff survey was positive.")
    send(i2, lead, tmp_path, "i2-1")
    kinds = sorted(c["kind"] for c in status(lead)["conflicts"])
    assert kinds == ["judgement"]
    cid = str(status(lead)["conflicts"][0]["id"])
    hmip(lead, "moderation", "settle", cid, "requires_improvement", "--reason", "Agreed at the team meeting.")
    assert status(lead)["open_conflicts"] == 0


def test_a_second_reading_is_read_blind_and_agreement_stays_as_read(team):
    lead, _, _ = team
    for q in KEY_QUESTIONS:
        hmip((lead[0], "I2"), "answer", "C1", q, "yes", "--note", f"Evidence {q}.")
    refused = hmip((lead[0], "I3"), "moderation", "assign", "C1", "I3", check=False)
    assert refused.returncode == 1 and "only the lead inspector can assign" in refused.stderr
    not_ready = hmip(lead, "moderation", "assign", "C2", "I3", check=False)
    assert not_ready.returncode == 1 and "once its key questions are answered" in not_ready.stderr
    hmip(lead, "moderation", "assign", "C1", "I3")
    wrong_reader = hmip((lead[0], "I4"), "moderation", "read", "C1", "2.2.1", "yes", check=False)
    assert wrong_reader.returncode == 1 and "reads only the cases assigned to them" in wrong_reader.stderr
    for q in KEY_QUESTIONS:
        hmip((lead[0], "I3"), "moderation", "read", "C1", q, "no" if q == "2.3.1" else "yes")
    hmip((lead[0], "I3"), "moderation", "finish", "C1")
    before = status(lead)
    assert before["disagreements"] == 1
    figure = before["agreement"]["key_questions"]["2.3.1"]
    assert (figure["n"], figure["agreed"]) == (1, 0)
    hmip(lead, "moderation", "settle", "C1", "2.3.1", "no", "--reason", "The second reader is right.")
    after = status(lead)
    assert after["disagreements"] == 0
    assert after["agreement"] == before["agreement"]  # every .agreed and .n as read
    assert answer_of(lead, "C1", "2.3.1")[0] == "no"


def test_limited_access_notes_reach_nothing_i3_sees(team, tmp_path):
    lead, i2, i3 = team
    hmip(i2, "answer", "R1", "2.2.1", "no", "--note", SECRET)
    hmip(i2, "answer", "R1", "2.2.2", "yes")
    hmip(i2, "note", "R1", "2.2.2", SECRET + " (second note)")
    send(i2, lead, tmp_path, "i2-notes", "--include-restricted-notes")
    hmip(lead, "case", "grant", "R1", "LF")
    hmip(lead, "bundle", "import", str(tmp_path / "i2-notes.hmip.json"))  # now LF may open R1
    assert SECRET in answer_of(lead, "R1", "2.2.1")[1]
    as_i3 = (lead[0], "I3")
    assert SECRET not in hmip(as_i3, "audit").stdout
    assert SECRET not in hmip(as_i3, "audit", "R1").stdout
    assert SECRET not in hmip(as_i3, "moderation", "status", "--json").stdout
    csv_out, wb_out, lead_wb = tmp_path / "i3.csv", tmp_path / "i3.xlsx", tmp_path / "lf.xlsx"
    hmip(as_i3, "export", "csv", "--out", str(csv_out))
    hmip(as_i3, "export", "workbook", "--out", str(wb_out))
    hmip(lead, "export", "workbook", "--out", str(lead_wb))
    assert SECRET not in csv_out.read_text()
    for book in (wb_out, lead_wb):
        cells = [str(c) for ws in openpyxl.load_workbook(book) for r in ws.iter_rows(values_only=True) for c in r]
        assert not any(SECRET in c for c in cells), book
    with_notes = tmp_path / "lf-notes.xlsx"
    hmip(lead, "export", "workbook", "--include-restricted-notes", "--out", str(with_notes))
    cells = [str(c) for ws in openpyxl.load_workbook(with_notes) for r in ws.iter_rows(values_only=True) for c in r]
    assert any(SECRET in c for c in cells)
    # I3's laptop never holds the note, whatever it imports from the lead.
    send(lead, i3, tmp_path, "lead-to-i3")
    assert SECRET.encode() not in i3[0].read_bytes()
    assert SECRET not in "\n".join(db_content(i3[0]))


def test_a_restamped_bundle_makes_nobody_lead(team, tmp_path):
    lead, i2, _ = team
    path = tmp_path / "lead.hmip.json"
    hmip(lead, "bundle", "export", "--out", str(path))
    data = json.loads(path.read_bytes())
    data["inspectors"] = {"I2": "lead", "I3": "lead", "LF": "inspector"}
    data["manifest"]["inspector"] = "I2"
    # Re-stamped as a forger would: the checksum recomputed (a checksum is not a signature).
    data["manifest"]["sha256"] = "0" * 64
    data["manifest"]["signature"] = "A" * 86 + "=="
    raw = (json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
    digest = hashlib.sha256(raw).hexdigest()
    forged = tmp_path / "forged.hmip.json"
    forged.write_bytes(raw.replace(b'"sha256":"' + b"0" * 64 + b'"', f'"sha256":"{digest}"'.encode()))
    for laptop in (lead, i2):
        before = db_content(laptop[0])
        refused = hmip(laptop, "bundle", "import", str(forged), check=False)
        assert refused.returncode == 1 and "signature" in refused.stderr
        assert db_content(laptop[0]) == before
    for code in ("I2", "I3"):
        granted = hmip((lead[0], code), "case", "grant", "R1", "I3", check=False)
        assert granted.returncode == 1 and "only the lead inspector" in granted.stderr


def test_a_team_entry_signed_by_an_inspector_is_refused(team, tmp_path):
    lead, i2, _ = team
    rogue = (tmp_path / "rogue.sqlite", "I2")
    # I2 founds a database of their own in which they are lead, from an unsigned snapshot.
    snapshot = tmp_path / "snapshot.json"
    hmip(lead, "bundle", "export", "--out", str(snapshot))
    v1 = json.loads(snapshot.read_text())
    v1["format"] = "hmip-bundle/1"
    for key in ("history", "manifest"):
        v1.pop(key)
    from hmip_tui.exchange.bundle_v1 import bundle_bytes

    unsigned = tmp_path / "v1.hmip.json"
    unsigned.write_bytes(bundle_bytes(v1, "I2"))
    hmip(rogue, "bundle", "import", str(unsigned))
    assert not any(m["role"] == "lead" for m in json.loads(hmip(rogue, "team", "--json").stdout))
    hmip(rogue, "team", "add", "I2", "--role", "lead")  # the lead of nothing but this copy
    hmip(rogue, "answer", "C1", "2.2.1", "yes", "--note", "Rogue.")
    path = tmp_path / "rogue.hmip.json"
    hmip(rogue, "bundle", "export", "--out", str(path))
    before = db_content(lead[0])
    refused = hmip(lead, "bundle", "import", str(path), check=False)
    assert refused.returncode == 1 and "only the lead can do" in refused.stderr
    assert db_content(lead[0]) == before


def test_a_different_key_for_a_pinned_code_is_refused_until_the_lead_repins(team, tmp_path, monkeypatch):
    lead, i2, i3 = team
    hmip(i2, "answer", "C1", "2.2.1", "yes", "--note", "From I2's laptop.")
    send(i2, lead, tmp_path, "i2-first")
    hmip(lead, "bundle", "export", "--out", str(tmp_path / "lead-1.hmip.json"))
    new_laptop = str(tmp_path / "new-laptop-keys")
    # I2's laptop is lost: a new one, with a new key, joins again from the lead's bundle.
    new_i2 = (tmp_path / "i2-new.sqlite", "I2")
    monkeypatch.setenv("HMIP_KEYS", new_laptop)
    refused = hmip(new_i2, "bundle", "import", str(tmp_path / "lead-1.hmip.json"), check=False)
    assert refused.returncode == 1 and "this laptop has no key for I2 that this inspection knows" in refused.stderr
    assert "hmip team rekey I2" in refused.stderr and not new_i2[0].exists()
    monkeypatch.delenv("HMIP_KEYS")
    hmip(lead, "team", "rekey", "I2")  # the lead re-pins: the next key seen for I2 is pinned
    hmip(lead, "bundle", "export", "--out", str(tmp_path / "lead-2.hmip.json"))
    monkeypatch.setenv("HMIP_KEYS", new_laptop)
    hmip(new_i2, "bundle", "import", str(tmp_path / "lead-2.hmip.json"))
    hmip(new_i2, "answer", "C1", "2.2.2", "yes", "--note", "From the new laptop.")
    hmip(new_i2, "bundle", "export", "--out", str(tmp_path / "i2-new.hmip.json"))
    monkeypatch.delenv("HMIP_KEYS")
    hmip(lead, "bundle", "import", str(tmp_path / "i2-new.hmip.json"))
    assert answer_of(lead, "C1", "2.2.2")[0] == "yes"
    assert "re-pinned I2's key" in hmip(lead, "audit").stdout
    # The old laptop's key is no longer I2's here: a bundle it signs now is refused.
    hmip(i2, "answer", "C1", "2.2.3", "no")
    stale = tmp_path / "i2-old-laptop.hmip.json"
    hmip(i2, "bundle", "export", "--out", str(stale))
    refused = hmip(lead, "bundle", "import", str(stale), check=False)
    assert refused.returncode == 1 and "a key this inspection does not know for I2" in refused.stderr
    # I3, who never saw I2's old key, still accepts I2's old batches: the lead kept them.
    send(lead, i3, tmp_path, "lead-to-i3")
    assert answer_of(i3, "C1", "2.2.1")[0] == "yes" and answer_of(i3, "C1", "2.2.2")[0] == "yes"


def test_an_older_hmip_format_and_a_newer_one_are_named(team, tmp_path):
    lead, _, _ = team
    path = tmp_path / "lead.hmip.json"
    hmip(lead, "bundle", "export", "--out", str(path))
    data = json.loads(path.read_bytes())
    data["format"] = "hmip-bundle/3"
    data["manifest"]["requires"] = "hmip 0.4.0"
    newer = tmp_path / "newer.hmip.json"
    newer.write_text(json.dumps(data))
    refused = hmip(lead, "bundle", "import", str(newer), check=False)
    assert refused.returncode == 1 and "install hmip 0.4.0 or later" in refused.stderr


def test_redaction_takes_a_note_out_of_the_database_and_every_later_bundle(team, tmp_path):
    lead, i2, _ = team
    name = "Mr Jonathan Example"
    hmip(i2, "answer", "C1", "2.2.1", "no", "--note", f"Spoke to {name} at the office.")
    hmip(i2, "note", "C1", "2.2.1", f"{name}'s risk was not analysed.")
    send(i2, lead, tmp_path, "i2-name")
    refused = hmip(i2, "redact", "C1", "2.2.1", "--reason", "A name.", check=False)
    assert refused.returncode == 1 and "only the lead inspector can redact" in refused.stderr
    hmip(lead, "redact", "C1", "2.2.1", "--reason", "A name typed by mistake.")
    assert name not in "\n".join(db_content(lead[0]))
    later = send(lead, i2, tmp_path, "lead-redacted")
    assert name not in later.read_text()
    assert name not in "\n".join(db_content(i2[0]))
    hmip(lead, "bundle", "import", str(tmp_path / "i2-name.hmip.json"))  # the old bundle brings it back? no
    assert name not in "\n".join(db_content(lead[0]))
    assert "redacted 2 versions of the note" in hmip(lead, "audit", "C1").stdout


def test_an_inspectors_bundle_carries_only_what_the_lead_lacks(team, tmp_path):
    lead, i2, _ = team
    hmip(i2, "answer", "C1", "2.2.1", "yes", "--note", "Only this is new.")
    thin = tmp_path / "thin.hmip.json"
    whole = tmp_path / "whole.hmip.json"
    hmip(i2, "bundle", "export", "--out", str(thin))
    hmip(i2, "bundle", "export", "--full", "--out", str(whole))
    data = json.loads(thin.read_bytes())
    assert len(data["history"]["entries"]) == 1 and data["history"]["assumes"]
    assert [c["ref"] for c in data["cases"]] == ["C1"]
    assert len(json.loads(whole.read_bytes())["history"]["entries"]) > 20
    fresh = (tmp_path / "fresh.sqlite", "I3")
    refused = hmip(fresh, "bundle", "import", str(thin), check=False)
    assert refused.returncode == 1 and "import the lead's latest bundle first" in refused.stderr
    assert not fresh[0].exists() or status  # nothing made of it
    hmip(lead, "bundle", "import", str(thin))
    assert answer_of(lead, "C1", "2.2.1")[0] == "yes"
    hmip(fresh, "bundle", "import", str(whole))  # a whole one founds a new laptop's copy
    assert answer_of(fresh, "C1", "2.2.1")[0] == "yes"


# --- an inspector who edits their own bundle ------------------------------------------------------
# A member of the team can sign anything with their own key. What they sign must still keep the
# rules, or the lead's database refuses the whole bundle.


def forge(path, code: str, *entries: list) -> None:
    """Append entries (parents given as indices or hex ids) to a bundle, signed by `code`'s own key
    in a batch of their own, and sign the file again as `code`: what an inspector could do."""
    from hmip_tui import identity
    from hmip_tui.exchange.bundle import signed_bytes
    from hmip_tui.store import batches, history

    data = json.loads(path.read_bytes())
    h = data["history"]
    ids = []
    for raw in h["entries"]:
        kind, case_ref, field, value, note, reason, author, at, parents, flags = raw
        ids.append(history.entry_from_wire(kind, case_ref, field, value, note, reason, author, at,
                                           [ids[p] if isinstance(p, int) else bytes.fromhex(p) for p in parents],
                                           flags).id)
    start = len(h["entries"])
    for raw in entries:
        h["entries"].append(raw)
        kind, case_ref, field, value, note, reason, author, at, parents, flags = raw
        ids.append(history.entry_from_wire(kind, case_ref, field, value, note, reason, author, at,
                                           [ids[p] if isinstance(p, int) else bytes.fromhex(p) for p in parents],
                                           flags).id)
    key = identity.public_key(code)
    mine = list(range(start, len(h["entries"])))
    digest = batches.digest(data["inspection"]["uid"], code, key, [ids[i] for i in mine])
    h["batches"].append({"signer": code, "key": identity.b64(key), "sig": identity.b64(identity.sign(code, digest)),
                         "digest": digest.hex(), "entries": mine})
    path.write_bytes(signed_bytes(data, code))


def _entry_index(path, kind, case_ref, field):
    entries = json.loads(path.read_bytes())["history"]["entries"]
    return max(i for i, e in enumerate(entries) if e[:3] == [kind, case_ref, field])


def _now():
    from hmip_tui.store.inspections import now

    return now()


def refused_by_lead(lead, path, needle):
    before = db_content(lead[0])
    result = hmip(lead, "bundle", "import", str(path), check=False)
    assert result.returncode == 1 and needle in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert db_content(lead[0]) == before


def test_an_inspector_cannot_sign_their_way_to_more_rights(team, tmp_path):
    lead, i2, i3 = team
    hmip(i2, "answer", "C1", "2.2.1", "yes", "--note", "A reading.")
    attempts = {
        # vouching for a team entry "by the lead" that makes them lead
        "vouched-lead": (["team", "", "I2", "lead", "", "", "LF", _now(), [], "migrated"], "only the lead can do"),
        # moving a case to someone else (here: themselves) once it is read by another
        "reassign": (["case", "C3", "", "I2", "", "", "I2", _now(), [], ""], "changes who reads case C3"),
        # lifting limited access
        "lift": (["profile", "R1", "limited_access", "no", "", "", "I2", _now(), [], ""],
                 "whether case R1 is of limited access"),
        # an answer to a case nobody sampled
        "unknown-case": (["answer", "ZZ9", "2.2.1", "yes", "", "", "I2", _now(), [], ""], "does not hold"),
        # an entry dated next year
        "future": (["answer", "C1", "2.2.2", "yes", "", "", "I2", "2099-01-01T00:00:00.000+00:00", [], ""],
                   "days ahead of this laptop's clock"),
    }
    for name, (entry, needle) in attempts.items():
        path = tmp_path / f"{name}.hmip.json"
        hmip(i2, "bundle", "export", "--out", str(path))
        forge(path, "I2", entry)
        refused_by_lead(lead, path, needle)
    # I3 may not open R1 (I2's limited-access case): I3's entries on it are refused.
    path = tmp_path / "i3-on-r1.hmip.json"
    hmip(i3, "bundle", "export", "--out", str(path))
    forge(path, "I3", ["answer", "R1", "2.2.1", "no", "", "", "I3", _now(), [], ""])
    refused_by_lead(lead, path, "a limited access case I3 may not open")


def test_the_lead_hands_over_and_the_old_leads_work_stays_valid(team, tmp_path):
    lead, i2, i3 = team
    refused = hmip(lead, "team", "add", "LF", "--role", "inspector", check=False)
    assert refused.returncode == 1 and "LF is the only lead" in refused.stderr
    hmip(lead, "case", "grant", "R1", "I3")
    hmip(lead, "team", "add", "I2", "--role", "lead")
    hmip(lead, "team", "add", "LF", "--role", "inspector")
    send(lead, i3, tmp_path, "handover")  # the old lead's grant, made while lead, still stands
    roles = {m["code"]: m["role"] for m in json.loads(hmip(i3, "team", "--json").stdout)}
    assert roles["I2"] == "lead" and roles["LF"] == "inspector"
    refused = hmip(lead, "team", "add", "LF", "--role", "lead", check=False)
    assert refused.returncode == 1 and "only the lead inspector" in refused.stderr


def test_what_the_lead_settled_only_the_lead_changes(team, tmp_path):
    lead, i2, _ = team
    hmip(lead, "answer", "C2", "2.2.1", "yes", "--note", "LF.")
    hmip(i2, "answer", "C2", "2.2.1", "no", "--note", "I2.")
    send(i2, lead, tmp_path, "fork")
    cid = str(status(lead)["conflicts"][0]["id"])
    hmip(lead, "moderation", "settle", cid, "no", "--reason", "Settled.")
    send(lead, i2, tmp_path, "settled")
    refused = hmip(i2, "answer", "C2", "2.2.1", "yes", check=False)
    assert refused.returncode == 1 and "only the lead changes it now" in refused.stderr
    path = tmp_path / "after.hmip.json"
    hmip(i2, "bundle", "export", "--full", "--out", str(path))
    settlement = _entry_index(path, "answer", "C2", "2.2.1")
    forge(path, "I2", ["answer", "C2", "2.2.1", "yes", "", "", "I2", _now(), [settlement], ""])
    refused_by_lead(lead, path, "changes what the lead settled")


def test_a_second_reader_reads_blind_until_they_finish(team):
    lead, _, _ = team
    for q in KEY_QUESTIONS:
        hmip((lead[0], "I2"), "answer", "C1", q, "yes", "--note", f"First reader's evidence {q}.")
    hmip(lead, "moderation", "assign", "C1", "I3")
    as_i3 = (lead[0], "I3")
    assert "First reader's evidence" not in hmip(as_i3, "audit", "C1").stdout
    out = lead[0].with_name("i3.csv")
    hmip(as_i3, "export", "csv", "--out", str(out))
    assert "First reader's evidence" not in out.read_text()
    opened = hmip(as_i3, "answer", "C1", "2.2.1", "no", check=False)
    assert opened.returncode == 1 and "blind second reading" in opened.stderr
    for q in KEY_QUESTIONS:
        hmip(as_i3, "moderation", "read", "C1", q, "no" if q == "2.2.1" else "yes",
             *(["--note", "The second reader's reason."] if q == "2.2.1" else []))
    hmip(as_i3, "moderation", "finish", "C1")
    assert "First reader's evidence" in hmip(as_i3, "audit", "C1").stdout
    hmip(lead, "moderation", "settle", "C1", "2.2.1", "no", "--reason", "The second reader is right.")
    assert answer_of(lead, "C1", "2.2.1") == ("no", "The second reader's reason.")
    hmip(lead, "redact", "C1", "2.2.1", "--reason", "Both notes name someone.")
    assert "The second reader's reason." not in "\n".join(db_content(lead[0]))


def test_the_app_records_as_the_member_whose_key_this_laptop_holds_when_nobody_says(db):
    """Set up in the app with lead LF, then opened again with no --as: the login name is not on
    the team, so the app records as LF, whose signing key this laptop holds and the inspection
    knows; a login name on the team is kept, and with no such member the login name stays."""
    from conftest import run_hmip

    from hmip_tui.services import open_database, recorder_here

    run_hmip("init", "--pdu", "Keys PDU", db=db, inspector="LF", check=True)
    run_hmip("team", "add", "I2", db=db, inspector="LF", check=True)
    conn = open_database(db)
    try:
        assert recorder_here(conn, "ROOT") == "LF"
        assert recorder_here(conn, "I2") == "I2"  # on the team: as the login name says
    finally:
        conn.close()
