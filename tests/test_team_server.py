"""The team server on a real PostgreSQL (docs/team-server.md): three laptops syncing, row-level
security, a cut connection, the analysts' views and `hmip sync` with a shared folder.

The cluster is CI's (HMIP_TEST_PG_URL, an administrator's URL on 127.0.0.1) or one this module
starts from the distribution's binaries; each test has a database of its own in it."""

from __future__ import annotations

import os
import secrets
import sqlite3
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from conftest import HMIP, one_sentence
import pg_cluster

psycopg = pytest.importorskip("psycopg")

SECRET = "Victim lives at the family address; MAPPA level 2 meeting notes."
BASE = "licence,male,very_high,no"


@pytest.fixture(scope="session")
def pg_admin():
    url = os.environ.get("HMIP_TEST_PG_URL")
    if url:
        assert urlsplit(url).hostname in ("127.0.0.1", "localhost", "::1"), "tests never reach another address"
        yield url
        return
    if pg_cluster.binaries() is None:
        pytest.skip("no PostgreSQL binaries (initdb) on this machine, and HMIP_TEST_PG_URL is not set")
    cluster = pg_cluster.Cluster()
    try:
        yield cluster.start()
    finally:
        cluster.stop()


@pytest.fixture
def server(pg_admin):
    """An administrator's URL to a fresh database of its own."""
    name = "hmip_test_" + secrets.token_hex(4)
    with psycopg.connect(pg_admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    parts = urlsplit(pg_admin)
    yield urlunsplit(parts._replace(path="/" + name))
    with psycopg.connect(pg_admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


class Laptop:
    """One inspector's laptop: its own database file and its own signing keys."""

    def __init__(self, tmp_path: Path, code: str):
        self.code = code
        self.db = tmp_path / code / "inspection.sqlite"
        self.db.parent.mkdir(parents=True, exist_ok=True)
        self.keys = tmp_path / code / "keys"
        self.url = None

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        env = {**os.environ, "HMIP_INSPECTOR": self.code, "HMIP_KEYS": str(self.keys)}
        env.pop("HMIP_DB", None)
        result = subprocess.run([HMIP, "--db", str(self.db), *args], capture_output=True, text=True,
                                env=env, timeout=120)
        if check and result.returncode != 0:
            raise AssertionError(f"{self.code}: hmip {' '.join(args)} failed: {result.stderr}")
        return result

    def sql(self, query: str, *args):
        conn = sqlite3.connect(self.db)
        try:
            return conn.execute(query, args).fetchall()
        finally:
            conn.close()

    def answer(self, ref: str, question: str):
        rows = self.sql("SELECT a.value, a.note FROM answer a JOIN case_file c ON c.id = a.case_id "
                        "WHERE c.ref = ? AND a.question = ?", ref, question)
        return rows[0] if rows else None

    def open_conflicts(self) -> int:
        return self.sql("SELECT count(*) FROM conflict WHERE closed_by IS NULL")[0][0]

    def file_bytes(self) -> bytes:
        return b"".join(p.read_bytes() for p in self.db.parent.glob("inspection.sqlite*"))


def hmip_admin(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([HMIP, *args], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "HMIP_INSPECTOR": "ADMIN"})
    if check and result.returncode != 0:
        raise AssertionError(f"hmip {args[0]} {args[1]} failed: {result.stderr}")
    return result


def _catalog(url: str) -> list:
    """The store's shape: tables, columns, policies, functions, views, triggers, grants."""
    with psycopg.connect(url) as conn:
        return [conn.execute(q).fetchall() for q in (
            "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns "
            "WHERE table_schema = 'hmip' ORDER BY 1, 2",
            "SELECT tablename, policyname, cmd, qual, with_check FROM pg_policies WHERE schemaname = 'hmip' ORDER BY 1, 2",
            "SELECT proname, prosrc FROM pg_proc WHERE pronamespace = 'hmip'::regnamespace ORDER BY 1",
            "SELECT viewname, definition FROM pg_views WHERE schemaname = 'hmip' ORDER BY 1",
            "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1",
            "SELECT table_name, grantee, privilege_type FROM information_schema.role_table_grants "
            "WHERE table_schema = 'hmip' ORDER BY 1, 2, 3",
        )]


@pytest.fixture
def team(server, tmp_path):
    """The server set up, a login for LF, I2 and I3, and the lead's inspection with three cases:
    C1 and R1 are I2's (R1 of limited access), C2 is I3's."""
    hmip_admin("server", "init", server)
    laptops = {code: Laptop(tmp_path, code) for code in ("LF", "I2", "I3")}
    for code, laptop in laptops.items():
        out = hmip_admin("server", "add", server, code)
        laptop.url = out.stdout.strip().splitlines()[-1]
        database = urlsplit(server).path.lstrip("/")
        assert urlsplit(laptop.url).username == f"hmip_{database[:20]}_{code}"
    lf = laptops["LF"]
    lf.run("init", "--pdu", "Team Server PDU")
    sample = tmp_path / "sample.csv"
    sample.write_text("ref,inspector,sentence_type,sex,rosh,pre_sentence_report,limited_access\n"
                      f"C1,I2,{BASE},no\nR1,I2,{BASE},yes\nC2,I3,{BASE},no\n")
    lf.run("sample", "import", str(sample))
    lf.run("answer", "C2", "2.2.1", "yes", "--note", "The lead's own reading.")
    laptops["uid"] = lf.sql("SELECT uid FROM inspection")[0][0]
    return laptops


def test_three_laptops_sync_through_the_team_server(server, team):
    """The issue's "what must hold", end to end, each laptop with its own login's URL."""
    lf, i2, i3, uid = team["LF"], team["I2"], team["I3"], team["uid"]
    assert f"Inspection {uid}" in lf.run("team").stdout
    out = lf.run("sync", lf.url)
    assert "Sent" in out.stdout and lf.url.split("@")[0] not in out.stdout + out.stderr  # no password printed

    # I2 joins into an empty database, answers, syncs.
    joined = i2.run("sync", i2.url, "--inspection", uid)
    assert "inspection created" in joined.stdout
    i2.run("answer", "C1", "2.2.1", "yes", "--note", "A first look.")
    i2.run("answer", "R1", "2.2.3", "no", "--note", SECRET)
    i2.run("sync", i2.url)

    # The lead syncs and holds I2's answer; not the note of R1, a case the lead was not assigned.
    lf.run("sync", lf.url)
    assert lf.answer("C1", "2.2.1") == ("yes", "A first look.")
    assert lf.answer("R1", "2.2.3") == ("no", None)

    # I2 corrects the answer; both sync; the lead holds the correction, with no conflict.
    i2.run("answer", "C1", "2.2.1", "no", "--note", "On a second look, no.")
    i2.run("sync", i2.url)
    lf.run("sync", lf.url)
    assert lf.answer("C1", "2.2.1") == ("no", "On a second look, no.")
    assert lf.open_conflicts() == 0
    assert i2.open_conflicts() == 0

    # I3 joins: it holds everything else, and no note of I2's limited-access case, anywhere in its file.
    i3.run("sync", i3.url, "--inspection", uid)
    assert i3.answer("C1", "2.2.1") == ("no", "On a second look, no.")
    assert i3.answer("C2", "2.2.1") == ("yes", "The lead's own reading.")
    assert i3.answer("R1", "2.2.3")[1] is None
    assert SECRET.encode() not in i3.file_bytes()

    # However a laptop connects, row-level security keeps the note from I3's login, not I2's.
    def notes_of_r1(url):
        with psycopg.connect(url) as conn:
            return [r[0] for r in conn.execute("SELECT body FROM hmip.text WHERE case_ref = 'R1'")]
    assert notes_of_r1(i3.url) == [] and notes_of_r1(lf.url) == []
    assert notes_of_r1(i2.url) == [SECRET]

    # The lead assigns R1 to I3 too: on I3's next sync the server gives it the notes held back.
    lf.run("case", "grant", "R1", "I3")
    lf.run("sync", lf.url)
    i3.run("sync", i3.url)
    assert i3.answer("R1", "2.2.3") == ("no", SECRET)
    assert notes_of_r1(i3.url) == [SECRET]

    # A sync with nothing new changes nothing and says so.
    again = lf.run("sync", lf.url)
    assert "Nothing new" in again.stdout


def test_server_init_is_idempotent_and_needs_no_laptop(server, tmp_path):
    out = hmip_admin("--db", str(tmp_path / "none.sqlite"), "server", "init", server)
    assert "ready" in out.stdout and not (tmp_path / "none.sqlite").exists()
    before = _catalog(server)
    hmip_admin("server", "init", server)
    assert _catalog(server) == before
    # The server's tables are the SQLModel classes' (store/tables.py), column for column.
    from hmip_tui.store.tables import server_metadata

    made = {}
    for table, column, _, nullable in before[0]:
        made.setdefault(table, set()).add((column, nullable == "YES"))
    for table in server_metadata.sorted_tables:
        assert made[table.name] == {(c.name, bool(c.nullable) and not c.primary_key) for c in table.columns}


def test_an_inspectors_login_writes_only_its_own_entries_and_never_rewrites(server, team):
    lf, i2, uid = team["LF"], team["I2"], team["uid"]
    lf.run("sync", lf.url)
    i2.run("sync", i2.url, "--inspection", uid)
    with psycopg.connect(i2.url) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("INSERT INTO hmip.entry (inspection, id, kind, case_ref, field, value, author, at, flags) "
                         "VALUES (%s, %s, 'answer', 'C1', '2.2.1', 'yes', 'LF', '2022-08-01T09:00:00+00:00', '')",
                         (uid, b"x" * 32))
    with psycopg.connect(i2.url) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("INSERT INTO hmip.batch (inspection, digest, signer, key, signature, entries) "
                         "VALUES (%s, %s, 'LF', %s, %s, %s)", (uid, b"d" * 32, b"k" * 32, b"s" * 64, b"x" * 32))
    with psycopg.connect(i2.url) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE hmip.entry SET value = 'no'")
    with psycopg.connect(i2.url) as conn:  # its own entry goes in
        conn.execute("INSERT INTO hmip.entry (inspection, id, kind, case_ref, field, value, author, at, flags) "
                     "VALUES (%s, %s, 'answer', 'C1', '2.2.1', 'yes', 'I2', '2022-08-01T09:00:00+00:00', '')",
                     (uid, b"y" * 32))
    with psycopg.connect(i2.url) as conn:  # nor one with no author (only a lead relays those)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("INSERT INTO hmip.entry (inspection, id, kind, case_ref, field, value, author, at, flags) "
                         "VALUES (%s, %s, 'answer', 'C1', '2.2.1', 'yes', '', '2022-08-01T09:00:00+00:00', '')",
                         (uid, b"z" * 32))
    with psycopg.connect(i2.url) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("INSERT INTO hmip.inspector (inspection, code, role) VALUES (%s, 'I2', 'lead')", (uid,))
    with psycopg.connect(server) as conn:  # not even the administrator rewrites the history
        with pytest.raises(psycopg.errors.RaiseException):
            conn.execute("DELETE FROM hmip.entry")


def test_the_analysts_role_sees_answers_as_they_stand_and_counts_without_limited_notes(server, team):
    lf, i2, uid = team["LF"], team["I2"], team["uid"]
    lf.run("sync", lf.url)
    i2.run("sync", i2.url, "--inspection", uid)
    i2.run("answer", "C1", "2.2.1", "yes", "--note", "First.")
    i2.run("answer", "C1", "2.2.1", "no", "--note", "Corrected.")
    i2.run("answer", "R1", "2.2.1", "no", "--note", SECRET)
    i2.run("sync", i2.url)
    with psycopg.connect(i2.url) as conn:  # a row sent without a signed batch: no view shows it
        conn.execute("INSERT INTO hmip.entry (inspection, id, kind, case_ref, field, value, author, at, flags) "
                     "VALUES (%s, %s, 'answer', 'C2', '2.2.4', 'no', 'I2', '2022-08-01T09:00:00+00:00', '')",
                     (uid, b"z" * 32))
    analyst = hmip_admin("server", "add", server, "AN1", "--analyst").stdout.strip().splitlines()[-1]
    with psycopg.connect(analyst) as conn:
        now = conn.execute("SELECT case_ref, question, value, note FROM hmip.answers_now "
                           "WHERE inspection = %s ORDER BY 1, 2", (uid,)).fetchall()
        counts = dict(((q, v), n) for q, v, n in conn.execute(
            "SELECT question, value, cases FROM hmip.answer_counts WHERE inspection = %s", (uid,)))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT * FROM hmip.text")
    assert now == [("C1", "2.2.1", "no", "Corrected."), ("C2", "2.2.1", "yes", "The lead's own reading."),
                   ("R1", "2.2.1", "no", None)]
    assert counts == {("2.2.1", "no"): 2, ("2.2.1", "yes"): 1}


def _terminate_when_waiting(admin_url: str, login: str, table: str):
    """Hold `table` locked from an administrator's connection until `login`'s backend waits on it,
    then end that backend: the connection is cut in the middle of its transaction."""
    ready = threading.Event()
    killed = []

    def run():
        with psycopg.connect(admin_url) as conn, psycopg.connect(admin_url, autocommit=True) as watch:
            conn.execute(f"LOCK TABLE hmip.{table} IN ACCESS EXCLUSIVE MODE")
            ready.set()
            for _ in range(600):
                pids = [p for (p,) in watch.execute(
                    "SELECT pid FROM pg_stat_activity WHERE usename = %s AND wait_event_type = 'Lock'", (login,))]
                if pids:
                    watch.execute("SELECT pg_terminate_backend(%s)", (pids[0],))
                    killed.append(pids[0])
                    break
                time.sleep(0.05)
            conn.rollback()

    thread = threading.Thread(target=run)
    thread.start()
    ready.wait(10)
    return thread, killed


def test_a_connection_cut_mid_push_or_mid_pull_leaves_both_sides_consistent(server, team):
    lf, i2, uid = team["LF"], team["I2"], team["uid"]
    # Mid-push: the entries are sent, the texts (then the batches) wait on a lock, and the
    # backend is ended.
    thread, killed = _terminate_when_waiting(server, urlsplit(lf.url).username, "text")
    cut = lf.run("sync", lf.url, check=False)
    thread.join()
    assert killed
    one_sentence(cut, "connection", "run hmip sync again")
    with psycopg.connect(server) as conn:
        assert conn.execute("SELECT count(*) FROM hmip.entry").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM hmip.batch").fetchone()[0] == 0
    lf.run("sync", lf.url)  # finishes the job
    with psycopg.connect(server) as conn:
        held = conn.execute("SELECT count(*) FROM hmip.entry").fetchone()[0]
    assert held == lf.sql("SELECT count(*) FROM entry")[0][0]

    # Mid-pull: I2 joining is cut while reading the entries; its file is left without an inspection.
    thread, killed = _terminate_when_waiting(server, urlsplit(i2.url).username, "entry")
    cut = i2.run("sync", i2.url, "--inspection", uid, check=False)
    thread.join()
    assert killed
    one_sentence(cut, "connection")
    assert not i2.db.exists() or i2.sql("SELECT count(*) FROM entry")[0][0] == 0
    i2.run("sync", i2.url, "--inspection", uid)
    assert i2.sql("SELECT count(*) FROM entry")[0][0] == held


def test_sync_refusals_are_one_sentence_and_never_show_the_password(server, team, tmp_path):
    lf, i2, uid = team["LF"], team["I2"], team["uid"]
    password = urlsplit(lf.url).password
    wrong = lf.url.replace(password, "not-the-password")
    lf.run("answer", "C2", "2.2.2", "no", "--note", "Waiting to be sent.")
    before = lf.sql("SELECT count(*) FROM batch")
    result = lf.run("sync", wrong, check=False)
    one_sentence(result, "cannot connect to the team server")
    assert "not-the-password" not in result.stderr
    assert urlsplit(lf.url).username not in result.stderr  # the login is not said either
    assert lf.sql("SELECT count(*) FROM batch") == before  # nothing signed for a sync that never ran
    # An inspector cannot put an inspection on the server before its lead.
    fresh = Laptop(tmp_path / "other", "I2")
    one_sentence(fresh.run("sync", i2.url, "--inspection", uid, check=False), "holds no inspection")
    assert not fresh.db.exists()
    one_sentence(i2.run("sync", i2.url, check=False), "no such database file")
    # Another inspector's URL: refused before anything is read or signed with their rights.
    lf.run("sync", lf.url)
    i2.run("sync", i2.url, "--inspection", uid)
    i3 = team["I3"]
    mixed = i3.run("sync", i2.url, "--inspection", uid, check=False)
    one_sentence(mixed, "the URL is I2's login")
    assert not i3.db.exists()


def test_a_shared_folder_is_a_sync_target_too(team, tmp_path):
    lf, i2, uid = team["LF"], team["I2"], team["uid"]
    shared = tmp_path / "shared"
    shared.mkdir()
    lf.run("sync", str(shared))
    assert (shared / f"{uid}-LF.hmip.json").exists()
    i2.run("sync", str(shared), "--inspection", uid)
    i2.run("answer", "C1", "2.2.1", "yes", "--note", "Seen on the shared drive.")
    i2.run("sync", str(shared))
    lf.run("sync", str(shared))
    assert lf.answer("C1", "2.2.1") == ("yes", "Seen on the shared drive.")
    lf.run("sync", str(shared))  # again: nothing new, nothing refused


def test_a_target_that_is_neither_a_url_nor_a_folder_is_one_sentence(tmp_path):
    """No PostgreSQL needed: these are refused before anything is reached or written."""
    one_sentence(hmip_admin("server", "init", "not-a-url", check=False), "given as a URL")
    one_sentence(hmip_admin("server", "add", "mysql://admin@127.0.0.1/db", "I2", check=False), "given as a URL")
    one_sentence(hmip_admin("server", "add", "postgresql://admin@127.0.0.1/db", "not a code", check=False))
    lf = Laptop(tmp_path, "LF")
    lf.run("init", "--pdu", "Folder PDU")
    one_sentence(lf.run("sync", str(tmp_path / "no-such-folder"), check=False), "is not a folder")
    one_sentence(lf.run("sync", str(tmp_path), "--inspection", "another-uid", check=False), "not another-uid")


def test_a_batch_every_laptop_refuses_stops_nobody_elses_sync(server, team):
    """A member's login can put on the server what no laptop accepts (the server cannot check
    Ed25519 signatures): the others' syncs leave it out, say so, and take everything else."""
    lf, i2, i3, uid = team["LF"], team["I2"], team["I3"], team["uid"]
    lf.run("sync", lf.url)
    i2.run("sync", i2.url, "--inspection", uid)
    i3.run("sync", i3.url, "--inspection", uid)
    key = i3.sql("SELECT key FROM signer WHERE code = 'I3'")
    key = key[0][0] if key else b"k" * 32
    with psycopg.connect(i3.url) as conn:  # I3's own login, a forged entry and a batch whose signature is zeros
        conn.execute("INSERT INTO hmip.entry (inspection, id, kind, case_ref, field, value, author, at, flags) "
                     "VALUES (%s, %s, 'answer', 'C2', '2.2.1', 'no', 'I3', '2022-08-01T09:00:00+00:00', '')",
                     (uid, b"f" * 32))
        conn.execute("INSERT INTO hmip.batch (inspection, digest, signer, key, signature, entries) "
                     "VALUES (%s, %s, 'I3', %s, %s, %s)", (uid, b"d" * 32, key, bytes(64), b"f" * 32))
    i2.run("answer", "C1", "2.2.1", "no", "--note", "Sent after the forgery.")
    i2.run("sync", i2.url)
    result = lf.run("sync", lf.url)
    assert "Left out what I3 signed" in result.stderr
    assert lf.answer("C1", "2.2.1") == ("no", "Sent after the forgery.")
    assert lf.answer("C2", "2.2.1")[0] == "yes"  # the lead's own reading, not the forged one
    assert lf.run("check").returncode == 0
