"""The audit log under the conditions a deployment meets (issue 9 item 9): a full device,
rotation by rename, a FIFO at the path. Each runs the real console script (``--sandbox``:
the built-in emulator, no network) over stdio."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from emulator import default_examples
from tests.support.console import HANG_GUARD, SCRIPT, clean_environment
from tests.support.processes import stdio_server

IDS = default_examples()
ARGS = {"profile_id": IDS.profile_id, "id_type": "email"}


def entries(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
def test_a_full_device_loses_entries_but_not_calls_nor_a_clean_exit(tmp_path: Path) -> None:
    env = {"TWILIO_MEMORY_AUDIT_LOG": "/dev/full"}
    with stdio_server(env, tmp_path, "--sandbox") as server:
        server.initialize()
        answers = [server.call_tool("get_profile_identifiers", ARGS) for _ in range(3)]
        status = server.close()
    assert all(answer["result"]["isError"] is False for answer in answers)
    assert status == 0, server.stderr  # was 1, with a traceback from close()
    assert "Traceback" not in server.stderr
    # Said once for the interval, not once per call.
    assert server.stderr.count("audit log write failed (No space left on device)") == 1


def test_rotation_by_rename_goes_on_in_a_new_file_at_the_path(tmp_path: Path) -> None:
    audit = tmp_path / "audit.jsonl"
    rotated = tmp_path / "audit.jsonl.1"
    with stdio_server({"TWILIO_MEMORY_AUDIT_LOG": str(audit)}, tmp_path, "--sandbox") as server:
        server.initialize()
        server.call_tool("get_profile_identifiers", ARGS)
        audit.rename(rotated)  # what logrotate does (without copytruncate)
        server.call_tool("list_profile_identifiers", {"profile_id": IDS.profile_id})
        audit.unlink()  # deleted outright: a new file again
        server.call_tool("get_profile_identifiers", ARGS)
        assert server.close() == 0
    assert [entry["tool"] for entry in entries(rotated)] == ["get_profile_identifiers"]
    assert [entry["tool"] for entry in entries(audit)] == ["get_profile_identifiers"]


def test_a_fifo_is_refused_at_start_instead_of_blocking_it(tmp_path: Path) -> None:
    fifo = tmp_path / "audit.fifo"
    os.mkfifo(fifo)
    try:
        completed = subprocess.run(
            [SCRIPT],
            env=clean_environment({"TWILIO_MEMORY_AUDIT_LOG": str(fifo)}),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=HANG_GUARD,  # it used to block here for good, waiting for a reader
        )
    except subprocess.TimeoutExpired:
        pytest.fail("start-up blocked on the FIFO")
    assert completed.returncode == 2
    assert "TWILIO_MEMORY_AUDIT_LOG" in completed.stderr and "a FIFO, not a regular file" in completed.stderr
    assert completed.stdout == ""


def test_character_devices_are_accepted(tmp_path: Path) -> None:
    with stdio_server({"TWILIO_MEMORY_AUDIT_LOG": os.devnull}, tmp_path, "--sandbox") as server:
        server.initialize()
        answer = server.call_tool("get_profile_identifiers", ARGS)
        assert server.close() == 0
    assert answer["result"]["isError"] is False
    assert "audit" not in server.stderr


def test_a_fifo_swapped_in_after_start_is_refused_without_blocking(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The start-up check cannot see a file replaced later: the non-blocking open still refuses.
    from tools.audit import AuditEntry, AuditLog

    path = tmp_path / "audit.jsonl"
    log = AuditLog(str(path))
    path.unlink()
    os.mkfifo(path)
    entry = AuditEntry("t", None, None, None, "ok", None, 0, 0.0)
    log.record(entry)  # returns at once: ENXIO, reported, the call goes on
    log.close()
    assert "audit log write failed (cannot open the audit log (No such device or address))" in caplog.text
