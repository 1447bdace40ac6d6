"""Opt-in audit trail (TWILIO_MEMORY_AUDIT_LOG=path or "stderr"): one JSON line per tool call.

Each line says who asked for what and how it went: time, tool, store_id, profile_id, id_type,
outcome code, upstream status, attempts, latency, and on the HTTP transport the caller: the
OAuth token's ``sub`` and client id, or ``token-N`` for a static token. Never a value, never a
credential: the entry's fields are fixed here, and none of them can carry either.
"""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TextIO

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


class AuditLog:
    """Appends entries to a file or stderr; does nothing when not configured."""

    def __init__(self, target: str | None) -> None:
        self._stream: TextIO | None = None
        self._owned = False
        if target == "stderr":
            self._stream = sys.stderr
        elif target:
            # Line-buffered append: each entry is one write, whole lines even across workers.
            self._stream = open(target, "a", encoding="utf-8", buffering=1)  # noqa: SIM115
            self._owned = True

    @property
    def enabled(self) -> bool:
        return self._stream is not None

    def record(self, entry: AuditEntry) -> None:
        if self._stream is None:
            return
        line = {"time": datetime.now(UTC).isoformat(timespec="milliseconds"), **asdict(entry)}
        try:
            self._stream.write(json.dumps(line, separators=(",", ":")) + "\n")
            self._stream.flush()
        except OSError as error:  # a full disk must not turn a good answer into a failure
            logger.error("audit log write failed (%s); the call itself went on", type(error).__name__)

    def close(self) -> None:
        if self._owned and self._stream is not None:
            self._stream.close()
        self._stream = None
