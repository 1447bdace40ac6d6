"""The Memory API's bodies, as the spec draws them, checked on arrival.

Each model mirrors a schema of twilio-memory-v1.openapi.json (components/schemas, or an
operation's inline schema). Unknown fields are ignored rather than refused, so an additive
change on Twilio's side does not break callers; everything read is bounded as the spec bounds
it. Enumerations in answers (a channel, a participant type) are read as short bounded strings
rather than closed sets, for the same reason.

    identifiers.py  IdentifierSet, IdentifierList, LookupResult
    profiles.py     Profile and its traits (FetchProfile)
    memories.py     observations, summaries, communications: Recall and the two lists

The submodules load when a name is first asked for (``from memory.models import X`` works as
usual): a process that serves no call yet, such as a server answering tools/list at start,
does not pay for defining models it has not used (issue 10, cold start).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the names, for type checkers; at run time __getattr__ finds them
    from memory.models.identifiers import (
        IdentifierList as IdentifierList,
    )
    from memory.models.identifiers import (
        IdentifierSet as IdentifierSet,
    )
    from memory.models.identifiers import (
        LookupResult as LookupResult,
    )
    from memory.models.memories import (
        Communication as Communication,
    )
    from memory.models.memories import (
        CommunicationContent as CommunicationContent,
    )
    from memory.models.memories import (
        ListMeta as ListMeta,
    )
    from memory.models.memories import (
        Observation as Observation,
    )
    from memory.models.memories import (
        ObservationPage as ObservationPage,
    )
    from memory.models.memories import (
        Participant as Participant,
    )
    from memory.models.memories import (
        RecallMeta as RecallMeta,
    )
    from memory.models.memories import (
        RecallObservation as RecallObservation,
    )
    from memory.models.memories import (
        RecallRequest as RecallRequest,
    )
    from memory.models.memories import (
        RecallResult as RecallResult,
    )
    from memory.models.memories import (
        RecallSummary as RecallSummary,
    )
    from memory.models.memories import (
        Summary as Summary,
    )
    from memory.models.memories import (
        SummaryPage as SummaryPage,
    )
    from memory.models.profiles import (
        Profile as Profile,
    )
    from memory.models.profiles import (
        TraitScalar as TraitScalar,
    )
    from memory.models.profiles import (
        TraitValue as TraitValue,
    )

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


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # once found, an ordinary attribute
    return value
