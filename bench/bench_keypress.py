"""Keypress to committed answer: the real app (headless, driven by Pilot, which posts key events
as the terminal driver does) on a real SQLite file, timed from posting the key to the moment
`record_answer` returns with the answer committed. The bare commit cost is measured in the same
run; the target is that cost plus under one frame (16 ms). Terminal input parsing, which this
leaves out, costs well under a millisecond.

    python bench/bench_keypress.py [--answers 300]
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import time

from common import machine, percentile_ms, scratch

from hmip_tui import store
from hmip_tui.framework import load_framework
from hmip_tui.services import open_database
from hmip_tui.tui.app import HmipApp
from hmip_tui.tui.screens import case_walk

PROFILE = {"sentence_type": "licence", "sex": "male", "rosh": "high", "pre_sentence_report": "no"}


def bare_commit_ms(path, n: int = 300) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)")
    times = []
    for i in range(n):
        t = time.perf_counter()
        conn.execute("BEGIN")
        conn.execute("INSERT INTO t VALUES (?, 'yes')", (i,))
        conn.execute("COMMIT")
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


async def measure(db, answers: int) -> list[float]:
    fw = load_framework()
    committed: list[float] = []
    real = store.record_answer

    def timed_record(*args, **kwargs):
        result = real(*args, **kwargs)
        committed.append(time.perf_counter())
        return result

    case_walk.store.record_answer = timed_record  # the screen's own call, timed at its return
    samples = []
    app = HmipApp(open_database(db), db, "LF")
    async with app.run_test(size=(120, 40)) as pilot:
        for ref in store.case_refs(app.conn):
            app.open_case(ref)
            await pilot.pause()
            for q in [q for q in fw.questions.values() if q.applies_to(PROFILE)]:
                if len(samples) == answers:
                    break
                key = "n" if q.note_required else q.type.options[0].key
                before = len(committed)
                t = time.perf_counter()
                await pilot.press(key)
                assert len(committed) == before + 1, f"{key} on {q.id} did not record an answer"
                samples.append(committed[-1] - t)
                if q.note_required:
                    await pilot.press("escape")  # leave the evidence note for later
            await pilot.press("escape")
            if len(samples) == answers:
                break
    case_walk.store.record_answer = real
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--answers", type=int, default=300)
    args = parser.parse_args()
    fw = load_framework()
    with scratch() as d:
        db = d / "hmip.sqlite"
        conn = open_database(db)
        with store.transaction(conn):
            store.create_inspection(conn, pdu="Bench", framework=fw)
        for i in range(-(-args.answers // 59) + 1):
            store.add_case(conn, fw, f"K{i:03d}", "LF", PROFILE)
        conn.close()
        samples = asyncio.run(measure(db, args.answers))
        bare = bare_commit_ms(d / "bare.sqlite")
    med, p99 = statistics.median(samples) * 1000, percentile_ms(samples, 99)
    print(f"machine: {machine()}; {len(samples)} answers by key, real app (headless) on a real SQLite file")
    print(f"bare sqlite3 insert+commit (same run): median {bare:.2f} ms")
    print(f"keypress -> answer committed: median {med:.2f} ms, p99 {p99:.2f} ms")
    print(f"over the bare commit: median {med - bare:.2f} ms, p99 {p99 - bare:.2f} ms "
          f"(target: under 16 ms, one frame)")


if __name__ == "__main__":
    main()
