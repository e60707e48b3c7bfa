"""`hmip rate --json` on a large inspection against the same on a small one: the cost of rating
should grow with the framework, not with the number of cases. Whole process, best of N each,
interleaved.

    python bench/bench_rate.py [--small 500] [--large 50000] [--rounds 3] [--small-db F] [--large-db F]

Building the 50,000-case demo takes minutes: `--large-db` reuses (and if missing, keeps) one.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import time
from pathlib import Path

from common import machine, scratch


def demo(hmip: str, db: Path, cases: int) -> None:
    if not db.exists():
        subprocess.run([hmip, "--db", str(db), "demo", "--cases", str(cases)], check=True,
                       capture_output=True)


def rate(hmip: str, db: Path) -> float:
    start = time.perf_counter()
    subprocess.run([hmip, "--db", str(db), "rate", "--json"], check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=500)
    parser.add_argument("--large", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--small-db", type=Path, default=None)
    parser.add_argument("--large-db", type=Path, default=None)
    args = parser.parse_args()
    hmip = shutil.which("hmip")
    with scratch() as d:
        small = args.small_db or d / "small.sqlite"
        large = args.large_db or d / "large.sqlite"
        demo(hmip, small, args.small)
        demo(hmip, large, args.large)
        rate(hmip, small)  # the day's first open of each, outside the timing
        rate(hmip, large)
        times = {"small": [], "large": []}
        for _ in range(args.rounds):
            times["small"].append(rate(hmip, small))
            times["large"].append(rate(hmip, large))
        sizes = {k: os.path.getsize(p) / 1e6 for k, p in (("small", small), ("large", large))}
    s, l = min(times["small"]), min(times["large"])
    print(f"machine: {machine()}; best of {args.rounds}, interleaved, whole process")
    print(f"hmip rate --json, {args.small} cases ({sizes['small']:.0f} MB): {s:.3f} s")
    print(f"hmip rate --json, {args.large} cases ({sizes['large']:.0f} MB): {l:.3f} s")
    print(f"ratio (large / small): {l / s:.2f}x  (target: within 2x)")


if __name__ == "__main__":
    main()
