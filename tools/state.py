"""What the tools hold for the server's lifetime, handed to every call through the lifespan."""

from __future__ import annotations

from dataclasses import dataclass, field

from memory.client import MemoryApiClient
from tools.audit import AuditLog
from tools.in_flight import InFlight
from tools.redaction import Redactor


@dataclass(frozen=True)
class AppState:
    api: MemoryApiClient
    redactor: Redactor
    audit: AuditLog
    result_budget: int | None = None  # characters per tool result; None: no budget
    in_flight: InFlight = field(default_factory=InFlight)  # for a graceful shutdown
    write_confirm: str = "elicit"  # TWILIO_MEMORY_WRITE_CONFIRM (tools/writes/consent.py)
