"""The audit log under the conditions a deployment meets (issue 9 item 9): a full device,
rotation by rename, a FIFO at the path. The file handling is tried on :class:`AuditLog` itself;
the real console script (``--sandbox``: the built-in emulator, no network) runs once, for the
promise only a process can show: a full device costs entries, never a call nor a clean exit."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from emulator import default_examples
from tests.support.cli import run_main
from tests.support.processes import stdio_server
from tools.audit import AuditEntry, AuditLog

IDS = default_examples()
ARGS = {"profile_id": IDS.profile_id, "id_type": "email"}


def entries(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def entry(tool: str) -> AuditEntry:
    return AuditEntry(tool, None, None, None, "ok", None, 0, 0.0)


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


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
def test_a_full_device_is_reported_once_per_interval_and_closes_cleanly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    log = AuditLog("/dev/full")
    for tool in ("a", "b", "c"):
        log.record(entry(tool))  # never raises: a full disk must not fail a good answer
    log.close()
    failures = [
        record.getMessage() for record in caplog.records if "audit log write failed" in record.message
    ]
    assert failures == [
        "audit log write failed (No space left on device): 1 entry lost; the calls themselves went on"
    ]


def test_rotation_by_rename_goes_on_in_a_new_file_at_the_path(tmp_path: Path) -> None:
    audit = tmp_path / "audit.jsonl"
    rotated = tmp_path / "audit.jsonl.1"
    log = AuditLog(str(audit))
    log.record(entry("first"))
    audit.rename(rotated)  # what logrotate does (without copytruncate)
    log.record(entry("second"))
    audit.unlink()  # deleted outright: a new file again
    log.record(entry("third"))
    log.close()
    assert [line["tool"] for line in entries(rotated)] == ["first"]
    assert [line["tool"] for line in entries(audit)] == ["third"]


def test_a_fifo_is_refused_at_start_instead_of_blocking_it(tmp_path: Path) -> None:
    fifo = tmp_path / "audit.fifo"
    os.mkfifo(fifo)
    completed = run_main([], {"TWILIO_MEMORY_AUDIT_LOG": str(fifo)})  # it used to block here for good
    assert completed.code == 2
    assert "TWILIO_MEMORY_AUDIT_LOG" in completed.stderr and "a FIFO, not a regular file" in completed.stderr
    assert completed.stdout == ""


def test_character_devices_are_accepted(caplog: pytest.LogCaptureFixture) -> None:
    log = AuditLog(os.devnull)
    assert log.enabled
    log.record(entry("t"))
    log.close()
    assert "audit" not in caplog.text


def test_a_fifo_swapped_in_after_start_is_refused_without_blocking(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The start-up check cannot see a file replaced later: the non-blocking open still refuses.
    path = tmp_path / "audit.jsonl"
    log = AuditLog(str(path))
    path.unlink()
    os.mkfifo(path)
    log.record(entry("t"))  # returns at once: ENXIO, reported, the call goes on
    log.close()
    assert "audit log write failed (cannot open the audit log (No such device or address))" in caplog.text
