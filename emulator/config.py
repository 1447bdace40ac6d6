"""The emulator's configuration: seed, behaviour switches for the spec's open questions, faults.

Each switch answers a question the spec leaves open (notes §14); the default is the first
value listed and is what ``emulator/README.md`` documents.

``unconfigured_id_type`` — a path ``idType`` the store's settings do not configure:
    ``"404"`` (default: the sub-resource does not exist) or ``"400"`` (a validation failure).
    A body ``idType`` (POST, Lookup) that is not configured is always a 400.
``empty_identifier`` — a configured idType with no stored values on the profile:
    ``"200-empty"`` (default: ``{"idType": …, "values": []}``, schema-valid as ``values`` has
    no ``minItems``) or ``"404"``.
``redirect_target`` — where ``Location``/``uri`` of a 301/308 point:
    ``"same-resource"`` (default: the same path with the canonical profile id, query kept) or
    ``"profile-root"`` (``…/Profiles/{canonical}``, the shape of the spec's only example).
``merged_answer`` — a merged profile id on an operation whose 200 declares
    ``Canonical-Profile-Id`` (FetchProfile, Recall, ListProfileObservations,
    ListProfileConversationSummaries): ``"redirect"`` (default: 301 for GETs, 308 for Recall, as
    on every other operation, so a 200 never needs the header) or ``"direct"`` (answer 200 from
    the canonical profile and name it in ``Canonical-Profile-Id``; the spec allows both).
``write_delay`` — seconds between a write's 202 and its effect showing in reads (0, the
    default: at once). The real API queues writes ("accepted and is being processed"); a delay
    lets a client be tested for not relying on read-your-writes.
``error_codes`` — the ``code`` in error bodies: ``"generic"`` (default: the spec's example
    codes, 20404 etc.) or ``"product"`` (Conversation Memory 52xxxx codes where documented).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .errors import ErrorCodes
from .faults import Faults

UnconfiguredIdType = Literal["404", "400"]
EmptyIdentifier = Literal["200-empty", "404"]
RedirectTarget = Literal["same-resource", "profile-root"]
MergedAnswer = Literal["redirect", "direct"]


@dataclass(frozen=True)
class EmulatorConfig:
    """Everything :func:`emulator.create_app` needs. ``seed``: a JSON file path, a parsed seed
    document, or None for the packaged default. ``faults`` is copied when the app starts."""

    seed: Path | str | Mapping[str, Any] | None = None
    unconfigured_id_type: UnconfiguredIdType = "404"
    empty_identifier: EmptyIdentifier = "200-empty"
    redirect_target: RedirectTarget = "same-resource"
    merged_answer: MergedAnswer = "redirect"
    error_codes: ErrorCodes = "generic"
    faults: Faults = field(default_factory=Faults)
    # Request bodies larger than this are refused with a 413 (not a status the spec declares).
    max_body_bytes: int = 65_536
    write_delay: float = 0.0
