"""`hmip sync FOLDER`, a shared drive: no team server needed. One cut short or foreign file there
stops nobody's sync, and a wrong inspection uid is said, not taken for "nothing new"."""

from __future__ import annotations

import stat

from conftest import one_sentence
from test_team_server import Laptop


def _team_in_a_folder(tmp_path):
    lf, i2 = Laptop(tmp_path, "LF"), Laptop(tmp_path, "I2")
    lf.run("init", "--pdu", "Folder PDU")
    sample = tmp_path / "sample.csv"
    sample.write_text("ref,inspector,sentence_type,sex,rosh,pre_sentence_report\n"
                      "C1,I2,licence,male,high,no\nC2,LF,licence,female,low,no\n")
    lf.run("sample", "import", str(sample))
    uid = lf.sql("SELECT uid FROM inspection")[0][0]
    shared = tmp_path / "shared"
    shared.mkdir()
    lf.run("sync", str(shared))
    i2.run("sync", str(shared), "--inspection", uid)
    return lf, i2, uid, shared


def test_a_cut_short_bundle_in_the_folder_is_left_out_and_the_rest_imported(tmp_path):
    lf, i2, uid, shared = _team_in_a_folder(tmp_path)
    i2.run("answer", "C1", "2.2.1", "yes", "--note", "Seen on the shared drive.")
    i2.run("sync", str(shared))
    mine = (shared / f"{uid}-I2.hmip.json").read_bytes()
    (shared / f"{uid}-I3.hmip.json").write_bytes(mine[: len(mine) // 2])  # a copy cut short
    result = lf.run("sync", str(shared))
    assert lf.answer("C1", "2.2.1") == ("yes", "Seen on the shared drive.")  # I2's still came in
    said = result.stderr.strip().splitlines()
    assert len(said) == 1 and said[0].startswith(f"Left out {uid}-I3.hmip.json, which could not be imported "
                                                 "(the file is cut short"), result.stderr


def test_joining_with_a_uid_the_folder_does_not_hold_is_refused(tmp_path):
    lf, i2, uid, shared = _team_in_a_folder(tmp_path)
    i3 = Laptop(tmp_path, "I3")
    for wrong in ("00000000-0000-0000-0000-000000000000", uid[:8]):  # unknown, and a prefix of it
        one_sentence(i3.run("sync", str(shared), "--inspection", wrong, check=False),
                     f"holds no bundle of inspection {wrong}; nothing was joined")
    assert not i3.sql("SELECT name FROM sqlite_master WHERE name = 'inspection'") or \
        not i3.sql("SELECT uid FROM inspection")


def test_joining_from_a_folder_whose_only_bundle_is_cut_short_is_refused(tmp_path):
    lf, i2, uid, shared = _team_in_a_folder(tmp_path)
    lead = (shared / f"{uid}-LF.hmip.json").read_bytes()
    (shared / f"{uid}-LF.hmip.json").write_bytes(lead[:-100])
    (shared / f"{uid}-I2.hmip.json").unlink(missing_ok=True)  # (I2 has not written one yet)
    i3 = Laptop(tmp_path, "I3")
    one_sentence(i3.run("sync", str(shared), "--inspection", uid, check=False),
                 "the file is cut short", "nothing was joined")


def test_a_bundle_is_readable_by_the_folders_group_only_when_the_folder_is(tmp_path):
    """Teammates signed in as other users read each other's bundles through the folder's group;
    a folder kept to its owner keeps its bundles so too; nobody else ever reads one."""
    lf, i2, uid, shared = _team_in_a_folder(tmp_path)
    mine = shared / f"{uid}-LF.hmip.json"
    shared.chmod(0o700)
    lf.run("answer", "C2", "2.2.1", "yes")
    lf.run("sync", str(shared))
    assert stat.S_IMODE(mine.stat().st_mode) == 0o600
    shared.chmod(0o2770)  # a team's share: the group may enter and read, new files keep its group
    lf.run("answer", "C2", "2.2.1", "no")
    lf.run("sync", str(shared))
    assert stat.S_IMODE(mine.stat().st_mode) == 0o640
    shared.chmod(0o700)
    lf.run("answer", "C2", "2.2.1", "yes")
    lf.run("sync", str(shared))
    assert stat.S_IMODE(mine.stat().st_mode) == 0o600
