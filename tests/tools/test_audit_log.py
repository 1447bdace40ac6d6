"""The audit log under the conditions a deployment meets (issue 9 item 9): a full device,
rotation by rename, a FIFO at the path. The file handling is tried on :class:`AuditLog` itself;
the real console script (``--sandbox``: the built-in emulator, no network) runs once, for the
promise only a process can show: a full device costs entries, never a call nor a clean exit."""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from emulator import default_examples
from tests.support.cli import run_main
from tests.support.console import HANG_GUARD
from tests.support.processes import stdio_server
from tools.audit import AuditEntry, AuditLog

IDS = default_examples()
ARGS = {"profile_id": IDS.profile_id, "id_type": "email"}


NEEDS_DEV_FULL = pytest.mark.skipif(
    not os.path.exists("/dev/full"),
    reason="needs /dev/full, a device that is always full: Linux has it; nothing to install elsewhere",
)


def entries(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def entry(tool: str) -> AuditEntry:
    return AuditEntry(tool, None, None, None, "ok", None, 0, 0.0)


@NEEDS_DEV_FULL
def test_a_full_device_loses_entries_but_not_calls_nor_a_clean_exit(tmp_path: Path) -> None:
    env = {"TWILIO_MEMORY_AUDIT_LOG": "/dev/full"}
    with stdio_server(env, tmp_path, "--sandbox") as server:
        server.initialize()
        answers = [server.call_tool("get_profile_identifiers", ARGS) for _ in range(3)]
        status = server.close()
    assert all(answer["result"]["isError"] is False for answer in answers)
    assert status == 0, server.stderr  # was 1, with a traceback from close()
    assert "Traceback" not in server.stderr
    # Said at once, then counted, not once per call: and no lost entry goes uncounted.
    assert server.stderr.count("the calls themselves went on") == 1
    assert lost(server.stderr, "No space left on device") == 3


LOST = re.compile(r"audit log write failed \((.+?)\): (\d+) entr(?:y|ies) lost")


def lost(stderr: str, reason: str) -> int:
    """How many entries the server's log lines say were lost for ``reason``, in all."""
    return sum(int(count) for why, count in LOST.findall(stderr) if why == reason)


def test_a_short_write_leaves_whole_lines_only(tmp_path: Path) -> None:
    # Issue 16 item 4: a real short write. RLIMIT_FSIZE lets the second entry be written half
    # (write(2) returns the bytes that fit, then EFBIG): that half line was left in the file and
    # the next entry, once the limit was lifted, was glued to it, making one line of two halves.
    audit = tmp_path / "audit.jsonl"
    env = {"TWILIO_MEMORY_AUDIT_LOG": str(audit), "TWILIO_MEMORY_LOG_LEVEL": "ERROR"}
    with stdio_server(env, tmp_path, "--sandbox") as server:
        server.initialize()
        server.call_tool("get_profile_identifiers", ARGS)
        one_line = audit.stat().st_size
        _, hard = resource.prlimit(server.process.pid, resource.RLIMIT_FSIZE)
        resource.prlimit(server.process.pid, resource.RLIMIT_FSIZE, (one_line + one_line // 2, hard))
        cut_short = [
            server.call_tool("list_profile_identifiers", {"profile_id": IDS.profile_id}) for _ in range(2)
        ]
        resource.prlimit(server.process.pid, resource.RLIMIT_FSIZE, (hard, hard))
        server.call_tool("get_profile_identifiers", ARGS)
        assert server.close() == 0, server.stderr
    assert all(answer["result"]["isError"] is False for answer in cut_short)  # the calls went on
    assert audit.read_bytes().endswith(b"\n")
    assert [entry["tool"] for entry in entries(audit)] == ["get_profile_identifiers"] * 2
    assert lost(server.stderr, "File too large") == 2, server.stderr


def test_a_short_write_that_cannot_be_taken_back_is_finished_by_the_next_entry(tmp_path: Path) -> None:
    # The same real short write, in a child process whose file cannot be cut back (as when
    # another worker appended after the half line): the next entry starts on a line of its own.
    audit = tmp_path / "audit.jsonl"
    child = f"""
import os, resource
from tools.audit import AuditEntry, AuditLog
def refuse(*args):
    raise PermissionError(1, "Operation not permitted")
os.ftruncate = refuse
log = AuditLog({str(audit)!r})
entry = AuditEntry("get_profile", None, None, None, "ok", 200, 1, 1.0)
log.record(entry)
size = os.path.getsize({str(audit)!r})
resource.setrlimit(resource.RLIMIT_FSIZE, (size + size // 2, resource.RLIM_INFINITY))
log.record(entry)
resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
log.record(entry)
os.rename({str(audit)!r}, {str(audit)!r} + ".1")
log.record(entry)  # a new file at the path
size = os.path.getsize({str(audit)!r})
resource.setrlimit(resource.RLIMIT_FSIZE, (size + size // 2, resource.RLIM_INFINITY))
log.record(entry)  # half written, not taken back
resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
os.rename({str(audit)!r}, {str(audit)!r} + ".2")  # rotated with the half line in it
log.record(entry)  # so the file after it starts clean
log.close()
"""
    done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=HANG_GUARD)
    assert done.returncode == 0, done.stderr
    lines = Path(f"{audit}.1").read_text().splitlines()
    assert len(lines) == 3
    assert [json.loads(line)["tool"] for line in (lines[0], lines[2])] == ["get_profile"] * 2
    assert lines[1] and not lines[1].endswith("}")  # the half line, alone on its line
    assert lost(done.stderr, "File too large") == 2
    assert [line["tool"] for line in entries(audit)] == ["get_profile"]  # no empty first line


@NEEDS_DEV_FULL
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
        "audit log write failed (No space left on device): 1 entry lost; the calls themselves went on",
        "audit log write failed (No space left on device): 2 entries lost; closing",  # none uncounted
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


def test_calls_refused_for_their_arguments_and_reads_of_bad_ids_are_audited(tmp_path: Path) -> None:
    # Issue 16 item 4: the README promises one line per tool call or resource read; a call the
    # argument check refused, and a read of a malformed id, left none. The malformed ids (here
    # an email where a profile id belongs) are recorded as absent, never as given.
    audit = tmp_path / "audit.jsonl"
    email = "dana.refused@example.com"
    bad_uri = f"memory://stores/{IDS.store_id}/profiles/{email}/identifiers/email"
    with stdio_server({"TWILIO_MEMORY_AUDIT_LOG": str(audit)}, tmp_path, "--sandbox") as server:
        server.initialize()
        refused = server.call_tool("get_profile_identifiers", {"profile_id": email, "id_type": "email"})
        short = server.call_tool("recall_memories", {"profile_id": IDS.profile_id, "observations_limit": 500})
        read = server.request("resources/read", {"uri": bad_uri})
        unknown = server.call_tool("get_profile_by_email", {"email": email})
        assert server.close() == 0
    assert refused["result"]["structuredContent"]["error"]["code"] == "invalid_argument"
    assert short["result"]["structuredContent"]["error"]["code"] == "invalid_argument"
    assert "error" in read and "error" in unknown  # protocol errors, both
    found = [(e["tool"], e["outcome"], e["store_id"], e["profile_id"], e["id_type"]) for e in entries(audit)]
    assert found == [
        ("get_profile_identifiers", "invalid_argument", IDS.store_id, None, "email"),
        ("recall_memories", "invalid_argument", IDS.store_id, IDS.profile_id, None),
        ("resource:profile_identifiers", "invalid_argument", IDS.store_id, None, "email"),
        ("get_profile_by_email", "unknown_tool", None, None, None),
    ]
    assert email not in audit.read_text()
    assert "get_profile_identifiers store=" in server.stderr and "outcome=invalid_argument" in server.stderr
