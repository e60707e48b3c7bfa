"""The history merges as version control does, tried at scale with Hypothesis (derandomised).

- Any order and any repetition of the team's bundles gives one state.
- Once the lead has settled, importing anything from before leaves nothing open.
- A new-format bundle that was re-stamped or signed wrongly is refused, and changes nothing.

A small fieldwork week is played out once, on real SQLite files, through the service functions
both faces use: the lead founds the inspection, imports the sample and adds the team; I2 and I3
join from the lead's bundle and answer, correct and disagree; bundles are exported along the way.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import db_content

from hmip_tui import services
from hmip_tui.errors import HmipError
from hmip_tui.framework import load_framework

FW = load_framework()
SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
SAMPLE = ("ref,inspector,sentence_type,sex,rosh,pre_sentence_report,limited_access\n"
          "C1,I2,community_order,male,medium,no,no\n"
          "C2,I2,licence,female,high,no,no\n"
          "C3,I3,licence,male,low,no,no\n"
          "C4,I3,community_order,female,very_high,no,no\n"
          "R1,I2,licence,male,low,no,yes\n")


class Laptop:
    def __init__(self, path: Path, code: str):
        self.path, self.code = path, code
        self.conn = services.open_database(path)

    def answer(self, ref, qid, value, note=None, reason=None):
        services.record_answer(self.conn, FW, ref, qid, value, note, self.code, reason=reason)

    def export(self, path: Path) -> Path:
        # Whole bundles: any of them may be the first a fresh database imports.
        services.export_bundle(self.conn, path, self.code, full=True)
        return path

    def take(self, *paths: Path):
        return services.import_bundles(self.conn, list(paths), self.code)


@pytest.fixture(scope="module")
def week(tmp_path_factory):
    d = tmp_path_factory.mktemp("week")
    lead, i2, i3 = Laptop(d / "lf.sqlite", "LF"), Laptop(d / "i2.sqlite", "I2"), Laptop(d / "i3.sqlite", "I3")
    services.found_inspection(lead.conn, pdu="Property PDU", framework=FW, lead="LF")
    (d / "sample.csv").write_text(SAMPLE)
    services.import_sample(lead.conn, d / "sample.csv", FW, "LF")
    bundles = [lead.export(d / "lf-0.json")]
    i2.take(bundles[0])
    i3.take(bundles[0])
    i2.answer("C1", "2.2.1", "yes", "I2 first reading.")
    i2.answer("C2", "2.2.1", "no", "I2 on C2.")
    i2.answer("R1", "2.2.1", "no", "Restricted note of I2.")
    bundles.append(i2.export(d / "i2-1.json"))
    lead.take(bundles[-1])
    lead.answer("C2", "2.2.1", "yes", "LF reads C2 otherwise.")  # a fork against I2's next change
    services.record_judgement(lead.conn, FW, "1.1", "inadequate", "No exit strategy.", "LF")
    bundles.append(lead.export(d / "lf-1.json"))
    i2.answer("C1", "2.2.1", "no", "I2 corrects C1.")  # a correction: no conflict
    i2.answer("C2", "2.2.1", "no", "I2 stands by C2.", )  # same value, new note: still the fork
    bundles.append(i2.export(d / "i2-2.json"))
    i3.answer("C3", "2.2.1", "yes", "I3 on C3.")
    services.record_judgement(i3.conn, FW, "1.1", "good", "Staff are positive.", "I3")
    bundles.append(i3.export(d / "i3-1.json"))
    i3.take(bundles[2])  # I3 sees the lead's judgement: the judgement fork travels in i3-2
    services.update_profile(i3.conn, FW, "C3", {"sentence_type": "licence", "sex": "male", "rosh": "medium",
                                                "pre_sentence_report": "no", "limited_access": "no"}, "I3")
    bundles.append(i3.export(d / "i3-2.json"))
    lead.take(*bundles[1:])
    for laptop in (lead, i2, i3):
        laptop.conn.close()  # copies of these files are taken below: whole, with no WAL beside them
    return {"dir": d, "bundles": bundles, "lead": lead}


_fresh = itertools.count()


def fresh(tmp_path: Path, name: str) -> Path:
    """A new file name: Hypothesis runs an example again while shrinking, in the same folder."""
    return tmp_path / f"{name}-{next(_fresh)}.sqlite"


def state(path: Path) -> dict:
    """What the history says, without what is this laptop's own (local ids, order, times)."""
    conn = sqlite3.connect(path)
    q = lambda sql: sorted(conn.execute(sql).fetchall())  # noqa: E731
    out = {
        "entries": q("SELECT id FROM entry"),
        "heads": q("SELECT kind, case_ref, field, id FROM head"),
        "answers": q("SELECT c.ref, a.question, a.value, a.note, a.note_hash, a.answered_by, a.answered_at "
                     "FROM answer a JOIN case_file c ON c.id = a.case_id"),
        "cases": q("SELECT ref, inspector, profile, status, moderated_at FROM case_file"),
        "judgements": q("SELECT standard, rating, evidence, judged_by FROM judgement"),
        "team": q("SELECT code, role FROM inspector"),
        "pins": q("SELECT code, key FROM signer"),
        "texts": q("SELECT hash FROM text"),
        "open": q("SELECT kind, case_ref, field FROM conflict WHERE closed_by IS NULL"),
        # Derived in step with the answers (store/tally.py): one state too, whatever the order.
        "tallies": q("SELECT f.name, t.question, t.value, t.n FROM tally t JOIN facet f ON f.id = t.facet "
                     "WHERE t.n != 0"),
        "progress": q("SELECT ref, rate_facet, split_facet, answered FROM case_file"),
        # What search finds (store/search.py): the same texts, whatever the order they came in.
        "search": q("SELECT kind, case_ref, question, body FROM evidence_text"),
    }
    conn.close()
    return out


