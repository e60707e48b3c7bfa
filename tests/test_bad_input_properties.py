"""Bad input, tried at scale: mutated sample CSVs and bundles, 200 examples each.

The contract, every time: a mutation that happens to stay valid imports cleanly; anything else
gets exit status 1, one sentence on stderr (no traceback), and the database exactly as it was.
The command is the real click group run in-process (CliRunner), on real SQLite files.
"""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from conftest import db_content, run_hmip
from report_cases import report_bundle

from hmip_tui.cli import cli
from hmip_tui.exchange.bundle_v1 import bundle_bytes

SETTINGS = settings(max_examples=200, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow, HealthCheck.data_too_large])

COLUMNS = ["ref", "inspector", "sentence_type", "sex", "rosh", "pre_sentence_report", "ethnicity",
           "mappa", "start_date"]
VALUES = {
    "sentence_type": ["community_order", "licence", "suspended_sentence_order", "prison", ""],
    "sex": ["male", "female", "M", ""],
    "rosh": ["low", "medium", "high", "very_high", "extreme", ""],
    "pre_sentence_report": ["yes", "no", "maybe", ""],
    "ethnicity": ["white", "black", "asian", "unknown", ""],
    "mappa": ["none", "category_1", "cat 9", ""],
    "start_date": ["2022-01-17", "17/01/2022", "", "2022-02-30"],
    "inspector": ["LF", "I2", ""],
}


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A database holding the report's inspection, copied fresh for every example."""
    d = tmp_path_factory.mktemp("template")
    bundle = d / "report.hmip.json"
    bundle.write_bytes(bundle_bytes(report_bundle(), "LF"))
    db = d / "template.sqlite"
    run_hmip("bundle", "import", str(bundle), db=db, check=True)
    return db


def fresh_copy(template, tmp_path, n=[0]):
    n[0] += 1
    target = tmp_path / f"ex{n[0]}.sqlite"
    shutil.copyfile(template, target)
    return target


def check_contract(db, args):
    before = db_content(db)
    result = CliRunner().invoke(cli, ["--db", str(db), *args], catch_exceptions=True)
    if result.exit_code == 0:
        event("accepted")
        return
    assert result.exit_code == 1, f"exit {result.exit_code}: {result.output} {result.exception!r}"
    assert isinstance(result.exception, SystemExit), f"a traceback, not a sentence: {result.exception!r}"
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert "Traceback" not in result.stderr
    assert db_content(db) == before, "a refused input changed the database"
    event("refused")


@st.composite
def sample_csvs(draw):
    header = draw(st.lists(st.sampled_from(COLUMNS + ["surname", "shoe_size", "", "REF"]),
                           min_size=0, max_size=9))
    refs = st.one_of(st.sampled_from(["S1", "S2", "S3", "HF0001"]),
                     st.text(min_size=0, max_size=12), st.just("X" * 70))
    rows = []
    for _ in range(draw(st.integers(0, 6))):
        width = len(header) + draw(st.sampled_from([0, 0, 0, -1, 1]))
        row = []
        for i in range(max(width, 0)):
            column = header[i] if i < len(header) else ""
            if column in ("ref", "REF"):
                row.append(draw(refs))
            elif column in VALUES:
                row.append(draw(st.one_of(st.sampled_from(VALUES[column]), st.text(max_size=8))))
            else:
                row.append(draw(st.one_of(st.text(max_size=10), st.just("x" * 20_000))))
        rows.append(row)
    text = "\n".join(",".join(cell.replace(",", " ") for cell in row) for row in [header, *rows])
    if draw(st.booleans()):
        text = text.replace(",", '","', draw(st.integers(0, 2)))  # stray quotes
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "utf-16", "cp1252"]))
    data = text.encode(encoding, errors="replace")
    if draw(st.integers(0, 9)) == 0:
        data = data[: draw(st.integers(0, len(data)))]
    return data


