"""The documented gunicorn command's worker outlives nothing: when its master is killed
outright (SIGKILL, as an out-of-memory kill does), each worker stops by itself, as gunicorn's
own workers do, instead of serving, and holding the port, for ever."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from tests.support.console import HANG_GUARD
from tests.support.processes import http_server
from tests.support.processes import token_environment as environment


def children_of(pid: int) -> set[int]:
    """The live processes whose parent is ``pid`` (from /proc)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces, so split after its ")".
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_workers_stop_when_their_master_is_killed(tmp_path: Path) -> None:
    # --timeout 4: workers check on their master every 2 s (half of it) instead of every 15 s.
    with http_server(environment(), tmp_path, "--timeout", "4", runner="gunicorn", workers=2) as server:
        deadline = time.monotonic() + HANG_GUARD
        while len(workers := children_of(server.process.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(workers) == 2, server.stderr
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait()
        while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(alive(pid) for pid in workers), server.stderr[-3000:]
        assert server.stderr.count("Parent changed, shutting down") == 2
        assert "Traceback" not in server.stderr, server.stderr[-3000:]
