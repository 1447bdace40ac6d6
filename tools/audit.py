"""Opt-in audit trail (TWILIO_MEMORY_AUDIT_LOG=path or "stderr"): one JSON line per tool call
or resource read, those refused for their arguments or ids included (tools.calls.record_refusal).

Each line says who asked for what and how it went: time, tool, store_id, profile_id, id_type,
conversation_id, outcome code, upstream status, attempts, latency, how many items the answer
held and how many the size budget left out, for a write its consent mode and answer and the
SHA-256 of its body, and on the HTTP transport the caller: the OAuth
token's ``sub`` and client id, or ``token-N`` for a static token. Never a value, a memory's
text, a query or a credential: the entry's fields are fixed here (ids, codes and counts), and
none of them can carry any of those.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import stat
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

logger = logging.getLogger("twilio_memory_mcp.audit")


@dataclass(frozen=True)
class AuditEntry:
    tool: str
    store_id: str | None
    profile_id: str | None
    id_type: str | None
    outcome: str  # "ok" or an error code
    http_status: int | None
    attempts: int
    latency_ms: float
    canonical_profile_id: str | None = None
    sub: str | None = None  # the OAuth token's subject
    client_id: str | None = None  # the OAuth client, or token-N for a static token
    conversation_id: str | None = None
    items: int | None = None  # items in the answer sent (values, traits, memories...)
    omitted: int | None = None  # items the size budget left out
    # Writes (issue 19): the consent mode ("elicit" or "host"), its answer ("accept",
    # "decline", "cancel", or "not_asked"), and the SHA-256 of the body sent (or that would
    # have been): it proves which write was confirmed without holding its content.
    consent: str | None = None
    consent_answer: str | None = None
    content_sha256: str | None = None


_WRITE_ONLY = ("consent", "consent_answer", "content_sha256")


class AuditTargetError(ValueError):
    """The audit log's path names something other than a file to append to."""


# A failing audit log says so at most this often (seconds), with a count of lost entries,
# rather than once per call.
FAILURE_REPORT_INTERVAL = 60.0


class AuditLog:
    """Appends entries to a file or stderr; does nothing when not configured.

    A file is written with one ``write(2)`` per entry on an ``O_APPEND`` descriptor: no
    buffer outlives a failed write (a full disk once made shutdown raise, issue 9 item 9),
    and whole lines stay whole across the workers of one host. Like
    ``logging.handlers.WatchedFileHandler``, it reopens the path when the file there is no
    longer the one it holds (rotation by rename, or deletion). It is opened non-blocking and
    must be a regular file or a character device: a FIFO without a reader would otherwise
    hang start-up for good.
    """

    def __init__(self, target: str | None) -> None:
        self._stderr = target == "stderr"
        self._path = target if target and not self._stderr else None
        self._fd: int | None = None
        self._identity: tuple[int, int] | None = None
        self._lost = 0  # entries lost since the last report
        self._reason = ""  # why the last of them was lost
        self._last_report = -FAILURE_REPORT_INTERVAL
        # A short write that could not be taken back left part of a line at the end of the
        # file: the next entry starts with a line break, so it is never glued to it.
        self._dangling = False
        if self._path is not None:
            self._open(self._path)

    @property
    def enabled(self) -> bool:
        return self._stderr or self._path is not None

    def record(self, entry: AuditEntry) -> None:
        if not self.enabled:
            return
        line = {"time": datetime.now(UTC).isoformat(timespec="milliseconds"), **asdict(entry)}
        for name in _WRITE_ONLY:  # a read's line keeps the fields it always had
            if line[name] is None:
                del line[name]
        text = json.dumps(line, separators=(",", ":")) + "\n"
        try:
            if self._stderr:
                sys.stderr.write(text)
                sys.stderr.flush()
            else:
                self._write(text.encode("utf-8"))
        except (OSError, AuditTargetError) as error:  # a full disk must not fail a good answer
            self._failed(error)
        else:
            if self._lost:  # writing again: say what was lost since the last report
                self._report("writes resumed")

    def close(self) -> None:
        if self._lost:
            self._report("closing")
        if self._fd is not None:
            with contextlib.suppress(OSError):  # nothing is buffered: nothing can be lost here
                os.close(self._fd)
        self._fd = None
        self._path = None
        self._stderr = False

    def _open(self, path: str) -> None:
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK | os.O_CLOEXEC
        try:
            fd = os.open(path, flags, 0o640)
        except OSError as error:  # ENXIO: a FIFO nobody reads
            raise AuditTargetError(f"cannot open the audit log ({error.strerror})") from None
        info = os.fstat(fd)
        if not (stat.S_ISREG(info.st_mode) or stat.S_ISCHR(info.st_mode)):
            os.close(fd)
            raise AuditTargetError("the audit log must be a regular file (or stderr)")
        os.set_blocking(fd, True)
        self._fd = fd
        self._identity = (info.st_dev, info.st_ino)

    def _write(self, data: bytes) -> None:
        assert self._path is not None
        if self._fd is None or self._moved(self._path):
            self.reopen()
        assert self._fd is not None
        if self._dangling:
            data = b"\n" + data
        written = 0
        try:
            while written < len(data):
                written += os.write(self._fd, data[written:])
        except OSError:
            if written:
                self._take_back(self._fd, written)
            raise
        self._dangling = False

    def _take_back(self, fd: int, written: int) -> None:
        """Undo a short write (a full disk, RLIMIT_FSIZE: the first bytes written, then an
        error): the file is cut back to where the entry began, so it holds whole lines only.
        On an ``O_APPEND`` descriptor the offset is the end of our own bytes; if the file has
        grown past it since (another worker appended), or cannot be cut (a device), the line
        is finished by the next entry instead (:attr:`_dangling`)."""
        try:
            end = os.lseek(fd, 0, os.SEEK_CUR)
            if os.fstat(fd).st_size == end:
                os.ftruncate(fd, end - written)  # our line break too: _dangling stands
                return
        except OSError:
            pass
        self._dangling = True

    def _moved(self, path: str) -> bool:
        try:
            info = os.stat(path)
        except FileNotFoundError:
            return True
        return (info.st_dev, info.st_ino) != self._identity

    def reopen(self) -> None:
        """Open the path afresh (after rotation); the old descriptor is closed."""
        assert self._path is not None
        old, self._fd = self._fd, None
        if old is not None:
            with contextlib.suppress(OSError):
                os.close(old)
        held = self._identity
        self._open(self._path)
        if self._identity != held:  # a new file: the half line stays in the old one
            self._dangling = False

    def _failed(self, error: OSError | AuditTargetError) -> None:
        self._lost += 1
        self._reason = (error.strerror or str(error)) if isinstance(error, OSError) else str(error)
        if time.monotonic() - self._last_report >= FAILURE_REPORT_INTERVAL:
            self._report("the calls themselves went on")

    def _report(self, then: str) -> None:
        """One line for every entry lost since the last one: failures are said at most once
        per :data:`FAILURE_REPORT_INTERVAL`, and what they lost is counted when writing
        resumes or the log closes, so no lost entry goes uncounted."""
        logger.error(
            "audit log write failed (%s): %d entr%s lost; %s",
            self._reason,
            self._lost,
            "y" if self._lost == 1 else "ies",
            then,
        )
        self._last_report = time.monotonic()
        self._lost = 0
