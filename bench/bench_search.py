"""Searching the evidence for a rare word over 300,000 notes, against a bare `LIKE '%word%'`
scan of the same notes in the same database, same run (issue 12: within a tenth of it).

The notes are written as answers (60 per case, 5,000 cases), in one transaction, as a large
merge writes them: the rows to search kept by their triggers, the index built after them. Each note is
fifteen words drawn from a vocabulary of 2,000; the rare word is in 3 notes, the common one in
about one note in a hundred. `hmip search` is timed as the command runs it (`search_evidence`:
the reader's rights, the query, the first 50 hits with their snippets), and the store's query
alone; each the median of `--rounds`, interleaved with the LIKE scan.

    python bench/bench_search.py [--notes 300000] [--rounds 15]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from common import machine, scratch

from hmip_tui import store
from hmip_tui.framework import load_framework
from hmip_tui.services import search_evidence
from hmip_tui.store import search

PROFILE = {"sentence_type": "licence", "sex": "male", "rosh": "high", "pre_sentence_report": "no"}
RARE, COMMON = "quixotically", "w17"


def notes(n: int, rng: random.Random) -> list[str]:
    vocabulary = [f"w{i}" for i in range(2000)]
    out = [" ".join(rng.choice(vocabulary) for _ in range(15)) for _ in range(n)]
    for i in rng.sample(range(n), 3):
        out[i] += f" {RARE}"
    return out


def build(d, n: int, searchable: bool = True):
    fw = load_framework()
    questions = [q.id for q in fw.questions.values() if q.applies_to(PROFILE)][:60]
    cases = -(-n // len(questions))
    conn = store.connect(d / ("hmip.sqlite" if searchable else "unsearchable.sqlite"))
    conn.execute("PRAGMA synchronous=OFF")  # the build is set-up, not what is measured
    if not searchable:  # the baseline for writing: the same file as before search existed
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND "
                                    "name LIKE 'evidence%'").fetchall():
            conn.execute(f'DROP TRIGGER "{name}"')
        conn.execute(f"DROP TABLE {search.FTS}")
    with store.transaction(conn):
        store.create_inspection(conn, pdu="Bench", framework=fw, lead="LEAD")
        store.cases.add_cases(conn, [(f"X{i:06d}", "LEAD", PROFILE) for i in range(cases)], "LEAD")
    ids = [i for (i,) in conn.execute("SELECT id FROM case_file ORDER BY ref")]
    texts = notes(n, random.Random(7))
    rows = [(ids[k // len(questions)], questions[k % len(questions)], "no", texts[k], fw.id, fw.version,
             "LEAD", "2022-08-01T10:00:00") for k in range(n)]
    start = time.perf_counter()
    with store.transaction(conn), search.bulk(conn, len(rows)):
        conn.executemany("INSERT INTO answer (case_id, question, value, note, framework_id, framework_version, "
                         "answered_by, answered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    written = time.perf_counter() - start
    return conn, fw, written


def like(conn, word: str) -> int:
    return len(conn.execute("SELECT a.case_id, a.question, a.note FROM answer a WHERE a.note LIKE ?",
                            (f"%{word}%",)).fetchall())


def timed_ms(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--notes", type=int, default=300_000)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    with scratch() as d:
        _, _, unsearchable = build(d, args.notes, searchable=False)
        conn, fw, written = build(d, args.notes)
        held = conn.execute("SELECT count(*) FROM evidence_text").fetchone()[0]
        assert search_evidence(conn, fw, RARE, "LEAD")["count"] == like(conn, RARE) == 3
        print(f"machine: {machine()}; {held} notes in the index")
        print(f"writing them as a merge does: {written:.2f} s; without the search (schema 5's file): "
              f"{unsearchable:.2f} s = {written / unsearchable:.2f}x")
        for word in (RARE, COMMON):
            full, alone, scan = [], [], []
            query = f'"{word}"'
            for _ in range(args.rounds):
                scan.append(timed_ms(like, conn, word))
                full.append(timed_ms(search_evidence, conn, fw, word, "LEAD"))
                alone.append(timed_ms(search.search, conn, query, set(), 50))
            s, f, a = (statistics.median(x) for x in (scan, full, alone))
            count = search_evidence(conn, fw, word, "LEAD")["count"]
            print(f"{word!r} ({count} notes): LIKE scan {s:.2f} ms; search_evidence {f:.2f} ms = {f / s:.3f}x; "
                  f"store query alone {a:.2f} ms = {a / s:.3f}x  (target for a rare word: 0.1x)")
        start = time.perf_counter()
        with store.transaction(conn):
            search.purge_removed(conn)
        print(f"merging the whole index after a redaction ('optimize'): {time.perf_counter() - start:.2f} s")
        start = time.perf_counter()
        with store.transaction(conn):
            search.rebuild(conn)
        print(f"rebuilding the index from the notes (a lost trigger, or the migration): "
              f"{time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
