"""Recording one answer, durably committed, against a bare sqlite3 insert-and-commit.

Both run on the same kind of file with the same settings (WAL, synchronous=FULL), interleaved
in rounds so that disk noise falls on both. Also measured, for the record: SQLModel's Session
path and sqlite-utils' upsert (pip install -e '.[dev]'), which the store chose not to use.

    python bench/bench_save.py [--n 2000] [--notes]

`--notes` gives every answer an evidence note (both sides store it), so what a change of note
costs (the search index's triggers) is measured too; without it no note changes.
"""

from __future__ import annotations

import argparse
import random
import sqlite3

from common import machine, median_ms, percentile_ms, scratch, timed

from hmip_tui import store
from hmip_tui.framework import load_framework

PROFILE = {"sentence_type": "licence", "sex": "male", "rosh": "high", "pre_sentence_report": "no"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--synchronous", default="FULL", choices=["FULL", "OFF"],
                        help="OFF on both sides measures the CPU alone, without the fsync both pay")
    parser.add_argument("--notes", action="store_true", help="every answer with a new evidence note")
    args = parser.parse_args()
    fw = load_framework()
    questions = [q for q in fw.questions.values() if q.applies_to(PROFILE)]
    with scratch() as d:
        conn = store.connect(d / "hmip.sqlite")
        conn.execute(f"PRAGMA synchronous={args.synchronous}")
        with store.transaction(conn):
            store.create_inspection(conn, pdu="Bench", framework=fw, lead="LF")
        for i in range(50):
            store.add_case(conn, fw, f"C{i}", "LF", PROFILE, "LF")

        bare = sqlite3.connect(d / "bare.sqlite", isolation_level=None)
        bare.execute("PRAGMA journal_mode=WAL")
        bare.execute(f"PRAGMA synchronous={args.synchronous}")
        bare.execute("CREATE TABLE answer (case_id INTEGER, question TEXT, value TEXT, note TEXT, "
                     "framework_id TEXT, framework_version TEXT, answered_by TEXT, answered_at TEXT, "
                     "PRIMARY KEY (case_id, question)) WITHOUT ROWID")

        rng = random.Random(1)
        ours, baseline = [], []

        def bare_save(case: int, q: str, value: str, note: str | None) -> None:
            bare.execute("BEGIN")
            bare.execute("INSERT OR REPLACE INTO answer VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                         (case, q, value, note, fw.id, fw.version, "LF", "2022-08-01T10:00:00"))
            bare.execute("COMMIT")

        for _ in range(args.n):
            case, q = rng.randrange(50), rng.choice(questions)
            value = rng.choice(q.type.values)
            note = (f"Seen on visit {rng.randrange(10**6)}: the plan names no contingency for "
                    "the children's safety." if args.notes else None)
            baseline.append(timed(bare_save, case, q.id, value, note))
            ours.append(timed(store.record_answer, conn, fw, f"C{case}", q.id, value, note, "LF"))

        extra = _alternatives(d, args.n)
    b, o = median_ms(baseline), median_ms(ours)
    print(f"machine: {machine()}; {args.n} answers each, interleaved; synchronous={args.synchronous}"
          + ("; each with a new note" if args.notes else ""))
    print(f"bare sqlite3 insert+commit: median {b:.3f} ms, p99 {percentile_ms(baseline, 99):.3f} ms")
    print(f"hmip record_answer:         median {o:.3f} ms, p99 {percentile_ms(ours, 99):.3f} ms")
    print(f"ratio (ours / bare): {o / b:.2f}x  (target: within 2x)")
    for name, samples in extra.items():
        print(f"{name}: median {median_ms(samples):.3f} ms = {median_ms(samples) / b:.2f}x bare")


def _alternatives(d, n: int) -> dict[str, list[float]]:
    """SQLModel and sqlite-utils on the same settings, if installed."""
    out: dict[str, list[float]] = {}
    try:
        import sqlite_utils

        conn = sqlite3.connect(d / "su.sqlite", isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        db = sqlite_utils.Database(conn)
        db["answer"].create({"case_id": int, "question": str, "value": str}, pk=("case_id", "question"))
        out["sqlite-utils upsert"] = [
            timed(db["answer"].upsert, {"case_id": i % 50, "question": f"q{i % 60}", "value": "yes"},
                  pk=("case_id", "question")) for i in range(n // 4)]
    except ImportError:
        pass
    try:
        from sqlalchemy import event
        from sqlmodel import Field, Session, SQLModel, create_engine

        class Answer(SQLModel, table=True):
            case_id: int = Field(primary_key=True)
            question: str = Field(primary_key=True)
            value: str

        engine = create_engine(f"sqlite:///{d / 'sqlmodel.sqlite'}")

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi, _):
            dbapi.execute("PRAGMA journal_mode=WAL")
            dbapi.execute("PRAGMA synchronous=FULL")

        SQLModel.metadata.create_all(engine)

        def save(i: int) -> None:
            with Session(engine) as session:
                session.merge(Answer(case_id=i % 50, question=f"q{i % 60}", value="yes"))
                session.commit()

        out["SQLModel Session merge+commit"] = [timed(save, i) for i in range(n // 4)]
    except ImportError:
        pass
    return out


if __name__ == "__main__":
    main()
