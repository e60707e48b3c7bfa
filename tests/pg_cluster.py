"""A throwaway PostgreSQL cluster on 127.0.0.1 for the team-server tests (and bench/).

CI starts one and gives its administrator's URL in HMIP_TEST_PG_URL; without it, `start()`
makes one from the distribution's binaries, run as the `postgres` user when we are root
(initdb refuses root), listening on 127.0.0.1 only, on a free port."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def binaries() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(versions[-1]).parent if versions else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self):
        self.bin = binaries()
        if self.bin is None:
            raise RuntimeError("no PostgreSQL binaries (initdb) on this machine")
        self.home = Path(tempfile.mkdtemp(prefix="hmip-pg-"))
        self.port = _free_port()
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.home, "postgres", "postgres")
        self.data = self.home / "data"
        # Passwords are checked over TCP (scram), as on a real server: a login's URL must be right.
        import secrets

        self.password = secrets.token_hex(16)
        self.url = (f"postgresql://postgres:{self.password}@127.0.0.1:{self.port}/postgres"
                    "?sslmode=disable")

    def _run(self, *args: str) -> None:
        cmd = (["runuser", "-u", "postgres", "--"] if self.as_postgres else []) + list(args)
        subprocess.run(cmd, check=True, capture_output=True, timeout=60)

    def start(self) -> str:
        pwfile = self.home / "pw"
        pwfile.write_text(self.password + "\n")
        if self.as_postgres:
            shutil.chown(pwfile, "postgres", "postgres")
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth-local=trust",
                  "--auth-host=scram-sha-256", f"--pwfile={pwfile}", "-E", "UTF8", "--no-locale")
        pwfile.unlink()
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.home / "log"), "-w",
                  "-o", f"-h 127.0.0.1 -p {self.port} -k {self.home} -c fsync=off", "start")
        return self.url

    def stop(self) -> None:
        try:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.home, ignore_errors=True)


def stop_at(home: str) -> None:
    """Stop the cluster kept in `home` (as `start` printed it) and remove it."""
    c = Cluster.__new__(Cluster)
    c.bin, c.home = binaries(), Path(home)
    c.data, c.as_postgres = c.home / "data", os.geteuid() == 0
    c.stop()


if __name__ == "__main__":  # .ci/run: `start` prints the URL and the folder; `stop FOLDER`
    import sys

    if sys.argv[1:2] == ["start"]:
        c = Cluster()
        print(c.start(), c.home)
    elif sys.argv[1:2] == ["stop"] and len(sys.argv) == 3:
        stop_at(sys.argv[2])
    else:
        sys.exit("usage: pg_cluster.py start | stop FOLDER")
