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