@SETTINGS
@given(data=sample_csvs())
def test_any_sample_csv_is_imported_whole_or_refused_cleanly(template, tmp_path, data):
    db = fresh_copy(template, tmp_path)
    f = tmp_path / "sample.csv"
    f.write_bytes(data)
    check_contract(db, ["sample", "import", str(f)])


BUNDLE_TEXT = bundle_bytes(report_bundle(), "LF").decode("utf-8")
KEY_PATHS = None


def _paths(node, prefix=()):
    """Every path inside the bundle, for swapping one value for a wrong type."""
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node[:3]):
            yield from _paths(v, (*prefix, i))


ALL_PATHS = [p for p in _paths(json.loads(BUNDLE_TEXT)) if p]
WRONG = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                  st.text(max_size=6), st.lists(st.integers(), max_size=2),
                  st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))


@st.composite
def mutated_bundles(draw):
    kind = draw(st.sampled_from(["truncate", "flip", "wrong_type", "unknown_id", "drop_key"]))
    event(kind)
    if kind == "truncate":
        return BUNDLE_TEXT[: draw(st.integers(0, len(BUNDLE_TEXT) - 1))].encode()
    if kind == "flip":
        raw = bytearray(BUNDLE_TEXT.encode())
        for _ in range(draw(st.integers(1, 3))):
            i = draw(st.integers(0, len(raw) - 1))
            raw[i] ^= 1 << draw(st.integers(0, 7))
        return bytes(raw)
    data = json.loads(BUNDLE_TEXT)
    path = draw(st.sampled_from(ALL_PATHS))
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    if kind == "wrong_type":
        parent[path[-1]] = draw(WRONG)
    elif kind == "drop_key" and isinstance(parent, dict):
        parent.pop(path[-1], None)
    else:
        case = data["cases"][draw(st.integers(0, len(data["cases"]) - 1))]
        if case["answers"]:
            old = draw(st.sampled_from(sorted(case["answers"])))
            case["answers"][draw(st.text(min_size=1, max_size=8))] = case["answers"].pop(old)
    if draw(st.booleans()):  # half re-stamped, so the checks behind the checksum are reached too
        event("re-stamped")
        try:
            return bundle_bytes(data, "LF")
        except (KeyError, TypeError, AttributeError):
            pass
    return json.dumps(data).encode()


@SETTINGS
@given(data=mutated_bundles())
def test_any_mutated_bundle_is_merged_or_refused_cleanly(template, tmp_path, data):
    db = fresh_copy(template, tmp_path)
    f = tmp_path / "mutated.hmip.json"
    f.write_bytes(data)
    check_contract(db, ["bundle", "import", str(f)])


# --- command-line arguments ------------------------------------------------------------------
#
# Any command, any values in its slots: the values a user mistypes and the ones an attacker
# tries (nan, 1e400, 23-digit numbers, lone surrogates, escape sequences, devices, the database
# itself as --out). Accepted, or refused cleanly: exit 1 with one "Error:" line, or Click's own
# usage error (exit 2: a missing or unknown option, which prints its usage and one "Error:"
# line); never a traceback, and a refusal leaves the database exactly as it was.

WEIRD = st.one_of(
    st.sampled_from(["", " ", "nan", "NaN", "inf", "-inf", "-1", "0", "1", "0.5", "5", "1e400",
                     "9" * 23, "#" + "9" * 30, "0x10", "\u00b2", "\u0663", "\ud800", "\udcff",
                     "a\udcedb", "\x1b]2;owned\x07", "\x1b[31mred", "two\nlines", "x" * 300,
                     "2022-02-30", "20220801", "-x", "--", "--help-me"]),
    st.text(max_size=12),
    st.integers(-(10**25), 10**25).map(str),
    st.floats().map(str),
)


def _slot(*sound: str):
    """A slot of a command: half the time a sound value, so that commands get far enough to
    store what the other slots hold; otherwise anything."""
    return st.one_of(st.sampled_from(sound), WEIRD) if sound else WEIRD


