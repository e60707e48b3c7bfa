"""Time until the home screen shows the case list of a 100-case inspection, in a real terminal
(tmux), against a bare Textual app showing the same widgets filled from a list in memory.
Interleaved rounds, medians.

    python bench/bench_startup.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
from pathlib import Path

from common import machine, scratch
from tmux_timing import time_until_shown

from hmip_tui import store
from hmip_tui.services import create_demo, open_database
from hmip_tui.framework import load_framework


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    hmip = shutil.which("hmip")
    with scratch() as d:
        db = d / "hmip.sqlite"
        conn = open_database(db)
        create_demo(conn, load_framework(), cases=100)
        refs = store.case_refs(conn)
        conn.close()
        last = refs[-1]  # present once the whole first screen of the table is drawn... or the first
        target = refs[0]
        bare_cmd = [sys.executable, str(Path(__file__).parent / "bare_home.py"), *refs]
        ours_cmd = ["env", "HMIP_INSPECTOR=NOBODY", hmip, "--db", str(db)]
        ours, bare = [], []
        for _ in range(args.rounds):
            bare.append(time_until_shown(bare_cmd, target))
            ours.append(time_until_shown(ours_cmd, target))
    b, o = statistics.median(bare), statistics.median(ours)
    print(f"machine: {machine()}; 100-case inspection, {args.rounds} rounds each, interleaved, tmux 120x40")
    print(f"bare Textual app, same widgets, rows from memory: median {b:.3f} s")
    print(f"hmip (database, framework, case progress):        median {o:.3f} s")
    print(f"ratio (ours / bare): {o / b:.2f}x  (target: within 1.5x)")


if __name__ == "__main__":
    main()
