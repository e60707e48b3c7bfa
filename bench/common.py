"""Helpers for the benchmarks: a scratch folder, medians, and a line to paste into docs."""

from __future__ import annotations

import platform
import statistics
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path


def machine() -> str:
    import os

    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


@contextmanager
def scratch():
    with tempfile.TemporaryDirectory(prefix="hmip-bench-") as d:
        yield Path(d)


def timed(fn, *args, **kwargs) -> float:
    start = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - start


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def percentile_ms(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


def big_bundle(cases: int, seed: int = 7) -> dict:
    """A bundle of `cases` fully answered synthetic cases (the demo generator, all complete)."""
    from hmip_tui.demo import demo_bundle
    from hmip_tui.framework import load_framework

    data = demo_bundle(load_framework(), cases=cases, seed=seed)
    framework = load_framework()
    for case in data["cases"]:  # answer every applicable question, as a finished inspection would
        for q in framework.questions.values():
            if q.applies_to(case["profile"]) and q.id not in case["answers"]:
                case["answers"][q.id] = {"value": q.type.options[0].id, "note": "Bench evidence."}
        case["status"] = "complete"
    return data


def answered_inspection(db: Path, cases: int, seed: int = 7) -> None:
    """A database of `cases` fully answered cases (made as the demo is made), unless `db` exists."""
    if db.exists():
        return
    from hmip_tui.framework import load_framework
    from hmip_tui.services import open_database
    from hmip_tui.services.inspection import found_from_v1

    conn = open_database(db)
    found_from_v1(conn, load_framework(), big_bundle(cases, seed), "LEAD")
    conn.close()


def bare_rows(data: dict) -> tuple[list[tuple], list[tuple]]:
    """The case and answer rows of a bundle, as the bare-sqlite3 baselines insert them."""
    import json

    cases = [(i + 1, c["ref"], c["inspector"], json.dumps(c["profile"], sort_keys=True),
              c["status"], data["created"]) for i, c in enumerate(data["cases"])]
    answers = [(i + 1, q, a["value"], a.get("note"), data["framework"]["id"], data["framework"]["version"],
                c["inspector"], data["created"])
               for i, c in enumerate(data["cases"]) for q, a in c["answers"].items()]
    return cases, answers


def bare_insert(conn, rows_cases: list[tuple], rows_answers: list[tuple]) -> None:
    """The baseline: one transaction, executemany of the same rows, into hmip's own schema."""
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO inspector (code) VALUES ('LEAD'), ('INSP2'), ('INSP3')")
    conn.executemany("INSERT INTO case_file (id, ref, inspector, profile, status, created_at) "
                     "VALUES (?, ?, ?, ?, ?, ?)", rows_cases)
    conn.executemany("INSERT INTO answer VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows_answers)
    conn.execute("COMMIT")


def team_week(d, cases: int, inspectors: int, seed: int = 7):
    """A fieldwork week as it reaches the lead: the lead's database with `cases` sampled cases,
    and one signed bundle from each inspector holding their share of the cases fully answered
    (every applicable question; a note on each key question), each joined from the lead's
    bundle. Returns (lead database path, [bundle paths], the answer rows for a bare baseline).

    The answers are written with the store's own functions in one transaction a laptop (the
    same entries record_answer makes, without a commit each), so that making 300,000 of them
    takes seconds, not minutes."""
    import shutil

    from hmip_tui import services, store
    from hmip_tui.framework import load_framework
    from hmip_tui.store import history, registers, team
    from hmip_tui.store.inspections import now

    framework = load_framework()
    data = big_bundle(cases, seed=seed)
    lead = d / "lead.sqlite"
    conn = services.open_database(lead)
    services.found_inspection(conn, pdu="Bench PDU", framework=framework, lead="LF")
    codes = [f"I{i:02d}" for i in range(inspectors)]
    per = -(-cases // inspectors)
    with store.transaction(conn):
        for code in codes:
            team.add(conn, code, "inspector", "LF")
        store.cases.add_cases(conn, [(c["ref"], codes[i // per], c["profile"])
                                     for i, c in enumerate(data["cases"])], "LF")
    joined_bundle = d / "lead-0.hmip.json"
    services.export_bundle(conn, joined_bundle, "LF")
    conn.close()
    joined = d / "joined.sqlite"
    conn = services.open_database(joined)
    services.import_bundles(conn, [joined_bundle], codes[0])
    conn.close()
    paths, rows = [], []
    key_questions = {q.id for q in framework.questions.values() if q.kind == "key_question"}
    for n, code in enumerate(codes):
        laptop = d / f"{code}.sqlite"
        shutil.copyfile(joined, laptop)
        conn = services.open_database(laptop)
        stamp = now()
        with store.transaction(conn):
            team.ready_to_write(conn, code)
            entries = []
            for case in data["cases"][n * per:(n + 1) * per]:
                for qid, a in case["answers"].items():
                    note = history.write_text(conn, f"Evidence for {qid} in {case['ref']}.") \
                        if qid in key_questions else None
                    entries.append(history.make_entry("answer", case["ref"], qid, a["value"], author=code,
                                                      at=stamp, note=note))
                    rows.append((case["ref"], qid, a["value"], code, stamp))
            registers.advance(conn, entries)
        path = d / f"{code}.hmip.json"
        services.export_bundle(conn, path, code)
        conn.close()
        paths.append(path)
    return lead, paths, rows


def bare_answers(conn, rows: list[tuple]) -> None:
    """The baseline of a merge: the same answer rows, executemany'd into hmip's own answer
    table in one transaction (case ids looked up once, as a bare loader would)."""
    ids = dict(conn.execute("SELECT ref, id FROM case_file"))
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany("INSERT INTO answer (case_id, question, value, note, framework_id, framework_version, "
                     "answered_by, answered_at) VALUES (?, ?, ?, NULL, 'hmip-adult-pdu', '2022.1', ?, ?)",
                     ((ids[r], q, v, by, at) for r, q, v, by, at in rows))
    conn.execute("COMMIT")


def lead_exports(hmip: str, lead_db: Path, cases: int, d: Path, exports: dict[str, str]):
    """A lead's database of `cases` answered cases (kept at `lead_db` if given), exported once
    for each flag in `exports` ({flag: file name}) into `d`. Returns the lead's environment, a
    joining laptop's (its own keys), and the exported files by flag."""
    import os
    import subprocess

    # The lead's signing key lives beside a reused database, so a later run signs with it.
    os.environ["XDG_DATA_HOME"] = str(lead_db.parent / f"{lead_db.stem}-keys")
    answered_inspection(lead_db, cases)
    env = dict(os.environ)
    joining = {**env, "XDG_DATA_HOME": str(d / "joining")}
    files = {flag: d / name for flag, name in exports.items()}
    for flag, out in files.items():
        subprocess.run([hmip, "--db", str(lead_db), "--as", "LEAD", "bundle", "export", flag, "--out", str(out)],
                       env=env, check=True, capture_output=True)
    return env, joining, files