TEXT = _slot()
CASE = _slot("HF0001", "HF0002", "HF0041")
QUESTION = _slot("2.2.1", "2.2.1.a", "2.3.2")
ANSWER = _slot("yes", "no", "na")
CODE = _slot("LF", "I2", "I3")
NUMBER = _slot("0", "0.2", "1", "7")

TEMPLATES = [
    ["moderation", "pick", "--readers", CODE, "--share", NUMBER, "--seed", NUMBER],
    ["moderation", "settle", _slot("1", "#1"), ANSWER, "--reason", TEXT],
    ["moderation", "settle", CASE, QUESTION, ANSWER, "--reason", TEXT],
    ["moderation", "assign", CASE, CODE],
    ["moderation", "reopen", CASE, "--reason", TEXT],
    ["answer", CASE, QUESTION, ANSWER, "--note", TEXT, "--reason", TEXT],
    ["judge", _slot("1.1", "1.2"), _slot("good", "inadequate"), "--evidence", TEXT],
    ["case", "grant", CASE, CODE],
    ["demo", "--cases", NUMBER],
    ["init", "--pdu", TEXT, "--region", TEXT, "--fieldwork-start", _slot("2022-08-01")],
    ["--as", CODE, "rate", "--json"],
    ["--as", CODE, "audit", CASE],
    ["--as", CODE, "search", TEXT, "--limit", NUMBER],
    ["search", TEXT, TEXT, "--json"],
    ["--as", CODE, "answer", CASE, QUESTION, ANSWER, "--reason", TEXT],
    ["export", "csv", "--out", "<out>"],
    ["bundle", "export", "--out", "<out>"],
    ["export", "workbook", "--out", "<out>"],
    ["sample", "import", "<file>"],
    ["bundle", "import", "<file>"],
    ["restore", "<file>", "--yes"],
    ["framework", "check", "<file>"],
]


@st.composite
def command_lines(draw, db, tmp):
    template = draw(st.sampled_from(TEMPLATES))
    places = {
        "<out>": ["", " ", ".", "/dev/null", str(db), f"{db}-wal", f"{db}-shm",
                  str(db.parent / "backups" / "x.csv"), str(tmp / "out" / "a.file"),
                  str(tmp / "out" / "\x1b[31m.csv")],
        "<file>": ["", ".", "/dev/null", "/dev/zero", str(db), str(tmp / "missing.csv"),
                   str(tmp / "empty.csv")],
    }
    return [draw(st.sampled_from(places[slot])) if slot in places
            else slot if isinstance(slot, str) else draw(slot) for slot in template]


def check_command_line(db, args, tmp):
    before = db_content(db)
    runner = CliRunner(env={"HMIP_EXPORTS": str(tmp / "exports"), "HMIP_INSPECTOR": "LF",
                            "HMIP_BUNDLE_PASSPHRASE": None, "HMIP_DB": None})
    result = runner.invoke(cli, ["--db", str(db), *args], catch_exceptions=True)
    if result.exit_code == 0:
        event("accepted")
        return
    assert isinstance(result.exception, SystemExit), \
        f"{args!r}: a traceback, not a sentence: {result.exception!r}"
    assert result.exit_code in (1, 2), f"{args!r}: exit {result.exit_code}: {result.output}"
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, f"{args!r}: {result.stderr}"
    if result.exit_code == 1:
        assert result.stderr.strip() == errors[0], f"{args!r}: more than one sentence: {result.stderr}"
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr, f"{args!r}: {result.stderr!r}"
    assert "Traceback" not in result.output
    assert db_content(db) == before, f"{args!r}: a refused command changed the database"
    event("refused" if result.exit_code == 1 else "usage error")


@SETTINGS
@given(data=st.data())
def test_any_command_line_is_carried_out_or_refused_cleanly(template, tmp_path, data):
    db = fresh_copy(template, tmp_path)
    (tmp_path / "empty.csv").write_bytes(b"")
    args = data.draw(command_lines(db, tmp_path))
    check_command_line(db, args, tmp_path)
