"""The Memory API's bodies, as the spec draws them, checked on arrival.

Each model mirrors a schema of twilio-memory-v1.openapi.json (components/schemas, or an
operation's inline schema). Unknown fields are ignored rather than refused, so an additive
change on Twilio's side does not break callers; everything read is bounded as the spec bounds
it. Enumerations in answers (a channel, a participant type) are read as short bounded strings
rather than closed sets, for the same reason.

    identifiers.py  IdentifierSet, IdentifierList, LookupResult
    profiles.py     Profile and its traits (FetchProfile)
    memories.py     observations, summaries, communications: Recall and the two lists
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from memory.models.identifiers import IdentifierList, IdentifierSet, LookupResult
    from memory.models.memories import (
        Communication,
        CommunicationContent,
        ListMeta,
        Observation,
        ObservationPage,
        Participant,
        RecallMeta,
        RecallObservation,
        RecallRequest,
        RecallResult,
        RecallSummary,
        Summary,
        SummaryPage,
    )
    from memory.models.profiles import Profile, TraitScalar, TraitValue

__all__ = [
    "Communication",
    "CommunicationContent",
    "IdentifierList",
    "IdentifierSet",
    "ListMeta",
    "LookupResult",
    "Observation",
    "ObservationPage",
    "Participant",
    "Profile",
    "RecallMeta",
    "RecallObservation",
    "RecallRequest",
    "RecallResult",
    "RecallSummary",
    "Summary",
    "SummaryPage",
    "TraitScalar",
    "TraitValue",
]

# Which module holds each name. A module loads at the first use of one of its names (PEP
# 562): a start needs profiles (the traits' types, in get_profile's answer) and none of the
# others, which wait for the client's first call (issue 17, cold start).
_HOMES = {
    "identifiers": ("IdentifierList", "IdentifierSet", "LookupResult"),
    "memories": (
        "Communication",
        "CommunicationContent",
        "ListMeta",
        "Observation",
        "ObservationPage",
        "Participant",
        "RecallMeta",
        "RecallObservation",
        "RecallRequest",
        "RecallResult",
        "RecallSummary",
        "Summary",
        "SummaryPage",
    ),
    "profiles": ("Profile", "TraitScalar", "TraitValue"),
}
_HOME = {name: module for module, names in _HOMES.items() for name in names}


def __getattr__(name: str) -> object:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