def replay(week, tmp_path, order: list[int], name: str, code: str = "LF") -> Path:
    target = fresh(tmp_path, name)
    laptop = Laptop(target, code)
    for i in order:
        laptop.take(week["bundles"][i])
    laptop.conn.close()
    return target


@pytest.fixture(scope="module")
def reference(week, tmp_path_factory):
    return state(replay(week, tmp_path_factory.mktemp("ref"), list(range(len(week["bundles"]))), "ref"))


def test_the_week_has_a_fork_a_correction_and_a_judgement_conflict(reference):
    assert [(k, c, f) for k, c, f in reference["open"]] == [("answer", "C2", "2.2.1"), ("judgement", "", "1.1")]
    answers = {(r, q): v for r, q, v, *_ in reference["answers"]}
    assert answers[("C1", "2.2.1")] == "no"  # I2's correction moved forward
    assert dict(reference["team"]) == {"LF": "lead", "I2": "inspector", "I3": "inspector"}
    assert reference["tallies"] and all(n > 0 for *_, n in reference["tallies"])


@st.composite
def orders(draw, n: int):
    """Every bundle at least once, in any order, some of them again."""
    order = list(draw(st.permutations(range(n))))
    for extra in draw(st.lists(st.integers(0, n - 1), max_size=4)):
        order.insert(draw(st.integers(0, len(order))), extra)
    return order


@SETTINGS
@given(data=st.data())
def test_any_order_and_repetition_gives_one_state(week, reference, tmp_path, data):
    order = data.draw(orders(len(week["bundles"])))
    got = state(replay(week, tmp_path, order, "order"))
    assert got == reference, order


def test_one_batch_or_one_at_a_time_gives_one_state(week, reference, tmp_path):
    target = tmp_path / "batch.sqlite"
    laptop = Laptop(target, "LF")
    laptop.take(*reversed(week["bundles"]))
    laptop.conn.close()
    assert state(target) == reference


