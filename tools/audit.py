"""Opt-in audit trail (TWILIO_MEMORY_AUDIT_LOG=path or "stderr"): one JSON line per tool call.

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
        self._lost = 0
        self._last_report = -FAILURE_REPORT_INTERVAL
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

    def close(self) -> None:
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
        while data:
            data = data[os.write(self._fd, data) :]

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
        self._open(self._path)

    def _failed(self, error: OSError | AuditTargetError) -> None:
        self._lost += 1
        now = time.monotonic()
        if now - self._last_report >= FAILURE_REPORT_INTERVAL:
            reason = error.strerror if isinstance(error, OSError) else str(error)
            logger.error(
                "audit log write failed (%s): %d entr%s lost; the calls themselves went on",
                reason,
                self._lost,
                "y" if self._lost == 1 else "ies",
            )
            self._last_report = now
            self._lost = 0
