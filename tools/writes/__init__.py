"""The write toolset (issue 19): off unless TWILIO_MEMORY_TOOLSETS names ``write``.

add_observation.py            CreateProfileObservation
add_conversation_summary.py   CreateProfileConversationSummary
update_profile_traits.py      PatchProfileTraits (destructive: null deletes a trait)
add_profile_identifier.py     CreateProfileIdentifier (destructive: may merge profiles)
consent.py                    asking the person (TWILIO_MEMORY_WRITE_CONFIRM)
run.py                        one write: consent outcome -> at most one send -> result, audit
common.py, fields.py          annotations, masking, argument types
"""

from __future__ import annotations

from tools.writes import (
    add_conversation_summary,
    add_observation,
    add_profile_identifier,
    update_profile_traits,
)

SPECS = (
    add_observation.SPEC,
    add_conversation_summary.SPEC,
    update_profile_traits.SPEC,
    add_profile_identifier.SPEC,
)
NAMES = tuple(spec.name for spec in SPECS)
