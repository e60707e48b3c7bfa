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