@SETTINGS
@given(data=st.data())
def test_settle_then_reimport_anything_leaves_nothing_open(week, tmp_path, data):
    settled = fresh(tmp_path, "settled")
    shutil.copyfile(week["lead"].path, settled)
    lead = Laptop(settled, "LF")
    for c in services.conflicts(lead.conn):
        value = data.draw(st.sampled_from(sorted(set(c.values))))
        services.settle_conflict(lead.conn, FW, c.id, value, "Settled at the meeting.", "LF")
    assert services.moderation_status(lead.conn, FW)["open_conflicts"] == 0
    for i in data.draw(st.lists(st.integers(0, len(week["bundles"]) - 1), min_size=1, max_size=8)):
        lead.take(week["bundles"][i])
        assert services.moderation_status(lead.conn, FW)["open_conflicts"] == 0
    # ...and the settled bundle settles it on every other laptop too.
    out = lead.export(settled.with_suffix(".json"))
    other = replay(week, tmp_path, [3, 1, 5], "other", "I3")
    Laptop(other, "I3").take(out)
    assert state(other)["open"] == []


def _forge(raw: bytes, how: str, resign: bool) -> bytes:
    """A bundle changed after it was written, then re-stamped (the checksum recomputed, as anyone
    can) or, with `resign`, signed again by I3: a member of the team, but not its author."""
    data = json.loads(raw)
    h = data["history"]
    if how == "snapshot-lead":
        data["inspectors"] = {code: "lead" for code in data["inspectors"]}
    elif how == "entry-value":
        i = next(i for i, e in enumerate(h["entries"]) if e[0] == "profile" and e[2] == "sex")
        h["entries"][i][3] = "male" if h["entries"][i][3] == "female" else "female"
    elif how == "entry-author":
        i = next(i for i, e in enumerate(h["entries"]) if e[0] == "team" and e[3] == "inspector")
        h["entries"][i][3] = "lead"
    elif how == "batch-signer":
        h["batches"][-1]["signer"] = "LF" if h["batches"][-1]["signer"] != "LF" else "I2"
    elif how == "signature-bit":
        sig = bytearray(base64.b64decode(h["batches"][0]["sig"]))
        sig[5] ^= 1
        h["batches"][0]["sig"] = base64.b64encode(bytes(sig)).decode()
    elif how == "drop-batch":
        h["batches"].pop()
    elif how == "manifest-exporter":
        data["manifest"]["inspector"] = "I3"
    if resign:
        from hmip_tui.exchange.bundle import signed_bytes

        return signed_bytes(data, "I3")
    data["manifest"]["sha256"] = "0" * 64
    data["manifest"]["signature"] = "A" * 86 + "=="
    out = (json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
    digest = hashlib.sha256(out).hexdigest()
    return out.replace(b'"sha256":"' + b"0" * 64 + b'"', f'"sha256":"{digest}"'.encode())


FORGERIES = ["snapshot-lead", "entry-value", "entry-author", "batch-signer", "signature-bit",
             "drop-batch", "manifest-exporter"]
# Signed again by a member of the team, these change what the history says: its batches' own
# signatures refuse them. (A snapshot re-signed by I3 is I3's own bundle: it imports, and the
# snapshot, which import never reads, makes nobody lead: see test_team.py.)
RESIGNED = ["entry-value", "entry-author", "batch-signer", "signature-bit", "drop-batch"]


@SETTINGS
@given(data=st.data(), which=st.integers(0, 5), into=st.sampled_from(["lead", "fresh"]))
def test_a_restamped_or_wrongly_signed_bundle_is_refused_and_changes_nothing(week, tmp_path, data, which, into):
    resign = data.draw(st.booleans())
    how = data.draw(st.sampled_from(RESIGNED if resign else FORGERIES))
    source = week["bundles"][which]
    forged = tmp_path / f"forged-{how}-{which}-{resign}.json"
    forged.write_bytes(_forge(source.read_bytes(), how, resign))
    target = fresh(tmp_path, f"target-{how}-{which}-{into}-{resign}")
    if into == "lead":
        shutil.copyfile(week["lead"].path, target)
    laptop = Laptop(target, "LF")
    before = db_content(target)
    try:
        laptop.take(forged)
    except HmipError as refused:
        message = str(refused)
        assert "nothing was imported" in message and "\n" not in message
    else:
        # Signed again by a member, and changed only inside batches this database holds: those
        # entries are not read again (they are known by their batch's digest), so the bundle
        # brings nothing, and changes nothing.
        assert resign and into == "lead", (how, which)
    assert db_content(target) == before
