"""Time until the home screen shows the first case reference, in a real terminal (tmux 120x40),
against a bare Textual app (a Header, a 5-column DataTable of 100 rows, a Footer) filled from a
list in memory. Each run ends by killing the terminal, as closing a laptop's lid does, so nothing
is closed cleanly between runs. Interleaved rounds, medians.

    python bench/bench_startup.py [--cases 5000] [--rounds 5] [--db FILE]

`--db` reuses (and if missing, makes) a demo database, as building 5,000 cases takes a while.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
from pathlib import Path

from common import machine, scratch
from tmux_timing import time_until_shown

from hmip_tui import store
from hmip_tui.framework import load_framework
from hmip_tui.services import create_demo, open_database


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--db", type=Path, default=None)
    args = parser.parse_args()
    hmip = shutil.which("hmip")
    with scratch() as d:
        db = args.db or d / "hmip.sqlite"
        conn = open_database(db)
        if store.get_inspection(conn) is None:
            create_demo(conn, load_framework(), cases=args.cases)
        refs = store.case_refs(conn)
        lead = conn.execute("SELECT code FROM inspector WHERE role = 'lead'").fetchone()[0]
        conn.close()
        target = refs[0]  # the first case reference on screen
        bare_cmd = [sys.executable, str(Path(__file__).parent / "bare_home.py"), *refs[:100]]
        ours_cmd = ["env", f"HMIP_INSPECTOR={lead}", hmip, "--db", str(db)]  # the lead sees every case
        ours, bare = [], []
        for _ in range(args.rounds):
            bare.append(time_until_shown(bare_cmd, target))
            ours.append(time_until_shown(ours_cmd, target))
    b, o = statistics.median(bare), statistics.median(ours)
    print(f"machine: {machine()}; {len(refs)}-case inspection, {args.rounds} rounds each, interleaved, "
          f"tmux 120x40, each run ended by killing its terminal"
          + ("" if os.environ.get("PYTHONDONTWRITEBYTECODE") is None else
             "; WARNING: PYTHONDONTWRITEBYTECODE is set, every run compiles hmip afresh"))
    print(f"bare Textual app (Header, 5-column DataTable of 100 rows, Footer): median {b:.3f} s")
    print(f"hmip (database, framework, case progress, home screen):          median {o:.3f} s")
    print(f"ratio (ours / bare): {o / b:.2f}x  (target: within 1.5x)")


if __name__ == "__main__":
    main()
