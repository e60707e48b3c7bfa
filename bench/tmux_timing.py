"""Driving a command in tmux and timing what appears on its screen."""

from __future__ import annotations

import shlex
import subprocess
import time
import uuid


def start(command: list[str], width: int = 120, height: int = 40) -> str:
    name = f"bench-{uuid.uuid4().hex[:8]}"
    for _ in range(20):  # the tmux server may be exiting with the last session: try again
        done = subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", str(width),
                               "-y", str(height), shlex.join(command)], capture_output=True)
        if done.returncode == 0:
            return name
        time.sleep(0.05)
    raise RuntimeError(f"tmux would not start: {done.stderr.decode()}")


def screen(name: str) -> str:
    return subprocess.run(["tmux", "capture-pane", "-p", "-t", name], capture_output=True, text=True).stdout


def time_until_shown(command: list[str], text: str, timeout: float = 30) -> float:
    """Seconds from launching `command` in a fresh tmux window until `text` is on its screen."""
    start_at = time.perf_counter()
    name = start(command)
    try:
        while time.perf_counter() - start_at < timeout:
            if text in screen(name):
                return time.perf_counter() - start_at
            time.sleep(0.005)
        raise RuntimeError(f"{text!r} never appeared: {screen(name)}")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)
