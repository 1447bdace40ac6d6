"""What the server holds for its lifetime, handed to every tool call through the lifespan."""

from __future__ import annotations

from dataclasses import dataclass

from server.audit import AuditLog
from server.memory_api import MemoryApiClient
from server.redaction import Redactor
from server.settings import Settings


@dataclass(frozen=True)
class AppState:
    settings: Settings
    api: MemoryApiClient
    redactor: Redactor
    audit: AuditLog
